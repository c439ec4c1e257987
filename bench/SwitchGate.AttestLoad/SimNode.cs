using System.Diagnostics;
using System.Security.Cryptography;
using SwitchGate.Attestation;
using SwitchGate.Attestation.Enrolment;
using SwitchGate.Ethernet;
using SwitchGate.TestSupport.Tpm;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.AttestLoad;

/// <summary>What a simulated node puts into one exchange's EVIDENCE.</summary>
internal enum EvidenceKind
{
    /// <summary>A correct quote over the challenge's nonce, golden PCRs, the right proof: must be admitted/renewed.</summary>
    Valid,

    /// <summary>A correctly signed quote over another nonce (a replay/forgery attempt): must not be admitted.</summary>
    WrongNonce,

    /// <summary>A correctly signed quote after the dirty mark in PCR 14 (a node outside clean mode): must not be admitted.</summary>
    DirtyPcr,
}

/// <summary>The result of one exchange as the generator judges it.</summary>
/// <summary>TpmMilliseconds: time of the real TPM's unseal + quote + PCR_Read (0 with the software quoter).</summary>
internal readonly record struct ExchangeResult(EvidenceKind Kind, Verdict Verdict, long HelloTicks, long VerdictTicks, bool Renewal, double TpmMilliseconds);

/// <summary>
/// One simulated boot server: its enrolment (software AK, golden PCRs, secret) and the agent side of
/// docs/protocol.md §7.1 for one exchange at a time: HELLO (session 0 or the admitted session for a renewal)
/// → CHALLENGE → EVIDENCE → VERDICT. Called from the scheduler (HELLO) and from its switch's reader
/// (CHALLENGE, VERDICT), hence the lock.
/// </summary>
internal sealed class SimNode
{
    /// <summary>The clean-configuration selection of issue 4 (PCRs 0, 4, 8, 9, 14 of the SHA-256 bank).</summary>
    public const string Selection = "sha256:0,4,8,9,14";

    private const int DirtyPcr = 14;

    private readonly object _lock = new();
    private readonly SoftwareQuoter _quoter;
    private readonly byte[] _secret;
    private readonly SwtpmEvidence? _tpm;
    private double _tpmMs;
    private ulong _admittedSession;
    private long _helloTicks;
    private EvidenceKind _kind;
    private bool _outstanding;
    private bool _renewal;

    /// <summary>With <paramref name="tpm"/>, valid evidence comes from that real TPM (enrolled with its AK, PCRs and sealed secret).</summary>
    public SimNode(int index, int switchIndex, uint port, ulong datapathId, SwtpmEvidence? tpm = null)
    {
        _tpm = tpm;
        _secret = tpm?.Secret ?? RandomNumberGenerator.GetBytes(EnrolmentRecord.SecretLength);
        Index = index;
        Name = $"sim{index:D4}";
        SwitchIndex = switchIndex;
        Port = port;
        DatapathId = datapathId;
        CleanMac = MacAddress.FromBytes([0x02, 0xC0, (byte)switchIndex, 0x00, (byte)(port >> 8), (byte)port]);
        DirtyMac = MacAddress.FromBytes([0x02, 0xD0, (byte)switchIndex, 0x00, (byte)(port >> 8), (byte)port]);
        _quoter = new SoftwareQuoter(TpmlPcrSelection.Parse(Selection));
        // The emulated measured launch: per-node firmware/loader/cmdline/agent digests; PCR 14 stays zero in clean mode.
        foreach (var pcr in new[] { 0, 4, 8, 9 })
            _quoter.Extend(pcr, System.Text.Encoding.ASCII.GetBytes($"{Name} pcr {pcr}"));
    }

    public int Index { get; }
    public string Name { get; }
    public int SwitchIndex { get; }
    public uint Port { get; }
    public ulong DatapathId { get; }
    public MacAddress CleanMac { get; }
    public MacAddress DirtyMac { get; }

    public EnrolmentRecord Enrolment() => new EnrolmentRecord
    {
        Node = Name,
        DatapathId = DatapathId,
        Port = Port,
        CleanMac = CleanMac,
        DirtyMac = DirtyMac,
        AkPublic = _tpm?.AkPublic ?? _quoter.AkPublic,
        PcrSelection = EnrolmentRecord.ParseSelection(Selection),
        GoldenSets = [new GoldenSet("clean", _tpm is { } tpm
            ? tpm.Selection.InOrder().Select((p, i) => (p.Pcr, Value: tpm.Golden[i])).ToDictionary(x => x.Pcr, x => x.Value)
            : _quoter.Selection.InOrder().ToDictionary(p => p.Pcr, p => _quoter.Pcr(p.Pcr)))],
        ProofKey = AttestationProof.PublicKeyOf(_secret),
    }.Validated();

