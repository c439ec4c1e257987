using SwitchGate.Tpm.Policy;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.Tpm.Client;

/// <summary>What the boot agent sends after a challenge: the unsealed secret, the quote and the quoted PCR values.</summary>
public sealed record AttestationEvidence(byte[] Secret, QuoteResult Quote, byte[][] PcrValues);

/// <summary>
/// Sealing to PCR values and the boot agent's "unseal the secret in a PolicyPCR session, then quote with the
/// nonce" step. Every transient object and session is flushed before returning, also on failure.
/// </summary>
public static class PcrSealing
{
    /// <summary>Seals <paramref name="secret"/> under <paramref name="parentHandle"/> to the given PCR values (default: the current ones).</summary>
    public static async Task<CreatedObject> SealAsync(this Tpm2 tpm, uint parentHandle, byte[] secret, TpmlPcrSelection pcrs,
        IReadOnlyList<byte[]>? pcrValues = null, CancellationToken ct = default)
    {
        pcrValues ??= (await tpm.PcrReadAsync(pcrs, ct).ConfigureAwait(false)).Values;
        var policy = PolicyDigest.PolicyPcr(pcrs, pcrValues);
        return await tpm.CreateAsync(parentHandle, TpmTemplates.SealedData(policy), secret, ct: ct).ConfigureAwait(false);
    }

    /// <summary>Loads the sealed object, satisfies its PolicyPCR in a fresh policy session and unseals it.</summary>
    public static async Task<byte[]> UnsealWithPcrPolicyAsync(this Tpm2 tpm, uint parentHandle, CreatedObject sealedObject, TpmlPcrSelection pcrs,
        CancellationToken ct = default)
    {
        await using var item = await tpm.LoadAsync(parentHandle, sealedObject, ct: ct).ConfigureAwait(false);
        var session = await tpm.StartAuthSessionAsync(ct: ct).ConfigureAwait(false);
        try
        {
            await tpm.PolicyPcrAsync(session, pcrs, ct: ct).ConfigureAwait(false);
            return await tpm.UnsealAsync(item.Handle, session, ct).ConfigureAwait(false);
        }
        finally
        {
            await tpm.FlushContextAsync(session.Handle, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The attestation step: unseal, then TPM2_Quote(AK, qualifyingData = nonce) over <paramref name="quotePcrs"/>,
    /// then read the quoted PCR values. A PCR extended between quote and read makes the verifier's digest check
    /// fail, which is the safe outcome.
    /// </summary>
    public static async Task<AttestationEvidence> UnsealAndQuoteAsync(this Tpm2 tpm, uint parentHandle, CreatedObject sealedObject,
        TpmlPcrSelection sealPcrs, uint akHandle, byte[] nonce, TpmlPcrSelection quotePcrs, CancellationToken ct = default)
    {
        var secret = await tpm.UnsealWithPcrPolicyAsync(parentHandle, sealedObject, sealPcrs, ct).ConfigureAwait(false);
        var quote = await tpm.QuoteAsync(akHandle, nonce, quotePcrs, ct: ct).ConfigureAwait(false);
        var (_, values) = await tpm.PcrReadAsync(quotePcrs, ct).ConfigureAwait(false);
        return new AttestationEvidence(secret, quote, values);
    }
}
