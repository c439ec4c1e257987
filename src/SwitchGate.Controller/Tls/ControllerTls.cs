using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace SwitchGate.Controller.Tls;

/// <summary>
/// TLS on the OpenFlow channel (OpenFlow 1.3.5 §6.3.3, Open vSwitch <c>ssl:</c> controller targets): the controller's
/// certificate and key, and the CA bundle every switch certificate must chain to. All PEM files.
/// </summary>
public sealed record ControllerTlsOptions
{
    /// <summary>The controller's certificate, optionally followed by intermediate CA certificates (PEM).</summary>
    public required string CertificatePath { get; init; }

    /// <summary>The controller's private key (PEM, PKCS#8 or the key type's own format).</summary>
    public required string PrivateKeyPath { get; init; }

    /// <summary>
    /// The CA certificates a switch's certificate must chain to (PEM bundle). A switch without a certificate, with one
    /// from another CA, or outside its validity period is refused. During a CA rotation the bundle holds both CAs.
    /// </summary>
    public required string SwitchCaPath { get; init; }

    /// <summary>
    /// Which switch keys may claim which datapath ids (<see cref="SwitchCertificateBindings.Parse"/>): after
    /// FEATURES_REPLY a datapath id the switch's certificate is not bound to closes the session before anything is
    /// installed. Null leaves datapath ids unbound (any switch of the CA may claim any datapath id), which the
    /// listener logs as a warning; the CLI requires the file.
    /// </summary>
    public string? SwitchBindingsPath { get; init; }

    public IEnumerable<string> Validate()
    {
        var files = new List<(string, string)> { (CertificatePath, "TLS certificate"), (PrivateKeyPath, "TLS private key"), (SwitchCaPath, "switch CA bundle") };
        if (SwitchBindingsPath is not null)
            files.Add((SwitchBindingsPath, "switch certificate bindings"));
        foreach (var (path, what) in files)
        {
            if (string.IsNullOrWhiteSpace(path))
                yield return $"{what}: no file given";
            else if (!File.Exists(path))
                yield return $"{what}: '{path}' does not exist";
        }
    }
}

/// <summary>The checks a switch certificate must pass: pure, so the refusals are testable without a handshake.</summary>
public static class SwitchCertificateCheck
{
    /// <summary>
    /// Null when <paramref name="certificate"/> chains to one of <paramref name="roots"/> (and only them: the system
    /// store is not trusted) and every certificate of the chain is valid at <paramref name="now"/>; otherwise the reason.
    /// Revocation is not checked (no CRL/OCSP infrastructure on an isolated management network; rotate the CA instead).
    /// </summary>
    public static string? Check(X509Certificate2? certificate, IReadOnlyCollection<X509Certificate2> roots,
        IEnumerable<X509Certificate2> presentedChain, DateTime now)
    {
        if (certificate is null)
            return "the switch presented no certificate";
        if (certificate.NotBefore.ToUniversalTime() > now)
            return $"the switch certificate '{certificate.Subject}' is not valid before {certificate.NotBefore.ToUniversalTime():u}";
        if (certificate.NotAfter.ToUniversalTime() < now)
            return $"the switch certificate '{certificate.Subject}' expired at {certificate.NotAfter.ToUniversalTime():u}";
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots.ToArray());
        chain.ChainPolicy.ExtraStore.AddRange(presentedChain.ToArray());
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.ToLocalTime();
        chain.ChainPolicy.VerificationTimeIgnored = false;
        if (chain.Build(certificate))
            return null;
        var problems = chain.ChainStatus.Select(s => s.Status.ToString()).Distinct();
        return $"the switch certificate '{certificate.Subject}' (issuer '{certificate.Issuer}') does not chain to the configured switch CA: {string.Join(", ", problems)}";
    }
}

/// <summary>
/// The controller's TLS credentials and the switch certificate bindings, re-read when any of the files changes (checked at most once a second, on
/// accept), so that certificates are rotated by replacing files: established sessions keep their TLS session and
/// are never dropped, new connections use the new files. A replacement that does not load (half-written, key not
/// matching the certificate) is logged and the previous credentials stay in use.
/// </summary>
public sealed class ControllerTls
{
    private readonly ControllerTlsOptions _options;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly object _lock = new();
    private Credentials _current;
    private DateTimeOffset _lastCheck;

    public ControllerTls(ControllerTlsOptions options, TimeProvider time, ILogger log)
    {
        _options = options;
        _time = time;
        _log = log;
        _current = Load(options);
        _lastCheck = time.GetUtcNow();
    }

    /// <summary>The controller certificate currently presented to switches.</summary>
    public X509Certificate2 Certificate => Current().Certificate;

    /// <summary>The switch certificate bindings in force (null when datapath ids are not bound).</summary>
    public SwitchCertificateBindings? Bindings => Current().Bindings;

