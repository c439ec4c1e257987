using FsCheck.Xunit;
using SwitchGate.Tpm.Marshalling;
using SwitchGate.Tpm.Structures;
using SwitchGate.Tpm.Verification;

namespace SwitchGate.Tpm.Tests;

/// <summary>Round trips of the marshalled structures, and hostile input that must only ever raise TpmFormatException.</summary>
public sealed class MarshallingPropertyTests
{
    private static readonly TpmAlgId[] Banks = [TpmAlgId.Sha1, TpmAlgId.Sha256, TpmAlgId.Sha384, TpmAlgId.Sha512];

    private static byte[] Bytes(byte[]? b, int max) => (b ?? []).Take(max).ToArray();

    private static TpmlPcrSelection Selection(int[]? pcrs, byte bank) =>
        new([new TpmsPcrSelection(Banks[bank % Banks.Length], (pcrs ?? []).Select(p => Math.Abs(p % 24)))]);

    [Property(MaxTest = 300)]
    public bool PcrSelection_round_trips(int[] pcrs, byte bank)
    {
        var sel = Selection(pcrs, bank);
        var r = new TpmReader(sel.ToBytes());
        var back = TpmlPcrSelection.Read(ref r);
        return r.Remaining == 0 && back.Equals(sel) && back.ToBytes().SequenceEqual(sel.ToBytes())
            && (sel.Count == 0 || TpmlPcrSelection.Parse(sel.ToString()).Equals(sel));
    }

    [Property(MaxTest = 300)]
    public bool Public_round_trips(byte kind, uint attributes, byte[] policy, byte[] x, byte[] y, ushort keyBits, uint exponent)
    {
        var p = (kind % 3) switch
        {
            0 => new TpmtPublic
            {
                Type = TpmAlgId.Ecc, ObjectAttributes = (TpmaObject)attributes, AuthPolicy = Bytes(policy, 64),
                Scheme = new TpmtScheme(TpmAlgId.EcDsa, TpmAlgId.Sha256), Curve = TpmEccCurve.NistP256,
                UniqueX = Bytes(x, 128), UniqueY = Bytes(y, 128),
            },
            1 => new TpmtPublic
            {
                Type = TpmAlgId.Rsa, ObjectAttributes = (TpmaObject)attributes, AuthPolicy = Bytes(policy, 64),
                Symmetric = TpmtSymDefObject.Aes128Cfb, KeyBits = keyBits, Exponent = exponent, Unique = Bytes(x, 512),
            },
            _ => new TpmtPublic
            {
                Type = TpmAlgId.KeyedHash, ObjectAttributes = (TpmaObject)attributes, AuthPolicy = Bytes(policy, 64),
                Scheme = new TpmtScheme(TpmAlgId.Xor, TpmAlgId.Sha256, (ushort)TpmAlgId.Kdf1Sp800_108), Unique = Bytes(y, 64),
            },
        };
        var bytes = Tpm2bPublic.ToBytes(p);
        var back = Tpm2bPublic.Parse(bytes);
        return Tpm2bPublic.ToBytes(back).SequenceEqual(bytes) && back.ComputeName().SequenceEqual(p.ComputeName());
    }

    [Property(MaxTest = 300)]
    public bool Signature_round_trips(bool ecc, byte[] a, byte[] b)
    {
        var s = ecc
            ? new TpmtSignature { SigAlg = TpmAlgId.EcDsa, Hash = TpmAlgId.Sha256, R = Bytes(a, 128), S = Bytes(b, 128) }
            : new TpmtSignature { SigAlg = TpmAlgId.RsaSsa, Hash = TpmAlgId.Sha384, Rsa = Bytes(a, 512) };
        var back = TpmtSignature.Parse(s.ToBytes());
        return back.ToBytes().SequenceEqual(s.ToBytes());
    }

