using System.Security.Cryptography;
using SwitchGate.Attestation;
using SwitchGate.Attestation.Enrolment;
using SwitchGate.Ethernet;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Credentials;
using SwitchGate.Tpm.Marshalling;
using SwitchGate.Tpm.Structures;
using SwitchGate.Tpm.Verification;

namespace SwitchGate.BootAgent.Tpm;

/// <summary>The TPM is not in the clean configuration: the secret's PolicyPCR fails (or a launch PCR is missing).</summary>
public sealed class NotCleanException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The controller's credential could not be activated in this TPM (another EK or another AK): nothing was sealed.</summary>
public sealed class CredentialActivationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What the operator supplies for <c>enrol</c>; the rest comes from the TPM.</summary>
public sealed record EnrolRequest(NodeIdentity Identity, ulong DatapathId, uint Port, DateTimeOffset Now);

/// <summary>
/// The agent's TPM operations, built from <see cref="Tpm2"/> and <see cref="PcrSealing"/>. The storage primary
/// (ECC P-256 SRK, standard template) is recreated per operation — the same template gives the same key after
/// every reboot, so the AK and the sealed secret, kept as blobs in the state directory, reload under it. At most
/// two transient objects are loaded at once (swtpm has three slots) and every one is flushed, also on failure.
/// </summary>
public sealed class AgentTpm(Tpm2 tpm, StateDirectory state)
{
    /// <summary>
    /// Enrolment, in clean mode after the measured launch: a fresh AK (restricted ECC P-256 ECDSA signing key,
    /// noDA) and a fresh 32-byte secret sealed under PolicyPCR(sha256:0,4,8,9,14 = the current values).
    /// </summary>
    public async Task<EnrolmentRecord> EnrolAsync(EnrolRequest request, CancellationToken ct = default)
    {
        var selection = MeasuredLaunch.Selection;
        var (_, values) = await tpm.PcrReadAsync(selection, ct).ConfigureAwait(false);
        var indices = selection.InOrder().Select(p => p.Pcr).ToList();
        var byPcr = indices.Zip(values).ToDictionary(p => p.First, p => p.Second);
        if (byPcr[MeasuredLaunch.DirtyMarkPcr].Any(b => b != 0))
        {
            throw new NotCleanException("PCR 14 carries the dirty mark: enrol only in clean mode (reboot first)");
        }

        if (byPcr[MeasuredLaunch.FirmwarePcr].All(b => b == 0))
        {
            throw new NotCleanException("PCR 0 is zero: run 'switchgate-agent measure' (the measured launch) before enrolling");
        }

        // The secret goes into the TPM (sealed) and into nothing else: the record carries only its proof key's public point.
        var secret = await tpm.GetRandomAsync(EnrolmentRecord.SecretLength, ct).ConfigureAwait(false);
        CreatedObject ak;
        CreatedObject sealedSecret;
        byte[] qualifiedName;
        byte[] proofKey;
        try
        {
            await using var srk = await CreateSrkAsync(ct).ConfigureAwait(false);
            ak = await tpm.CreateAsync(srk.Handle, TpmTemplates.EccAttestationKey(), ct: ct).ConfigureAwait(false);
            sealedSecret = await tpm.SealAsync(srk.Handle, secret, selection, values, ct).ConfigureAwait(false);
            proofKey = AttestationProof.PublicKeyOf(secret);
            // The qualified name the TPM will put into every quote's qualifiedSigner: the controller checks it.
            await using var loaded = await tpm.LoadAsync(srk.Handle, ak, ct: ct).ConfigureAwait(false);
            (_, _, qualifiedName) = await tpm.ReadPublicAsync(loaded.Handle, ct).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }

        // With an EK certificate in NV (a real TPM, or swtpm_setup --create-ek-cert) the record carries the EK and
        // its certificate, so the controller can bind the AK to a genuine TPM (credential activation, 'activate').
        (TpmtPublic Ek, byte[] Certificate)? endorsement = null;
        TpmtPublic ekPublic;
        try
        {
            endorsement = await Endorsement.ReadAsync(tpm, ct).ConfigureAwait(false);
            ekPublic = endorsement.Value.Ek;
        }
        catch (TpmFormatException)
        {
            // No certificate: the EK is still this TPM's (re-created from its template), and the controller wraps every
            // rotated secret to it (docs/enrolment.md "Rotation"), trusting it because enrolment happens in clean mode.
            await using var ek = await tpm.CreatePrimaryAsync(TpmRh.Endorsement, TpmTemplates.RsaEndorsementKey(), ct: ct).ConfigureAwait(false);
            ekPublic = ek.Public!;
        }

        state.SaveKeys(ak, sealedSecret);
        state.SaveIdentity(request.Identity);
        return new EnrolmentRecord
        {
            Node = request.Identity.Node,
            DatapathId = request.DatapathId,
            Port = request.Port,
            CleanMac = request.Identity.CleanMac,
            DirtyMac = request.Identity.DirtyMac,
            AkPublic = Tpm2bPublic.ToBytes(ak.Public),
            PcrSelection = EnrolmentRecord.ParseSelection(MeasuredLaunch.SelectionText),
            GoldenSets = [new GoldenSet($"enrolled-{request.Now.UtcDateTime:yyyy-MM-dd}", byPcr)],
            ProofKey = proofKey,
            AkQualifiedName = qualifiedName,
            EkPublic = Tpm2bPublic.ToBytes(ekPublic),
            EkCertificate = endorsement?.Certificate,
        }.Validated();
    }

