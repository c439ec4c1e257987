using SwitchGate.Jobs.Model;
using SwitchGate.Jobs.Pipeline;

namespace SwitchGate.Jobs.Tests;

public sealed class JobPipelineTests
{
    private static readonly DateTimeOffset T0 = Samples.T0;

    [Fact]
    public void Happy_path_runs_every_phase_in_order()
    {
        var (record, step) = JobPipeline.Resume(Samples.Record(), T0);
        var steps = new List<string> { step.GetType().Name };
        var t = T0;
        while (step is not (AwaitDelivery or Finished))
        {
            t = t.AddSeconds(1);
            (record, step) = JobPipeline.OnOutcome(record, StepOutcome.Ok, t);
            steps.Add(step.GetType().Name);
        }
        Assert.Equal(["DepartStep", "BootStep", "SaveStep", "RebootStep", "AttestStep", "VerifyStep", "AwaitDelivery"], steps);
        Assert.Equal(JobState.Ready, record.State);
        Assert.Equal([JobState.Queued, JobState.Departing, JobState.Booting, JobState.Saving, JobState.Rebooting, JobState.Attesting, JobState.Verifying, JobState.Ready],
            record.Phases.Select(p => p.State));
        Assert.True(JobPipeline.TryDeliver(record, t, out var delivered));
        Assert.Equal(JobState.Delivered, delivered.State);
    }

    [Fact]
    public void Boot_deadline_is_counted_from_the_boot()
    {
        var (record, _) = JobPipeline.Resume(Samples.Record(), T0);
        var (_, step) = JobPipeline.OnOutcome(record, StepOutcome.Ok, T0.AddSeconds(5));
        Assert.Equal(T0.AddSeconds(35), Assert.IsType<BootStep>(step).Deadline);
    }

    [Fact]
    public void A_missed_marker_fails_the_job_only_after_the_node_is_clean_and_admitted_again()
    {
        var record = At(JobState.Booting);
        (record, var step) = JobPipeline.OnOutcome(record, new StepFailed("the guest did not print 'X' within 30 s"), T0);
        Assert.Equal(JobState.Rebooting, record.State);
        Assert.IsType<RebootStep>(step);
        Assert.Equal("the guest did not print 'X' within 30 s", record.Failure);
        (record, step) = JobPipeline.OnOutcome(record, StepOutcome.Ok, T0);
        Assert.IsType<AttestStep>(step);
        (record, step) = JobPipeline.OnOutcome(record, StepOutcome.Ok, T0);
        Assert.IsType<Finished>(step);
        Assert.Equal(JobState.Failed, record.State);
        Assert.Equal("the guest did not print 'X' within 30 s", record.Failure);
        Assert.DoesNotContain(JobState.Verifying, record.Phases.Select(p => p.State));
    }

    [Fact]
    public void A_failed_save_also_goes_back_to_clean_before_failing()
    {
        var (record, step) = JobPipeline.OnOutcome(At(JobState.Saving), new StepFailed("migrate failed"), T0);
        Assert.Equal(JobState.Rebooting, record.State);
        Assert.Contains("migrate failed", record.Failure);
        Assert.IsType<RebootStep>(step);
    }

    [Fact]
    public void A_failed_depart_fails_at_once_the_node_never_went_dirty()
    {
        var (record, step) = JobPipeline.OnOutcome(At(JobState.Departing), new StepFailed("taint failed"), T0);
        Assert.Equal(JobState.Failed, record.State);
        Assert.IsType<Finished>(step);
        Assert.Contains("could not leave clean mode", record.Failure);
    }

    [Fact]
    public void Reboot_is_retried_until_it_works_and_attestation_failure_reboots_again()
    {
        var (record, step) = JobPipeline.OnOutcome(At(JobState.Rebooting), new StepFailed("swtpm down"), T0);
        Assert.Equal(JobState.Rebooting, record.State);
        Assert.True(Assert.IsType<RebootStep>(step).Retry);
        Assert.Contains("swtpm down", record.LastError);
        (record, step) = JobPipeline.OnOutcome(At(JobState.Attesting), new StepFailed("not admitted (agent exit code 4)"), T0);
        Assert.Equal(JobState.Rebooting, record.State);
        Assert.IsType<RebootStep>(step);
        Assert.Null(record.Failure);
    }

    [Fact]
    public void A_refused_second_image_fails_the_job_with_the_reason()
    {
        var (record, step) = JobPipeline.OnOutcome(At(JobState.Verifying), new StepFailed("second image state refused: 10 bytes, expected 4096"), T0);
        Assert.Equal(JobState.Failed, record.State);
        Assert.IsType<Finished>(step);
        Assert.Equal("second image refused: second image state refused: 10 bytes, expected 4096", record.Failure);
    }

    [Theory]
    [InlineData(JobState.Queued, typeof(DepartStep), JobState.Departing)]
    [InlineData(JobState.Departing, typeof(DepartStep), JobState.Departing)]
    [InlineData(JobState.Booting, typeof(BootStep), JobState.Booting)]
    [InlineData(JobState.Saving, typeof(BootStep), JobState.Booting)]
    [InlineData(JobState.Rebooting, typeof(RebootStep), JobState.Rebooting)]
    [InlineData(JobState.Attesting, typeof(AttestStep), JobState.Attesting)]
    [InlineData(JobState.Verifying, typeof(AttestStep), JobState.Attesting)]
    [InlineData(JobState.Ready, typeof(AwaitDelivery), JobState.Ready)]
    [InlineData(JobState.Failed, typeof(Finished), JobState.Failed)]
    [InlineData(JobState.Delivered, typeof(Finished), JobState.Delivered)]
    public void Resume_after_a_restart_redoes_the_interrupted_step(JobState state, Type step, JobState after)
    {
        var (record, next) = JobPipeline.Resume(At(state) with { BootAttempts = 1 }, T0);
        Assert.IsType(step, next);
        Assert.Equal(after, record.State);
    }

    [Fact]
    public void Restarts_during_the_dirty_phase_are_bounded()
    {
        var record = At(JobState.Booting) with { BootAttempts = JobLimits.MaxBootAttempts };
        var (after, step) = JobPipeline.Resume(record, T0);
        Assert.IsType<RebootStep>(step);
        Assert.Equal(JobState.Rebooting, after.State);
        Assert.Contains("restarted 2 times during the dirty phase", after.Failure);
    }

    [Fact]
    public void Delivery_is_only_possible_when_ready()
    {
        foreach (var state in Enum.GetValues<JobState>().Where(s => s != JobState.Ready))
            Assert.False(JobPipeline.TryDeliver(At(state), T0, out _));
    }

    [Fact]
    public void Phase_history_is_bounded_and_keeps_the_creation_time()
    {
        var record = Samples.Record();
        for (var i = 0; i < 200; i++)
            record = record.Enter(i % 2 == 0 ? JobState.Rebooting : JobState.Attesting, T0.AddSeconds(i + 1));
        Assert.Equal(JobLimits.MaxPhases, record.Phases.Count);
        Assert.Equal(T0, record.Created);
    }

    private static JobRecord At(JobState state) => Samples.Record().Enter(state, T0);
}
