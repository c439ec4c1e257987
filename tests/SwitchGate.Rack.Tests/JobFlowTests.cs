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
        await prod.WaitForExitAsync(Patience);
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
}