    /// <summary>
    /// The EK-bound half of enrolment: the controller encrypted a new secret to this TPM's EK, bound to the enrolled
    /// AK's Name (TPM2_MakeCredential in software). TPM2_ActivateCredential recovers it only in the TPM holding that
    /// EK with that AK loaded, so a node that enrolled a foreign AK never learns the secret and can never prove it.
    /// The recovered secret is sealed again under the clean PCR policy (in clean mode only) and never written in clear.
    /// </summary>
    public async Task ActivateSecretAsync(CredentialChallenge challenge, CancellationToken ct = default)
    {
        var (selection, values) = await ReadCleanPcrsAsync("activate", ct).ConfigureAwait(false);
        var secret = await ActivateAsync(challenge, ct).ConfigureAwait(false);
        try
        {
            state.SaveSealedSecret(await SealAsync(secret, selection, values, ct).ConfigureAwait(false));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>
    /// A rotation (docs/enrolment.md "Rotation"): the controller wrapped the next secret like the EK-bound one
    /// (TPM2_MakeCredential to this TPM's EK, bound to the AK's Name). It is activated, sealed again under the clean
    /// PCR policy and installed crash-safe as <paramref name="rotate"/>'s generation; the ROTATED answer is signed with
    /// the new proof key. Throws <see cref="CredentialActivationException"/> (another TPM's credential, garbage) or
    /// <see cref="NotCleanException"/>; then nothing changed and the old secret stays in use.
    /// </summary>
    public async Task<Rotated> RotateSecretAsync(Rotate rotate, MacAddress cleanMac, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(rotate);
        var (selection, values) = await ReadCleanPcrsAsync("rotate", ct).ConfigureAwait(false);
        var secret = await ActivateAsync(new CredentialChallenge(rotate.Credential.ToArray(), rotate.EncryptedSecret.ToArray()), ct).ConfigureAwait(false);
        try
        {
            var sealedSecret = await SealAsync(secret, selection, values, ct).ConfigureAwait(false);
            using var proofKey = AttestationProof.DeriveKey(secret);
            var proof = AttestationProof.SignRotated(proofKey, rotate.SessionId, rotate.Generation, cleanMac);
            state.SaveRotatedSecret(rotate.Generation, sealedSecret);
            return new Rotated(rotate.SessionId, rotate.Generation, proof);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    private async Task<(TpmlPcrSelection Selection, IReadOnlyList<byte[]> Values)> ReadCleanPcrsAsync(string what, CancellationToken ct)
    {
        var selection = MeasuredLaunch.Selection;
        var (_, values) = await tpm.PcrReadAsync(selection, ct).ConfigureAwait(false);
        var dirtyMark = values[selection.InOrder().Select(p => p.Pcr).ToList().IndexOf(MeasuredLaunch.DirtyMarkPcr)];
        if (dirtyMark.Any(b => b != 0))
        {
            throw new NotCleanException($"PCR 14 carries the dirty mark: {what} only in clean mode (reboot first)");
        }

        return (selection, values);
    }

    private async Task<CreatedObject> SealAsync(byte[] secret, TpmlPcrSelection selection, IReadOnlyList<byte[]> values, CancellationToken ct)
    {
        await using var srk = await CreateSrkAsync(ct).ConfigureAwait(false);
        return await tpm.SealAsync(srk.Handle, secret, selection, values, ct).ConfigureAwait(false);
    }

    /// <summary>TPM2_ActivateCredential with the enrolled AK and this TPM's EK; the recovered secret must be 32 octets.</summary>
    private async Task<byte[]> ActivateAsync(CredentialChallenge challenge, CancellationToken ct)
    {
        var ak = state.LoadAk();
        byte[] secret;
        await using (var ek = await tpm.CreatePrimaryAsync(TpmRh.Endorsement, TpmTemplates.RsaEndorsementKey(), ct: ct).ConfigureAwait(false))
        {
            await using var srk = await CreateSrkAsync(ct).ConfigureAwait(false);
            await using var loaded = await tpm.LoadAsync(srk.Handle, ak, ct: ct).ConfigureAwait(false);
            // The EK's policy is PolicySecret(TPM_RH_ENDORSEMENT) (TCG EK Credential Profile, template L-1).
            var session = await tpm.StartAuthSessionAsync(ct: ct).ConfigureAwait(false);
            try
            {
                await tpm.PolicySecretAsync(TpmRh.Endorsement, session, ct: ct).ConfigureAwait(false);
                secret = await tpm.ActivateCredentialAsync(loaded.Handle, ek.Handle, session, challenge.CredentialBlob, challenge.Secret, ct: ct)
                    .ConfigureAwait(false);
            }
            catch (TpmException e)
            {
                throw new CredentialActivationException($"credential activation failed: {e.ResponseCode} (not this TPM's EK, or not this AK)", e);
            }
            catch (Exception e) when (e is TpmFormatException or ArgumentException)
            {
                throw new CredentialActivationException($"credential activation failed: the credential is not well formed ({e.Message})", e);
            }
            finally
            {
                await tpm.FlushContextAsync(session.Handle, ct).ConfigureAwait(false);
            }
        }

        if (secret.Length != EnrolmentRecord.SecretLength)
        {
            CryptographicOperations.ZeroMemory(secret);
            throw new CredentialActivationException($"the activated secret has {secret.Length} octets, not {EnrolmentRecord.SecretLength}");
        }

        return secret;
    }

    /// <summary>
    /// Unseals the secret in a policy session (StartAuthSession + PolicyPCR + Unseal). A policy failure means the
    /// PCRs are not the clean values sealed at enrolment: <see cref="NotCleanException"/>.
    /// </summary>
    public async Task<byte[]> UnsealSecretAsync(CancellationToken ct = default)
    {
        await using var srk = await CreateSrkAsync(ct).ConfigureAwait(false);
        return await UnsealSecretAsync(srk, ct).ConfigureAwait(false);
    }

    private async Task<byte[]> UnsealSecretAsync(TransientObject srk, CancellationToken ct)
    {
        var sealedSecret = state.LoadSealedSecret();
        try
        {
            return await tpm.UnsealWithPcrPolicyAsync(srk.Handle, sealedSecret, MeasuredLaunch.Selection, ct).ConfigureAwait(false);
        }
        catch (TpmException e) when (IsPolicyFailure(e))
        {
            throw new NotCleanException($"the secret does not unseal: {e.ResponseCode}", e);
        }
    }

    /// <summary>
    /// The attestation step for one CHALLENGE: unseal the secret, TPM2_Quote(AK, qualifyingData = nonce) over the
    /// challenged selection (TPM_RC_RETRY after a restart is retried by <see cref="Tpm2"/>), read the quoted PCRs,
    /// and compute the proof over nonce, session and clean MAC. The secret is wiped before returning.
    /// </summary>
    public async Task<Evidence> ProduceEvidenceAsync(ulong session, byte[] nonce, byte[] pcrSelection, MacAddress cleanMac,
        CancellationToken ct = default)
    {
        var quoteSelection = ParseSelection(pcrSelection);
        // One SRK for the whole exchange: recreating the primary (an ECC key generation in the TPM) for the unseal and
        // again for the AK would double the slowest command of the step.
        await using var srk = await CreateSrkAsync(ct).ConfigureAwait(false);
        var secret = await UnsealSecretAsync(srk, ct).ConfigureAwait(false);
        try
        {
            var ak = state.LoadAk();
            QuoteResult quote;
            await using (var loaded = await tpm.LoadAsync(srk.Handle, ak, ct: ct).ConfigureAwait(false))
            {
                quote = await tpm.QuoteAsync(loaded.Handle, nonce, quoteSelection, ct: ct).ConfigureAwait(false);
            }

            var (_, values) = await tpm.PcrReadAsync(quoteSelection, ct).ConfigureAwait(false);
            using var proofKey = AttestationProof.DeriveKey(secret);
            var proof = AttestationProof.SignEvidence(proofKey, nonce, session, cleanMac);
            return new Evidence(session, quote.Attest, quote.Signature.ToBytes(), values.Select(v => (ReadOnlyMemory<byte>)v), proof);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>The DEPART proof (docs/protocol.md §8): needs the secret, so only a clean TPM can depart with proof.</summary>
    public async Task<byte[]> ProduceDepartProofAsync(ulong session, byte[] nonce, MacAddress cleanMac, CancellationToken ct = default)
    {
        var secret = await UnsealSecretAsync(ct).ConfigureAwait(false);
        try
        {
            using var proofKey = AttestationProof.DeriveKey(secret);
            return AttestationProof.SignDepart(proofKey, nonce, session, cleanMac);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>The AK's public area and qualified name (for status and tests).</summary>
    public async Task<(TpmtPublic Public, byte[] QualifiedName)> ReadAkAsync(CancellationToken ct = default)
    {
        var ak = state.LoadAk();
        await using var srk = await CreateSrkAsync(ct).ConfigureAwait(false);
        await using var loaded = await tpm.LoadAsync(srk.Handle, ak, ct: ct).ConfigureAwait(false);
        var (pub, _, qualified) = await tpm.ReadPublicAsync(loaded.Handle, ct).ConfigureAwait(false);
        return (pub, qualified);
    }

    private Task<TransientObject> CreateSrkAsync(CancellationToken ct) =>
        tpm.CreatePrimaryAsync(TpmRh.Owner, TpmTemplates.EccStorageKey(), ct: ct);

    /// <summary>
    /// TPM_RC_POLICY_FAIL from Unseal: the session's policy digest is not the object's authPolicy, i.e. the PCRs
    /// differ from the sealed values; TPM_RC_PCR_CHANGED: a PCR changed between PolicyPCR and Unseal (Part 2, §6.6).
    /// </summary>
    private static bool IsPolicyFailure(TpmException e) => e.ResponseCode.BaseCode is 0x09D or 0x128;

    private static TpmlPcrSelection ParseSelection(byte[] bytes)
    {
        try
        {
            var r = new TpmReader(bytes);
            var selection = TpmlPcrSelection.Read(ref r);
            r.EnsureEnd("TPML_PCR_SELECTION");
            return selection;
        }
        catch (TpmFormatException e)
        {
            throw new AgentConfigurationException($"the CHALLENGE's PCR selection does not parse: {e.Message}");
        }
    }
}
