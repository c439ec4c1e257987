using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SwitchGate.Controller.Tls;

namespace SwitchGate.Controller.Tests;

/// <summary>A test PKI in a temporary directory: one CA for switches and the controller, files as the CLI reads them.</summary>
internal sealed class TestPki : IDisposable
{
    public TestPki()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("sg-tls-").FullName;
        Ca = CertificateAuthority.Create("SwitchGate test CA", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        OtherCa = CertificateAuthority.Create("SwitchGate test CA", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        Ca.WriteCertificate(CaPath);
        Controller = Issue("controller", Ca);
        CertificateAuthority.WritePem(Controller, ControllerCertPath, ControllerKeyPath);
    }

    public string Directory { get; }
    public CertificateAuthority Ca { get; }

    /// <summary>A CA with the same name as <see cref="Ca"/> but another key: what an attacker can make.</summary>
    public CertificateAuthority OtherCa { get; }

    public X509Certificate2 Controller { get; private set; }
    public string CaPath => Path.Combine(Directory, "switch-ca.pem");
    public string ControllerCertPath => Path.Combine(Directory, "controller-cert.pem");
    public string ControllerKeyPath => Path.Combine(Directory, "controller-key.pem");

    public ControllerTlsOptions Options => new() { CertificatePath = ControllerCertPath, PrivateKeyPath = ControllerKeyPath, SwitchCaPath = CaPath };

    public static X509Certificate2 Issue(string name, CertificateAuthority ca, TimeSpan? validFor = null, DateTimeOffset? from = null) =>
        ca.Issue(name, from ?? DateTimeOffset.UtcNow.AddMinutes(-10), (from ?? DateTimeOffset.UtcNow) + (validFor ?? TimeSpan.FromDays(1)));

    /// <summary>A TLS client handshake as a switch: presents <paramref name="certificate"/>, trusts only <paramref name="controllerCa"/>.</summary>
    public static Func<Stream, Task<Stream>> AsSwitch(X509Certificate2? certificate, X509Certificate2 controllerCa, Action<X509Certificate2>? seen = null) =>
        async stream =>
        {
            var ssl = new SslStream(stream, false, (_, cert, _, _) =>
            {
                var presented = (X509Certificate2)cert!;
                seen?.Invoke(presented);
                return SwitchCertificateCheck.Check(presented, [controllerCa], [], DateTime.UtcNow) is null;
            });
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "controller",
                ClientCertificates = certificate is null ? null : new X509CertificateCollection { certificate },
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            });
            return ssl;
        };

    /// <summary>A fake switch speaking OpenFlow through the TLS client handshake <paramref name="secure"/>.</summary>
    public static async Task<FakeSwitch> ConnectAsync(IPEndPoint controller, ulong dpid, Func<Stream, Task<Stream>> secure)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(controller);
        var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            return await FakeSwitch.AttachAsync(await secure(stream), dpid);
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    /// <summary>Replaces the controller's certificate files (what an operator's rotation does).</summary>
    public void RotateController(CertificateAuthority issuer, params CertificateAuthority[] bundle)
    {
        Controller = Issue("controller-rotated", issuer);
        // New mtimes for sure even on a coarse clock: the reload compares size and write time.
        var stamp = DateTime.UtcNow.AddSeconds(5);
        CertificateAuthority.WritePem(Controller, ControllerCertPath, ControllerKeyPath);
        File.WriteAllText(CaPath, string.Concat(bundle.Select(c => c.Certificate.ExportCertificatePem() + "\n")));
        foreach (var p in new[] { ControllerCertPath, ControllerKeyPath, CaPath })
            File.SetLastWriteTimeUtc(p, stamp);
    }

    public void Dispose()
    {
        Ca.Dispose();
        OtherCa.Dispose();
        System.IO.Directory.Delete(Directory, true);
    }
}

/// <summary>
/// OpenFlow over TLS with mutual authentication, against the real listener on loopback: switches with a certificate
/// from the configured CA get a session; without one, from another CA, expired or not yet valid, they are refused
/// before any OpenFlow byte is read; rotation of the controller's files keeps established sessions.
/// </summary>
public sealed class TlsTests : IDisposable
{
    private const ulong Dpid = 0x7151;
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    private TestController Start() => TestController.Start(o => o.Tls = _pki.Options);

    [Fact]
    public async Task A_switch_with_a_certificate_from_the_configured_ca_gets_a_session()
    {
        await using var controller = Start();
        using var cert = TestPki.Issue("switch-1", _pki.Ca);
        await using var sw = await TestPki.ConnectAsync(controller.EndPoint, Dpid, TestPki.AsSwitch(cert, _pki.Ca.Certificate));
        await controller.WaitForReadyAsync(Dpid);
        Assert.False(controller.Logs.Contains("plaintext"));
    }

    public static TheoryData<string> Refusals => new() { "no certificate", "another CA with the same name", "expired", "not yet valid", "self-signed" };

