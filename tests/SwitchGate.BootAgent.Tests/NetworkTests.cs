using SwitchGate.Attestation;
using SwitchGate.Attestation.Enrolment;
using SwitchGate.Ethernet;

namespace SwitchGate.BootAgent.Tests;

/// <summary>
/// The agent over real frames: two namespaces and a veth pair, the agent process (and its swtpm) in one, a fake
/// controller in the other. Full cycle: attest → admitted → renewal → depart → revoked → dirty MAC, then the
/// emulated reboot → admitted again → standalone depart.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "swtpm")]
public sealed class NetworkTests : IDisposable
{
    private const string CleanMac = "02:00:00:00:01:01";
    private const string DirtyMac = "02:00:00:00:01:02";
    private const int SwtpmPort = 24600;

    private readonly Netns _netns = new(CleanMac);
    private readonly SwtpmInstance _swtpm;
    private readonly string _work = Directory.CreateTempSubdirectory("sg-agent-net-").FullName;

    public NetworkTests()
    {
        // Its own namespace has its own loopback, so the port cannot collide with another class's swtpm.
        _swtpm = SwtpmInstance.Start(null, _netns.AgentNs, SwtpmPort);
    }

    private string[] Common => ["--tpm", _swtpm.Spec, "--interface", _netns.AgentIf, "--state-dir", Path.Combine(_work, "state")];

    private Task<(int ExitCode, string Output)> Agent(params string[] args) => AgentProcess.RunAsync(_netns.AgentNs, [.. args, .. Common]);

    private async Task<EnrolmentRecord> MeasureAndEnrolAsync()
    {
        var measured = (ExitCode: -1, Output: "");
        for (int i = 0; i < 20 && measured.ExitCode != 0; i++)
        {
            measured = await Agent("measure");
            if (measured.ExitCode != 0) await Task.Delay(200); // swtpm still starting in the namespace
        }

        Assert.True(measured.ExitCode == 0, measured.Output);
        var recordPath = Path.Combine(_work, "bs1.json");
        var enrol = await Agent("enrol", "--node", "bs1", "--datapath-id", "0x1", "--port", "3",
            "--clean-mac", CleanMac, "--dirty-mac", DirtyMac, "--out", recordPath);
        Assert.True(enrol.ExitCode == 0, enrol.Output);
        return EnrolmentRecord.FromJson(File.ReadAllBytes(recordPath));
    }

    [Fact]
    public async Task Attest_renew_ignore_forgeries_depart_reboot_and_attest_again_over_a_veth()
    {
        var record = await MeasureAndEnrolAsync();
        using var controller = new FakeController(_netns.ControllerNs, _netns.ControllerIf, record, lease: 4);

        using (var service = new AgentProcess(_netns.AgentNs, ["attest", "--stay", .. Common]))
        {
            var admitted = await service.WaitForLineAsync("admitted session=", TimeSpan.FromSeconds(30));
            Assert.Contains("lease=4s reason=Admitted", admitted);
            Assert.Contains($"admitted session={controller.Session:x16}", admitted);

            // Renewal at half the lease: HELLO with the session, Renewed.
            await service.WaitForLineAsync("reason=Renewed", TimeSpan.FromSeconds(10));
            Assert.Contains(controller.Events, e => e.Contains("renewal=True"));

            // Forgeries toward the agent: a revocation for another session, an unsolicited challenge, a frame to another MAC.
            controller.Send(Verdict.Revoke(controller.Session ^ 0xFF, ReasonCode.PortDown));
            controller.Send(new Challenge(controller.Session, new byte[32], [0, 0, 0, 1, 0, 0x0B, 3, 0xFF, 0xFF, 0xFF]));
            controller.Send(Verdict.Revoke(controller.Session, ReasonCode.PortDown), MacAddress.Parse("02-00-00-00-09-09"));
            await service.WaitForLineAsync("ignored Verdict", TimeSpan.FromSeconds(5));
            await service.WaitForLineAsync("ignored Challenge", TimeSpan.FromSeconds(5));
            await service.WaitForLineAsync("ignored Verdict", TimeSpan.FromSeconds(5), skip: 1);
            await service.WaitForLineAsync("reason=Renewed", TimeSpan.FromSeconds(10), skip: 1);
            Assert.DoesNotContain("revoked", service.Output);
            Assert.Equal(CleanMac, _netns.AgentMac());

            // depart through the running service's control socket.
            var depart = await Agent("depart");
            Assert.True(depart.ExitCode == 0, depart.Output + "\n--- service:\n" + service.Output);
            Assert.Contains("service answered exit=0", depart.Output);
            Assert.Equal(0, await service.WaitForExitAsync(TimeSpan.FromSeconds(10)));

            var lines = service.Output.Split('\n').ToList();
            var revoked = lines.FindIndex(l => l.Contains("revoked reason=Departed"));
            var tainted = lines.FindIndex(l => l.Contains("tainted pcr=14"));
            var dirty = lines.FindIndex(l => l.Contains($"dirty mac={DirtyMac} confirmed=true"));
            Assert.True(revoked >= 0 && revoked < tainted && tainted < dirty, service.Output);
        }

        Assert.Equal(DirtyMac, _netns.AgentMac());
        Assert.Contains(controller.Events, e => e.StartsWith("departed", StringComparison.Ordinal));
        var status = await Agent("status");
        Assert.Contains("mode=dirty", status.Output);
        Assert.Contains($"nic_mac={DirtyMac}", status.Output);

        // Dirty: attesting is refused (wrong MAC), and the NIC stays dirty.
        var refused = await Agent("attest", "--once");
        Assert.Equal(1, refused.ExitCode);

        // Attack: the dirty node puts the clean MAC back itself and tries to attest. The controller's CHALLENGE
        // arrives, but PCR 14 carries the dirty mark: the secret does not unseal, so no EVIDENCE is ever sent.
        var admissionsBefore = controller.Events.Count(e => e.StartsWith("admitted", StringComparison.Ordinal));
        Netns.Ip("-n", _netns.AgentNs, "link", "set", "dev", _netns.AgentIf, "address", CleanMac);
        var spoof = await Agent("attest", "--once");
        Assert.True(spoof.ExitCode == 4, spoof.Output);
        Assert.Contains("not-clean", spoof.Output);
        Assert.Contains("TPM_RC_POLICY_FAIL", spoof.Output);
        Assert.Equal(admissionsBefore, controller.Events.Count(e => e.StartsWith("admitted", StringComparison.Ordinal)));
        Assert.DoesNotContain(controller.Events, e => e.StartsWith("denied", StringComparison.Ordinal));

        // Emulated reboot → clean MAC, clean PCRs, a new admission (new session, higher resetCount).
        var firstSession = controller.Session;
        var reboot = await Agent("reboot");
        Assert.True(reboot.ExitCode == 0, reboot.Output);
        Assert.Equal(CleanMac, _netns.AgentMac());
        var again = await Agent("attest", "--once");
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.NotEqual(firstSession, controller.Session);
        var resets = controller.Events.Where(e => e.StartsWith("admitted", StringComparison.Ordinal))
            .Select(e => uint.Parse(e[(e.IndexOf("reset=", StringComparison.Ordinal) + 6)..])).ToList();
        Assert.True(resets[^1] > resets[0], string.Join('\n', controller.Events));

        // Standalone depart (no service running): uses the admission recorded by 'attest --once'.
        var standalone = await Agent("depart");
        Assert.True(standalone.ExitCode == 0, standalone.Output);
        Assert.Contains("confirmed=true", standalone.Output);
        Assert.Equal(DirtyMac, _netns.AgentMac());
    }

