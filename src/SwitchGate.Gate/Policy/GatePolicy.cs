using System.Net;
using System.Security.Cryptography;
using SwitchGate.Attestation;
using SwitchGate.Attestation.Enrolment;
using SwitchGate.Ethernet;
using SwitchGate.OpenFlow;
using SwitchGate.Tpm.Marshalling;
using SwitchGate.Tpm.Structures;
using SwitchGate.Tpm.Verification;
using Hello = SwitchGate.Attestation.Hello;

namespace SwitchGate.Gate.Policy;

/// <summary>
/// The attestation gate as pure policy (Faucet's valve style): enrolments, admissions and <c>now</c> in;
/// flow-mods, PACKET_OUTs, barrier-confirmed batches and audit entries out (<see cref="GateOutput"/>). It
/// implements the controller state machine of docs/protocol.md §7.2 and the admission conditions of docs/architecture.md
/// ("The attestation exchange"); docs/gate.md describes it as implemented. No I/O, no clock, no locks: the caller
/// (<see cref="GateService"/>) serialises calls and performs the output. The only impurity is the CSPRNG
/// for session ids and nonces, which must be unpredictable.
/// </summary>
public sealed class GatePolicy : IDisposable
{
    /// <summary>Consumed nonces remembered per node, to tell a replay (NonceUsed) from garbage (NonceUnknown).</summary>
    private const int ConsumedNonceMemory = 8;

    private readonly GateOptions _options;
    private readonly MacAddress _controllerMac;
    private readonly Dictionary<string, NodeState> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<(ulong Dpid, uint Port), NodeState> _byPort = new();
    private readonly Dictionary<long, PendingBatch> _pending = new();
    private readonly Dictionary<(ulong Dpid, uint Port), PortRole> _roles;
    /// <summary>Each switch's ports as last seen (cold start's PORT_DESC, then PORT_STATUS): the flood groups' candidates.</summary>
    private readonly Dictionary<ulong, SortedSet<uint>> _switchPorts = new();
    private readonly DenialAggregator _denials;
    private long _nextTicket;
    private uint _nextNodeNumber;

    public GatePolicy(GateOptions options, GateCounters? counters = null)
    {
        _options = options;
        _controllerMac = options.ControllerMac;
        _roles = options.PortRoles.ToDictionary(r => (r.DatapathId, r.Port));
        _denials = new DenialAggregator(options.AuditDenialWindow);
        Counters = counters ?? new GateCounters();
    }

    public GateCounters Counters { get; }

    public IReadOnlyList<string> RejectedEnrolments { get; private set; } = [];

    // ---------------------------------------------------------------- enrolments

