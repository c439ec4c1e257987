using System.Text.RegularExpressions;
using SwitchGate.Controller.Tls;
using SwitchGate.Topology;

namespace SwitchGate.Integration.Tests;

/// <summary>
/// `switchgate controller run --tls-*` against Open vSwitch `ssl:` controller targets (ovs-vsctl set-ssl): a bridge
/// whose certificate comes from the configured CA and is bound to its datapath id is cold-started over TLS; a
/// certificate from another CA (same name), an expired one, or a plaintext `tcp:` target is refused by the controller
/// with the reason; switch A's valid certificate on a bridge claiming switch B's datapath id is refused after
/// FEATURES_REPLY and nothing is installed; rotating the controller's files keeps the established session and lets a
/// switch with a certificate from the new CA in. The bindings file's pins are computed with the openssl command the
/// documentation gives.
/// Open vSwitch's SSL settings are global to ovs-vswitchd: the class sets them per test and removes them afterwards
/// (no other test uses `ssl:` targets).
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "ovs")]
public sealed class OvsTlsTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(40);
    private readonly string _dir = Directory.CreateTempSubdirectory("sg-ovs-tls-").FullName;
    private readonly string _prefix = $"sgtl{Environment.ProcessId % 1000:x3}{Random.Shared.Next(0x100):x2}";
    private readonly List<string> _bridges = [];
    private readonly CertificateAuthority _ca = CertificateAuthority.Create("SwitchGate OpenFlow CA", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

    public OvsTlsTests()
    {
        _ca.WriteCertificate(P("ca.pem"));
        Issue(_ca, "controller", "controller");
    }

    private string P(string name) => Path.Combine(_dir, name);

    private void Issue(CertificateAuthority ca, string name, string file, DateTimeOffset? from = null, TimeSpan? validFor = null)
    {
        var start = from ?? DateTimeOffset.UtcNow.AddMinutes(-10);
        using var cert = ca.Issue(name, start, start + (validFor ?? TimeSpan.FromDays(1)));
        CertificateAuthority.WritePem(cert, P(file + "-cert.pem"), P(file + "-key.pem"));
    }

    public void Dispose()
    {
        foreach (var b in _bridges)
            _ = CommandRunner.TryRunAsync("ovs-vsctl", ["--timeout=10", "--if-exists", "del-br", b], TimeSpan.FromSeconds(20)).GetAwaiter().GetResult();
        _ = CommandRunner.TryRunAsync("ovs-vsctl", ["--timeout=10", "del-ssl"], TimeSpan.FromSeconds(20)).GetAwaiter().GetResult();
        _ca.Dispose();
        Directory.Delete(_dir, true);
    }

    private Task<ControllerProcess> StartControllerAsync() =>
        ControllerProcess.StartAsync(ControllerProcess.DotnetCommand(RepoPaths.CliDll), 0,
            ["--tls-cert", P("controller-cert.pem"), "--tls-key", P("controller-key.pem"), "--tls-switch-ca", P("ca.pem"),
             "--tls-switch-bindings", P("bindings")]);

    /// <summary>A datapath id for a new bridge of this test (unique per run, so that no other bridge can hold it).</summary>
    private ulong NewDpid() => 0x7150_0000_0000UL + (ulong)Random.Shared.Next(1, 0xFFFF) * 16 + (ulong)_dpids++;

    private int _dpids;

    /// <summary>Writes the bindings file: each datapath id with the pin of the certificate FILE-cert.pem, as an operator would.</summary>
    private async Task BindAsync(params (ulong Dpid, string File)[] bindings)
    {
        var lines = new List<string> { "# datapath id  SPKI SHA-256 (openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum)" };
        foreach (var (dpid, file) in bindings)
        {
            var pin = await PinAsync(P(file + "-cert.pem"));
            using (var cert = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(P(file + "-cert.pem"), P(file + "-key.pem")))
                Assert.Equal(SwitchCertificateBindings.PinOf(cert), pin);
            lines.Add($"{dpid:x16} {pin}");
        }
        File.WriteAllLines(P("bindings"), lines);
    }

    /// <summary>The documented way to compute a pin, so that the docs and the controller agree.</summary>
    private static async Task<string> PinAsync(string certificate)
    {
        var result = await CommandRunner.RunAsync("sh", ["-c", "openssl x509 -in \"$1\" -pubkey -noout | openssl pkey -pubin -outform der | sha256sum", "sh", certificate], TimeSpan.FromSeconds(20));
        return result.StandardOutput.Split(' ')[0].Trim();
    }

    /// <summary>The switch side: ovs-vswitchd's key, certificate, and the CA(s) it accepts the controller's certificate from.</summary>
    private static Task SetSwitchSslAsync(string key, string cert, string ca) =>
        CommandRunner.RunAsync("ovs-vsctl", ["--timeout=10", "set-ssl", key, cert, ca], TimeSpan.FromSeconds(20));

    private async Task<ulong> AddBridgeAsync(string target, ulong dpid)
    {
        var name = $"{_prefix}{_bridges.Count}";
        _bridges.Add(name);
        await CommandRunner.RunAsync("ovs-vsctl", ["--timeout=10", "add-br", name, "--",
            "set", "bridge", name, "datapath_type=netdev", "fail_mode=secure", "protocols=OpenFlow13", $"other_config:datapath-id={dpid:x16}", "--",
            "set-controller", name, target], TimeSpan.FromSeconds(20));
        return dpid;
    }

    [Fact]
    public async Task A_switch_with_a_certificate_from_the_ca_is_cold_started_over_tls()
    {
        Issue(_ca, "switch", "switch");
        var dpid = NewDpid();
        await BindAsync((dpid, "switch"));
        await SetSwitchSslAsync(P("switch-key.pem"), P("switch-cert.pem"), P("ca.pem"));
        await using var controller = await StartControllerAsync();
        Assert.DoesNotContain(controller.Process.Lines, l => l.Contains("plaintext") || l.Contains("not bound"));
        await AddBridgeAsync($"ssl:127.0.0.1:{controller.Port}", dpid);
        await controller.WaitForSwitchReadyAsync(dpid, Timeout);
        var flows = (await CommandRunner.RunAsync("ovs-ofctl", ["-O", "OpenFlow13", "dump-flows", _bridges[^1]], TimeSpan.FromSeconds(20))).StandardOutput;
        Assert.Contains("actions=CONTROLLER:65535", flows);
    }

    [Theory]
    [InlineData("another CA with the same name", "does not chain to the configured switch CA")]
    [InlineData("expired", "expired at")]
    [InlineData("plaintext", "refused: TLS:")]
    public async Task A_switch_without_a_valid_certificate_is_refused(string attack, string reason)
    {
        using var other = CertificateAuthority.Create("SwitchGate OpenFlow CA", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        switch (attack)
        {
            case "another CA with the same name":
                Issue(other, "switch", "switch");
                break;
            case "expired":
                Issue(_ca, "switch", "switch", DateTimeOffset.UtcNow.AddHours(-2), TimeSpan.FromHours(1));
                break;
            default:
                Issue(_ca, "switch", "switch");
                break;
        }
        // Bound, so that only the certificate itself is at fault.
        var dpid = NewDpid();
        await BindAsync((dpid, "switch"));
        await SetSwitchSslAsync(P("switch-key.pem"), P("switch-cert.pem"), P("ca.pem"));
        await using var controller = await StartControllerAsync();
        await AddBridgeAsync($"{(attack == "plaintext" ? "tcp" : "ssl")}:127.0.0.1:{controller.Port}", dpid);
        await controller.Process.WaitForLineAsync(new Regex(Regex.Escape(reason)), Timeout);
        // The switch retries with back-off; none of its attempts gets a session.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.DoesNotContain(controller.Process.Lines, l => l.Contains($"switch 0x{dpid:x16}", StringComparison.OrdinalIgnoreCase));
        var connected = (await CommandRunner.RunAsync("ovs-vsctl", ["--timeout=10", "get", "controller", _bridges[^1], "is_connected"], TimeSpan.FromSeconds(20))).StandardOutput.Trim();
        Assert.Equal("false", connected);
    }

    [Fact]
    public async Task Rotating_the_controller_certificate_keeps_the_session_and_admits_switches_of_the_new_ca()
    {
        Issue(_ca, "switch", "switch");
        using var next = CertificateAuthority.Create("SwitchGate OpenFlow CA 2", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(60));
        Issue(next, "switch-2", "switch-next");
        var (first, second) = (NewDpid(), NewDpid());
        await BindAsync((first, "switch"), (second, "switch-next"));
        await SetSwitchSslAsync(P("switch-key.pem"), P("switch-cert.pem"), P("ca.pem"));
        await using var controller = await StartControllerAsync();
        await AddBridgeAsync($"ssl:127.0.0.1:{controller.Port}", first);
        await controller.WaitForSwitchReadyAsync(first, Timeout);

        // The operator rotates: a new CA; the controller's certificate from it; both CAs trusted for switches;
        // ovs-vswitchd trusts both CAs for the controller and gets its own certificate from the new CA.
        next.WriteCertificate(P("next-ca.pem"));
        File.WriteAllText(P("both-ca.pem"), File.ReadAllText(P("ca.pem")) + File.ReadAllText(P("next-ca.pem")));
        Issue(next, "controller-2", "controller-next");
        var linesBefore = controller.LineCount;
        foreach (var (from, to) in new[] { ("controller-next-cert.pem", "controller-cert.pem"), ("controller-next-key.pem", "controller-key.pem"), ("both-ca.pem", "ca.pem") })
            File.Copy(P(from), P(to), overwrite: true);

        await SetSwitchSslAsync(P("switch-next-key.pem"), P("switch-next-cert.pem"), P("both-ca.pem"));
        await AddBridgeAsync($"ssl:127.0.0.1:{controller.Port}", second);
        await controller.WaitForSwitchReadyAsync(second, Timeout, linesBefore);
        Assert.Contains(controller.Process.Lines, l => l.Contains("TLS credentials reloaded"));
        // The first switch's session was established before the rotation and is still the same one.
        Assert.DoesNotContain(controller.Process.Lines.Skip(linesBefore), l => l.Contains($"switch 0x{first:x16}", StringComparison.OrdinalIgnoreCase) && l.Contains("session closed"));
    }

    [Fact]
    public async Task Switch_a_certificate_on_a_bridge_claiming_switch_b_datapath_id_is_refused_and_the_right_pairing_admitted()
    {
        Issue(_ca, "switch-a", "switch-a");
        Issue(_ca, "switch-b", "switch-b");
        var (dpidA, dpidB) = (NewDpid(), NewDpid());
        await BindAsync((dpidA, "switch-a"), (dpidB, "switch-b"));
        // ovs-vswitchd holds switch A's key and certificate (valid, from the CA)...
        await SetSwitchSslAsync(P("switch-a-key.pem"), P("switch-a-cert.pem"), P("ca.pem"));
        await using var controller = await StartControllerAsync();
        // ...and a bridge configured to claim switch B's datapath id (other-config:datapath-id).
        await AddBridgeAsync($"ssl:127.0.0.1:{controller.Port}", dpidB);
        var impostor = _bridges[^1];
        await controller.Process.WaitForLineAsync(new Regex(Regex.Escape($"may not claim datapath id 0x{dpidB:x16}: it is bound to 0x{dpidA:x16} only")), Timeout);
        Assert.Contains(controller.Process.Lines, l => l.Contains("session closed in state AwaitingFeatures: datapath id refused"));
        Assert.DoesNotContain(controller.Process.Lines, l => l.Contains($"switch 0x{dpidB:x16} ready", StringComparison.OrdinalIgnoreCase));
        // Nothing was installed: the bridge (fail_mode=secure) has no flow of ours, not even the table-miss entry.
        var flows = (await CommandRunner.RunAsync("ovs-ofctl", ["-O", "OpenFlow13", "dump-flows", impostor], TimeSpan.FromSeconds(20))).StandardOutput;
        Assert.DoesNotContain("actions=", flows);

        // The same certificate on a bridge with its own datapath id is admitted.
        await AddBridgeAsync($"ssl:127.0.0.1:{controller.Port}", dpidA);
        await controller.WaitForSwitchReadyAsync(dpidA, Timeout);

        // And once ovs-vswitchd holds switch B's certificate, the bridge claiming B gets in on its next reconnect.
        var linesBefore = controller.LineCount;
        await SetSwitchSslAsync(P("switch-b-key.pem"), P("switch-b-cert.pem"), P("ca.pem"));
        await controller.WaitForSwitchReadyAsync(dpidB, Timeout, linesBefore);
    }
}
