using SwitchGate.Attestation;
using SwitchGate.Ethernet;

namespace SwitchGate.BootAgent.Core;

/// <summary>Timing and identity of one agent (docs/protocol.md §7 parameters).</summary>
public sealed record AgentOptions(string Node, MacAddress CleanMac)
{
    /// <summary>Stop after the first verdict (admitted, denied or revoked) instead of running as a service.</summary>
    public bool Once { get; init; }

    /// <summary>T_retry: 1 s, doubling up to <see cref="MaxRetry"/> (docs/protocol.md §7).</summary>
    public TimeSpan InitialRetry { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetry { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>After a denial the agent backs off, doubling up to 60 s (docs/protocol.md §7.1).</summary>
    public TimeSpan MaxDeniedBackoff { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// The agent's protocol logic without I/O (docs/protocol.md §7.1): each input — a received frame, the time,
/// a TPM result, a depart request — returns the actions for the shell to run in order. Never throws on
/// network input: anything it does not expect is ignored (and counted in <see cref="Ignored"/>).
/// </summary>
public sealed class AgentCore
{
    private readonly AgentOptions _options;

    /// <summary>The HELLO's session (0 fresh, or the admitted session when renewing) and the accepted challenge.</summary>
    private ulong _helloSession;
    private ulong _exchangeSession;
    private byte[]? _exchangeNonce;

    private TimeSpan _retry;
    private TimeSpan _deniedBackoff;
    private DateTimeOffset? _deadline;
    private byte[]? _departProof;

    /// <summary>A ROTATE that arrived before its session's VERDICT Admitted (the controller sends it first).</summary>
    private Rotate? _earlyRotate;
    private bool _rotating;
    private bool _stopAfterRotation;

    public AgentCore(AgentOptions options, Admission? restored = null, uint secretGeneration = 0)
    {
        SecretGeneration = secretGeneration;
        _options = options;
        _retry = options.InitialRetry;
        _deniedBackoff = options.InitialRetry;
        Admission = restored;
        State = restored is null ? AgentState.Idle : AgentState.Admitted;
    }

    public AgentState State { get; private set; }

    /// <summary>The generation of the sealed secret in use (0: the enrolled one); a ROTATE must carry a higher one.</summary>
    public uint SecretGeneration { get; private set; }

    public Admission? Admission { get; private set; }

    /// <summary>When the shell must call <see cref="OnTimer"/> next (null: only input can change anything).</summary>
    public DateTimeOffset? NextDeadline => State switch
    {
        AgentState.Admitted => Min(_deadline ?? Admission!.RenewAt, Admission!.LeaseEnd),
        AgentState.Departing => Admission is null ? _deadline : Min(_deadline, Admission.LeaseEnd),
        AgentState.Idle or AgentState.AwaitChallenge or AgentState.AwaitVerdict =>
            Admission is null ? _deadline : Min(_deadline, Admission.LeaseEnd),
        _ => null,
    };

    /// <summary>Frames that were not for this agent, not expected now, or for another session.</summary>
    public int Ignored { get; private set; }

    /// <summary>Starts attesting: a fresh HELLO(0), or, with a restored admission, waits for its renewal time.</summary>
    public IReadOnlyList<AgentAction> Start(DateTimeOffset now)
    {
        var actions = new List<AgentAction>();
        if (Admission is null)
        {
            SendHello(actions, now, fresh: true);
        }
        else
        {
            _deadline = null;
            actions.Add(new Report($"resuming session={Hex(Admission.Session)} lease-end={Admission.LeaseEnd:O}"));
            CheckLease(actions, now);
        }
        return actions;
    }

    /// <summary>A frame received on the NIC (already parsed; malformed frames never get here).</summary>
    public IReadOnlyList<AgentAction> OnFrame(AttestationFrameContent frame, DateTimeOffset now)
    {
        var actions = new List<AgentAction>();
        // docs/protocol.md §7.1: only frames addressed to the clean MAC, and only controller → agent types.
        if (frame.Destination != _options.CleanMac)
        {
            return Ignore();
        }

        switch (frame.Message)
        {
            case Challenge c:
                OnChallenge(c, actions);
                break;
            case Verdict v:
                OnVerdict(v, actions, now);
                break;
            case Rotate r:
                OnRotate(r, actions);
                break;
            default:
                return Ignore();
        }

        return actions;
    }

    private List<AgentAction> Ignore()
    {
        Ignored++;
        return [];
    }

    private void OnChallenge(Challenge c, List<AgentAction> actions)
    {
        // A CHALLENGE only while one is awaited. For a renewal, a session other than S means the controller
        // started a fresh exchange (it no longer knows S): answer it the same way (docs/protocol.md §7.1).
        if (State != AgentState.AwaitChallenge)
        {
            Ignored++;
            return;
        }

        _exchangeSession = c.SessionId;
        _exchangeNonce = c.Nonce.ToArray();
        _deadline = null;
        State = AgentState.Quoting;
        actions.Add(new ProduceEvidence(c.SessionId, _exchangeNonce, c.PcrSelection.ToArray()));
    }

    /// <summary>
    /// ROTATE (docs/protocol.md §5.6): only for the admitted session (or, just before its VERDICT, the exchange's), only
    /// one at a time, and only a generation above the one in use: an older or equal one is a replay and changes nothing.
    /// </summary>
    private void OnRotate(Rotate r, List<AgentAction> actions)
    {
        var forAdmission = Admission is not null && r.SessionId == Admission.Session && State is AgentState.Admitted
            or AgentState.AwaitChallenge or AgentState.Quoting or AgentState.AwaitVerdict;
        var forExchange = State == AgentState.AwaitVerdict && r.SessionId == _exchangeSession;
        if (r.Generation <= SecretGeneration)
        {
            Ignored++;
            actions.Add(new Report($"rotate refused generation={r.Generation} current={SecretGeneration}: replayed", Warning: true));
            return;
        }

        if (_rotating || !(forAdmission || forExchange) || State is AgentState.Departing or AgentState.Dirty or AgentState.Stopped)
        {
            Ignored++;
            return;
        }

        if (forExchange && !forAdmission)
        {
            _earlyRotate = r;
            return;
        }

        _rotating = true;
        actions.Add(new RotateSecret(r));
    }

    /// <summary>The TPM holds the rotated secret sealed and it is in use: tell the controller with the new key's proof.</summary>
    public IReadOnlyList<AgentAction> OnRotated(Rotated rotated, DateTimeOffset now)
    {
        _rotating = false;
        SecretGeneration = Math.Max(SecretGeneration, rotated.Generation);
        List<AgentAction> actions = [new Report($"rotated generation={rotated.Generation}"), new SendMessage(rotated)];
        FinishRotation(actions);
        return actions;
    }

    /// <summary>The rotation failed (another TPM's credential, not clean, TPM error): the old secret stays in use.</summary>
    public IReadOnlyList<AgentAction> OnRotationFailed(string why, DateTimeOffset now)
    {
        _rotating = false;
        List<AgentAction> actions = [new Report($"rotation failed: {why}; the secret in use is unchanged", Warning: true)];
        FinishRotation(actions);
        return actions;
    }

    private void FinishRotation(List<AgentAction> actions)
    {
        if (_stopAfterRotation)
        {
            _stopAfterRotation = false;
            Stop(actions, AgentOutcome.Admitted);
        }
    }

    private void OnVerdict(Verdict v, List<AgentAction> actions, DateTimeOffset now)
    {
        if (State == AgentState.Departing)
        {
            OnDepartingVerdict(v, actions, now);
            return;
        }

        var inExchange = State is AgentState.AwaitChallenge or AgentState.Quoting or AgentState.AwaitVerdict;
        // A HELLO is denied with session 0 or its own session (docs/protocol.md §7.2); EVIDENCE with the challenge's.
        var forExchange = inExchange && (v.SessionId == _helloSession || (State == AgentState.AwaitChallenge && v.SessionId == 0)
                                         || (State != AgentState.AwaitChallenge && v.SessionId == _exchangeSession));
        var forAdmission = Admission is not null && v.SessionId == Admission.Session;

        switch (v.Kind)
        {
            case VerdictKind.Admitted when State == AgentState.AwaitVerdict && v.SessionId == _exchangeSession:
                Admit(v, actions, now);
                break;
            case VerdictKind.Denied when forExchange:
                Denied(v, actions, now);
                break;
            case VerdictKind.Revoked when forAdmission || (inExchange && v.SessionId == _exchangeSession && v.SessionId != 0):
                Revoked(v, actions, now);
                break;
            default:
                Ignored++;
                break;
        }
    }

    private void Admit(Verdict v, List<AgentAction> actions, DateTimeOffset now)
    {
        var lease = TimeSpan.FromSeconds(v.LeaseSeconds!.Value);
        Admission = new Admission(v.SessionId, _exchangeNonce!, now, lease);
        State = AgentState.Admitted;
        _deadline = null;
        _retry = _options.InitialRetry;
        _deniedBackoff = _options.InitialRetry;
        actions.Add(new AdmissionChanged(Admission));
        actions.Add(new Report($"admitted session={Hex(v.SessionId)} lease={v.LeaseSeconds}s reason={v.Reason}"));
        var early = _earlyRotate;
        _earlyRotate = null;
        if (early is not null && early.SessionId == v.SessionId && early.Generation > SecretGeneration && !_rotating)
        {
            _rotating = true;
            actions.Add(new RotateSecret(early));
        }

        if (_options.Once)
        {
            // A run that ends at its admission still installs the secret the controller just handed over first.
            if (_rotating)
                _stopAfterRotation = true;
            else
                Stop(actions, AgentOutcome.Admitted);
        }
    }

    private void Denied(Verdict v, List<AgentAction> actions, DateTimeOffset now)
    {
        if (Admission is not null)
        {
            // A denial never ends an admission (docs/protocol.md §5.4): retry the renewal after T_retry.
            actions.Add(new Report($"denied reason={v.Reason} session={Hex(v.SessionId)} admission-kept=true", Warning: true));
            State = AgentState.Admitted;
            _deadline = now + _retry;
            _retry = Double(_retry, _options.MaxRetry);
            return;
        }

        actions.Add(new Report($"denied reason={v.Reason} session={Hex(v.SessionId)}", Warning: true));
        if (_options.Once)
        {
            Stop(actions, AgentOutcome.Denied);
            return;
        }

        // ClockUnsafe and NonceExpired may be retried after T_retry; other denials back off up to 60 s.
        var wait = v.Reason is ReasonCode.ClockUnsafe or ReasonCode.NonceExpired ? _options.InitialRetry : _deniedBackoff;
        if (wait == _deniedBackoff)
        {
            _deniedBackoff = Double(_deniedBackoff, _options.MaxDeniedBackoff);
        }

        State = AgentState.Idle;
        _deadline = now + wait;
    }

    private void Revoked(Verdict v, List<AgentAction> actions, DateTimeOffset now)
    {
        var cause = v.Cause is { } c ? $" cause={c}" : "";
        actions.Add(new Report($"revoked reason={v.Reason}{cause} session={Hex(v.SessionId)}", Warning: true));
        if (Admission is not null)
        {
            Admission = null;
            actions.Add(new AdmissionChanged(null));
        }

        if (_options.Once)
        {
            Stop(actions, AgentOutcome.Revoked);
            return;
        }

        // Stop renewing; a service starts over with a fresh HELLO(0) (a reboot needs a new session anyway).
        State = AgentState.Idle;
        _retry = _options.InitialRetry;
        _deadline = now + _options.InitialRetry;
    }

    /// <summary>The TPM produced the EVIDENCE for the accepted challenge.</summary>
    public IReadOnlyList<AgentAction> OnEvidence(Evidence evidence, DateTimeOffset now)
    {
        if (State != AgentState.Quoting || evidence.SessionId != _exchangeSession)
        {
            return [];
        }

        State = AgentState.AwaitVerdict;
        _deadline = now + _retry;
        return [new SendMessage(evidence)];
    }

    /// <summary>
    /// The TPM could not produce evidence. <paramref name="notClean"/>: the secret's PCR policy failed, so no
    /// proof is possible until a reboot into clean mode — the run ends. Otherwise the exchange is retried.
    /// </summary>
    public IReadOnlyList<AgentAction> OnEvidenceFailed(string why, bool notClean, DateTimeOffset now)
    {
        if (State != AgentState.Quoting)
        {
            return [];
        }

        var actions = new List<AgentAction>();
        if (notClean)
        {
            actions.Add(new Report($"not-clean reason=\"{why}\"", Warning: true));
            Stop(actions, AgentOutcome.NotClean);
            return actions;
        }

        actions.Add(new Report($"evidence-failed reason=\"{why}\"", Warning: true));
        State = Admission is null ? AgentState.Idle : AgentState.Admitted;
        _deadline = now + _retry;
        _retry = Double(_retry, _options.MaxRetry);
        return actions;
    }

    public IReadOnlyList<AgentAction> OnTimer(DateTimeOffset now)
    {
        var actions = new List<AgentAction>();
        if (State == AgentState.Departing)
        {
            OnDepartingTimer(actions, now);
            return actions;
        }

        if (CheckLease(actions, now))
        {
            return actions;
        }

        switch (State)
        {
            case AgentState.Idle when _deadline <= now:
                SendHello(actions, now, fresh: true);
                break;
            case AgentState.AwaitChallenge or AgentState.AwaitVerdict when _deadline <= now:
                // No CHALLENGE, or no VERDICT for our EVIDENCE: start the exchange again (docs/protocol.md §7.1).
                _retry = Double(_retry, _options.MaxRetry);
                SendHello(actions, now, fresh: Admission is null, backoff: false);
                break;
            case AgentState.Admitted when (_deadline ?? Admission!.RenewAt) <= now:
                SendHello(actions, now, fresh: false);
                break;
        }

        return actions;
    }

    /// <summary>True (and the admission dropped) if the lease has run out by the agent's clock.</summary>
    private bool CheckLease(List<AgentAction> actions, DateTimeOffset now)
    {
        if (Admission is null || now < Admission.LeaseEnd || State is AgentState.Departing or AgentState.Dirty or AgentState.Stopped)
        {
            return false;
        }

        actions.Add(new Report($"lease-expired session={Hex(Admission.Session)}", Warning: true));
        Admission = null;
        actions.Add(new AdmissionChanged(null));
        if (_options.Once)
        {
            Stop(actions, AgentOutcome.Revoked);
            return true;
        }

        if (State is AgentState.Quoting)
        {
            return true;
        }

        _retry = _options.InitialRetry;
        SendHello(actions, now, fresh: true);
        return true;
    }

    private void SendHello(List<AgentAction> actions, DateTimeOffset now, bool fresh, bool backoff = true)
    {
        if (backoff && fresh)
        {
            _retry = _options.InitialRetry;
        }

        _helloSession = fresh ? 0 : Admission!.Session;
        _exchangeSession = 0;
        _exchangeNonce = null;
        State = AgentState.AwaitChallenge;
        _deadline = now + _retry;
        actions.Add(new SendMessage(new Hello(_helloSession, _options.Node, _options.CleanMac)));
    }

    // ---- departure (docs/protocol.md §5.5, §7.1; docs/agent.md "Safety ordering") ----

    /// <summary>
    /// Leave clean mode. Admitted: prove and send DEPART, then wait for the revocation or the lease end.
    /// Not admitted: nothing to revoke. <paramref name="force"/>: do not wait (unsafe while the lease runs).
    /// </summary>
    public IReadOnlyList<AgentAction> RequestDepart(DateTimeOffset now, bool force = false)
    {
        var actions = new List<AgentAction>();
        if (State is AgentState.Dirty or AgentState.Stopped or AgentState.Departing)
        {
            return actions;
        }

        if (Admission is not null && now >= Admission.LeaseEnd)
        {
            actions.Add(new Report($"lease-expired session={Hex(Admission.Session)}"));
            Admission = null;
            actions.Add(new AdmissionChanged(null));
        }

        if (Admission is null)
        {
            GoDirty(actions, confirmed: true, "not admitted");
            return actions;
        }

        if (force)
        {
            actions.Add(new Report($"depart-forced session={Hex(Admission.Session)} lease-end={Admission.LeaseEnd:O}", Warning: true));
            GoDirty(actions, confirmed: false, "forced");
            return actions;
        }

        State = AgentState.Departing;
        _departProof = null;
        _deadline = null;
        _retry = _options.InitialRetry;
        actions.Add(new ProduceDepartProof(Admission.Session, Admission.Nonce));
        return actions;
    }

    public IReadOnlyList<AgentAction> OnDepartProof(ulong session, byte[] proof, DateTimeOffset now)
    {
        if (State != AgentState.Departing || Admission is null || session != Admission.Session)
        {
            return [];
        }

        _departProof = proof;
        _deadline = now + _retry;
        return [new Report($"depart session={Hex(session)}"), new SendMessage(new Depart(session, proof))];
    }

    /// <summary>No proof (the secret would not unseal): wait until the lease has run out, then leave.</summary>
    public IReadOnlyList<AgentAction> OnDepartProofFailed(string why, DateTimeOffset now)
    {
        if (State != AgentState.Departing || Admission is null)
        {
            return [];
        }

        _departProof = null;
        _deadline = null;
        return [new Report($"depart-unproven reason=\"{why}\" waiting-until={Admission.LeaseEnd:O}", Warning: true)];
    }

    private void OnDepartingVerdict(Verdict v, List<AgentAction> actions, DateTimeOffset now)
    {
        var admission = Admission!;
        if (v.SessionId != admission.Session)
        {
            Ignored++;
            return;
        }

        switch (v.Kind)
        {
            case VerdictKind.Revoked:
                actions.Add(new Report($"revoked reason={v.Reason} session={Hex(v.SessionId)}"));
                GoDirty(actions, confirmed: true, $"revoked {v.Reason}");
                break;
            case VerdictKind.Denied when v.Reason == ReasonCode.UnknownSession:
                // The controller does not know the session: nothing is admitted under it (docs/protocol.md §5.5).
                actions.Add(new Report($"denied reason={v.Reason} session={Hex(v.SessionId)}"));
                GoDirty(actions, confirmed: true, "session unknown to the controller");
                break;
            case VerdictKind.Admitted when _exchangeNonce is not null && v.SessionId == _exchangeSession:
                // A renewal that was in flight when the depart began succeeded: the DEPART proof must use its nonce.
                Admission = new Admission(v.SessionId, _exchangeNonce, now, TimeSpan.FromSeconds(v.LeaseSeconds!.Value));
                _exchangeNonce = null;
                _departProof = null;
                actions.Add(new AdmissionChanged(Admission));
                actions.Add(new ProduceDepartProof(Admission.Session, Admission.Nonce));
                break;
            case VerdictKind.Denied:
                actions.Add(new Report($"denied reason={v.Reason} session={Hex(v.SessionId)} departing=true", Warning: true));
                break;
            default:
                Ignored++;
                break;
        }
    }

    private void OnDepartingTimer(List<AgentAction> actions, DateTimeOffset now)
    {
        var admission = Admission!;
        if (now >= admission.LeaseEnd)
        {
            // The switch's hard timeout has ended the admission by now (docs/protocol.md §7.1).
            actions.Add(new Report($"depart-unconfirmed session={Hex(admission.Session)} lease-ended=true", Warning: true));
            GoDirty(actions, confirmed: false, "lease ran out without a confirmation");
            return;
        }

        if (_departProof is not null && _deadline <= now)
        {
            _retry = Double(_retry, _options.MaxRetry);
            _deadline = now + _retry;
            actions.Add(new SendMessage(new Depart(admission.Session, _departProof)));
        }
    }

    private void GoDirty(List<AgentAction> actions, bool confirmed, string why)
    {
        if (Admission is not null)
        {
            Admission = null;
            actions.Add(new AdmissionChanged(null));
        }

        State = AgentState.Dirty;
        _deadline = null;
        actions.Add(new LeaveCleanMode(confirmed, why));
        Stop(actions, AgentOutcome.Departed, keepState: true);
    }

    private void Stop(List<AgentAction> actions, AgentOutcome outcome, bool keepState = false)
    {
        if (!keepState)
        {
            State = AgentState.Stopped;
        }

        _deadline = null;
        actions.Add(new Stop(outcome));
    }

    private static TimeSpan Double(TimeSpan t, TimeSpan max) => t * 2 > max ? max : t * 2;

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a < b ? a : b;

    public static string Hex(ulong session) => session.ToString("x16");
}