    [Property(MaxTest = 300)]
    public bool Attest_round_trips(byte kind, byte[] nonce, byte[] signer, ulong clock, uint reset, uint restart, bool safe, ulong fw, int[] pcrs, byte[] digest)
    {
        TpmuAttest attested = (kind % 4) switch
        {
            0 => new TpmsQuoteInfo(Selection(pcrs, kind), Bytes(digest, 64)),
            1 => new TpmsCertifyInfo(Bytes(signer, 66), Bytes(digest, 66)),
            2 => new TpmsTimeAttestInfo(clock ^ 0x55, new TpmsClockInfo(clock, reset, restart, !safe), fw),
            _ => new TpmsCreationInfo(Bytes(digest, 66), Bytes(nonce, 64)),
        };
        var type = attested switch
        {
            TpmsQuoteInfo => TpmSt.AttestQuote,
            TpmsCertifyInfo => TpmSt.AttestCertify,
            TpmsTimeAttestInfo => TpmSt.AttestTime,
            _ => TpmSt.AttestCreation,
        };
        var a = new TpmsAttest
        {
            Magic = TpmGenerated.Value, Type = type, QualifiedSigner = Bytes(signer, 66), ExtraData = Bytes(nonce, 64),
            ClockInfo = new TpmsClockInfo(clock, reset, restart, safe), FirmwareVersion = fw, Attested = attested,
        };
        var bytes = a.ToBytes();
        var back = TpmsAttest.Parse(bytes);
        return back.ToBytes().SequenceEqual(bytes) && back.ClockInfo == a.ClockInfo && back.FirmwareVersion == fw;
    }

    /// <summary>Runs a parser on hostile bytes: success or TpmFormatException are fine, anything else fails the property.</summary>
    private static bool OnlyFormatErrors(Action parse)
    {
        try
        {
            parse();
            return true;
        }
        catch (TpmFormatException)
        {
            return true;
        }
    }

    [Property(MaxTest = 1000)]
    public bool Random_bytes_raise_only_TpmFormatException(byte[] data)
    {
        data ??= [];
        return OnlyFormatErrors(() => TpmsAttest.Parse(data))
            && OnlyFormatErrors(() => TpmtSignature.Parse(data))
            && OnlyFormatErrors(() => Tpm2bPublic.Parse(data))
            && OnlyFormatErrors(() => { using var k = AttestationKey.FromFileBytes(data); })
            && OnlyFormatErrors(() => { var r = new TpmReader(data); TpmlPcrSelection.Read(ref r); });
    }

    /// <summary>Mutations of valid structures reach deeper than random bytes: truncate, flip, or splice.</summary>
    [Property(MaxTest = 1000)]
    public bool Mutated_structures_raise_only_TpmFormatException(int position, byte value, int cut)
    {
        using var ak = new SoftwareAk();
        var sel = TpmlPcrSelection.Parse("sha256:16,23+sha1:0");
        var attest = SoftwareAk.MakeQuote(new byte[32], sel, [new byte[32], new byte[32], new byte[20]]);
        var pub = Tpm2bPublic.ToBytes(ak.Public);
        var sig = ak.Sign(attest);
        static byte[] Mutate(byte[] b, int pos, byte v, int cut)
        {
            var m = (byte[])b.Clone();
            m[Math.Abs(pos % m.Length)] = v;
            return m[..Math.Max(0, m.Length - Math.Abs(cut % 8))];
        }
        return OnlyFormatErrors(() => TpmsAttest.Parse(Mutate(attest, position, value, cut)))
            && OnlyFormatErrors(() => TpmtSignature.Parse(Mutate(sig, position, value, cut)))
            && OnlyFormatErrors(() => { using var k = AttestationKey.FromTpm2bPublic(Mutate(pub, position, value, cut)); });
    }

    /// <summary>The verifier returns a verdict for any evidence; it never throws.</summary>
    [Property(MaxTest = 500)]
    public bool Verifier_never_throws(byte[] attest, byte[] signature, byte[] nonce, byte[] values)
    {
        using var ak = new SoftwareAk();
        using var verifier = new QuoteVerifier(AttestationKey.FromPublic(ak.Public));
        var sel = TpmlPcrSelection.Parse("sha256:16,23");
        var a = attest ?? [];
        var v1 = verifier.Verify(a, signature ?? [], nonce ?? [], sel, values ?? []);
        var v2 = verifier.Verify(a, ak.Sign(a), nonce ?? [], sel, values ?? []); // signed garbage goes past the signature check
        return !v1.IsValid && !v2.IsValid;
    }
}
