using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using SwitchGate.Tpm.Marshalling;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.Tpm.Credentials;

/// <summary>TPM2_MakeCredential's outputs: TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET contents.</summary>
public sealed record CredentialChallenge(byte[] CredentialBlob, byte[] Secret);

/// <summary>
/// The verifier side of credential activation, computed in software (Part 1, §24 "Credential Protection";
/// Part 3, §12.6): only the TPM holding the EK private key and the object named <c>akName</c> can recover
/// the credential with TPM2_ActivateCredential.
/// </summary>
public static class MakeCredential
{
    /// <summary>"IDENTITY" is the label for the seed of a credential (Part 1, §24.4).</summary>
    private const string IdentityLabel = "IDENTITY";

    public static CredentialChallenge Create(TpmtPublic ek, byte[] akName, byte[] credential)
    {
        if (ek.Symmetric.Algorithm != TpmAlgId.Aes || ek.Symmetric.Mode != TpmAlgId.Cfb)
            throw new TpmFormatException("the EK's symmetric algorithm must be AES-CFB");
        if (credential.Length > TpmHash.DigestSize(ek.NameAlg))
            throw new ArgumentException("a credential is at most the size of the EK's name digest");
        var (seed, secret) = ek.Type switch
        {
            TpmAlgId.Ecc => EccSeed(ek),
            TpmAlgId.Rsa => RsaSeed(ek),
            _ => throw new TpmFormatException($"EK type {ek.Type} cannot receive credentials"),
        };

        // Part 1, §24.4: symKey = KDFa(nameAlg, seed, "STORAGE", Name, NULL, symmetric keyBits).
        var symKey = Kdf.KdfA(ek.NameAlg, seed, "STORAGE", akName, [], ek.Symmetric.KeyBits);
        var plain = new TpmWriter().Write2B(credential).ToArray(); // the credential as a TPM2B_DIGEST
        var encIdentity = AesCfbEncrypt(symKey, plain);

        // Part 1, §24.5: HMACkey = KDFa(nameAlg, seed, "INTEGRITY", NULL, NULL, digest bits); outerHMAC over encIdentity ‖ Name.
        var hmacKey = Kdf.KdfA(ek.NameAlg, seed, "INTEGRITY", [], [], TpmHash.DigestSize(ek.NameAlg) * 8);
        var outerHmac = TpmHash.Hmac(ek.NameAlg, hmacKey, [.. encIdentity, .. akName]);
        var blob = new TpmWriter().Write2B(outerHmac).WriteBytes(encIdentity).ToArray();
        return new CredentialChallenge(blob, secret);
    }

    /// <summary>
    /// ECC secret sharing (Part 1, Annex C.6.4): an ephemeral key Qe, Z = x(de·Q_EK),
    /// seed = KDFe(nameAlg, Z, "IDENTITY", x(Qe), x(Q_EK), digest bits); the secret is TPMS_ECC_POINT(Qe).
    /// </summary>
    private static (byte[] Seed, byte[] Secret) EccSeed(TpmtPublic ek)
    {
        var curve = ek.Curve == TpmEccCurve.NistP256 ? ECCurve.NamedCurves.nistP256
            : throw new TpmFormatException($"EK curve {ek.Curve} is not supported");
        using var ephemeral = ECDiffieHellman.Create(curve);
        using var ekKey = ECDiffieHellman.Create(new ECParameters { Curve = curve, Q = new ECPoint { X = ek.UniqueX, Y = ek.UniqueY } });
        var z = ephemeral.DeriveRawSecretAgreement(ekKey.PublicKey);
        var q = ephemeral.ExportParameters(false).Q;
        var seed = Kdf.KdfE(ek.NameAlg, z, IdentityLabel, q.X, ek.UniqueX, TpmHash.DigestSize(ek.NameAlg) * 8);
        var secret = new TpmWriter().Write2B(q.X).Write2B(q.Y!).ToArray();
        return (seed, secret);
    }

    /// <summary>RSA secret sharing (Part 1, Annex B.10.3): a random seed, RSAES-OAEP with label "IDENTITY\0" under the EK.</summary>
    private static (byte[] Seed, byte[] Secret) RsaSeed(TpmtPublic ek)
    {
        var seed = RandomNumberGenerator.GetBytes(TpmHash.DigestSize(ek.NameAlg));
        var exponent = ek.Exponent == 0 ? 65537u : ek.Exponent;
        return (seed, RsaOaepEncrypt(ek.Unique, exponent, ek.NameAlg, Encoding.ASCII.GetBytes(IdentityLabel + "\0"), seed));
    }

    /// <summary>
    /// RSAES-OAEP encryption with a label (RFC 8017, §7.1.1). .NET's RSA API cannot take an OAEP label, so
    /// the encoding is done here and the public operation with BigInteger.
    /// </summary>
    internal static byte[] RsaOaepEncrypt(byte[] modulus, uint exponent, TpmAlgId hashAlg, byte[] label, byte[] message)
    {
        var k = modulus.Length;
        var hLen = TpmHash.DigestSize(hashAlg);
        if (message.Length > k - 2 * hLen - 2) throw new ArgumentException("message too long for RSA-OAEP");
        var db = new byte[k - hLen - 1];
        TpmHash.Compute(hashAlg, label).CopyTo(db, 0);
        db[db.Length - message.Length - 1] = 0x01;
        message.CopyTo(db, db.Length - message.Length);
        var seed = RandomNumberGenerator.GetBytes(hLen);
        Xor(db, Mgf1(hashAlg, seed, db.Length));
        Xor(seed, Mgf1(hashAlg, db, hLen));
        var em = new byte[k];
        seed.CopyTo(em, 1);
        db.CopyTo(em, 1 + hLen);
        var n = new BigInteger(modulus, isUnsigned: true, isBigEndian: true);
        var c = BigInteger.ModPow(new BigInteger(em, isUnsigned: true, isBigEndian: true), exponent, n);
        var raw = c.ToByteArray(isUnsigned: true, isBigEndian: true);
        var output = new byte[k];
        raw.CopyTo(output, k - raw.Length);
        return output;
    }

    private static byte[] Mgf1(TpmAlgId hashAlg, byte[] seed, int length)
    {
        var output = new byte[length];
        var counter = new byte[4];
        for (int done = 0, i = 0; done < length; i++)
        {
            counter[0] = (byte)(i >> 24); counter[1] = (byte)(i >> 16); counter[2] = (byte)(i >> 8); counter[3] = (byte)i;
            var block = TpmHash.Compute(hashAlg, [.. seed, .. counter]);
            var take = Math.Min(block.Length, length - done);
            block.AsSpan(0, take).CopyTo(output.AsSpan(done));
            done += take;
        }
        return output;
    }

    private static void Xor(byte[] target, byte[] mask)
    {
        for (int i = 0; i < target.Length; i++) target[i] ^= mask[i];
    }

    /// <summary>AES-CFB with a zero IV and full-block feedback (Part 1, §11.4.6.2), for any length.</summary>
    private static byte[] AesCfbEncrypt(byte[] key, byte[] plain)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        var output = new byte[plain.Length];
        var feedback = new byte[16];
        var keystream = new byte[16];
        for (int offset = 0; offset < plain.Length; offset += 16)
        {
            aes.EncryptEcb(feedback, keystream, PaddingMode.None);
            var n = Math.Min(16, plain.Length - offset);
            for (int i = 0; i < n; i++) output[offset + i] = (byte)(plain[offset + i] ^ keystream[i]);
            if (n == 16) output.AsSpan(offset, 16).CopyTo(feedback);
        }
        return output;
    }
}
