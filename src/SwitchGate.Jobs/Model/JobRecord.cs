namespace SwitchGate.Jobs.Model;

/// <summary>
/// A job's state in the boot agent (docs/jobs.md "Job states"). The active job moves down this list; a failure in
/// the dirty phase sets <see cref="JobRecord.Failure"/> and still goes through <see cref="Rebooting"/> and
/// <see cref="Attesting"/>, so the boot server is clean and admitted again before the job ends <see cref="Failed"/>.
/// </summary>
public enum JobState
{
    /// <summary>Created by the production host; the first image's files are being uploaded (clean mode).</summary>
    Receiving,
    /// <summary>First image complete and its digests checked; waits for the jobs queued before it.</summary>
    Queued,
    /// <summary>Leaving clean mode: DEPART, revocation, dirty mark in PCR 14, dirty MAC.</summary>
    Departing,
    /// <summary>Dirty: the guest runs with the boot device set; waiting for the marker until the deadline.</summary>
    Booting,
    /// <summary>Dirty: marker seen; unplugging the boot-only devices, saving the state and disk (the second image).</summary>
    Saving,
    /// <summary>Guest stopped; emulated reboot (TPM power cycle, measured launch, clean MAC).</summary>
    Rebooting,
    /// <summary>Clean MAC: attesting until admitted.</summary>
    Attesting,
    /// <summary>Admitted: the second image, written in the dirty phase, is checked as hostile input.</summary>
    Verifying,
    /// <summary>The second image is offered to the production host that submitted the job.</summary>
    Ready,
    /// <summary>The production host confirmed it holds the second image; the files are gone.</summary>
    Delivered,
    /// <summary>Ended without a second image; <see cref="JobRecord.Failure"/> says why (told to the production host).</summary>
    Failed,
}

/// <summary>When the job entered a state.</summary>
public sealed record PhaseEntry(JobState State, DateTimeOffset At);

/// <summary>
/// The agent's record of one job (record.json, rewritten durably on every transition). <see cref="Submitter"/> is
/// the production host's rack address as the agent saw the connection, not a claim of the host.
/// </summary>
public sealed record JobRecord(
    string Id,
    string Submitter,
    long Sequence,
    JobState State,
    TimeSpan Deadline,
    int BootAttempts,
    string? Failure,
    string? LastError,
    IReadOnlyList<PhaseEntry> Phases)
{
    public DateTimeOffset Created => Phases.Count > 0 ? Phases[0].At : DateTimeOffset.MinValue;

    public DateTimeOffset Since => Phases.Count > 0 ? Phases[^1].At : DateTimeOffset.MinValue;

    public bool IsTerminal => State is JobState.Delivered or JobState.Failed;

    /// <summary>States in which the job owns the boot server (it is departing, dirty, or coming back).</summary>
    public bool OwnsNode => State is JobState.Departing or JobState.Booting or JobState.Saving or JobState.Rebooting
        or JobState.Attesting or JobState.Verifying;

    /// <summary>The record in <paramref name="state"/> since <paramref name="now"/>, history bounded by <see cref="JobLimits.MaxPhases"/>.</summary>
    public JobRecord Enter(JobState state, DateTimeOffset now)
    {
        var phases = Phases.Append(new PhaseEntry(state, now)).ToList();
        if (phases.Count > JobLimits.MaxPhases)
            phases.RemoveRange(1, phases.Count - JobLimits.MaxPhases); // keep the creation time
        return this with { State = state, Phases = phases };
    }
}
