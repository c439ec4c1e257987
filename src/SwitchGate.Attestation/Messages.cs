using SwitchGate.Ethernet;


namespace SwitchGate.Attestation;

/// <summary>
/// One protocol message (docs/protocol.md §5). Instances are immutable and always valid:
/// constructors reject values the wire format cannot carry, so every instance encodes
/// (unless the whole message exceeds the MTU, which only <see cref="AttestationCodec.Encode"/> can tell).
/// </summary>
public abstract record AttestationMessage
{
    private protected AttestationMessage(ulong sessionId) => SessionId = sessionId;

    /// <summary>The session id from the header; 0 means "no session" (a HELLO for a new admission, a VERDICT denying such a HELLO).</summary>
    public ulong SessionId { get; }

    public abstract MessageType Type { get; }
}

/// <summary>
/// Agent → controller. Session 0 asks for a new admission; the id of the node's admitted
/// session asks to renew it (docs/protocol.md §7).
/// </summary>
public sealed record Hello : AttestationMessage
{
    public Hello(ulong sessionId, string nodeName, MacAddress cleanMac)
        : base(sessionId)
    {
        NodeName = Validate.NodeName(nodeName);
        CleanMac = Validate.CleanMac(cleanMac);
    }

    public override MessageType Type => MessageType.Hello;

    public string NodeName { get; }

    public MacAddress CleanMac { get; }
}

/// <summary>Controller → agent: the session and a fresh single-use nonce to quote over the given PCR selection.</summary>
public sealed record Challenge : AttestationMessage
{
    public Challenge(ulong sessionId, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> pcrSelection)
        : base(Validate.SessionRequired(sessionId))
    {
        Nonce = Validate.Exact(nonce, Limits.NonceLength, nameof(nonce));
        PcrSelection = Validate.Range(pcrSelection, TlvType.PcrSelection, nameof(pcrSelection));
    }

    public override MessageType Type => MessageType.Challenge;

    /// <summary>32 octets; becomes TPM2_Quote's qualifyingData.</summary>
    public ReadOnlyMemory<byte> Nonce { get; }

    /// <summary>The enrolled TPML_PCR_SELECTION, marshalled as the TPM does (opaque to this library).</summary>
    public ReadOnlyMemory<byte> PcrSelection { get; }

    public bool Equals(Challenge? other) =>
        other is not null && SessionId == other.SessionId
        && Nonce.Span.SequenceEqual(other.Nonce.Span)
        && PcrSelection.Span.SequenceEqual(other.PcrSelection.Span);

    public override int GetHashCode() => HashCode.Combine(SessionId, Validate.Hash(Nonce.Span));
}

/// <summary>Agent → controller: the quote, its signature, the PCR values it covers, and the secret proof.</summary>
public sealed record Evidence : AttestationMessage
{
    public Evidence(
        ulong sessionId,
        ReadOnlySpan<byte> attest,
        ReadOnlySpan<byte> signature,
        IEnumerable<ReadOnlyMemory<byte>> pcrValues,
        ReadOnlySpan<byte> proof)
        : base(Validate.SessionRequired(sessionId))
    {
        Attest = Validate.Range(attest, TlvType.Attest, nameof(attest));
        Signature = Validate.Range(signature, TlvType.Signature, nameof(signature));
        PcrValues = Validate.PcrValues(pcrValues);
        Proof = Validate.Exact(proof, Limits.ProofLength, nameof(proof));
    }

    public override MessageType Type => MessageType.Evidence;

    /// <summary>The TPMS_ATTEST octets (the contents of TPM2B_ATTEST without its size field).</summary>
    public ReadOnlyMemory<byte> Attest { get; }

    /// <summary>The TPMT_SIGNATURE octets over <see cref="Attest"/>.</summary>
    public ReadOnlyMemory<byte> Signature { get; }

    /// <summary>The PCR values in the order they are hashed into the quote's pcrDigest.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> PcrValues { get; }

    /// <summary>ECDSA P-256 proof by the key derived from the sealed secret (<see cref="AttestationProof.SignEvidence"/>).</summary>
    public ReadOnlyMemory<byte> Proof { get; }

    public bool Equals(Evidence? other) =>
        other is not null && SessionId == other.SessionId
        && Attest.Span.SequenceEqual(other.Attest.Span)
        && Signature.Span.SequenceEqual(other.Signature.Span)
        && PcrValues.Count == other.PcrValues.Count
        && PcrValues.Zip(other.PcrValues).All(p => p.First.Span.SequenceEqual(p.Second.Span))
        && Proof.Span.SequenceEqual(other.Proof.Span);

    public override int GetHashCode() => HashCode.Combine(SessionId, Validate.Hash(Proof.Span));
}

/// <summary>
/// Controller → agent: the outcome of an EVIDENCE (admitted or denied), the confirmation of a DEPART
/// (revoked), or an unsolicited revocation. Use the factory methods; they enforce which
/// reason codes and optional fields go with which outcome (docs/protocol.md §5.4).
/// </summary>
public sealed record Verdict : AttestationMessage
{
    public Verdict(ulong sessionId, VerdictKind kind, ReasonCode reason, ushort? leaseSeconds = null, ReasonCode? cause = null)
        : base(sessionId)
    {
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a verdict");
        }

        if (!ReasonCodes.IsDefined(reason) || ReasonCodes.KindOf(reason) != kind)
        {
            throw new ArgumentException($"reason {reason} does not go with verdict {kind}", nameof(reason));
        }

        if (sessionId == 0 && kind != VerdictKind.Denied)
        {
            throw new ArgumentException("only a denial may carry session 0", nameof(sessionId));
        }

