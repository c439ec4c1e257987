using SwitchGate.Jobs.Model;

namespace SwitchGate.Jobs.Pipeline;

/// <summary>
/// When a held status request (<c>GET /jobs/ID?since=STATE&amp;wait=SECONDS</c>, docs/jobs.md "Waiting for a job")
/// is answered. The agent holds the request until the job leaves the state the host last saw, but never answers in
/// a state in which the switch may drop the answer (the node departing, dirty, rebooting or not yet admitted): an
/// answer written then is lost, and TCP's retransmission backoff would deliver it seconds after the node is back.
/// Held across the dirty phase, the idle connection carries the answer the moment the job is visible again.
/// </summary>
public static class JobWatch
{
    /// <summary>The longest a request may be held; a longer <c>wait</c> is refused (400).</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(60);

    /// <summary>The wait <c>switchgate-host</c> asks for; its own request timeout is this plus <see cref="AnswerGrace"/>.</summary>
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(30);

    /// <summary>How long past its wait the host still expects the answer before it gives the connection up and asks again.</summary>
    public static readonly TimeSpan AnswerGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// States in which the boot server is clean and admitted, so an answer reaches the host: before departure
    /// (Departing is recorded before the DEPART, which may cut the node off while the answer is being written)
    /// and after the check of the second image began under a fresh admission.
    /// </summary>
    public static bool IsVisible(JobState state) =>
        state is JobState.Receiving or JobState.Queued or JobState.Ready or JobState.Delivered or JobState.Failed;

    /// <summary>Answer now (rather than hold) a request that last saw <paramref name="since"/>, the job being in <paramref name="now"/>.</summary>
    public static bool Answers(JobState since, JobState now) => now != since && IsVisible(now);
}
