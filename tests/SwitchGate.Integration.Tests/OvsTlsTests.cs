using System.Text.RegularExpressions;
using SwitchGate.Controller.Tls;
using SwitchGate.Topology;

namespace SwitchGate.Integration.Tests;

/// <summary>
/// `switchgate controller run --tls-*` against Open vSwitch `ssl:` controller targets (ovs-vsctl set-ssl): a bridge
/// whose certificate comes from the configured CA is cold-started over TLS; a certificate from another CA (same
/// name), an expired one, or a plaintext `tcp:` target is refused by the controller with the reason; rotating the
/// controller's files keeps the established session and lets a switch with a certificate from the new CA in.
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
            ["--tls-cert", P("controller-cert.pem"), "--tls-key", P("controller-key.pem"), "--tls-switch-ca", P("ca.pem")]);

    /// <summary>The switch side: ovs-vswitchd's key, certificate, and the CA(s) it accepts the controller's certificate from.</summary>
    private static Task SetSwitchSslAsync(string key, string cert, string ca) =>
        CommandRunner.RunAsync("ovs-vsctl", ["--timeout=10", "set-ssl", key, cert, ca], TimeSpan.FromSeconds(20));

    private async Task<ulong> AddBridgeAsync(string target)
    {
        var name = $"{_prefix}{_bridges.Count}";
        var dpid = 0x7150_0000_0000UL + (ulong)Random.Shared.Next(1, 0xFFFF) * 16 + (ulong)_bridges.Count;
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
        await SetSwitchSslAsync(P("switch-key.pem"), P("switch-cert.pem"), P("ca.pem"));
        await using var controller = await StartControllerAsync();
        Assert.DoesNotContain(controller.Process.Lines, l => l.Contains("plaintext"));
        var dpid = await AddBridgeAsync($"ssl:127.0.0.1:{controller.Port}");
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
        await SetSwitchSslAsync(P("switch-key.pem"), P("switch-cert.pem"), P("ca.pem"));
        await using var controller = await StartControllerAsync();
        var dpid = await AddBridgeAsync($"{(attack == "plaintext" ? "tcp" : "ssl")}:127.0.0.1:{controller.Port}");
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
        await SetSwitchSslAsync(P("switch-key.pem"), P("switch-cert.pem"), P("ca.pem"));
        await using var controller = await StartControllerAsync();
        var first = await AddBridgeAsync($"ssl:127.0.0.1:{controller.Port}");
        await controller.WaitForSwitchReadyAsync(first, Timeout);

        // The operator rotates: a new CA; the controller's certificate from it; both CAs trusted for switches;
        // ovs-vswitchd trusts both CAs for the controller and gets its own certificate from the new CA.
        using var next = CertificateAuthority.Create("SwitchGate OpenFlow CA 2", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(60));
        next.WriteCertificate(P("next-ca.pem"));
        File.WriteAllText(P("both-ca.pem"), File.ReadAllText(P("ca.pem")) + File.ReadAllText(P("next-ca.pem")));
        Issue(next, "controller-2", "controller-next");
        var linesBefore = controller.LineCount;
        foreach (var (from, to) in new[] { ("controller-next-cert.pem", "controller-cert.pem"), ("controller-next-key.pem", "controller-key.pem"), ("both-ca.pem", "ca.pem") })
            File.Copy(P(from), P(to), overwrite: true);

        Issue(next, "switch-2", "switch-next");
        await SetSwitchSslAsync(P("switch-next-key.pem"), P("switch-next-cert.pem"), P("both-ca.pem"));
        var second = await AddBridgeAsync($"ssl:127.0.0.1:{controller.Port}");
        await controller.WaitForSwitchReadyAsync(second, Timeout, linesBefore);
        Assert.Contains(controller.Process.Lines, l => l.Contains("TLS credentials reloaded"));
        // The first switch's session was established before the rotation and is still the same one.
        Assert.DoesNotContain(controller.Process.Lines.Skip(linesBefore), l => l.Contains($"switch 0x{first:x16}", StringComparison.OrdinalIgnoreCase) && l.Contains("session closed"));
    }
}