    /// <summary>
    /// Replaces the enrolment set. Added nodes get their static flows; removed and changed nodes lose any
    /// admission (revoked EnrolmentRemoved / EnrolmentChanged) and their old static flows; changed nodes get
    /// the new ones. Records must already be valid and free of conflicts (see <c>EnrolmentStore</c>).
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope",
        Justification = "the enrolment's keys belong to its NodeState in _nodes; Forget and Dispose release them")]
    public EnrolmentChanges SetEnrolments(IReadOnlyCollection<EnrolmentRecord> records, IReadOnlyList<string> rejected,
        DateTimeOffset now, GateOutput output, IReadOnlyDictionary<string, ProofKeyState>? proofKeys = null)
    {
        RejectedEnrolments = rejected;
        var incoming = records.ToDictionary(r => r.Node, StringComparer.Ordinal);
        var added = new List<string>();
        var changed = new List<string>();
        var removed = new List<string>();
        var perSwitch = new Dictionary<ulong, List<OfpMessage>>();
        List<OfpMessage> For(ulong dpid) => perSwitch.TryGetValue(dpid, out var l) ? l : perSwitch[dpid] = new();

        foreach (var (name, state) in _nodes.ToList())
        {
            if (incoming.TryGetValue(name, out var record) && NodeEnrolment.SameRecord(state.E.Record, record))
                continue;
            bool isChange = record is not null;
            (isChange ? changed : removed).Add(name);
            Revoke(state, isChange ? ReasonCode.EnrolmentChanged : ReasonCode.EnrolmentRemoved, null, now, output,
                isChange ? "enrolment changed" : "enrolment removed");
            For(state.E.DatapathId).Add(GateFlows.DeleteNodeStatic(state.Number));
            Forget(state);
            output.Audit.Add(new AuditEntry
            {
                Time = now, Event = isChange ? "enrolment_changed" : "enrolment_removed", Node = name,
                DatapathId = state.E.DatapathId, Port = state.E.Port,
            });
        }
        foreach (var record in records)
        {
            if (_nodes.ContainsKey(record.Node))
                continue;
            // The address first: nothing may throw between creating the enrolment's keys and handing them to their owner.
            var address = BootServerAddress(record.DatapathId, record.Port);
            var enrolment = NodeEnrolment.From(record);
            var state = new NodeState(enrolment, ++_nextNodeNumber, address, new ProofKeys(record, proofKeys?.GetValueOrDefault(record.Node)));
            _nodes[record.Node] = state;
            _byPort[(record.DatapathId, record.Port)] = state;
            For(record.DatapathId).AddRange(StaticFlows(state));
            if (!changed.Contains(record.Node))
            {
                added.Add(record.Node);
                output.Audit.Add(new AuditEntry
                {
                    Time = now, Event = "enrolment_added", Node = record.Node, DatapathId = record.DatapathId, Port = record.Port,
                });
            }
        }
        foreach (var file in rejected)
            output.Audit.Add(new AuditEntry { Time = now, Event = "enrolment_rejected", Detail = file });
        foreach (var (dpid, messages) in perSwitch)
        {
            // Enrolled ports leave the flood groups, ports whose node went come back (unless configured closed).
            messages.AddRange(GroupUpdate(dpid));
            output.Batches.Add(NewBatch(dpid, messages, new PendingBatch.NoVerdict()));
        }
        return new EnrolmentChanges(added, changed, removed);
    }

    private void Forget(NodeState state)
    {
        _nodes.Remove(state.E.Node);
        _byPort.Remove((state.E.DatapathId, state.E.Port));
        state.Forgotten = true;
        state.Dispose();
    }

    private static IEnumerable<OfpMessage> StaticFlows(NodeState s) =>
        GateFlows.NodeStatic(s.Number, s.E.Port, s.E.CleanMac, s.E.DirtyMac, s.Address);

    /// <summary>The address the configuration gives the boot-server port of a node, if any (its ARP is then protected).</summary>
    private IPAddress? BootServerAddress(ulong dpid, uint port) =>
        _roles.TryGetValue((dpid, port), out var role) && role.Kind == PortRoleKind.BootServer ? role.Address : null;

    // ---------------------------------------------------------------- who hears floods

    /// <summary>
    /// A gated port hears no flood: a port with an enrolled node (whatever its state) or configured as a boot
    /// server's. Admitted (or being admitted) nodes hear broadcast ARP only, so the rack can resolve their address.
    /// </summary>
    private bool IsGated(ulong dpid, uint port) =>
        _byPort.ContainsKey((dpid, port)) || _roles.TryGetValue((dpid, port), out var role) && role.Kind == PortRoleKind.BootServer;

    private bool HearsBroadcastArp(ulong dpid, uint port) =>
        !IsGated(dpid, port) || _byPort.TryGetValue((dpid, port), out var n) && (n.Admission is not null || n.Install is not null);

    private IEnumerable<GroupMod> FloodGroupMods(ulong dpid, IEnumerable<uint> ports, GroupModCommand command)
    {
        var physical = ports.Where(p => p is >= 1 and <= OfpPort.Max).ToList();
        return GateFlows.FloodGroupMods(physical.Where(p => !IsGated(dpid, p)), physical.Where(p => HearsBroadcastArp(dpid, p)), command);
    }

    /// <summary>Both groups of a switch as the policy stands now (MODIFY replaces the bucket lists); nothing for a switch never seen.</summary>
    private IEnumerable<OfpMessage> GroupUpdate(ulong dpid) =>
        _switchPorts.TryGetValue(dpid, out var ports) ? FloodGroupMods(dpid, ports, GroupModCommand.Modify) : [];

    // ---------------------------------------------------------------- switch events

    /// <summary>
    /// The gate's part of a switch's cold start (after every flow and meter was deleted): per-port meters and
    /// 0x88B5 → controller flows, the catch-all 0x88B5 drop, every node's static flows, still-valid admissions
    /// with their remaining lease (whole seconds, rounded down so the switch never forwards longer than the
    /// lease), and the default goto table 1.
    /// </summary>
    public void ColdStart(ulong dpid, IEnumerable<PortDesc> ports, DateTimeOffset now, List<OfpMessage> output)
    {
        var known = _switchPorts[dpid] = new SortedSet<uint>(ports.Select(p => p.PortNo));
        foreach (var port in known.Where(GateFlows.HasMeter))
        {
            output.Add(GateFlows.AttestationMeter(port, _options.MeterRatePps, _options.MeterBurstPackets));
            output.Add(GateFlows.AttestationToController(port));
        }
        output.Add(GateFlows.AttestationDropOther());
        output.AddRange(GateFlows.VlanStackDrops());
        // Before the forwarding tables' cold start, whose flood flows refer to them.
        output.AddRange(FloodGroupMods(dpid, known, GroupModCommand.Add));
        foreach (var role in _roles.Values.Where(r => r.DatapathId == dpid).OrderBy(r => r.Port))
        {
            if (role.Kind == PortRoleKind.ProductionHost)
                output.AddRange(GateFlows.ProductionHost(role.Port, role.Mac!.Value, role.Address));
            else
                output.Add(GateFlows.ClosedPort(role.Port));
        }
        foreach (var state in _nodes.Values.Where(n => n.E.DatapathId == dpid).OrderBy(n => n.Number))
        {
            output.AddRange(StaticFlows(state));
            if (state.Admission is { } a && RemainingSeconds(a.LeaseEnd, now) is > 0 and var remaining)
                output.AddRange(GateFlows.Admission(state.E.Port, state.E.CleanMac, a.Cookie, remaining, state.Address));
        }
        output.Add(GateFlows.DefaultToForwarding());
        output.Add(GateFlows.DefaultDestination());
    }

    private static ushort RemainingSeconds(DateTimeOffset leaseEnd, DateTimeOffset now) =>
        (ushort)Math.Clamp(Math.Floor((leaseEnd - now).TotalSeconds), 0, ushort.MaxValue);

    /// <summary>A PACKET_IN from table 0 (only 0x88B5 frames reach the controller from there).</summary>
    public void PacketIn(ulong dpid, PacketIn message, DateTimeOffset now, GateOutput output)
    {
        Counters.CountFrame();
        if (message.Match.InPort is not { } inPort)
        {
            Drop(dpid, 0, DropReason.NoInPort, "no in_port in the match", output);
            return;
        }
        Frame(dpid, inPort, message.Data, now, output);
    }

    /// <summary>
    /// A FLOW_REMOVED: the hard timeout of the current admission's flow means the lease ran out in the switch
    /// → revoked LeaseExpired (the sibling flow is deleted). Our own deletions and stale cookies are ignored.
    /// </summary>
    public void FlowRemoved(ulong dpid, FlowRemoved message, DateTimeOffset now, GateOutput output)
    {
        if (message.Reason != FlowRemovedReason.HardTimeout || GateFlows.KindOf(message.Cookie) != GateFlows.CookieKind.Admission)
            return;
        var state = _nodes.Values.FirstOrDefault(n => n.E.DatapathId == dpid && n.Admission?.Cookie == message.Cookie);
        if (state is not null)
            Revoke(state, ReasonCode.LeaseExpired, null, now, output, "hard timeout in the switch");
    }

    /// <summary>
    /// PORT_STATUS: a new port gets its meter and 0x88B5 flow; on an enrolled port, going down revokes
    /// (PortDown) and deletion, re-creation or a changed address/name revokes (PortChanged).
    /// </summary>
    public void PortStatus(ulong dpid, PortStatus message, PortDesc? previous, DateTimeOffset now, GateOutput output)
    {
        var desc = message.Desc;
        if (message.Reason == PortStatusReason.Add && GateFlows.HasMeter(desc.PortNo))
        {
            // Delete first: a port that comes back keeps its number, and adding an existing meter is an error (§7.3.4.4).
            output.Messages.Add((dpid, GateFlows.AttestationMeter(desc.PortNo, 0, 0, MeterModCommand.Delete)));
            output.Messages.Add((dpid, GateFlows.AttestationMeter(desc.PortNo, _options.MeterRatePps, _options.MeterBurstPackets)));
            output.Messages.Add((dpid, GateFlows.AttestationToController(desc.PortNo)));
        }
        if (message.Reason is PortStatusReason.Add or PortStatusReason.Delete && _switchPorts.TryGetValue(dpid, out var ports)
            && (message.Reason == PortStatusReason.Add ? ports.Add(desc.PortNo) : ports.Remove(desc.PortNo)))
            output.Batches.Add(NewBatch(dpid, GroupUpdate(dpid).ToList(), new PendingBatch.NoVerdict()));
        if (!_byPort.TryGetValue((dpid, desc.PortNo), out var state))
            return;
        bool down = (desc.State & PortState.LinkDown) != 0 || (desc.Config & PortConfig.PortDown) != 0;
        ReasonCode? reason = message.Reason switch
        {
            PortStatusReason.Delete or PortStatusReason.Add => ReasonCode.PortChanged,
            _ when down => ReasonCode.PortDown,
            _ when previous is not null && (previous.HwAddr != desc.HwAddr || previous.Name != desc.Name) => ReasonCode.PortChanged,
            _ => null,
        };
        if (reason is { } r)
        {
            state.Challenge = null;
            Revoke(state, r, null, now, output, $"port {desc.PortNo} ({desc.Name}) {message.Reason}, state {desc.State}, config {desc.Config}");
        }
    }

    /// <summary>The controller's own lease clock: admissions whose lease has passed are revoked (LeaseExpired).</summary>
    /// <summary>
    /// An operator's revocation (docs/operations.md). The closed reason-code set has no "revoked by the operator",
    /// so the VERDICT says LeaseExpired — to the agent it means exactly that: attest again to be admitted — and the
    /// audit entry's detail says who revoked it. False when the node is not enrolled or holds no admission.
    /// </summary>
    public bool RevokeNow(string node, string detail, DateTimeOffset now, GateOutput output)
    {
        if (!_nodes.TryGetValue(node, out var state) || (state.Admission is null && state.Install is null))
            return false;
        Revoke(state, ReasonCode.LeaseExpired, null, now, output, detail);
        return true;
    }

    public void Tick(DateTimeOffset now, GateOutput output)
    {
        _denials.Flush(now, output.Audit);
        foreach (var state in _nodes.Values)
            if (state.Admission is { } a && a.LeaseEnd <= now)
                Revoke(state, ReasonCode.LeaseExpired, null, now, output, "lease ended by the controller's clock");
    }

    // ---------------------------------------------------------------- frames

    /// <summary>An Ethernet frame received on (dpid, in_port).</summary>
    public void Frame(ulong dpid, uint inPort, ReadOnlySpan<byte> frame, DateTimeOffset now, GateOutput output)
    {
        // Only a port with an enrolled node is ever answered (docs/protocol.md §11): anything else is dropped unparsed.
        if (!_byPort.TryGetValue((dpid, inPort), out var state))
        {
            Drop(dpid, inPort, DropReason.UnenrolledPort, "no node is enrolled on this port", output);
            return;
        }
        AttestationFrameContent content;
        try
        {
            content = AttestationFrame.Parse(frame);
        }
        catch (AttestationFormatException e)
        {
            Counters.CountMalformed(e.Reason);
            output.Dropped.Add(new DroppedFrame(dpid, inPort, DropReason.Malformed, e.Message));
            return;
        }
        bool sourceIsClean = content.Source == state.E.CleanMac;
        switch (content.Message)
        {
            case Hello hello:
                OnHello(state, hello, sourceIsClean, now, output);
                return;
            case Evidence evidence when sourceIsClean:
                OnEvidence(state, evidence, now, output);
                return;
            case Depart depart when sourceIsClean:
                OnDepart(state, depart, now, output);
                return;
            case Rotated rotated when sourceIsClean:
                OnRotated(state, rotated, now, output);
                return;
            case Evidence or Depart or Rotated:
                // docs/protocol.md §2: never act on a frame whose source is not the port's enrolled clean MAC.
                Drop(dpid, inPort, DropReason.SourceMacMismatch, $"{content.Message.Type} from {content.Source}", output);
                return;
            default:
                Drop(dpid, inPort, DropReason.UnexpectedMessageType, $"{content.Message.Type} from a port", output);
                return;
        }
    }

    private void Drop(ulong dpid, uint port, DropReason reason, string detail, GateOutput output)
    {
        Counters.CountDrop(reason);
        output.Dropped.Add(new DroppedFrame(dpid, port, reason, detail));
    }

    private void OnHello(NodeState state, Hello hello, bool sourceIsClean, DateTimeOffset now, GateOutput output)
    {
        // docs/protocol.md §7.2 (*): from the node's enrolled port, NODE_NAME its name, source and CLEAN_MAC its clean MAC.
        ReasonCode? denial = null;
        string detail = "";
        if (!_nodes.TryGetValue(hello.NodeName, out var named))
            (denial, detail) = (ReasonCode.NotEnrolled, $"no node '{hello.NodeName}' is enrolled");
        else if (!ReferenceEquals(named, state))
            (denial, detail) = (ReasonCode.WrongPort, $"'{hello.NodeName}' is enrolled on 0x{named.E.DatapathId:x16} port {named.E.Port}");
        else if (!sourceIsClean || hello.CleanMac != state.E.CleanMac)
            (denial, detail) = (ReasonCode.CleanMacMismatch, "source or CLEAN_MAC is not the enrolled clean MAC");
        if (denial is { } d)
        {
            Deny(state, hello.SessionId, d, detail, now, output);
            return;
        }

        // HELLO(S) with the admitted session renews it; anything else is a fresh exchange with a new session.
        bool renewal = hello.SessionId != 0 && state.Admission?.Session == hello.SessionId;
        ulong session = renewal ? hello.SessionId : NewSessionId();
        var nonce = RandomNumberGenerator.GetBytes(Limits.NonceLength);
        // One outstanding challenge per node: this one replaces any earlier one (its nonce becomes unknown).
        state.Challenge = new ChallengeState(session, nonce, now + _options.NonceLifetime);
        Counters.CountChallenge();
        SendToNode(state, new Challenge(session, nonce, state.E.SelectionBytes), output);
    }

    private ulong NewSessionId()
    {
        // 64 random bits, never 0, and not a session id any node currently uses (docs/protocol.md §5.2).
        while (true)
        {
            ulong id = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
            if (id != 0 && !_nodes.Values.Any(n => n.Uses(id)))
                return id;
        }
    }

    private void OnEvidence(NodeState state, Evidence evidence, DateTimeOffset now, GateOutput output)
    {
        ulong session = evidence.SessionId;
        var check = CheckEvidence(state, evidence, now, output, out var detail, out var clock, out bool authenticated);
        var admission = state.Admission;
        bool admitted = admission is not null;
        bool renewal = admitted && admission!.Session == session;

        // A quote of an admitted node with another resetCount: the node rebooted (docs/protocol.md §7.2, resetCount).
        if (clock is { } c && admission is not null && c.ResetCount != admission.ResetCount)
        {
            Revoke(state, ReasonCode.RebootDetected, null, now, output,
                $"resetCount {admission.ResetCount} → {c.ResetCount}");
            if (renewal)
                return; // a renewal never re-admits a rebooted node; it needs a fresh exchange
            admitted = false;
        }

        if (check is { } reason)
        {
            // Only an authenticated failure may end an admission (docs/gate.md "What may revoke"): anything an
            // attacker on the link can make up or alter (a garbled quote, a bad signature, values that are not the
            // signed ones, a wrong PROOF) is denied and leaves the admission as it was.
            if (admitted && authenticated && reason != ReasonCode.BadSecretProof && !ReasonCodes.IsStaleExchange(reason))
            {
                if (!renewal)
                    Deny(state, session, reason, detail, now, output);
                Revoke(state, ReasonCode.ReattestationFailed, reason, now, output, detail);
            }
            else
            {
                Deny(state, session, reason, detail, now, output);
            }
            return;
        }

        var nonce = state.LastChallengeNonce!;
        var leaseEnd = now + _options.Lease;
        ulong cookie = renewal
            ? admission!.Cookie
            : GateFlows.Cookie(GateFlows.CookieKind.Admission, state.Number, ++state.Generation);
        var install = new InstallState(session, nonce, leaseEnd, clock!.Value.ResetCount, cookie, renewal, detail);
        state.Install = install;
        var flows = GateFlows.Admission(state.E.Port, state.E.CleanMac, cookie, _options.LeaseSeconds, state.Address).ToList<OfpMessage>();
        flows.AddRange(GroupUpdate(state.E.DatapathId));
        output.Batches.Add(NewBatch(state.E.DatapathId, flows, new PendingBatch.Admit(state, install)));
    }

    /// <summary>
    /// The admission conditions of docs/architecture.md in the order of docs/protocol.md §7.2; null when all pass.
    /// <paramref name="clock"/> is set once the quote is authenticated (signed by the AK, magic and type right).
    /// </summary>
    /// <paramref name="authenticated"/>: the quote is signed by the enrolled AK over the outstanding nonce and its
    /// values are the signed ones, so a failure after that point was not made up on the link.
    private static ReasonCode? CheckEvidence(NodeState state, Evidence evidence, DateTimeOffset now, GateOutput output, out string detail,
        out TpmsClockInfo? clock, out bool authenticated)
    {
        clock = null;
        authenticated = false;
        ulong session = evidence.SessionId;
        TpmsAttest? claimed = null;
        try
        {
            claimed = TpmsAttest.Parse(evidence.Attest.Span);
        }
        catch (TpmFormatException)
        {
            // Reported below: as malformed if a challenge is outstanding, otherwise the frame is stale anyway.
        }

        // Session and nonce. The nonce is consumed by the first EVIDENCE naming its session, pass or fail.
        if (state.Challenge is not { } challenge || challenge.Session != session)
        {
            detail = "no challenge outstanding for this session";
            if (!state.Uses(session))
                return ReasonCode.UnknownSession;
            return claimed is not null && state.WasConsumed(session, claimed.ExtraData) ? ReasonCode.NonceUsed : ReasonCode.NonceUnknown;
        }
        state.Challenge = null;
        state.Consume(session, challenge.Nonce);
        if (claimed is null)
        {
            detail = "ATTEST is not a TPMS_ATTEST";
            return ReasonCode.EvidenceMalformed;
        }
        if (!CryptographicOperations.FixedTimeEquals(claimed.ExtraData, challenge.Nonce))
        {
            detail = "extraData is not this session's outstanding nonce";
            return state.WasConsumed(session, claimed.ExtraData) ? ReasonCode.NonceUsed : ReasonCode.ExtraDataMismatch;
        }
        if (now > challenge.Expires)
        {
            detail = $"nonce expired at {challenge.Expires:O}";
            return ReasonCode.NonceExpired;
        }

        // Signature, magic, type, extraData, selection, digest (the verifier's order: signature first).
        var values = evidence.PcrValues.Select(v => v.ToArray()).ToList();
        var verdict = state.E.Verifier.Verify(evidence.Attest.Span, evidence.Signature.Span, challenge.Nonce, state.E.Selection, values);
        // Signed by the AK over this nonce (the nonce was compared above): its clock is fresh and genuine.
        if (verdict.FailedCheck is null or QuoteCheck.Selection or QuoteCheck.PcrValues or QuoteCheck.PcrDigest)
            clock = verdict.ClockInfo;
        authenticated = verdict.FailedCheck is null or QuoteCheck.Selection;
        detail = verdict.Reason;
        switch (verdict.FailedCheck)
        {
            case QuoteCheck.SignatureFormat or QuoteCheck.AttestFormat or QuoteCheck.PcrValues:
                return ReasonCode.EvidenceMalformed;
            // A quote whose qualifiedSigner is not the enrolled AK's qualified name was not made by the enrolled key
            // in its enrolled place: the closed reason-code set calls that a bad signature.
            case QuoteCheck.SignatureScheme or QuoteCheck.Signature or QuoteCheck.Signer:
                return ReasonCode.BadSignature;
            case QuoteCheck.Magic:
                return ReasonCode.BadMagic;
            case QuoteCheck.Type:
                return ReasonCode.NotAQuote;
            case QuoteCheck.Nonce:
                return ReasonCode.ExtraDataMismatch;
            case QuoteCheck.Selection:
                return ReasonCode.PcrSelectionMismatch;
            case QuoteCheck.PcrDigest:
                return ReasonCode.PcrDigestMismatch;
        }

        // Golden values: all selected PCRs equal to one of the node's golden sets.
        var golden = state.E.Golden.FirstOrDefault(g => g.Values.Length == values.Count
            && g.Values.Zip(values).All(p => p.First.AsSpan().SequenceEqual(p.Second)));
        if (golden.Values is null)
        {
            detail = "PCR values match none of the golden sets";
            return ReasonCode.PcrValuesNotGolden;
        }

        // safe = NO: the TPM may earlier have reported a Clock greater than now (TPM 2.0 Part 2, §10.11.1
        // TPMS_CLOCK_INFO), i.e. its clock state was lost; swtpm says 0 for about 2 s after a restart. Denied and
        // never admitted: the agent retries after T_retry and passes once the TPM reports safe (docs/gate.md).
        var info = clock!.Value;
        if (!info.Safe)
        {
            detail = "clockInfo.safe is 0";
            return ReasonCode.ClockUnsafe;
        }

        // Counters never go backwards (checked against the last authenticated quote of this node).
        var counters = (info.ResetCount, info.RestartCount);
        if (state.LastCounters is { } last && WentBackwards(counters, last))
        {
            detail = $"(resetCount, restartCount) {counters} is lower than {last}";
            return ReasonCode.CountersWentBackwards;
        }
        state.LastCounters = counters;

        var match = state.Keys.Match(k => AttestationProof.VerifyEvidence(k, evidence.Proof.Span, challenge.Nonce, session, state.E.Record.CleanMac));
        if (match == ProofMatch.None)
        {
            detail = "PROOF is not a signature by the node's proof key";
            return ReasonCode.BadSecretProof;
        }
        if (match == ProofMatch.Pending)
            CommitRotation(state, "EVIDENCE", now, output);
        state.LastChallengeNonce = challenge.Nonce;
        detail = $"golden set '{golden.Name}'";
        return null;
    }

    /// <summary>
    /// An AK outside the endorsement hierarchy sees resetCount and restartCount offset by a per-key constant
    /// modulo 2^32 (TPM 2.0 Part 1, "Obfuscation of clock info"; our agent's AK is under the owner SRK), so only
    /// differences carry meaning: compare as serial numbers (RFC 1982), resetCount first.
    /// </summary>
    public static bool WentBackwards((uint Reset, uint Restart) now, (uint Reset, uint Restart) last) =>
        now.Reset != last.Reset ? (int)(now.Reset - last.Reset) < 0 : (int)(now.Restart - last.Restart) < 0;

    private void OnDepart(NodeState state, Depart depart, DateTimeOffset now, GateOutput output)
    {
        if (state.Admission is not { } a || a.Session != depart.SessionId)
        {
            Deny(state, depart.SessionId, ReasonCode.UnknownSession, "DEPART for a session that is not admitted", now, output);
            return;
        }
        var match = state.Keys.Match(k => AttestationProof.VerifyDepart(k, depart.Proof.Span, a.LastNonce, a.Session, state.E.Record.CleanMac));
        if (match == ProofMatch.None)
        {
            Deny(state, depart.SessionId, ReasonCode.BadSecretProof, "DEPART proof is not a signature by the node's proof key", now, output);
            return;
        }
        if (match == ProofMatch.Pending)
            CommitRotation(state, "DEPART", now, output);
        Revoke(state, ReasonCode.Departed, null, now, output, "DEPART");
    }

    // ---------------------------------------------------------------- secret rotation

    /// <summary>
    /// ROTATED (docs/protocol.md §5.7): the admitted session's agent proves the pending generation's key; the old
    /// verifier is forgotten. Anything else — no admission of that session, not the pending generation (a replay of an
    /// earlier ROTATED, or one for a rotation never issued), a proof not by the pending key — is dropped, counted,
    /// and changes nothing (the controller answers no ROTATED).
    /// </summary>
    private void OnRotated(NodeState state, Rotated rotated, DateTimeOffset now, GateOutput output)
    {
        var pending = state.Keys.State.Pending;
        string? refusal = state.Admission?.Session != rotated.SessionId ? "ROTATED for a session that is not admitted"
            : pending is null ? $"ROTATED generation {rotated.Generation}: no rotation is pending (generation {state.Keys.State.Generation} in use)"
            : pending.Generation != rotated.Generation ? $"ROTATED generation {rotated.Generation} is not the pending generation {pending.Generation}"
            : !state.Keys.VerifyPending(k => AttestationProof.VerifyRotated(k, rotated.Proof.Span, rotated.SessionId, rotated.Generation, state.E.Record.CleanMac))
                ? "ROTATED proof is not a signature by the pending generation's key"
                : null;
        if (refusal is not null)
        {
            Drop(state.E.DatapathId, state.E.Port, DropReason.RotationRefused, refusal, output);
            return;
        }
        CommitRotation(state, "ROTATED", now, output);
    }

    private static void CommitRotation(NodeState state, string provenBy, DateTimeOffset now, GateOutput output)
    {
        var committed = state.Keys.Commit();
        output.ProofKeys.Add(committed);
        output.Audit.Add(new AuditEntry
        {
            Time = now, Event = "secret_rotated", Node = state.E.Node, DatapathId = state.E.DatapathId, Port = state.E.Port,
            Session = state.Admission?.Session,
            Detail = $"generation {committed.Generation} proven by {provenBy}; generation {committed.Generation - 1}'s verifier forgotten",
        });
    }

    /// <summary>
    /// After a confirmed admission of a node with an enrolled EK: a fresh admission issues the next generation (unless
    /// one is pending), and any pending rotation goes out before the VERDICT, so an agent that stops at its admission
    /// (<c>attest --once</c>) has it in hand. The pending state is written durably before the ROTATE is sent.
    /// </summary>
    private void OfferRotation(NodeState state, ulong session, bool renewal, DateTimeOffset now, GateOutput output)
    {
        if (state.E.Record.EkPublic is null)
            return;
        if (state.Keys.State.Pending is null && !renewal)
        {
            var issued = state.Keys.Issue(state.E.Record);
            output.ProofKeys.Add(issued);
            output.Audit.Add(new AuditEntry
            {
                Time = now, Event = "secret_rotation_issued", Node = state.E.Node, DatapathId = state.E.DatapathId, Port = state.E.Port,
                Session = session, Detail = $"generation {issued.Pending!.Generation} wrapped to the enrolled EK; generation {issued.Generation} still accepted",
            });
        }
        if (state.Keys.State.Pending is { } p)
            SendToNode(state, new Rotate(session, p.Generation, p.Credential, p.EncryptedSecret), output);
    }

    // ---------------------------------------------------------------- verdicts and batches

    private void Deny(NodeState state, ulong session, ReasonCode reason, string detail, DateTimeOffset now, GateOutput output)
    {
        Counters.CountVerdict(VerdictKind.Denied, reason);
        // A flood of denials is audited once per window and counted (DenialAggregator); every one is still answered.
        if (_denials.ShouldAudit(state.E.Node, reason, now, state.E.Port, state.E.DatapathId, output.Audit))
            output.Audit.Add(AuditVerdict(state, now, session, VerdictKind.Denied, reason, detail: detail));
        SendToNode(state, Attestation.Verdict.Deny(session, reason), output);
    }

    /// <summary>
    /// Ends the node's admission (and any admission being installed) at once in the controller, and asks for
    /// the deletion of its admission flows; the VERDICT Revoked and the audit entry follow the barrier
    /// (<see cref="Confirm"/>). Nothing to revoke: nothing happens.
    /// </summary>
    private void Revoke(NodeState state, ReasonCode reason, ReasonCode? cause, DateTimeOffset now, GateOutput output, string detail)
    {
        var session = state.Admission?.Session ?? state.Install?.Session;
        if (session is null)
            return;
        state.Admission = null;
        state.Install = null;
        var flows = GateFlows.DeleteAdmission(state.E.Port, state.E.CleanMac, state.Address).ToList<OfpMessage>();
        flows.AddRange(GroupUpdate(state.E.DatapathId));
        output.Batches.Add(NewBatch(state.E.DatapathId, flows, new PendingBatch.Revocation(state, session.Value, reason, cause, detail)));
    }

    /// <summary>
    /// The outcome of a batch: <paramref name="failure"/> null when the barrier reply confirmed it, else why not
    /// (the switch's ERROR, a closed session, a switch that is not connected).
    /// </summary>
    public void Confirm(long ticket, string? failure, DateTimeOffset now, GateOutput output)
    {
        if (!_pending.Remove(ticket, out var pending))
            throw new InvalidOperationException($"batch {ticket} is unknown or already confirmed");
        switch (pending)
        {
            case PendingBatch.Admit(var state, var install):
                ConfirmAdmission(state, install, failure, now, output);
                break;
            case PendingBatch.Revocation(var state, var session, var reason, var cause, var detail):
                Counters.CountVerdict(VerdictKind.Revoked, reason);
                output.Audit.Add(AuditVerdict(state, now, session, VerdictKind.Revoked, reason, cause: cause, confirmed: failure is null,
                    detail: failure is null ? detail : $"{detail}; deletion not confirmed: {failure}"));
                // A VERDICT Revoked only after the deletion is confirmed (docs/protocol.md §5.4).
                if (failure is null && IsCurrent(state))
                    SendToNode(state, Attestation.Verdict.Revoke(session, reason, cause), output);
                break;
        }
    }

    private void ConfirmAdmission(NodeState state, InstallState install, string? failure, DateTimeOffset now, GateOutput output)
    {
        if (!IsCurrent(state) || !ReferenceEquals(state.Install, install))
            return; // revoked or superseded meanwhile; whoever did that also took care of the flows
        state.Install = null;
        if (failure is not null)
        {
            Counters.CountInstallFailure();
            output.Audit.Add(new AuditEntry
            {
                Time = now, Event = "install_failed", Node = state.E.Node, DatapathId = state.E.DatapathId, Port = state.E.Port,
                Session = install.Session, Detail = failure,
            });
            // The switch's flows are now unknown: put back the existing admission with its remaining lease, or none.
            var repair = (state.Admission is { } a && RemainingSeconds(a.LeaseEnd, now) is > 0 and var remaining
                ? GateFlows.Admission(state.E.Port, state.E.CleanMac, a.Cookie, remaining, state.Address)
                : GateFlows.DeleteAdmission(state.E.Port, state.E.CleanMac, state.Address)).ToList<OfpMessage>();
            repair.AddRange(GroupUpdate(state.E.DatapathId));
            output.Batches.Add(NewBatch(state.E.DatapathId, repair, new PendingBatch.NoVerdict()));
            return;
        }
        if (install.Renewal && state.Admission?.Session != install.Session)
            return;
        state.Admission = new AdmissionState(install.Session, install.Nonce, install.LeaseEnd, install.ResetCount, install.Cookie);
        var reason = install.Renewal ? ReasonCode.Renewed : ReasonCode.Admitted;
        Counters.CountVerdict(VerdictKind.Admitted, reason);
        output.Audit.Add(AuditVerdict(state, now, install.Session, VerdictKind.Admitted, reason, lease: _options.LeaseSeconds,
            detail: $"{install.Checks}, lease until {install.LeaseEnd:O}"));
        OfferRotation(state, install.Session, install.Renewal, now, output);
        SendToNode(state, Attestation.Verdict.Admit(install.Session, _options.LeaseSeconds, install.Renewal), output);
    }

    private bool IsCurrent(NodeState state) => _nodes.TryGetValue(state.E.Node, out var s) && ReferenceEquals(s, state)
        || state.Forgotten; // a removed node still gets its final VERDICT on its old port

    private GateBatch NewBatch(ulong dpid, IReadOnlyList<OfpMessage> messages, PendingBatch pending)
    {
        long ticket = ++_nextTicket;
        _pending[ticket] = pending;
        return new GateBatch(ticket, dpid, messages);
    }

    private void SendToNode(NodeState state, AttestationMessage message, GateOutput output)
    {
        var frame = AttestationFrame.Build(state.E.Record.CleanMac, _controllerMac, message);
        output.Messages.Add((state.E.DatapathId, GateFlows.FrameOut(state.E.Port, frame)));
    }

    private static AuditEntry AuditVerdict(NodeState state, DateTimeOffset now, ulong session, VerdictKind kind, ReasonCode reason,
        ReasonCode? cause = null, ushort? lease = null, bool? confirmed = null, string? detail = null) => new()
    {
        Time = now, Event = "verdict", Node = state.E.Node, DatapathId = state.E.DatapathId, Port = state.E.Port,
        Session = session, Verdict = kind, Reason = reason, Cause = cause, LeaseSeconds = lease, Confirmed = confirmed, Detail = detail,
    };

    // ---------------------------------------------------------------- status

    public GateStatus Status(DateTimeOffset now) => new(now,
        _nodes.Values.OrderBy(n => n.E.Node, StringComparer.Ordinal).Select(n => new NodeStatus(
            n.E.Node, n.E.DatapathId, n.E.Port,
            n.Admission is not null ? NodeGateState.Admitted
                : n.Install is not null ? NodeGateState.Installing
                : n.Challenge is not null ? NodeGateState.Challenged
                : NodeGateState.Idle,
            n.Admission?.Session, n.Admission?.LeaseEnd, n.Install?.Session ?? n.Challenge?.Session,
            n.LastCounters?.Reset)).ToList(),
        RejectedEnrolments);

    /// <summary>Number of batches handed out and not yet confirmed (tests check that none leak).</summary>
    public int PendingBatches => _pending.Count;

    public void Dispose()
    {
        foreach (var n in _nodes.Values)
            n.Dispose();
        _nodes.Clear();
        _byPort.Clear();
    }

    // ---------------------------------------------------------------- state

    /// <summary>A node's gate state; it owns the enrolment's keys and its proof verifiers (disposed when the node is forgotten).</summary>
    private sealed class NodeState(NodeEnrolment enrolment, uint number, IPAddress? address, ProofKeys keys) : IDisposable
    {
        private readonly Queue<(ulong Session, byte[] Nonce)> _consumed = new();

        public void Dispose()
        {
            E.Dispose();
            Keys.Dispose();
        }

        public NodeEnrolment E { get; } = enrolment;

        /// <summary>The proof verifiers: the generation in use and a pending rotation's.</summary>
        public ProofKeys Keys { get; } = keys;
        public uint Number { get; } = number;

        /// <summary>The node's IPv4 address from the port roles, if configured: its ARP is protected like a production host's.</summary>
        public IPAddress? Address { get; } = address;
        public ushort Generation { get; set; }
        public ChallengeState? Challenge { get; set; }
        public InstallState? Install { get; set; }
        public AdmissionState? Admission { get; set; }
        public (uint Reset, uint Restart)? LastCounters { get; set; }
        public byte[]? LastChallengeNonce { get; set; }
        public bool Forgotten { get; set; }

        public bool Uses(ulong session) =>
            Challenge?.Session == session || Install?.Session == session || Admission?.Session == session
            || _consumed.Any(c => c.Session == session);

        public void Consume(ulong session, byte[] nonce)
        {
            if (_consumed.Count == ConsumedNonceMemory)
                _consumed.Dequeue();
            _consumed.Enqueue((session, nonce));
        }

        public bool WasConsumed(ulong session, byte[] nonce) =>
            _consumed.Any(c => c.Session == session && CryptographicOperations.FixedTimeEquals(c.Nonce, nonce));
    }

    private sealed record ChallengeState(ulong Session, byte[] Nonce, DateTimeOffset Expires);

    private sealed record InstallState(ulong Session, byte[] Nonce, DateTimeOffset LeaseEnd, uint ResetCount, ulong Cookie, bool Renewal, string Checks);

    private sealed record AdmissionState(ulong Session, byte[] LastNonce, DateTimeOffset LeaseEnd, uint ResetCount, ulong Cookie);

    private abstract record PendingBatch
    {
        public sealed record Admit(NodeState State, InstallState Install) : PendingBatch;
        public sealed record Revocation(NodeState State, ulong Session, ReasonCode Reason, ReasonCode? Cause, string Detail) : PendingBatch;
        public sealed record NoVerdict : PendingBatch;
    }
}

/// <summary>Node names whose enrolment was added, changed or removed by a <see cref="GatePolicy.SetEnrolments"/>.</summary>
public sealed record EnrolmentChanges(IReadOnlyList<string> Added, IReadOnlyList<string> Changed, IReadOnlyList<string> Removed)
{
    public bool IsEmpty => Added.Count == 0 && Changed.Count == 0 && Removed.Count == 0;
}
