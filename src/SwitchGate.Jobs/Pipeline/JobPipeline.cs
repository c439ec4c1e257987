using SwitchGate.Jobs.Model;

namespace SwitchGate.Jobs.Pipeline;

/// <summary>What the agent's I/O shell must do next for the active job (docs/jobs.md "Job states").</summary>
public abstract record JobStep;

/// <summary>Leave clean mode (docs/agent.md "Safety ordering on depart"): DEPART, revocation, PCR 14, dirty MAC.</summary>
public sealed record DepartStep : JobStep;

/// <summary>Start the guest with the boot device set (a previous run's guest, if any, is stopped first) and wait for the marker until <paramref name="Deadline"/>.</summary>
public sealed record BootStep(DateTimeOffset Deadline) : JobStep;

/// <summary>Unplug the boot-only devices, save the VM state and the disk, write the manifest.</summary>
public sealed record SaveStep : JobStep;

/// <summary>Stop the guest if it runs, then the emulated reboot into clean mode; <paramref name="Retry"/>: a previous attempt failed.</summary>
public sealed record RebootStep(bool Retry = false) : JobStep;

/// <summary>On the clean MAC: attest until admitted (a fresh exchange, never an admission carried over).</summary>
public sealed record AttestStep : JobStep;

/// <summary>Check the second image written in the dirty phase: strict manifest, sizes, digests, the job it belongs to.</summary>
public sealed record VerifyStep : JobStep;

/// <summary>Nothing to do until the production host confirms it has the second image.</summary>
public sealed record AwaitDelivery : JobStep;

/// <summary>The job is over (Delivered or Failed).</summary>
public sealed record Finished : JobStep;

/// <summary>The result of running a step.</summary>
public abstract record StepOutcome
{
    public static readonly StepOutcome Ok = new Succeeded();
}

public sealed record Succeeded : StepOutcome;

/// <summary>The step failed; <paramref name="Reason"/> is told to the production host if the job fails because of it.</summary>
public sealed record StepFailed(string Reason) : StepOutcome;

/// <summary>
/// The pure core of the boot job pipeline: a job record and an event (resume after a start, a step's outcome, the
/// delivery confirmation) together with <c>now</c> give the next record and the next step. The shell persists the
/// record durably before it runs the step, so the state names the step in progress, and a restarted agent resumes
/// with <see cref="Resume"/>.
/// </summary>
public static class JobPipeline
{
    /// <summary>
    /// The step for a job that becomes active (taken from the queue) or whose agent was restarted (SIGKILL, reboot)
    /// while the record said <see cref="JobRecord.State"/>.
    /// </summary>
    public static (JobRecord Record, JobStep Step) Resume(JobRecord record, DateTimeOffset now)
    {
        switch (record.State)
        {
            case JobState.Queued:
                return (record.Enter(JobState.Departing, now), new DepartStep());
            case JobState.Departing:
                // The shell's depart is idempotent: already dirty counts as done.
                return (record, new DepartStep());
            case JobState.Booting:
            case JobState.Saving:
                // The guest died with the agent (or its state may be half written): boot again from the first
                // image, which never left clean storage, a bounded number of times.
                if (record.BootAttempts >= JobLimits.MaxBootAttempts)
                    return FailDirty(record with { LastError = null },
                        $"the agent was restarted {record.BootAttempts} times during the dirty phase ({record.State})", now);
                return Boot(record, now);
            case JobState.Rebooting:
                return (record, new RebootStep());
            case JobState.Attesting:
                return (record, new AttestStep());
            case JobState.Verifying:
                // Whoever was admitted before the restart, the check runs under an attestation of this run.
                return (record.Enter(JobState.Attesting, now), new AttestStep());
            case JobState.Ready:
                return (record, new AwaitDelivery());
            default:
                return (record, new Finished());
        }
    }

    /// <summary>The outcome of the step the record's state names.</summary>
    public static (JobRecord Record, JobStep Step) OnOutcome(JobRecord record, StepOutcome outcome, DateTimeOffset now)
    {
        var failed = outcome as StepFailed;
        switch (record.State)
        {
            case JobState.Departing:
                // A node that could not taint itself stays clean (docs/agent.md): nothing dirty happened.
                return failed is null
                    ? Boot(record, now)
                    : (Fail(record, $"could not leave clean mode: {failed.Reason}", now), new Finished());
            case JobState.Booting:
                return failed is null
                    ? (record.Enter(JobState.Saving, now), new SaveStep())
                    : FailDirty(record, failed.Reason, now);
            case JobState.Saving:
                return failed is null
                    ? (record.Enter(JobState.Rebooting, now), new RebootStep())
                    : FailDirty(record, $"saving the guest failed: {failed.Reason}", now);
            case JobState.Rebooting:
                // There is no way forward but clean mode: retry, the node stays dirty (dropped) meanwhile.
                return failed is null
                    ? (record.Enter(JobState.Attesting, now) with { LastError = null }, new AttestStep())
                    : (record with { LastError = $"reboot failed: {failed.Reason}" }, new RebootStep(Retry: true));
            case JobState.Attesting:
                if (failed is not null)
                    return (record.Enter(JobState.Rebooting, now) with { LastError = $"attestation failed: {failed.Reason}" }, new RebootStep(Retry: true));
                return record.Failure is { } why
                    ? (record.Enter(JobState.Failed, now) with { LastError = null }, new Finished())
                    : (record.Enter(JobState.Verifying, now) with { LastError = null }, new VerifyStep());
            case JobState.Verifying:
                return failed is null
                    ? (record.Enter(JobState.Ready, now), new AwaitDelivery())
                    : (Fail(record, $"second image refused: {failed.Reason}", now), new Finished());
            default:
                throw new InvalidOperationException($"no step runs in state {record.State}");
        }
    }

    /// <summary>The production host confirmed it holds the second image; false if the job is not <see cref="JobState.Ready"/>.</summary>
    public static bool TryDeliver(JobRecord record, DateTimeOffset now, out JobRecord delivered)
    {
        delivered = record.State == JobState.Ready ? record.Enter(JobState.Delivered, now) : record;
        return record.State == JobState.Ready;
    }

    /// <summary>
    /// Aborts a job whose first image was not submitted within <paramref name="window"/> of its creation (an upload
    /// abandoned or stuck): it is <see cref="JobState.Failed"/> with the reason, and the shell deletes its files. A job
    /// in any other state, or still within its window, is left as it is (false).
    /// </summary>
    public static bool TryExpireUpload(JobRecord record, DateTimeOffset now, TimeSpan window, out JobRecord expired)
    {
        var due = record.State == JobState.Receiving && now - record.Created >= window;
        expired = due ? Fail(record, $"upload not submitted within {window.TotalSeconds:0} s of the job's creation; aborted", now) : record;
        return due;
    }

    /// <summary>Fails a job that does not own the node (Receiving, Queued, Ready), e.g. one whose upload was refused.</summary>
    public static JobRecord Fail(JobRecord record, string reason, DateTimeOffset now) =>
        record.Enter(JobState.Failed, now) with { Failure = reason };

    private static (JobRecord, JobStep) Boot(JobRecord record, DateTimeOffset now)
    {
        var booting = record.Enter(JobState.Booting, now) with { BootAttempts = record.BootAttempts + 1 };
        return (booting, new BootStep(now + record.Deadline));
    }

    /// <summary>A failure while dirty: the job will fail, but only after the node is clean and admitted again.</summary>
    private static (JobRecord, JobStep) FailDirty(JobRecord record, string reason, DateTimeOffset now) =>
        (record.Enter(JobState.Rebooting, now) with { Failure = reason }, new RebootStep());
}
