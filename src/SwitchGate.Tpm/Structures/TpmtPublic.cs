using System.Security.Cryptography;
using SwitchGate.Tpm.Marshalling;

namespace SwitchGate.Tpm.Structures;

/// <summary>
/// TPMT_SYM_DEF_OBJECT (Part 2, §11.1.7): algorithm, then keyBits and mode unless the algorithm is NULL.
/// Also used for TPMT_SYM_DEF in StartAuthSession where only NULL is sent by this client.
/// </summary>
public readonly record struct TpmtSymDefObject(TpmAlgId Algorithm, ushort KeyBits = 0, TpmAlgId Mode = TpmAlgId.Null)
{
    public static readonly TpmtSymDefObject Null = new(TpmAlgId.Null);
    public static readonly TpmtSymDefObject Aes128Cfb = new(TpmAlgId.Aes, 128, TpmAlgId.Cfb);

    public static TpmtSymDefObject Read(ref TpmReader r)
    {
        var alg = (TpmAlgId)r.ReadUInt16("TPMT_SYM_DEF_OBJECT.algorithm");
        if (alg == TpmAlgId.Null) return Null;
        return new TpmtSymDefObject(alg, r.ReadUInt16("TPMT_SYM_DEF_OBJECT.keyBits"), (TpmAlgId)r.ReadUInt16("TPMT_SYM_DEF_OBJECT.mode"));
    }

    public void Write(TpmWriter w)
    {
        w.WriteUInt16((ushort)Algorithm);
        if (Algorithm != TpmAlgId.Null) w.WriteUInt16(KeyBits).WriteUInt16((ushort)Mode);
    }
}

/// <summary>
/// A scheme selector and its details, shared by TPMT_RSA_SCHEME, TPMT_ECC_SCHEME, TPMT_KEYEDHASH_SCHEME,
/// TPMT_KDF_SCHEME and TPMT_SIG_SCHEME (Part 2, §11.2). Details by selector: NULL and RSAES have none; ECDAA
/// has hashAlg and count; XOR has hashAlg and kdf; all others have hashAlg.
/// </summary>
public readonly record struct TpmtScheme(TpmAlgId Scheme, TpmAlgId HashAlg = TpmAlgId.Null, ushort Extra = 0)
{
    public static readonly TpmtScheme Null = new(TpmAlgId.Null);

    public static TpmtScheme Read(ref TpmReader r, string what)
    {
        var scheme = (TpmAlgId)r.ReadUInt16(what + ".scheme");
        switch (scheme)
        {
            case TpmAlgId.Null:
            case TpmAlgId.RsaEs:
                return new TpmtScheme(scheme);
            case TpmAlgId.EcDaa:
            case TpmAlgId.Xor:
                return new TpmtScheme(scheme, (TpmAlgId)r.ReadUInt16(what + ".hashAlg"), r.ReadUInt16(what + ".details"));
            case TpmAlgId.RsaSsa or TpmAlgId.RsaPss or TpmAlgId.Oaep or TpmAlgId.EcDsa or TpmAlgId.EcDh or TpmAlgId.Sm2
                or TpmAlgId.EcSchnorr or TpmAlgId.EcMqv or TpmAlgId.Hmac or TpmAlgId.Mgf1 or TpmAlgId.Kdf1Sp800_56A
                or TpmAlgId.Kdf2 or TpmAlgId.Kdf1Sp800_108:
                return new TpmtScheme(scheme, (TpmAlgId)r.ReadUInt16(what + ".hashAlg"));
            default:
                throw new TpmFormatException($"{what}: unknown scheme selector 0x{(ushort)scheme:X4}");
        }
    }

    public void Write(TpmWriter w)
    {
        w.WriteUInt16((ushort)Scheme);
        if (Scheme is TpmAlgId.Null or TpmAlgId.RsaEs) return;
        w.WriteUInt16((ushort)HashAlg);
        if (Scheme is TpmAlgId.EcDaa or TpmAlgId.Xor) w.WriteUInt16(Extra);
    }
}

