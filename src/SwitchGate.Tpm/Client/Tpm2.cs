using System.Security.Cryptography;
using SwitchGate.Tpm.Marshalling;
using SwitchGate.Tpm.Sessions;
using SwitchGate.Tpm.Structures;
using SwitchGate.Tpm.Transport;

namespace SwitchGate.Tpm.Client;

/// <summary>A transient object loaded in the TPM. Disposing it flushes it (swtpm has only 3 object slots).</summary>
public sealed class TransientObject : IAsyncDisposable
{
    private readonly Tpm2 _tpm;
    private bool _flushed;

    internal TransientObject(Tpm2 tpm, uint handle, byte[] name, TpmtPublic? publicArea)
    {
        _tpm = tpm;
        Handle = handle;
        Name = name;
        Public = publicArea;
    }

    public uint Handle { get; }
    public byte[] Name { get; }
    public TpmtPublic? Public { get; }

    public async ValueTask DisposeAsync()
    {
        if (_flushed) return;
        _flushed = true;
        await _tpm.FlushContextAsync(Handle).ConfigureAwait(false);
    }
}

/// <summary>The private and public parts TPM2_Create returns (TPM2B_PRIVATE contents and TPMT_PUBLIC).</summary>
public sealed record CreatedObject(byte[] Private, TpmtPublic Public)
{
    /// <summary>The TPM2B_PRIVATE as tpm2-tools writes it with <c>-r</c>.</summary>
    public byte[] PrivateTpm2b() => new TpmWriter().Write2B(Private).ToArray();

    public static byte[] ParsePrivateTpm2b(ReadOnlySpan<byte> bytes)
    {
        var r = new TpmReader(bytes);
        var p = r.Read2B("TPM2B_PRIVATE");
        r.EnsureEnd("TPM2B_PRIVATE");
        return p;
    }
}

/// <summary>An attestation command's output (Quote, Certify): the TPMS_ATTEST bytes exactly as signed, and the signature.</summary>
public sealed record QuoteResult(byte[] Attest, TpmtSignature Signature);

/// <summary>
/// A TPM 2.0 client: one typed method per command (TPM 2.0 Part 3), marshalled by hand. Retries
/// TPM_RC_RETRY / YIELDED / TESTING; any other non-success code becomes a <see cref="TpmException"/>.
/// </summary>
public sealed class Tpm2 : IDisposable
{
    private const int MaxRetries = 100;
    private readonly ITpmTransport _transport;
    private readonly bool _ownsTransport;

    public Tpm2(ITpmTransport transport, bool ownsTransport = true)
    {
        _transport = transport;
        _ownsTransport = ownsTransport;
    }

    public static async Task<Tpm2> ConnectSwtpmAsync(string host, int port, CancellationToken ct = default) =>
        new(await SwtpmTransport.ConnectAsync(host, port, ct).ConfigureAwait(false));

    public void Dispose()
    {
        if (_ownsTransport) _transport.Dispose();
    }

    // ---- command framing (Part 1, §18 "Command/Response Structure") ----

    private readonly record struct Response(uint[] Handles, byte[] Parameters);

    private async Task<Response> ExecuteAsync(TpmCc cc, uint[] handles, AuthSession[] sessions, Action<TpmWriter>? parameters,
        int responseHandleCount, CancellationToken ct)
    {
        var w = new TpmWriter();
        w.WriteUInt16((ushort)(sessions.Length > 0 ? TpmSt.Sessions : TpmSt.NoSessions)).WriteUInt32(0).WriteUInt32((uint)cc);
        foreach (var h in handles) w.WriteUInt32(h);
        if (sessions.Length > 0)
        {
            var auth = new TpmWriter();
            foreach (var s in sessions) s.WriteCommandAuth(auth);
            w.WriteUInt32((uint)auth.Length).WriteBytes(auth.AsSpan());
        }
        parameters?.Invoke(w);
        w.PatchUInt32(2, (uint)w.Length);
        var command = w.ToArray();

        for (int attempt = 0; ; attempt++)
        {
            var response = await _transport.SendAsync(command, ct).ConfigureAwait(false);
            var r = new TpmReader(response);
            var tag = (TpmSt)r.ReadUInt16("response.tag");
            var size = r.ReadUInt32("response.responseSize");
            if (size != response.Length) throw new TpmFormatException($"response size field {size} but {response.Length} bytes received");
            var rc = new TpmResponseCode(r.ReadUInt32("response.responseCode"));
            if (rc.IsRetryable && attempt < MaxRetries)
            {
                // Part 2, §6.6.3: RETRY/YIELDED/TESTING mean the same command may succeed if sent again.
                await Task.Delay(rc.Value == TpmResponseCode.Testing ? 50 : 2, ct).ConfigureAwait(false);
                continue;
            }
            if (rc.Value != TpmResponseCode.Success) throw new TpmException(cc, rc.Value);
            return ParseResponse(cc, response, tag, sessions, responseHandleCount);
        }
    }

