using SwitchGate.Tpm.Marshalling;

namespace SwitchGate.Tpm.Structures;

/// <summary>TPMS_CLOCK_INFO (Part 2, §10.11.1).</summary>
public readonly record struct TpmsClockInfo(ulong Clock, uint ResetCount, uint RestartCount, bool Safe)
{
    public static TpmsClockInfo Read(ref TpmReader r)
    {
        var clock = r.ReadUInt64("TPMS_CLOCK_INFO.clock");
        var reset = r.ReadUInt32("TPMS_CLOCK_INFO.resetCount");
        var restart = r.ReadUInt32("TPMS_CLOCK_INFO.restartCount");
        var safe = r.ReadByte("TPMS_CLOCK_INFO.safe");
        if (safe > 1) throw new TpmFormatException($"TPMS_CLOCK_INFO.safe is {safe}, not a TPMI_YES_NO");
        return new TpmsClockInfo(clock, reset, restart, safe == 1);
    }

    public void Write(TpmWriter w) =>
        w.WriteUInt64(Clock).WriteUInt32(ResetCount).WriteUInt32(RestartCount).WriteByte(Safe ? (byte)1 : (byte)0);
}

/// <summary>TPMU_ATTEST (Part 2, §10.12.11): the type-specific part of a TPMS_ATTEST.</summary>
public abstract record TpmuAttest
{
    internal abstract void Write(TpmWriter w);
}

/// <summary>TPMS_QUOTE_INFO (Part 2, §10.12.4).</summary>
public sealed record TpmsQuoteInfo(TpmlPcrSelection PcrSelect, byte[] PcrDigest) : TpmuAttest
{
    internal override void Write(TpmWriter w) { PcrSelect.Write(w); w.Write2B(PcrDigest); }
}

/// <summary>TPMS_CERTIFY_INFO (Part 2, §10.12.3).</summary>
public sealed record TpmsCertifyInfo(byte[] Name, byte[] QualifiedName) : TpmuAttest
{
    internal override void Write(TpmWriter w) => w.Write2B(Name).Write2B(QualifiedName);
}

/// <summary>TPMS_CREATION_INFO (Part 2, §10.12.7).</summary>
public sealed record TpmsCreationInfo(byte[] ObjectName, byte[] CreationHash) : TpmuAttest
{
    internal override void Write(TpmWriter w) => w.Write2B(ObjectName).Write2B(CreationHash);
}

/// <summary>TPMS_TIME_ATTEST_INFO (Part 2, §10.12.2) with its TPMS_TIME_INFO.</summary>
public sealed record TpmsTimeAttestInfo(ulong Time, TpmsClockInfo ClockInfo, ulong FirmwareVersion) : TpmuAttest
{
    internal override void Write(TpmWriter w) { w.WriteUInt64(Time); ClockInfo.Write(w); w.WriteUInt64(FirmwareVersion); }
}

/// <summary>TPMS_COMMAND_AUDIT_INFO (Part 2, §10.12.5).</summary>
public sealed record TpmsCommandAuditInfo(ulong AuditCounter, TpmAlgId DigestAlg, byte[] AuditDigest, byte[] CommandDigest) : TpmuAttest
{
    internal override void Write(TpmWriter w) =>
        w.WriteUInt64(AuditCounter).WriteUInt16((ushort)DigestAlg).Write2B(AuditDigest).Write2B(CommandDigest);
}

/// <summary>TPMS_SESSION_AUDIT_INFO (Part 2, §10.12.6).</summary>
public sealed record TpmsSessionAuditInfo(bool ExclusiveSession, byte[] SessionDigest) : TpmuAttest
{
    internal override void Write(TpmWriter w) => w.WriteByte(ExclusiveSession ? (byte)1 : (byte)0).Write2B(SessionDigest);
}

/// <summary>TPMS_NV_CERTIFY_INFO (Part 2, §10.12.8).</summary>
public sealed record TpmsNvCertifyInfo(byte[] IndexName, ushort Offset, byte[] NvContents) : TpmuAttest
{
    internal override void Write(TpmWriter w) => w.Write2B(IndexName).WriteUInt16(Offset).Write2B(NvContents);
}

/// <summary>TPMS_NV_DIGEST_CERTIFY_INFO (Part 2, §10.12.9).</summary>
public sealed record TpmsNvDigestCertifyInfo(byte[] IndexName, byte[] NvDigest) : TpmuAttest
{
    internal override void Write(TpmWriter w) => w.Write2B(IndexName).Write2B(NvDigest);
}

