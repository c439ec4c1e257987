using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SwitchGate.Controller.Tls;

/// <summary>
/// A minimal certificate authority for the OpenFlow channel (the project's own alternative to <c>ovs-pki</c>): a
/// self-signed RSA-2048 CA that issues controller and switch certificates, written as PEM files that both
/// <c>controller run --tls-*</c> and <c>ovs-vsctl set-ssl</c> read. RSA keeps every OpenSSL build of Open vSwitch happy.
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    private readonly RSA _key;

    private CertificateAuthority(X509Certificate2 certificate, RSA key)
    {
        Certificate = certificate;
        _key = key;
    }

    /// <summary>The CA certificate, with its private key (only the certificate is ever written out).</summary>
    public X509Certificate2 Certificate { get; }

    public static CertificateAuthority Create(string commonName, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return new CertificateAuthority(request.CreateSelfSigned(notBefore, notAfter), key);
    }

    /// <summary>A certificate for <paramref name="commonName"/> with its own new key, usable as TLS server and client.</summary>
    public X509Certificate2 Issue(string commonName, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1", "serverAuth"), new Oid("1.3.6.1.5.5.7.3.2", "clientAuth")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        // The CA's own validity bounds what it may sign; a caller asking for an expired certificate gets one.
        var from = notBefore < Certificate.NotBefore ? new DateTimeOffset(Certificate.NotBefore) : notBefore;
        var to = notAfter > Certificate.NotAfter ? new DateTimeOffset(Certificate.NotAfter) : notAfter;
        using var issued = request.Create(Certificate, from, to, serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>Writes the CA certificate as PEM (what goes into a CA bundle).</summary>
    public void WriteCertificate(string path) => File.WriteAllText(path, Certificate.ExportCertificatePem() + "\n");

    /// <summary>Writes <paramref name="certificate"/> (PEM) and its private key (PKCS#8 PEM, mode 0600).</summary>
    public static void WritePem(X509Certificate2 certificate, string certificatePath, string keyPath)
    {
        using var key = certificate.GetRSAPrivateKey() ?? throw new ArgumentException("the certificate has no RSA private key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(keyPath, "");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    public void Dispose()
    {
        Certificate.Dispose();
        _key.Dispose();
    }
}