    private static Response ParseResponse(TpmCc cc, byte[] response, TpmSt tag, AuthSession[] sessions, int handleCount)
    {
        var r = new TpmReader(response);
        r.ReadSpan(10, "response header");
        var handles = new uint[handleCount];
        for (int i = 0; i < handleCount; i++) handles[i] = r.ReadUInt32("response handle");
        if (tag == TpmSt.Sessions)
        {
            var paramSize = (int)r.ReadUInt32("response.parameterSize");
            var parameters = r.ReadBytes(paramSize, "response parameters");
            foreach (var s in sessions) s.ReadResponseAuth(ref r);
            r.EnsureEnd($"TPM2_{cc} response");
            return new Response(handles, parameters);
        }
        if (tag != TpmSt.NoSessions) throw new TpmFormatException($"TPM2_{cc} response has tag 0x{(ushort)tag:X4}");
        if (sessions.Length > 0) throw new TpmFormatException($"TPM2_{cc} response has no authorization area");
        return new Response(handles, r.ReadBytes(r.Remaining, "response parameters"));
    }

    private static T Parse<T>(TpmCc cc, byte[] parameters, ParseFunc<T> parse)
    {
        var r = new TpmReader(parameters);
        var result = parse(ref r);
        r.EnsureEnd($"TPM2_{cc} response parameters");
        return result;
    }

    private delegate T ParseFunc<T>(ref TpmReader r);

    private static AuthSession[] Auth(AuthSession? s) => [s ?? PasswordSession.Empty];

    // ---- start-up, randomness, capabilities (Part 3, §9, §16, §30) ----

    public Task StartupAsync(TpmSu startupType, CancellationToken ct = default) =>
        ExecuteAsync(TpmCc.Startup, [], [], w => w.WriteUInt16((ushort)startupType), 0, ct);

    public Task ShutdownAsync(TpmSu shutdownType, CancellationToken ct = default) =>
        ExecuteAsync(TpmCc.Shutdown, [], [], w => w.WriteUInt16((ushort)shutdownType), 0, ct);

    public async Task<byte[]> GetRandomAsync(int bytesRequested, CancellationToken ct = default)
    {
        var result = new List<byte>();
        while (result.Count < bytesRequested)
        {
            var ask = (ushort)Math.Min(bytesRequested - result.Count, 32);
            var rsp = await ExecuteAsync(TpmCc.GetRandom, [], [], w => w.WriteUInt16(ask), 0, ct).ConfigureAwait(false);
            var chunk = Parse(TpmCc.GetRandom, rsp.Parameters, (ref TpmReader r) => r.Read2B("randomBytes", 64));
            if (chunk.Length == 0) throw new TpmFormatException("TPM2_GetRandom returned no bytes");
            result.AddRange(chunk);
        }
        return result.Take(bytesRequested).ToArray();
    }

    /// <summary>TPM2_GetCapability: moreData and the raw TPMU_CAPABILITIES after the capability selector.</summary>
    public async Task<(bool MoreData, byte[] Data)> GetCapabilityAsync(TpmCap capability, uint property, uint propertyCount, CancellationToken ct = default)
    {
        var rsp = await ExecuteAsync(TpmCc.GetCapability, [], [],
            w => w.WriteUInt32((uint)capability).WriteUInt32(property).WriteUInt32(propertyCount), 0, ct).ConfigureAwait(false);
        var r = new TpmReader(rsp.Parameters);
        var more = r.ReadByte("moreData") == 1;
        var cap = r.ReadUInt32("TPMS_CAPABILITY_DATA.capability");
        if (cap != (uint)capability) throw new TpmFormatException($"asked for capability {capability}, got {cap}");
        return (more, r.ReadBytes(r.Remaining, "TPMU_CAPABILITIES"));
    }