    /// <summary>Starts an exchange: the HELLO frame, or null if the previous exchange is still outstanding.</summary>
    public byte[]? StartExchange(EvidenceKind kind)
    {
        lock (_lock)
        {
            if (_outstanding)
                return null;
            _outstanding = true;
            _kind = kind;
            _renewal = _admittedSession != 0;
            _helloTicks = Stopwatch.GetTimestamp();
            return AttestationFrame.Build(AttestationFrame.ControllerDestination, CleanMac, new Hello(_admittedSession, Name, CleanMac));
        }
    }

    /// <summary>Gives up an exchange that got no VERDICT in time; true if one was outstanding and older than <paramref name="timeout"/>.</summary>
    public bool Expire(TimeSpan timeout)
    {
        lock (_lock)
        {
            if (!_outstanding || Stopwatch.GetElapsedTime(_helloTicks) < timeout)
                return false;
            _outstanding = false;
            return true;
        }
    }

    public bool Outstanding
    {
        get
        {
            lock (_lock)
                return _outstanding;
        }
    }

    /// <summary>The EVIDENCE frame answering <paramref name="challenge"/> (null if no exchange is waiting for one).</summary>
    public byte[]? Answer(Challenge challenge)
    {
        lock (_lock)
        {
            if (!_outstanding)
                return null;
            if (_tpm is not null && _kind == EvidenceKind.Valid)
            {
                var (tpmEvidence, ms) = _tpm.UnsealAndQuote(challenge.Nonce.ToArray());
                _tpmMs = ms;
                // As the agent does: the proof key is derived from the secret just unsealed, at every exchange.
                using var tpmKey = AttestationProof.DeriveKey(tpmEvidence.Secret);
                var tpmProof = AttestationProof.SignEvidence(tpmKey, challenge.Nonce.Span, challenge.SessionId, CleanMac);
                var fromTpm = new Evidence(challenge.SessionId, tpmEvidence.Quote.Attest, tpmEvidence.Quote.Signature.ToBytes(),
                    tpmEvidence.PcrValues.Select(v => (ReadOnlyMemory<byte>)v), tpmProof);
                return AttestationFrame.Build(AttestationFrame.ControllerDestination, CleanMac, fromTpm);
            }
            var nonce = _kind == EvidenceKind.WrongNonce ? RandomNumberGenerator.GetBytes(Limits.NonceLength) : challenge.Nonce.ToArray();
            byte[] attest, signature;
            IReadOnlyList<byte[]> values;
            if (_kind == EvidenceKind.DirtyPcr)
            {
                var clean = _quoter.Pcr(DirtyPcr);
                _quoter.Extend(DirtyPcr, "leaving clean mode"u8);
                (attest, signature) = _quoter.Quote(nonce);
                values = _quoter.PcrValues();
                _quoter.SetPcr(DirtyPcr, clean);
            }
            else
            {
                (attest, signature) = _quoter.Quote(nonce);
                values = _quoter.PcrValues();
            }
            // The proof uses the challenge's own nonce: the secret is right, only the quote is wrong.
            using var key = AttestationProof.DeriveKey(_secret);
            var proof = AttestationProof.SignEvidence(key, challenge.Nonce.Span, challenge.SessionId, CleanMac);
            var evidence = new Evidence(challenge.SessionId, attest, signature, values.Select(v => (ReadOnlyMemory<byte>)v), proof);
            return AttestationFrame.Build(AttestationFrame.ControllerDestination, CleanMac, evidence);
        }
    }

    /// <summary>Ends the exchange with <paramref name="verdict"/>; null if it was not expected (no exchange outstanding).</summary>
    public ExchangeResult? Conclude(Verdict verdict)
    {
        long now = Stopwatch.GetTimestamp();
        lock (_lock)
        {
            // docs/protocol.md §7.1: an admission names the session; a revocation of it ends it; a denial changes nothing.
            if (verdict.Kind == VerdictKind.Admitted)
                _admittedSession = verdict.SessionId;
            else if (verdict.Kind == VerdictKind.Revoked && verdict.SessionId == _admittedSession)
                _admittedSession = 0;
            if (!_outstanding)
                return null;
            _outstanding = false;
            var tpmMs = _tpmMs;
            _tpmMs = 0;
            return new ExchangeResult(_kind, verdict, _helloTicks, now, _renewal, tpmMs);
        }
    }
}
