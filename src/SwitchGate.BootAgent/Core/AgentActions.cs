using SwitchGate.Attestation;

namespace SwitchGate.BootAgent.Core;

/// <summary>
/// The agent's states (docs/agent.md "State machine", docs/protocol.md §7.1). A renewal is an exchange
/// (<see cref="AwaitChallenge"/> … <see cref="AwaitVerdict"/>) run while <see cref="AgentCore.Admission"/> is set.
/// </summary>
public enum AgentState
{
    /// <summary>Not admitted, waiting for the backoff before the next HELLO(0).</summary>
    Idle,
    /// <summary>HELLO sent (session 0 fresh, or the admitted session for a renewal); retransmitted on T_retry.</summary>
    AwaitChallenge,
    /// <summary>A CHALLENGE was accepted; the TPM is unsealing the secret and quoting (the shell reports back).</summary>
    Quoting,
    /// <summary>EVIDENCE sent; waiting for its VERDICT.</summary>
    AwaitVerdict,
    /// <summary>Admitted; the renewal starts at half the lease.</summary>
    Admitted,
    /// <summary>DEPART requested: proving it, sending it, waiting for the revocation (or the lease end).</summary>
    Departing,
    /// <summary>The dirty mark is in PCR 14 and the NIC has the dirty MAC; only a reboot leads back.</summary>
    Dirty,
    /// <summary>The core has finished (a <see cref="Stop"/> was emitted); it ignores all further input.</summary>
    Stopped,
}

/// <summary>How a run ended; each maps to a process exit code (<see cref="ExitCodes"/>).</summary>
public enum AgentOutcome
{
    Admitted,
    Denied,
    Revoked,
    Departed,
    NotClean,
}

/// <summary>An admission as the agent knows it: session, the nonce of the exchange that admitted or last renewed it, and the lease.</summary>
public sealed record Admission(ulong Session, byte[] Nonce, DateTimeOffset Since, TimeSpan Lease)
{
    /// <summary>
    /// The agent's lease clock starts when the VERDICT arrives, after the switch's hard timeout started
    /// (docs/protocol.md §7.1), so this is never later than the switch's own end of the admission.
    /// </summary>
    public DateTimeOffset LeaseEnd => Since + Lease;

    /// <summary>Re-attest at half the lease (docs/protocol.md §7.1).</summary>
    public DateTimeOffset RenewAt => Since + Lease / 2;
}

/// <summary>What the core asks its shell to do, in order.</summary>
public abstract record AgentAction;

/// <summary>Send this message in one frame from the clean MAC to 01-80-C2-00-00-0E.</summary>
public sealed record SendMessage(AttestationMessage Message) : AgentAction;

/// <summary>Unseal the secret, quote over <paramref name="PcrSelection"/> with the nonce, and call <see cref="AgentCore.OnEvidence"/>.</summary>
public sealed record ProduceEvidence(ulong Session, byte[] Nonce, byte[] PcrSelection) : AgentAction;

/// <summary>
/// Activate the rotated secret in the TPM, seal it under the clean policy, install it crash-safe, and call
/// <see cref="AgentCore.OnRotated"/> (or <see cref="AgentCore.OnRotationFailed"/>).
/// </summary>
public sealed record RotateSecret(Rotate Rotate) : AgentAction;

/// <summary>Unseal the secret, compute the DEPART proof, and call <see cref="AgentCore.OnDepartProof"/>.</summary>
public sealed record ProduceDepartProof(ulong Session, byte[] Nonce) : AgentAction;

/// <summary>
/// Leave clean mode, in this order: extend PCR 14 with the dirty mark, then switch the NIC to the dirty MAC.
/// <paramref name="RevocationConfirmed"/> tells whether the controller confirmed that nothing is admitted.
/// </summary>
public sealed record LeaveCleanMode(bool RevocationConfirmed, string Why) : AgentAction;

/// <summary>The admission changed (null: none); the shell persists it for <c>depart</c> and <c>status</c>.</summary>
public sealed record AdmissionChanged(Admission? Admission) : AgentAction;

/// <summary>A stable, greppable log line (docs/agent.md "Log lines").</summary>
public sealed record Report(string Line, bool Warning = false) : AgentAction;

/// <summary>The run is over.</summary>
public sealed record Stop(AgentOutcome Outcome) : AgentAction;

/// <summary>Process exit codes (docs/agent.md "Exit codes").</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Usage = 1;
    public const int Denied = 2;
    public const int Revoked = 3;
    public const int NotClean = 4;
    public const int NoAnswer = 5;
    public const int Failure = 6;

    public static int Of(AgentOutcome outcome) => outcome switch
    {
        AgentOutcome.Admitted or AgentOutcome.Departed => Ok,
        AgentOutcome.Denied => Denied,
        AgentOutcome.Revoked => Revoked,
        AgentOutcome.NotClean => NotClean,
        _ => Failure,
    };
}
