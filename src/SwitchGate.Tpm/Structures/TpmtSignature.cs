using SwitchGate.Tpm.Marshalling;

namespace SwitchGate.Tpm.Structures;

/// <summary>
/// TPMT_SIGNATURE (Part 2, §11.3.4) with TPMU_SIGNATURE selected by <see cref="SigAlg"/>:
/// RSASSA/RSAPSS → hash + TPM2B_PUBLIC_KEY_RSA in <see cref="Rsa"/>; ECDSA/ECDAA/SM2/ECSCHNORR → hash + r, s;
/// HMAC → TPMT_HA in <see cref="Rsa"/> (the digest); NULL → nothing. This is the file format tpm2_quote writes
/// with <c>-s</c> by default.
/// </summary>
public sealed record TpmtSignature
{
    public TpmAlgId SigAlg { get; init; }
    public TpmAlgId Hash { get; init; } = TpmAlgId.Null;
    public byte[] Rsa { get; init; } = [];
    public byte[] R { get; init; } = [];
    public byte[] S { get; init; } = [];

    public static TpmtSignature Read(ref TpmReader r)
    {
        var alg = (TpmAlgId)r.ReadUInt16("TPMT_SIGNATURE.sigAlg");
        switch (alg)
        {
            case TpmAlgId.Null:
                return new TpmtSignature { SigAlg = alg };
            case TpmAlgId.RsaSsa or TpmAlgId.RsaPss:
                return new TpmtSignature
                {
                    SigAlg = alg,
                    Hash = (TpmAlgId)r.ReadUInt16("TPMS_SIGNATURE_RSA.hash"),
                    Rsa = r.Read2B("TPMS_SIGNATURE_RSA.sig", 512),
                };
            case TpmAlgId.EcDsa or TpmAlgId.EcDaa or TpmAlgId.Sm2 or TpmAlgId.EcSchnorr:
                return new TpmtSignature
                {
                    SigAlg = alg,
                    Hash = (TpmAlgId)r.ReadUInt16("TPMS_SIGNATURE_ECC.hash"),
                    R = r.Read2B("TPMS_SIGNATURE_ECC.signatureR", 128),
                    S = r.Read2B("TPMS_SIGNATURE_ECC.signatureS", 128),
                };
            case TpmAlgId.Hmac:
                var hash = (TpmAlgId)r.ReadUInt16("TPMT_HA.hashAlg");
                if (!TpmHash.IsSupported(hash)) throw new TpmFormatException($"TPMT_HA.hashAlg 0x{(ushort)hash:X4} is not a supported hash");
                return new TpmtSignature { SigAlg = alg, Hash = hash, Rsa = r.ReadBytes(TpmHash.DigestSize(hash), "TPMT_HA.digest") };
            default:
                throw new TpmFormatException($"TPMT_SIGNATURE.sigAlg 0x{(ushort)alg:X4} is not a known signature scheme");
        }
    }

    public void Write(TpmWriter w)
    {
        w.WriteUInt16((ushort)SigAlg);
        switch (SigAlg)
        {
            case TpmAlgId.Null:
                break;
            case TpmAlgId.RsaSsa or TpmAlgId.RsaPss:
                w.WriteUInt16((ushort)Hash).Write2B(Rsa);
                break;
            case TpmAlgId.EcDsa or TpmAlgId.EcDaa or TpmAlgId.Sm2 or TpmAlgId.EcSchnorr:
                w.WriteUInt16((ushort)Hash).Write2B(R).Write2B(S);
                break;
            case TpmAlgId.Hmac:
                w.WriteUInt16((ushort)Hash).WriteBytes(Rsa);
                break;
            default:
                throw new TpmFormatException($"cannot marshal TPMT_SIGNATURE with sigAlg {SigAlg}");
        }
    }

    public static TpmtSignature Parse(ReadOnlySpan<byte> bytes)
    {
        var r = new TpmReader(bytes);
        var s = Read(ref r);
        r.EnsureEnd("TPMT_SIGNATURE");
        return s;
    }

    public byte[] ToBytes()
    {
        var w = new TpmWriter();
        Write(w);
        return w.ToArray();
    }
}

/// <summary>
/// A ticket: TPMT_TK_HASHCHECK / TPMT_TK_CREATION / TPMT_TK_AUTH (Part 2, §10.7): tag, hierarchy, TPM2B_DIGEST.
/// </summary>
public sealed record TpmtTicket(TpmSt Tag, uint Hierarchy, byte[] Digest)
{
    /// <summary>The NULL ticket a caller passes when it has none (Part 2, §10.7.6).</summary>
    public static TpmtTicket NullHashCheck => new(TpmSt.HashCheck, TpmRh.Null, []);

    public static TpmtTicket Read(ref TpmReader r) =>
        new((TpmSt)r.ReadUInt16("TPMT_TK.tag"), r.ReadUInt32("TPMT_TK.hierarchy"), r.Read2B("TPMT_TK.digest", 64));

    public void Write(TpmWriter w) => w.WriteUInt16((ushort)Tag).WriteUInt32(Hierarchy).Write2B(Digest);
}