    /// <summary>TPM_CAP_TPM_PROPERTIES as TPML_TAGGED_TPM_PROPERTY (Part 2, §10.9.8).</summary>
    public async Task<IReadOnlyDictionary<uint, uint>> GetTpmPropertiesAsync(uint first, uint count, CancellationToken ct = default)
    {
        var (_, data) = await GetCapabilityAsync(TpmCap.TpmProperties, first, count, ct).ConfigureAwait(false);
        return Parse(TpmCc.GetCapability, data, (ref TpmReader r) =>
        {
            var n = r.ReadUInt32("TPML_TAGGED_TPM_PROPERTY.count");
            var d = new Dictionary<uint, uint>();
            for (int i = 0; i < n; i++) d[r.ReadUInt32("TPMS_TAGGED_PROPERTY.property")] = r.ReadUInt32("TPMS_TAGGED_PROPERTY.value");
            return d;
        });
    }

    /// <summary>TPM_CAP_HANDLES from <paramref name="first"/> (e.g. 0x80000000 transient, 0x81000000 persistent).</summary>
    public async Task<IReadOnlyList<uint>> GetHandlesAsync(uint first, CancellationToken ct = default)
    {
        var (_, data) = await GetCapabilityAsync(TpmCap.Handles, first, 64, ct).ConfigureAwait(false);
        var all = Parse(TpmCc.GetCapability, data, (ref TpmReader r) =>
        {
            var n = r.ReadUInt32("TPML_HANDLE.count");
            var list = new List<uint>();
            for (int i = 0; i < n; i++) list.Add(r.ReadUInt32("TPML_HANDLE.handle"));
            return list;
        });
        return all.Where(h => h >> 24 == first >> 24).ToList();
    }

    /// <summary>TPM2_DictionaryAttackLockReset with lockout authorization (Part 3, §25.2): clears the failure count.</summary>
    public Task DictionaryAttackLockResetAsync(AuthSession? lockoutAuth = null, CancellationToken ct = default) =>
        ExecuteAsync(TpmCc.DictionaryAttackLockReset, [TpmRh.Lockout], Auth(lockoutAuth), null, 0, ct);

    // ---- PCRs (Part 3, §22) ----

    /// <summary>
    /// TPM2_PCR_Read for every PCR in <paramref name="selection"/>, in selection order. The TPM returns at most
    /// 8 digests per call and clears what it returned from pcrSelectionOut, so this loops until all are read.
    /// </summary>
    public async Task<(uint UpdateCounter, byte[][] Values)> PcrReadAsync(TpmlPcrSelection selection, CancellationToken ct = default)
    {
        var values = new Dictionary<(TpmAlgId, int), byte[]>();
        uint counter = 0;
        var wanted = selection.InOrder().ToList();
        while (values.Count < wanted.Count)
        {
            var missing = new TpmlPcrSelection(selection.Selections.Select(s =>
                new TpmsPcrSelection(s.Hash, s.Pcrs.Where(p => !values.ContainsKey((s.Hash, p))))));
            var rsp = await ExecuteAsync(TpmCc.PcrRead, [], [], missing.Write, 0, ct).ConfigureAwait(false);
            var (c, outSel, digests) = Parse(TpmCc.PcrRead, rsp.Parameters, (ref TpmReader r) =>
            {
                var uc = r.ReadUInt32("pcrUpdateCounter");
                var sel = TpmlPcrSelection.Read(ref r);
                var n = r.ReadUInt32("TPML_DIGEST.count");
                if (n > 8) throw new TpmFormatException($"TPML_DIGEST.count {n} exceeds 8");
                var d = new byte[n][];
                for (int i = 0; i < n; i++) d[i] = r.Read2B("TPML_DIGEST.digests", 64);
                return (uc, sel, d);
            });
            var got = outSel.InOrder().ToList();
            if (got.Count != digests.Length || got.Count == 0)
                throw new TpmFormatException($"TPM2_PCR_Read returned {digests.Length} digests for {got.Count} selected PCRs");
            for (int i = 0; i < got.Count; i++) values[got[i]] = digests[i];
            counter = c;
        }
        return (counter, wanted.Select(k => values[k]).ToArray());
    }

