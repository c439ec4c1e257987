using System.Text.RegularExpressions;
using SwitchGate.Jobs.Model;

namespace SwitchGate.Rack.Tests;

/// <summary>
/// Boot jobs end to end (docs/jobs.md) on OVS + swtpm + QEMU with the real controller, agent and host agent:
/// prod submits the test guest to bs1, bs1 departs, boots it dirty, saves it, reboots clean, attests and hands the
/// second image back; prod resumes it with the minimal device set and sees its counter carry on.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "ovs")]
[Trait("Requires", "swtpm")]
[Trait("Requires", "qemu")]
public sealed class JobFlowTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Prod_submits_a_guest_bs1_boots_it_dirty_and_hands_it_back_and_it_runs_on_at_prod()
    {
        await using var jobs = await JobRack.StartAsync();
        var prod = jobs.Submit("prod");
        var id = await JobRack.JobIdAsync(prod);
        await JobRack.FinishAsync(prod, Patience);
        var output = string.Join('\n', prod.Lines);
        Assert.True(prod.ExitCode == 0, $"switchgate-host exit {prod.ExitCode}\n{output}\n{jobs.AgentOutput()}");

        // The guest resumed on prod counts on from where bs1 paused it.
        var runsOn = Regex.Match(output, @"runs-on job=\S+ counter_at_pause=(\d+) counter_now=(\d+)");
        Assert.True(runsOn.Success, output);
        Assert.True(int.Parse(runsOn.Groups[2].Value) > int.Parse(runsOn.Groups[1].Value));
        Assert.Contains("profile=ProductionMinimal", output);
        Assert.Contains("verified=true", output);

        var record = jobs.Store.Load(id);
        Assert.Equal(JobState.Delivered, record.State);
        Assert.Equal([JobState.Receiving, JobState.Queued, JobState.Departing, JobState.Booting, JobState.Saving, JobState.Rebooting,
            JobState.Attesting, JobState.Verifying, JobState.Ready, JobState.Delivered], record.Phases.Select(p => p.State));
        // bs1 left clean mode through the gate and came back with a fresh attestation.
        var verdicts = jobs.Rack.Verdicts("bs1");
        Assert.Contains("revoked/Departed", verdicts);
        Assert.True(verdicts.Count(v => v == "admitted/Admitted") >= 2, string.Join(", ", verdicts));
        Assert.Equal(jobs.Server.CleanMac, await jobs.Server.CurrentMacAsync());
        Assert.False(Directory.Exists(jobs.Store.SecondDirectory(id)));
    }

    /// <summary>
    /// The guest never prints its marker. While bs1 is dirty (the guest runs), nothing reaches it and it reaches
    /// nothing: ping and TCP both ways with prod and h1 fail (while h1 reaches prod's listener), a job API request
    /// from prod fails at the switch, and an attestation attempt with the node's own TPM is denied. After the
    /// deadline the job fails, bs1 reboots clean and is admitted again, and prod is told why.
    /// </summary>
    [Fact]
    public async Task A_guest_that_never_boots_fails_after_its_deadline_and_while_dirty_bs1_is_cut_off_both_ways()
    {
        const int deadline = 45;
        await using var jobs = await JobRack.StartAsync();
        var bs1 = jobs.Server;
        await jobs.ListenAsync("prod", 9000);
        await jobs.ListenAsync("h1", 9000);
        using var sniffer = FrameSniffer.On(jobs.Rack, "bs1");
        var prod = jobs.Submit("prod", marker: "NEVER-PRINTED", deadline: deadline);
        var id = await JobRack.JobIdAsync(prod);
        await jobs.WaitForStateAsync(id, JobState.Booting);
        await jobs.Agent!.WaitForLineAsync(new Regex("guest pid="), TimeSpan.FromSeconds(60));

        Assert.Equal(bs1.DirtyMac, await bs1.CurrentMacAsync());
        Assert.Empty(await jobs.Rack.AdmissionFlowsAsync("bs1"));
        foreach (var (from, to) in new[] { ("bs1", "prod"), ("prod", "bs1"), ("bs1", "h1"), ("h1", "bs1") })
            Assert.False((await jobs.Rack.PingAsync(from, to)).Succeeded, $"ping {from} -> {to} while bs1 is dirty");
        Assert.True(await jobs.TcpConnectsAsync("h1", "prod", 9000), "control: h1 reaches prod's listener");
        Assert.False(await jobs.TcpConnectsAsync("prod", "bs1", JobRack.ApiPort), "prod -> bs1's job API while dirty");
        Assert.False(await jobs.TcpConnectsAsync("h1", "bs1", JobRack.ApiPort), "h1 -> bs1's job API while dirty");
        Assert.False(await jobs.TcpConnectsAsync("bs1", "prod", 9000), "bs1 -> prod while dirty");
        Assert.False(await jobs.TcpConnectsAsync("bs1", "h1", 9000), "bs1 -> h1 while dirty");
        // A transfer attempted while bs1 is dirty fails at the switch (no answer at all, not a refusal by the agent).
        var show = await jobs.RunHostAsync("prod", TimeSpan.FromSeconds(60), "show", id);
        Assert.Equal(2, show.ExitCode);
        Assert.Contains("transfer-failed", show.Output);

        // The dirty node tries to attest: a HELLO from its clean MAC, and a genuine quote of its TPM (PCR 14 holds the
        // dirty mark, the secret does not unseal, so the proof is made up): denied, nothing admitted.
        var challenge = await NextChallengeAsync(jobs.Rack, sniffer, bs1);
        var evidence = TpmAttackSupport.QuoteOn(jobs.Rack, bs1, challenge.SessionId, challenge.Nonce, new byte[SwitchGate.Attestation.Limits.ProofLength]);
        jobs.Rack.SendFrames("bs1", AttackSupport.AgentFrame(bs1.CleanMac, evidence));
        await jobs.Rack.WaitForVerdictAsync("bs1", "denied/PcrValuesNotGolden", Patience);
        Assert.Empty(await jobs.Rack.AdmissionFlowsAsync("bs1"));
        Assert.Equal(JobState.Booting, jobs.Store.Load(id).State); // all of the above happened while dirty

        await JobRack.FinishAsync(prod, Patience);
        var output = string.Join('\n', prod.Lines);
        Assert.True(prod.ExitCode == 3, $"exit {prod.ExitCode}\n{output}\n{jobs.AgentOutput()}");
        Assert.Contains($"failed job={id} reason=\"the guest did not print 'NEVER-PRINTED' within {deadline} s\"", output);
        var record = jobs.Store.Load(id);
        Assert.Equal(JobState.Failed, record.State);
        Assert.Equal([JobState.Booting, JobState.Rebooting, JobState.Attesting, JobState.Failed], record.Phases.Select(p => p.State).SkipWhile(s => s != JobState.Booting));
        Assert.Equal(bs1.CleanMac, await bs1.CurrentMacAsync());
        Assert.NotEmpty(await jobs.Rack.AdmissionFlowsAsync("bs1"));
        Assert.True((await jobs.Rack.PingAsync("bs1", "prod")).Succeeded);
    }

    /// <summary>
    /// SIGKILL of the agent while the guest boots (its QEMU is orphaned) and again in the hand-back (in its reboot, held
    /// there by a frozen swtpm): each restart resumes from the record — the orphan is stopped by its pid and the guest booted
    /// again; the hand-back attests afresh — and the job completes. Nothing is admitted for bs1 after the second kill
    /// until the restarted agent has attested.
    /// </summary>
    [Fact]
    public async Task The_agent_killed_mid_dirty_phase_and_mid_hand_back_still_completes_the_job()
    {
        await using var jobs = await JobRack.StartAsync();
        var prod = jobs.Submit("prod");
        var id = await JobRack.JobIdAsync(prod);
        await jobs.WaitForStateAsync(id, JobState.Booting);
        await jobs.Agent!.WaitForLineAsync(new Regex("guest pid="), TimeSpan.FromSeconds(60));
        await jobs.KillAgentAsync();
        Assert.NotEmpty(jobs.LeftoverGuests()); // the orphan

        await jobs.StartAgentAsync(waitAdmitted: false);
        await jobs.Agent!.WaitForLineAsync(new Regex("stopping stale guest"), TimeSpan.FromSeconds(60));
        await jobs.Agent!.WaitForLineAsync(new Regex($"job id={id} guest pid="), TimeSpan.FromSeconds(60));
        // The hand-back's reboot and attestation take well under a second: hold the job there by freezing swtpm (the
        // reboot's first TPM command then waits), rather than hoping a poll sees the short window.
        var swtpm = jobs.Server.Swtpm!;
        await swtpm.SignalAsync("STOP");
        try
        {
            await jobs.WaitForStateAsync(id, JobState.Rebooting);
            await jobs.KillAgentAsync();
        }
        finally
        {
            await swtpm.SignalAsync("CONT");
        }
        var killed = DateTimeOffset.UtcNow;

        await jobs.StartAgentAsync(waitAdmitted: false);
        await JobRack.FinishAsync(prod, Patience);
        var output = string.Join('\n', prod.Lines);
        Assert.True(prod.ExitCode == 0, $"exit {prod.ExitCode}\n{output}\n{jobs.AgentOutput()}");
        Assert.Matches(@"runs-on job=\S+ counter_at_pause=\d+ counter_now=\d+", output);
        var record = jobs.Store.Load(id);
        Assert.Equal(JobState.Delivered, record.State);
        Assert.Equal(2, record.BootAttempts);
        // The second image was checked only under an admission granted after the kill.
        var verifying = record.Phases.Last(p => p.State == JobState.Verifying).At;
        var admittedAfterKill = AdmittedTimes(jobs).Where(t => t > killed).ToList();
        Assert.NotEmpty(admittedAfterKill);
        Assert.True(admittedAfterKill[0] <= verifying, $"admitted {admittedAfterKill[0]:O}, verifying {verifying:O}");
    }

    /// <summary>
    /// What bs1 writes while dirty is hostile to the clean agent. Two jobs: in the first, the saved state is truncated
    /// while bs1 is dirty; in the second, the job file is replaced by an oversized one. Each is refused in Verifying
    /// with a clear reason that prod is told, and bs1 ends clean and admitted. (The reboot is held back by freezing
    /// swtpm, so the files are changed while the node is certainly still dirty.)
    /// </summary>
    [Fact]
    public async Task A_truncated_second_image_and_an_oversized_job_file_written_while_dirty_are_refused()
    {
        await using var jobs = await JobRack.StartAsync();
        var truncated = await RunTamperedJobAsync(jobs, id =>
        {
            var state = jobs.Store.SecondPath(id, SecondImageFile.State);
            using var file = new FileStream(state, FileMode.Open, FileAccess.Write);
            file.SetLength(file.Length / 2);
        });
        Assert.Contains("second image refused: second image state refused:", truncated.Failure);
        Assert.Contains("expected", truncated.Failure);

        var oversized = await RunTamperedJobAsync(jobs, id => File.WriteAllBytes(jobs.Store.JobFilePath(id), new byte[100_000]));
        Assert.Contains("second image refused: job file refused: 100000 bytes, more than the limit of 16384", oversized.Failure);
        Assert.Equal(jobs.Server.CleanMac, await jobs.Server.CurrentMacAsync());
        Assert.NotEmpty(await jobs.Rack.AdmissionFlowsAsync("bs1"));
    }

    /// <summary>prod and h1 submit at the same time: the jobs run one after the other, each host gets its own guest back, and neither sees the other's job.</summary>
    [Fact]
    public async Task Jobs_of_two_hosts_are_queued_not_mixed()
    {
        await using var jobs = await JobRack.StartAsync();
        var prod = jobs.Submit("prod");
        var h1 = jobs.Submit("h1");
        var prodId = await JobRack.JobIdAsync(prod);
        var h1Id = await JobRack.JobIdAsync(h1);
        await JobRack.FinishAsync(prod, Patience);
        await JobRack.FinishAsync(h1, Patience);
        foreach (var (host, process, id) in new[] { ("prod", prod, prodId), ("h1", h1, h1Id) })
        {
            var output = string.Join('\n', process.Lines);
            Assert.True(process.ExitCode == 0, $"{host}: exit {process.ExitCode}\n{output}\n{jobs.AgentOutput()}");
            Assert.Contains($"received job={id} ", output);
            Assert.Matches(@"runs-on job=\S+ counter_at_pause=\d+ counter_now=\d+", output);
            Assert.Equal(jobs.Address(host), jobs.Store.Load(id).Submitter);
        }
        // Whichever was queued first (uploads race) owns bs1 until its host has its image; only then does the other depart.
        var records = new[] { jobs.Store.Load(prodId), jobs.Store.Load(h1Id) }
            .OrderBy(r => r.Phases.First(p => p.State == JobState.Departing).At).ToArray();
        var firstDone = records[0].Phases.First(p => p.State == JobState.Delivered).At;
        var secondStarts = records[1].Phases.First(p => p.State == JobState.Departing).At;
        Assert.True(firstDone <= secondStarts, $"{records[0].Id} delivered {firstDone:O}, {records[1].Id} departed {secondStarts:O}");

        // bs1 is clean and admitted again: h1 reaches the job API, but prod's job is not h1's to see.
        var other = await jobs.RunHostAsync("h1", TimeSpan.FromSeconds(60), "show", prodId);
        Assert.Equal(2, other.ExitCode);
        Assert.Contains("403", other.Output);
    }

    /// <summary>Submits a job from prod, freezes swtpm once the guest runs, changes files when the job is stuck rebooting, thaws swtpm; returns the failed record.</summary>
    private static async Task<JobRecord> RunTamperedJobAsync(JobRack jobs, Action<string> tamper)
    {
        var swtpm = jobs.Server.Swtpm!;
        var prod = jobs.Submit("prod");
        var id = await JobRack.JobIdAsync(prod);
        await jobs.WaitForStateAsync(id, JobState.Booting);
        await jobs.Agent!.WaitForLineAsync(new Regex($"job id={id} guest pid="), TimeSpan.FromSeconds(60));
        await swtpm.SignalAsync("STOP");
        try
        {
            await jobs.WaitForStateAsync(id, JobState.Rebooting);
            tamper(id);
        }
        finally
        {
            await swtpm.SignalAsync("CONT");
        }
        await JobRack.FinishAsync(prod, Patience);
        var output = string.Join('\n', prod.Lines);
        Assert.True(prod.ExitCode == 3, $"exit {prod.ExitCode}\n{output}\n{jobs.AgentOutput()}");
        var record = jobs.Store.Load(id);
        Assert.Equal(JobState.Failed, record.State);
        Assert.Contains($"failed job={id} reason=\"{record.Failure}\"", output);
        Assert.Contains(JobState.Verifying, record.Phases.Select(p => p.State));
        return record;
    }

    private static IEnumerable<DateTimeOffset> AdmittedTimes(JobRack jobs) =>
        jobs.Rack.AuditEntries().Where(e => e.TryGetProperty("verdict", out var v) && v.GetString() == "admitted"
                && e.TryGetProperty("node", out var n) && n.GetString() == "bs1")
            .Select(e => DateTimeOffset.Parse(e.GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Sends a HELLO(0) from <paramref name="node"/>'s clean MAC through its port and returns the CHALLENGE that answers it.</summary>
    private static async Task<SwitchGate.Attestation.Challenge> NextChallengeAsync(RackFixture rack, FrameSniffer sniffer, SwitchGate.Topology.BootServer node)
    {
        var seen = sniffer.Messages<SwitchGate.Attestation.Challenge>().Count;
        rack.SendFrames(node.Name, AttackSupport.HelloFrame(node));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (sniffer.Messages<SwitchGate.Attestation.Challenge>().Count <= seen)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no CHALLENGE for {node.Name}'s HELLO\n{rack.ControllerOutput()}");
            await Task.Delay(100);
        }
        return sniffer.Messages<SwitchGate.Attestation.Challenge>()[seen];
    }
}