    [Fact]
    public async Task A_controller_that_never_answers_the_depart_keeps_the_clean_MAC_until_the_lease_has_run_out()
    {
        var record = await MeasureAndEnrolAsync();
        using (var controller = new FakeController(_netns.ControllerNs, _netns.ControllerIf, record, lease: 8))
        {
            var attest = await Agent("attest", "--once");
            Assert.True(attest.ExitCode == 0, attest.Output);
        }

        // The controller is gone: DEPART gets no answer. The agent taints and goes dirty only at the lease end.
        using var departing = new AgentProcess(_netns.AgentNs, ["depart", .. Common]);
        await departing.WaitForLineAsync("depart session=", TimeSpan.FromSeconds(20));
        Assert.Equal(CleanMac, _netns.AgentMac());
        Assert.Equal(0, await departing.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        var lines = departing.Output.Split('\n').ToList();
        var unconfirmed = lines.FindIndex(l => l.Contains("depart-unconfirmed"));
        var tainted = lines.FindIndex(l => l.Contains("tainted pcr=14"));
        var dirty = lines.FindIndex(l => l.Contains($"dirty mac={DirtyMac} confirmed=false"));
        Assert.True(unconfirmed >= 0 && unconfirmed < tainted && tainted < dirty, departing.Output);
        Assert.Equal(DirtyMac, _netns.AgentMac());
    }

    [Fact]
    public async Task The_service_stops_gracefully_on_SIGTERM_and_a_new_service_resumes_the_admission()
    {
        var record = await MeasureAndEnrolAsync();
        using var controller = new FakeController(_netns.ControllerNs, _netns.ControllerIf, record, lease: 20);
        using (var service = new AgentProcess(_netns.AgentNs, ["attest", "--stay", .. Common]))
        {
            await service.WaitForLineAsync("admitted session=", TimeSpan.FromSeconds(30));
            using (var term = System.Diagnostics.Process.Start("kill", ["-TERM", service.Pid.ToString()]))
            {
                await term.WaitForExitAsync();
            }

            Assert.Equal(0, await service.WaitForExitAsync(TimeSpan.FromSeconds(10)));
            Assert.Contains("stopped state=Admitted", service.Output);
        }

        Assert.False(File.Exists(Path.Combine(_work, "state", "agent.sock")));
        Assert.Equal(CleanMac, _netns.AgentMac());
        var status = await Agent("status");
        Assert.Contains($"admission session={controller.Session:x16}", status.Output);
        Assert.Contains("service=stopped", status.Output);

        using var resumed = new AgentProcess(_netns.AgentNs, ["attest", "--stay", .. Common]);
        Assert.Contains($"resuming session={controller.Session:x16}", await resumed.WaitForLineAsync("resuming", TimeSpan.FromSeconds(30)));
        var running = await Agent("status");
        Assert.Contains("service=running", running.Output);
    }

    public void Dispose()
    {
        _swtpm.Dispose();
        _netns.Dispose();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }
}
