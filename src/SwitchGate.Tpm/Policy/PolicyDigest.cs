using SwitchGate.Tpm.Marshalling;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.Tpm.Policy;

/// <summary>Offline policy digest computation (Part 1, §19.7 "Policy Session"; Part 3, §23).</summary>
public static class PolicyDigest
{
    /// <summary>The initial policyDigest: all zeros of the hash size (Part 1, §19.7.2).</summary>
    public static byte[] Initial(TpmAlgId hashAlg = TpmAlgId.Sha256) => new byte[TpmHash.DigestSize(hashAlg)];

    /// <summary>
    /// TPM2_PolicyPCR (Part 3, §23.7): policyDigest_new = H(policyDigest_old ‖ TPM_CC_PolicyPCR ‖ pcrs ‖ digestTPM),
    /// where digestTPM = H(PCR values concatenated in selection order).
    /// </summary>
    public static byte[] PolicyPcr(byte[] current, TpmlPcrSelection pcrs, IReadOnlyList<byte[]> pcrValues, TpmAlgId hashAlg = TpmAlgId.Sha256)
    {
        if (pcrValues.Count != pcrs.Count) throw new ArgumentException($"{pcrValues.Count} PCR values for {pcrs.Count} selected PCRs");
        var digestTpm = TpmHash.Compute(hashAlg, pcrValues.SelectMany(v => v).ToArray());
        var w = new TpmWriter();
        w.WriteBytes(current).WriteUInt32((uint)TpmCc.PolicyPcr);
        pcrs.Write(w);
        w.WriteBytes(digestTpm);
        return TpmHash.Compute(hashAlg, w.AsSpan());
    }

    /// <summary>A PolicyPCR-only policy from the initial digest.</summary>
    public static byte[] PolicyPcr(TpmlPcrSelection pcrs, IReadOnlyList<byte[]> pcrValues, TpmAlgId hashAlg = TpmAlgId.Sha256) =>
        PolicyPcr(Initial(hashAlg), pcrs, pcrValues, hashAlg);

    /// <summary>
    /// TPM2_PolicySecret (Part 3, §23.4), via PolicyUpdate: H(H(old ‖ TPM_CC_PolicySecret ‖ authName) ‖ policyRef).
    /// </summary>
    public static byte[] PolicySecret(byte[] current, byte[] authObjectName, byte[]? policyRef = null, TpmAlgId hashAlg = TpmAlgId.Sha256)
    {
        var w = new TpmWriter();
        w.WriteBytes(current).WriteUInt32((uint)TpmCc.PolicySecret).WriteBytes(authObjectName);
        var first = TpmHash.Compute(hashAlg, w.AsSpan());
        return TpmHash.Compute(hashAlg, [.. first, .. policyRef ?? []]);
    }
}