        if ((kind == VerdictKind.Admitted) != leaseSeconds.HasValue || leaseSeconds == 0)
        {
            throw new ArgumentException("a lease of 1..65535 s goes with an admission and only with one", nameof(leaseSeconds));
        }

        if (cause.HasValue
            && (reason != ReasonCode.ReattestationFailed
                || !ReasonCodes.IsDefined(cause.Value)
                || ReasonCodes.KindOf(cause.Value) != VerdictKind.Denied))
        {
            throw new ArgumentException("a cause is a denial code and goes only with ReattestationFailed", nameof(cause));
        }

        Kind = kind;
        Reason = reason;
        LeaseSeconds = leaseSeconds;
        Cause = cause;
    }

    public override MessageType Type => MessageType.Verdict;

    public VerdictKind Kind { get; }

    public ReasonCode Reason { get; }

    /// <summary>Present exactly when <see cref="Kind"/> is <see cref="VerdictKind.Admitted"/>.</summary>
    public ushort? LeaseSeconds { get; }

    /// <summary>The failed check behind a <see cref="ReasonCode.ReattestationFailed"/> revocation, if the controller tells it.</summary>
    public ReasonCode? Cause { get; }

    public static Verdict Admit(ulong sessionId, ushort leaseSeconds, bool renewal = false) =>
        new(sessionId, VerdictKind.Admitted, renewal ? ReasonCode.Renewed : ReasonCode.Admitted, leaseSeconds);

    public static Verdict Deny(ulong sessionId, ReasonCode reason) => new(sessionId, VerdictKind.Denied, reason);

    public static Verdict Revoke(ulong sessionId, ReasonCode reason, ReasonCode? cause = null) =>
        new(sessionId, VerdictKind.Revoked, reason, cause: cause);
}

/// <summary>Agent → controller: leave the admitted session, proven with the sealed secret (docs/protocol.md §5.5).</summary>
public sealed record Depart : AttestationMessage
{
    public Depart(ulong sessionId, ReadOnlySpan<byte> proof)
        : base(Validate.SessionRequired(sessionId))
    {
        Proof = Validate.Exact(proof, Limits.ProofLength, nameof(proof));
    }

    public override MessageType Type => MessageType.Depart;

    /// <summary>ECDSA P-256 proof (<see cref="AttestationProof.SignDepart"/>).</summary>
    public ReadOnlyMemory<byte> Proof { get; }

    public bool Equals(Depart? other) =>
        other is not null && SessionId == other.SessionId && Proof.Span.SequenceEqual(other.Proof.Span);

    public override int GetHashCode() => HashCode.Combine(SessionId, Validate.Hash(Proof.Span));
}

/// <summary>
/// Controller → agent, after an admission: the next secret of generation <see cref="Generation"/>, wrapped for the
/// node's TPM by TPM2_MakeCredential (encrypted to its enrolled EK, bound to its AK's Name), so only that TPM with
/// that AK loaded can recover it (docs/protocol.md §5.6).
/// </summary>
public sealed record Rotate : AttestationMessage
{
    public Rotate(ulong sessionId, uint generation, ReadOnlySpan<byte> credential, ReadOnlySpan<byte> encryptedSecret)
        : base(Validate.SessionRequired(sessionId))
    {
        Generation = Validate.Generation(generation);
        Credential = Validate.Range(credential, TlvType.Credential, nameof(credential));
        EncryptedSecret = Validate.Range(encryptedSecret, TlvType.EncryptedSecret, nameof(encryptedSecret));
    }

    public override MessageType Type => MessageType.Rotate;

    /// <summary>1, 2, …: the enrolled secret is generation 0; each rotation is one higher than the last one proven.</summary>
    public uint Generation { get; }

    /// <summary>TPM2B_ID_OBJECT contents (the credential blob of TPM2_MakeCredential).</summary>
    public ReadOnlyMemory<byte> Credential { get; }

    /// <summary>TPM2B_ENCRYPTED_SECRET contents (the seed encrypted to the EK).</summary>
    public ReadOnlyMemory<byte> EncryptedSecret { get; }

    public bool Equals(Rotate? other) =>
        other is not null && SessionId == other.SessionId && Generation == other.Generation
        && Credential.Span.SequenceEqual(other.Credential.Span)
        && EncryptedSecret.Span.SequenceEqual(other.EncryptedSecret.Span);

    public override int GetHashCode() => HashCode.Combine(SessionId, Generation, Validate.Hash(Credential.Span));
}

/// <summary>Agent → controller: the secret of <see cref="Generation"/> is sealed, and this PROOF is made with it (docs/protocol.md §5.7).</summary>
public sealed record Rotated : AttestationMessage
{
    public Rotated(ulong sessionId, uint generation, ReadOnlySpan<byte> proof)
        : base(Validate.SessionRequired(sessionId))
    {
        Generation = Validate.Generation(generation);
        Proof = Validate.Exact(proof, Limits.ProofLength, nameof(proof));
    }

    public override MessageType Type => MessageType.Rotated;

    public uint Generation { get; }

    /// <summary>ECDSA P-256 proof by the new generation's key (<see cref="AttestationProof.SignRotated"/>).</summary>
    public ReadOnlyMemory<byte> Proof { get; }

    public bool Equals(Rotated? other) =>
        other is not null && SessionId == other.SessionId && Generation == other.Generation && Proof.Span.SequenceEqual(other.Proof.Span);

    public override int GetHashCode() => HashCode.Combine(SessionId, Generation, Validate.Hash(Proof.Span));
}