/// <summary>
/// TPMS_ATTEST (Part 2, §10.12.12): the structure the TPM signs for Quote, Certify and the other attestation
/// commands. Parsing checks structure only; <see cref="Verification.QuoteVerifier"/> checks meaning.
/// </summary>
public sealed record TpmsAttest
{
    public uint Magic { get; init; }
    public TpmSt Type { get; init; }
    public byte[] QualifiedSigner { get; init; } = [];
    public byte[] ExtraData { get; init; } = [];
    public TpmsClockInfo ClockInfo { get; init; }
    public ulong FirmwareVersion { get; init; }
    public required TpmuAttest Attested { get; init; }

    /// <summary>Parses a whole TPMS_ATTEST (the contents of TPM2B_ATTEST, i.e. tpm2_quote's <c>-m</c> file); trailing bytes are an error.</summary>
    public static TpmsAttest Parse(ReadOnlySpan<byte> bytes)
    {
        var r = new TpmReader(bytes);
        var magic = r.ReadUInt32("TPMS_ATTEST.magic");
        var type = (TpmSt)r.ReadUInt16("TPMS_ATTEST.type");
        var signer = r.Read2B("TPMS_ATTEST.qualifiedSigner", 2 + 64);
        var extra = r.Read2B("TPMS_ATTEST.extraData", 64);
        var clock = TpmsClockInfo.Read(ref r);
        var fw = r.ReadUInt64("TPMS_ATTEST.firmwareVersion");
        TpmuAttest attested = type switch
        {
            TpmSt.AttestQuote => new TpmsQuoteInfo(TpmlPcrSelection.Read(ref r), r.Read2B("TPMS_QUOTE_INFO.pcrDigest", 64)),
            TpmSt.AttestCertify => new TpmsCertifyInfo(r.Read2B("TPMS_CERTIFY_INFO.name", 66), r.Read2B("TPMS_CERTIFY_INFO.qualifiedName", 66)),
            TpmSt.AttestCreation => new TpmsCreationInfo(r.Read2B("TPMS_CREATION_INFO.objectName", 66), r.Read2B("TPMS_CREATION_INFO.creationHash", 64)),
            TpmSt.AttestTime => new TpmsTimeAttestInfo(r.ReadUInt64("TPMS_TIME_INFO.time"), TpmsClockInfo.Read(ref r), r.ReadUInt64("TPMS_TIME_ATTEST_INFO.firmwareVersion")),
            TpmSt.AttestCommandAudit => new TpmsCommandAuditInfo(r.ReadUInt64("TPMS_COMMAND_AUDIT_INFO.auditCounter"),
                (TpmAlgId)r.ReadUInt16("TPMS_COMMAND_AUDIT_INFO.digestAlg"), r.Read2B("TPMS_COMMAND_AUDIT_INFO.auditDigest", 64),
                r.Read2B("TPMS_COMMAND_AUDIT_INFO.commandDigest", 64)),
            TpmSt.AttestSessionAudit => new TpmsSessionAuditInfo(ReadYesNo(ref r), r.Read2B("TPMS_SESSION_AUDIT_INFO.sessionDigest", 64)),
            TpmSt.AttestNv => new TpmsNvCertifyInfo(r.Read2B("TPMS_NV_CERTIFY_INFO.indexName", 66), r.ReadUInt16("TPMS_NV_CERTIFY_INFO.offset"),
                r.Read2B("TPMS_NV_CERTIFY_INFO.nvContents", 2048)),
            TpmSt.AttestNvDigest => new TpmsNvDigestCertifyInfo(r.Read2B("TPMS_NV_DIGEST_CERTIFY_INFO.indexName", 66),
                r.Read2B("TPMS_NV_DIGEST_CERTIFY_INFO.nvDigest", 64)),
            _ => throw new TpmFormatException($"TPMS_ATTEST.type 0x{(ushort)type:X4} is not an attestation type"),
        };
        r.EnsureEnd("TPMS_ATTEST");
        return new TpmsAttest
        {
            Magic = magic, Type = type, QualifiedSigner = signer, ExtraData = extra,
            ClockInfo = clock, FirmwareVersion = fw, Attested = attested,
        };
    }

    private static bool ReadYesNo(ref TpmReader r)
    {
        var b = r.ReadByte("TPMI_YES_NO");
        if (b > 1) throw new TpmFormatException($"TPMI_YES_NO is {b}");
        return b == 1;
    }

    public byte[] ToBytes()
    {
        var w = new TpmWriter();
        w.WriteUInt32(Magic).WriteUInt16((ushort)Type).Write2B(QualifiedSigner).Write2B(ExtraData);
        ClockInfo.Write(w);
        w.WriteUInt64(FirmwareVersion);
        Attested.Write(w);
        return w.ToArray();
    }
}