/// <summary>
/// TPMT_PUBLIC (Part 2, §12.2.4) with TPMU_PUBLIC_PARMS and TPMU_PUBLIC_ID selected by <see cref="Type"/>.
/// RSA: <see cref="Symmetric"/>, <see cref="Scheme"/>, <see cref="KeyBits"/>, <see cref="Exponent"/>, modulus in
/// <see cref="Unique"/>. ECC: symmetric, scheme, <see cref="Curve"/>, <see cref="Kdf"/>, point in
/// <see cref="UniqueX"/>/<see cref="UniqueY"/>. KEYEDHASH: scheme, digest in Unique. SYMCIPHER: symmetric, Unique.
/// </summary>
public sealed record TpmtPublic
{
    public TpmAlgId Type { get; init; }
    public TpmAlgId NameAlg { get; init; } = TpmAlgId.Sha256;
    public TpmaObject ObjectAttributes { get; init; }
    public byte[] AuthPolicy { get; init; } = [];
    public TpmtSymDefObject Symmetric { get; init; } = TpmtSymDefObject.Null;
    public TpmtScheme Scheme { get; init; } = TpmtScheme.Null;
    public ushort KeyBits { get; init; }
    public uint Exponent { get; init; }
    public TpmEccCurve Curve { get; init; }
    public TpmtScheme Kdf { get; init; } = TpmtScheme.Null;
    public byte[] Unique { get; init; } = [];
    public byte[] UniqueX { get; init; } = [];
    public byte[] UniqueY { get; init; } = [];

    public static TpmtPublic Read(ref TpmReader r)
    {
        var type = (TpmAlgId)r.ReadUInt16("TPMT_PUBLIC.type");
        var p = new TpmtPublic
        {
            Type = type,
            NameAlg = (TpmAlgId)r.ReadUInt16("TPMT_PUBLIC.nameAlg"),
            ObjectAttributes = (TpmaObject)r.ReadUInt32("TPMT_PUBLIC.objectAttributes"),
            AuthPolicy = r.Read2B("TPMT_PUBLIC.authPolicy", 64),
        };
        switch (type)
        {
            case TpmAlgId.Rsa:
                return p with
                {
                    Symmetric = TpmtSymDefObject.Read(ref r),
                    Scheme = TpmtScheme.Read(ref r, "TPMS_RSA_PARMS.scheme"),
                    KeyBits = r.ReadUInt16("TPMS_RSA_PARMS.keyBits"),
                    Exponent = r.ReadUInt32("TPMS_RSA_PARMS.exponent"),
                    Unique = r.Read2B("TPM2B_PUBLIC_KEY_RSA", 512),
                };
            case TpmAlgId.Ecc:
                return p with
                {
                    Symmetric = TpmtSymDefObject.Read(ref r),
                    Scheme = TpmtScheme.Read(ref r, "TPMS_ECC_PARMS.scheme"),
                    Curve = (TpmEccCurve)r.ReadUInt16("TPMS_ECC_PARMS.curveID"),
                    Kdf = TpmtScheme.Read(ref r, "TPMS_ECC_PARMS.kdf"),
                    UniqueX = r.Read2B("TPMS_ECC_POINT.x", 128),
                    UniqueY = r.Read2B("TPMS_ECC_POINT.y", 128),
                };
            case TpmAlgId.KeyedHash:
                return p with
                {
                    Scheme = TpmtScheme.Read(ref r, "TPMS_KEYEDHASH_PARMS.scheme"),
                    Unique = r.Read2B("TPM2B_DIGEST", 64),
                };
            case TpmAlgId.SymCipher:
                return p with
                {
                    Symmetric = TpmtSymDefObject.Read(ref r),
                    Unique = r.Read2B("TPM2B_DIGEST", 64),
                };
            default:
                throw new TpmFormatException($"TPMT_PUBLIC.type 0x{(ushort)type:X4} is not a known object type");
        }
    }

    public void Write(TpmWriter w)
    {
        w.WriteUInt16((ushort)Type).WriteUInt16((ushort)NameAlg).WriteUInt32((uint)ObjectAttributes).Write2B(AuthPolicy);
        switch (Type)
        {
            case TpmAlgId.Rsa:
                Symmetric.Write(w);
                Scheme.Write(w);
                w.WriteUInt16(KeyBits).WriteUInt32(Exponent).Write2B(Unique);
                break;
            case TpmAlgId.Ecc:
                Symmetric.Write(w);
                Scheme.Write(w);
                w.WriteUInt16((ushort)Curve);
                Kdf.Write(w);
                w.Write2B(UniqueX).Write2B(UniqueY);
                break;
            case TpmAlgId.KeyedHash:
                Scheme.Write(w);
                w.Write2B(Unique);
                break;
            case TpmAlgId.SymCipher:
                Symmetric.Write(w);
                w.Write2B(Unique);
                break;
            default:
                throw new TpmFormatException($"cannot marshal TPMT_PUBLIC of type {Type}");
        }
    }