    /// <summary>TPM2_PCR_Extend of one bank (TPML_DIGEST_VALUES with one TPMT_HA).</summary>
    public Task PcrExtendAsync(int pcr, TpmAlgId bank, byte[] digest, CancellationToken ct = default)
    {
        if (digest.Length != TpmHash.DigestSize(bank)) throw new ArgumentException($"a {bank} digest is {TpmHash.DigestSize(bank)} bytes");
        return ExecuteAsync(TpmCc.PcrExtend, [TpmRh.PcrFirst + (uint)pcr], Auth(null),
            w => w.WriteUInt32(1).WriteUInt16((ushort)bank).WriteBytes(digest), 0, ct);
    }

    // ---- objects (Part 3, §12, §24, §28) ----

    private static void WriteSensitiveCreate(TpmWriter w, byte[] userAuth, byte[] data) =>
        w.Write2B(inner => inner.Write2B(userAuth).Write2B(data)); // TPM2B_SENSITIVE_CREATE

    private static void WriteCreateParameters(TpmWriter w, TpmtPublic template, byte[] userAuth, byte[] data)
    {
        WriteSensitiveCreate(w, userAuth, data);
        Tpm2bPublic.Write(w, template);
        w.Write2B([]);            // outsideInfo
        w.WriteUInt32(0);         // creationPCR: empty TPML_PCR_SELECTION
    }