    /// <summary>
    /// Null when the switch that authenticated with <paramref name="peer"/> may claim <paramref name="datapathId"/>
    /// under the bindings in force now (always, without a bindings file); otherwise the reason to refuse it.
    /// </summary>
    public string? CheckDatapathId(ulong datapathId, X509Certificate2 peer) =>
        Bindings?.Check(datapathId, SwitchCertificateBindings.PinOf(peer));

    /// <summary>
    /// Runs the TLS handshake as the server on an accepted connection, requiring a switch certificate that passes
    /// <see cref="SwitchCertificateCheck"/>. Throws <see cref="AuthenticationException"/> with the reason on refusal.
    /// </summary>
    public async Task<SslStream> AuthenticateAsync(Stream inner, CancellationToken cancel)
    {
        var credentials = Current();
        string? refusal = null;
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false, (_, certificate, chain, _) =>
        {
            // The platform's verdict (sslPolicyErrors) is ignored on purpose: it trusts the system store, we trust
            // only the configured switch CA.
            var presented = certificate as X509Certificate2;
            var extra = chain?.ChainElements.Select(e => e.Certificate).ToList() ?? [];
            refusal = SwitchCertificateCheck.Check(presented, credentials.SwitchRoots, extra, _time.GetUtcNow().UtcDateTime);
            return refusal is null;
        });
        try
        {
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = credentials.Context,
                ClientCertificateRequired = true,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            }, cancel).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new AuthenticationException(refusal ?? e.Message, e);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Re-reads the files now if they changed; returns true when new credentials are in use.</summary>
    public bool ReloadIfChanged()
    {
        lock (_lock)
        {
            _lastCheck = _time.GetUtcNow();
            var stamp = Stamp(_options);
            if (stamp == _current.Stamp)
                return false;
            try
            {
                var loaded = Load(_options);
                _current = loaded;
                if (_log.IsEnabled(LogLevel.Information))
                    _log.TlsReloaded(loaded.Certificate.Subject, loaded.Certificate.NotAfter.ToUniversalTime(), loaded.SwitchRoots.Count,
                        loaded.Bindings is null ? "datapath ids not bound" : $"{loaded.Bindings.Count} datapath id(s) bound to switch keys");
                return true;
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or InvalidDataException)
            {
                _log.TlsReloadFailed(e.Message);
                _current = _current with { Stamp = stamp };
                return false;
            }
        }
    }

    private Credentials Current()
    {
        if (_time.GetUtcNow() - _lastCheck >= TimeSpan.FromSeconds(1))
            ReloadIfChanged();
        lock (_lock)
            return _current;
    }

    private static string Stamp(ControllerTlsOptions o) => string.Join('|',
        new[] { o.CertificatePath, o.PrivateKeyPath, o.SwitchCaPath, o.SwitchBindingsPath }.OfType<string>().Select(p =>
        {
            var f = new FileInfo(p);
            return f.Exists ? $"{f.Length}:{f.LastWriteTimeUtc.Ticks}" : "missing";
        }));

    /// <summary>Loads and checks the files; throws with a message naming the file at fault.</summary>
    public static void CheckFiles(ControllerTlsOptions options) => Load(options);

    private static Credentials Load(ControllerTlsOptions o)
    {
        var stamp = Stamp(o);
        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPemFile(o.CertificatePath);
        }
        catch (CryptographicException e)
        {
            throw new InvalidDataException($"TLS certificate '{o.CertificatePath}': {e.Message}", e);
        }
        if (chain.Count == 0)
            throw new InvalidDataException($"TLS certificate '{o.CertificatePath}' holds no PEM certificate");
        X509Certificate2 leaf;
        try
        {
            leaf = X509Certificate2.CreateFromPemFile(o.CertificatePath, o.PrivateKeyPath);
        }
        catch (CryptographicException e)
        {
            throw new InvalidDataException($"TLS private key '{o.PrivateKeyPath}' does not load with the certificate: {e.Message}", e);
        }
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(o.SwitchCaPath);
        }
        catch (CryptographicException e)
        {
            throw new InvalidDataException($"switch CA bundle '{o.SwitchCaPath}': {e.Message}", e);
        }
        if (roots.Count == 0)
            throw new InvalidDataException($"switch CA bundle '{o.SwitchCaPath}' holds no PEM certificate");
        SwitchCertificateBindings? bindings = null;
        if (o.SwitchBindingsPath is { } bindingsPath)
        {
            try
            {
                bindings = SwitchCertificateBindings.Parse(File.ReadAllText(bindingsPath));
            }
            catch (Exception e) when (e is SwitchBindingsFormatException or IOException or UnauthorizedAccessException)
            {
                throw new InvalidDataException($"switch certificate bindings '{bindingsPath}': {e.Message}", e);
            }
        }
        var context = SslStreamCertificateContext.Create(leaf, new X509Certificate2Collection(chain.Skip(1).ToArray()), offline: true);
        return new Credentials(leaf, context, roots.ToList(), bindings, stamp);
    }

    private sealed record Credentials(X509Certificate2 Certificate, SslStreamCertificateContext Context,
        IReadOnlyCollection<X509Certificate2> SwitchRoots, SwitchCertificateBindings? Bindings, string Stamp);
}