    [Theory, MemberData(nameof(Refusals))]
    public async Task A_switch_without_a_valid_certificate_is_refused_before_openflow(string attack)
    {
        await using var controller = Start();
        using var cert = attack switch
        {
            "no certificate" => null,
            "another CA with the same name" => TestPki.Issue("switch-1", _pki.OtherCa),
            "expired" => TestPki.Issue("switch-1", _pki.Ca, TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow.AddHours(-1)),
            "not yet valid" => TestPki.Issue("switch-1", _pki.Ca, TimeSpan.FromDays(1), DateTimeOffset.UtcNow.AddHours(1)),
            _ => SelfSigned(),
        };
        var connect = TestPki.ConnectAsync(controller.EndPoint, Dpid, TestPki.AsSwitch(cert, _pki.Ca.Certificate));
        // TLS 1.3: the client's handshake may complete before the server's verdict on its certificate arrives; then
        // the refusal shows as the connection closing.
        try
        {
            await using var sw = await connect;
            await sw.ClosedByPeer.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
        }
        var expected = attack switch
        {
            "no certificate" => "presented no certificate",
            "expired" => "expired at",
            "not yet valid" => "is not valid before",
            _ => "does not chain to the configured switch CA",
        };
        await controller.Logs.WaitForAsync("refused: TLS: ");
        Assert.True(controller.Logs.Contains(expected), controller.Logs.ToString());
        Assert.False(controller.Registry.TryGet(Dpid, out _));
        Assert.Equal(0, controller.Listener.SessionCount);

        X509Certificate2 SelfSigned()
        {
            using var own = CertificateAuthority.Create("switch-1", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            return own.Issue("switch-1", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        }
    }

    [Fact]
    public async Task A_plaintext_switch_is_refused_by_a_tls_listener()
    {
        await using var controller = Start();
        await using var sw = await FakeSwitch.ConnectAsync(controller.EndPoint, Dpid);
        await sw.ClosedByPeer.WaitAsync(TimeSpan.FromSeconds(10));
        await controller.Logs.WaitForAsync("refused: TLS: ");
        Assert.False(controller.Registry.TryGet(Dpid, out _));
    }

    [Fact]
    public async Task Rotating_the_controller_files_keeps_sessions_and_serves_the_new_certificate_to_new_switches()
    {
        await using var controller = Start();
        using var newCa = CertificateAuthority.Create("SwitchGate test CA 2", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using var oldCert = TestPki.Issue("switch-old", _pki.Ca);
        await using var before = await TestPki.ConnectAsync(controller.EndPoint, Dpid, TestPki.AsSwitch(oldCert, _pki.Ca.Certificate));
        var session = await controller.WaitForReadyAsync(Dpid);

        // Rotation: the controller's certificate now comes from the new CA, and both CAs are trusted for switches.
        _pki.RotateController(newCa, _pki.Ca, newCa);
        Assert.True(controller.Listener.Tls!.ReloadIfChanged());
        await controller.Logs.WaitForAsync("TLS credentials reloaded");

        X509Certificate2? served = null;
        using var newCert = TestPki.Issue("switch-new", newCa);
        await using var after = await TestPki.ConnectAsync(controller.EndPoint, Dpid + 1, TestPki.AsSwitch(newCert, newCa.Certificate, c => served = c));
        await controller.WaitForReadyAsync(Dpid + 1);
        Assert.Equal(_pki.Controller.Thumbprint, served!.Thumbprint);

        // The established session never noticed: same session object, still ready, still answering.
        Assert.True(controller.Registry.TryGet(Dpid, out var still));
        Assert.Same(session, still);
        Assert.Equal(Sessions.SessionState.Ready, still.State);
        Assert.False(before.ClosedByPeer.IsCompleted);
        await session.SendBatchAsync([]);
    }

    [Fact]
    public async Task A_broken_replacement_keeps_the_previous_credentials()
    {
        await using var controller = Start();
        var thumbprint = controller.Listener.Tls!.Certificate.Thumbprint;
        File.WriteAllText(_pki.ControllerKeyPath, "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n");
        File.SetLastWriteTimeUtc(_pki.ControllerKeyPath, DateTime.UtcNow.AddSeconds(5));
        Assert.False(controller.Listener.Tls.ReloadIfChanged());
        Assert.True(controller.Logs.Contains("TLS credentials not reloaded"), controller.Logs.ToString());
        Assert.Equal(thumbprint, controller.Listener.Tls.Certificate.Thumbprint);
        using var cert = TestPki.Issue("switch-1", _pki.Ca);
        await using var sw = await TestPki.ConnectAsync(controller.EndPoint, Dpid, TestPki.AsSwitch(cert, _pki.Ca.Certificate));
        await controller.WaitForReadyAsync(Dpid);
    }

    [Fact]
    public async Task Plaintext_is_logged_as_a_warning()
    {
        await using var controller = TestController.Start();
        Assert.True(controller.Logs.Contains("Warning: OpenFlow channel is plaintext TCP"), controller.Logs.ToString());
    }

    [Fact]
    public void Options_name_missing_files_and_a_key_that_does_not_match()
    {
        var missing = new ControllerOptions { Tls = _pki.Options with { SwitchCaPath = "/nonexistent/ca.pem" } }.Validate();
        Assert.Contains(missing, p => p.Contains("switch CA bundle: '/nonexistent/ca.pem' does not exist"));
        using var other = TestPki.Issue("other", _pki.Ca);
        var otherKey = Path.Combine(_pki.Directory, "other-key.pem");
        CertificateAuthority.WritePem(other, Path.Combine(_pki.Directory, "other-cert.pem"), otherKey);
        var e = Assert.Throws<InvalidDataException>(() => ControllerTls.CheckFiles(_pki.Options with { PrivateKeyPath = otherKey }));
        Assert.Contains("does not load with the certificate", e.Message);
    }

    [Fact]
    public void The_check_trusts_only_the_configured_roots_and_the_time()
    {
        using var cert = TestPki.Issue("switch-1", _pki.Ca);
        Assert.Null(SwitchCertificateCheck.Check(cert, [_pki.Ca.Certificate], [], DateTime.UtcNow));
        Assert.Contains("does not chain", SwitchCertificateCheck.Check(cert, [_pki.OtherCa.Certificate], [], DateTime.UtcNow));
        Assert.Contains("expired", SwitchCertificateCheck.Check(cert, [_pki.Ca.Certificate], [], DateTime.UtcNow.AddDays(2)));
    }
}