    /// <summary>TPM2_CreatePrimary under <paramref name="hierarchy"/>; the caller must dispose (flush) the result.</summary>
    public async Task<TransientObject> CreatePrimaryAsync(uint hierarchy, TpmtPublic template, AuthSession? hierarchyAuth = null,
        CancellationToken ct = default)
    {
        var rsp = await ExecuteAsync(TpmCc.CreatePrimary, [hierarchy], Auth(hierarchyAuth),
            w => WriteCreateParameters(w, template, [], []), 1, ct).ConfigureAwait(false);
        var handle = rsp.Handles[0];
        try
        {
            var (pub, name) = Parse(TpmCc.CreatePrimary, rsp.Parameters, (ref TpmReader r) =>
            {
                var p = Tpm2bPublic.Read(ref r);
                r.Read2B("creationData");
                r.Read2B("creationHash", 64);
                TpmtTicket.Read(ref r);
                return (p, r.Read2B("name", 66));
            });
            return new TransientObject(this, handle, name, pub);
        }
        catch
        {
            await FlushContextAsync(handle, ct).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>TPM2_Create under a loaded parent: an ordinary key, or a sealed data object when <paramref name="sealedData"/> is given.</summary>
    public async Task<CreatedObject> CreateAsync(uint parentHandle, TpmtPublic template, byte[]? sealedData = null, byte[]? userAuth = null,
        AuthSession? parentAuth = null, CancellationToken ct = default)
    {
        var rsp = await ExecuteAsync(TpmCc.Create, [parentHandle], Auth(parentAuth),
            w => WriteCreateParameters(w, template, userAuth ?? [], sealedData ?? []), 0, ct).ConfigureAwait(false);
        return Parse(TpmCc.Create, rsp.Parameters, (ref TpmReader r) =>
        {
            var priv = r.Read2B("outPrivate");
            var pub = Tpm2bPublic.Read(ref r);
            r.Read2B("creationData");
            r.Read2B("creationHash", 64);
            TpmtTicket.Read(ref r);
            return new CreatedObject(priv, pub);
        });
    }

    /// <summary>TPM2_Load; the caller must dispose (flush) the result.</summary>
    public async Task<TransientObject> LoadAsync(uint parentHandle, CreatedObject obj, AuthSession? parentAuth = null, CancellationToken ct = default)
    {
        var rsp = await ExecuteAsync(TpmCc.Load, [parentHandle], Auth(parentAuth),
            w => { w.Write2B(obj.Private); Tpm2bPublic.Write(w, obj.Public); }, 1, ct).ConfigureAwait(false);
        var handle = rsp.Handles[0];
        try
        {
            var name = Parse(TpmCc.Load, rsp.Parameters, (ref TpmReader r) => r.Read2B("name", 66));
            return new TransientObject(this, handle, name, obj.Public);
        }
        catch
        {
            await FlushContextAsync(handle, ct).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>TPM2_ReadPublic: public area, Name and qualified Name of a loaded or persistent object.</summary>
    public async Task<(TpmtPublic Public, byte[] Name, byte[] QualifiedName)> ReadPublicAsync(uint handle, CancellationToken ct = default)
    {
        var rsp = await ExecuteAsync(TpmCc.ReadPublic, [handle], [], null, 0, ct).ConfigureAwait(false);
        return Parse(TpmCc.ReadPublic, rsp.Parameters, (ref TpmReader r) =>
            (Tpm2bPublic.Read(ref r), r.Read2B("name", 66), r.Read2B("qualifiedName", 66)));
    }

    /// <summary>TPM2_NV_ReadPublic: the size of the data in an NV index (Part 3, §31.6), or TPM_RC_HANDLE when it does not exist.</summary>
    public async Task<ushort> NvReadPublicSizeAsync(uint nvIndex, CancellationToken ct = default)
    {
        var rsp = await ExecuteAsync(TpmCc.NvReadPublic, [nvIndex], [], null, 0, ct).ConfigureAwait(false);
        return Parse(TpmCc.NvReadPublic, rsp.Parameters, (ref TpmReader r) =>
        {
            var nv = r.Read2BReader("TPM2B_NV_PUBLIC");
            nv.ReadUInt32("TPMS_NV_PUBLIC.nvIndex");
            nv.ReadUInt16("TPMS_NV_PUBLIC.nameAlg");
            nv.ReadUInt32("TPMS_NV_PUBLIC.attributes");
            nv.Read2B("TPMS_NV_PUBLIC.authPolicy", 64);
            var size = nv.ReadUInt16("TPMS_NV_PUBLIC.dataSize");
            nv.EnsureEnd("TPM2B_NV_PUBLIC");
            r.Read2B("nvName", 66);
            return size;
        });
    }

    /// <summary>
    /// The whole contents of an NV index, read with the index's own (empty) authorization (TPMA_NV_AUTHREAD, as the
    /// EK certificate indices of the TCG EK Credential Profile allow), in chunks the TPM accepts (Part 3, §31.13).
    /// </summary>
    public async Task<byte[]> NvReadAllAsync(uint nvIndex, CancellationToken ct = default)
    {
        const uint NvBufferMax = 0x0000_012C; // TPM_PT_NV_BUFFER_MAX (Part 2, §6.13)
        var size = await NvReadPublicSizeAsync(nvIndex, ct).ConfigureAwait(false);
        var properties = await GetTpmPropertiesAsync(NvBufferMax, 1, ct).ConfigureAwait(false);
        var chunk = (int)Math.Clamp(properties.TryGetValue(NvBufferMax, out var max) ? max : 512u, 64u, 1024u);
        var data = new byte[size];
        for (var offset = 0; offset < size; offset += chunk)
        {
            var n = Math.Min(chunk, size - offset);
            var rsp = await ExecuteAsync(TpmCc.NvRead, [nvIndex, nvIndex], Auth(null),
                w => w.WriteUInt16((ushort)n).WriteUInt16((ushort)offset), 0, ct).ConfigureAwait(false);
            var part = Parse(TpmCc.NvRead, rsp.Parameters, (ref TpmReader r) => r.Read2B("TPM2B_MAX_NV_BUFFER", 2048));
            if (part.Length != n) throw new TpmFormatException($"TPM2_NV_Read returned {part.Length} bytes, {n} asked for");
            part.CopyTo(data, offset);
        }
        return data;
    }

    /// <summary>TPM2_EvictControl: makes a transient object persistent at <paramref name="persistentHandle"/>, or evicts a persistent one (pass it twice).</summary>
    public Task EvictControlAsync(uint objectHandle, uint persistentHandle, uint auth = TpmRh.Owner, CancellationToken ct = default) =>
        ExecuteAsync(TpmCc.EvictControl, [auth, objectHandle], Auth(null), w => w.WriteUInt32(persistentHandle), 0, ct);

    /// <summary>TPM2_FlushContext: the handle is a parameter, not a handle-area entry (Part 3, §28.4).</summary>
    public Task FlushContextAsync(uint handle, CancellationToken ct = default) =>
        ExecuteAsync(TpmCc.FlushContext, [], [], w => w.WriteUInt32(handle), 0, ct);

    // ---- sessions and policy (Part 3, §11, §23) ----

    /// <summary>TPM2_StartAuthSession: unbound, unsalted, no symmetric parameter encryption. Flush the session when done.</summary>
    public async Task<PolicySession> StartAuthSessionAsync(TpmSe sessionType = TpmSe.Policy, TpmAlgId authHash = TpmAlgId.Sha256,
        CancellationToken ct = default)
    {
        var nonceCaller = RandomNumberGenerator.GetBytes(TpmHash.DigestSize(authHash));
        var rsp = await ExecuteAsync(TpmCc.StartAuthSession, [TpmRh.Null, TpmRh.Null], [], w =>
        {
            w.Write2B(nonceCaller).Write2B([]).WriteByte((byte)sessionType);
            TpmtSymDefObject.Null.Write(w);
            w.WriteUInt16((ushort)authHash);
        }, 1, ct).ConfigureAwait(false);
        var nonceTpm = Parse(TpmCc.StartAuthSession, rsp.Parameters, (ref TpmReader r) => r.Read2B("nonceTPM", 64));
        return new PolicySession(rsp.Handles[0], authHash, nonceTpm);
    }

    /// <summary>TPM2_PolicyPCR with an empty pcrDigest: the TPM uses the current values of <paramref name="pcrs"/>.</summary>
    public Task PolicyPcrAsync(PolicySession session, TpmlPcrSelection pcrs, byte[]? pcrDigest = null, CancellationToken ct = default) =>
        ExecuteAsync(TpmCc.PolicyPcr, [session.Handle], [], w => { w.Write2B(pcrDigest ?? []); pcrs.Write(w); }, 0, ct);

    /// <summary>TPM2_PolicySecret with the authorization of <paramref name="authHandle"/> (e.g. the endorsement hierarchy for the EK policy).</summary>
    public async Task PolicySecretAsync(uint authHandle, PolicySession session, AuthSession? auth = null, CancellationToken ct = default)
    {
        var rsp = await ExecuteAsync(TpmCc.PolicySecret, [authHandle, session.Handle], Auth(auth), w =>
            w.Write2B([]).Write2B([]).Write2B([]).WriteUInt32(0), 0, ct).ConfigureAwait(false);
        Parse(TpmCc.PolicySecret, rsp.Parameters, (ref TpmReader r) => { r.Read2B("timeout", 8); return TpmtTicket.Read(ref r); });
    }

    public async Task<byte[]> PolicyGetDigestAsync(PolicySession session, CancellationToken ct = default)
    {
        var rsp = await ExecuteAsync(TpmCc.PolicyGetDigest, [session.Handle], [], null, 0, ct).ConfigureAwait(false);
        return Parse(TpmCc.PolicyGetDigest, rsp.Parameters, (ref TpmReader r) => r.Read2B("policyDigest", 64));
    }

    // ---- using objects (Part 3, §12.7, §15, §18, §20) ----

    public async Task<byte[]> UnsealAsync(uint itemHandle, AuthSession auth, CancellationToken ct = default)
    {
        var rsp = await ExecuteAsync(TpmCc.Unseal, [itemHandle], [auth], null, 0, ct).ConfigureAwait(false);
        return Parse(TpmCc.Unseal, rsp.Parameters, (ref TpmReader r) => r.Read2B("outData", 128));
    }

    /// <summary>TPM2_Quote with the key's own scheme (inScheme NULL).</summary>
    public async Task<QuoteResult> QuoteAsync(uint signHandle, byte[] qualifyingData, TpmlPcrSelection pcrs, AuthSession? auth = null,
        CancellationToken ct = default)
    {
        var rsp = await ExecuteAsync(TpmCc.Quote, [signHandle], Auth(auth), w =>
        {
            w.Write2B(qualifyingData);
            TpmtScheme.Null.Write(w);
            pcrs.Write(w);
        }, 0, ct).ConfigureAwait(false);
        return Parse(TpmCc.Quote, rsp.Parameters, (ref TpmReader r) => new QuoteResult(r.Read2B("quoted"), TpmtSignature.Read(ref r)));
    }

    /// <summary>TPM2_Certify: <paramref name="signHandle"/> attests that <paramref name="objectHandle"/> is loaded.</summary>
    public async Task<QuoteResult> CertifyAsync(uint objectHandle, uint signHandle, byte[] qualifyingData, CancellationToken ct = default)
    {
        var rsp = await ExecuteAsync(TpmCc.Certify, [objectHandle, signHandle], [PasswordSession.Empty, PasswordSession.Empty], w =>
        {
            w.Write2B(qualifyingData);
            TpmtScheme.Null.Write(w);
        }, 0, ct).ConfigureAwait(false);
        return Parse(TpmCc.Certify, rsp.Parameters, (ref TpmReader r) => new QuoteResult(r.Read2B("certifyInfo"), TpmtSignature.Read(ref r)));
    }

    /// <summary>
    /// TPM2_Hash. With a hierarchy other than NULL the TPM returns a TPMT_TK_HASHCHECK that lets a restricted
    /// key sign the digest — but only if the data does not start with TPM_GENERATED_VALUE (Part 3, §15.4).
    /// </summary>
    public async Task<(byte[] Digest, TpmtTicket Validation)> HashAsync(byte[] data, TpmAlgId hashAlg, uint hierarchy, CancellationToken ct = default)
    {
        var rsp = await ExecuteAsync(TpmCc.Hash, [], [], w => w.Write2B(data).WriteUInt16((ushort)hashAlg).WriteUInt32(hierarchy), 0, ct)
            .ConfigureAwait(false);
        return Parse(TpmCc.Hash, rsp.Parameters, (ref TpmReader r) => (r.Read2B("outHash", 64), TpmtTicket.Read(ref r)));
    }

    /// <summary>TPM2_Sign with the key's own scheme.</summary>
    public async Task<TpmtSignature> SignAsync(uint keyHandle, byte[] digest, TpmtTicket validation, AuthSession? auth = null, CancellationToken ct = default)
    {
        var rsp = await ExecuteAsync(TpmCc.Sign, [keyHandle], Auth(auth), w =>
        {
            w.Write2B(digest);
            TpmtScheme.Null.Write(w);
            validation.Write(w);
        }, 0, ct).ConfigureAwait(false);
        return Parse(TpmCc.Sign, rsp.Parameters, (ref TpmReader r) => TpmtSignature.Read(ref r));
    }

    /// <summary>
    /// TPM2_ActivateCredential: the first session authorizes <paramref name="activateHandle"/> (ADMIN role, password
    /// for an AK without adminWithPolicy), the second <paramref name="keyHandle"/> (the EK: a policy session that
    /// has passed PolicySecret(TPM_RH_ENDORSEMENT)).
    /// </summary>
    public async Task<byte[]> ActivateCredentialAsync(uint activateHandle, uint keyHandle, AuthSession keyAuth, byte[] credentialBlob,
        byte[] secret, AuthSession? activateAuth = null, CancellationToken ct = default)
    {
        var rsp = await ExecuteAsync(TpmCc.ActivateCredential, [activateHandle, keyHandle], [activateAuth ?? PasswordSession.Empty, keyAuth],
            w => w.Write2B(credentialBlob).Write2B(secret), 0, ct).ConfigureAwait(false);
        return Parse(TpmCc.ActivateCredential, rsp.Parameters, (ref TpmReader r) => r.Read2B("certInfo", 64));
    }
}