    public byte[] ToBytes()
    {
        var w = new TpmWriter();
        Write(w);
        return w.ToArray();
    }

    /// <summary>
    /// The object's Name (Part 1, §16): nameAlg ‖ H_nameAlg(marshalled TPMT_PUBLIC).
    /// </summary>
    public byte[] ComputeName()
    {
        var w = new TpmWriter(64);
        w.WriteUInt16((ushort)NameAlg).WriteBytes(TpmHash.Compute(NameAlg, ToBytes()));
        return w.ToArray();
    }

    /// <summary>
    /// Qualified Name (Part 1, §16): nameAlg ‖ H_nameAlg(parent's qualified name ‖ Name). For a primary
    /// object the parent's qualified name is the hierarchy handle.
    /// </summary>
    public byte[] ComputeQualifiedName(ReadOnlySpan<byte> parentQualifiedName)
    {
        var name = ComputeName();
        var w = new TpmWriter(64);
        w.WriteUInt16((ushort)NameAlg).WriteBytes(TpmHash.Compute(NameAlg, [.. parentQualifiedName, .. name]));
        return w.ToArray();
    }

    public static byte[] HandleName(uint handle) => [(byte)(handle >> 24), (byte)(handle >> 16), (byte)(handle >> 8), (byte)handle];

    /// <summary>The public key as a .NET ECDsa or RSA object (caller disposes).</summary>
    public AsymmetricAlgorithm ToDotNetKey()
    {
        switch (Type)
        {
            case TpmAlgId.Ecc:
                var curve = Curve switch
                {
                    TpmEccCurve.NistP256 => ECCurve.NamedCurves.nistP256,
                    TpmEccCurve.NistP384 => ECCurve.NamedCurves.nistP384,
                    TpmEccCurve.NistP521 => ECCurve.NamedCurves.nistP521,
                    _ => throw new TpmFormatException($"ECC curve {Curve} is not supported"),
                };
                try
                {
                    return ECDsa.Create(new ECParameters { Curve = curve, Q = new ECPoint { X = UniqueX, Y = UniqueY } });
                }
                catch (CryptographicException e)
                {
                    throw new TpmFormatException($"ECC public point is not valid: {e.Message}");
                }
            case TpmAlgId.Rsa:
                if (Unique.Length == 0) throw new TpmFormatException("RSA public key has an empty modulus");
                var exponent = Exponent == 0 ? 65537u : Exponent; // Part 2, §12.2.3.5: zero means 2^16 + 1
                try
                {
                    return RSA.Create(new RSAParameters
                    {
                        Modulus = Unique,
                        Exponent = TrimLeadingZeros([(byte)(exponent >> 24), (byte)(exponent >> 16), (byte)(exponent >> 8), (byte)exponent]),
                    });
                }
                catch (CryptographicException e)
                {
                    throw new TpmFormatException($"RSA public key is not valid: {e.Message}");
                }
            default:
                throw new TpmFormatException($"object type {Type} has no asymmetric public key");
        }
    }

    private static byte[] TrimLeadingZeros(byte[] b) => b.SkipWhile(x => x == 0).ToArray();
}

/// <summary>TPM2B_PUBLIC (Part 2, §12.2.5): a TPMT_PUBLIC with a UINT16 size, as tpm2-tools writes with <c>-u</c>.</summary>
public static class Tpm2bPublic
{
    public static TpmtPublic Read(ref TpmReader r)
    {
        var inner = r.Read2BReader("TPM2B_PUBLIC");
        var p = TpmtPublic.Read(ref inner);
        inner.EnsureEnd("TPM2B_PUBLIC");
        return p;
    }

    public static void Write(TpmWriter w, TpmtPublic p) => w.Write2B(p.Write);

    public static TpmtPublic Parse(ReadOnlySpan<byte> bytes)
    {
        var r = new TpmReader(bytes);
        var p = Read(ref r);
        r.EnsureEnd("TPM2B_PUBLIC");
        return p;
    }

    public static byte[] ToBytes(TpmtPublic p)
    {
        var w = new TpmWriter();
        Write(w, p);
        return w.ToArray();
    }
}
