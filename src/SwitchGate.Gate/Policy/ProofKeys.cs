using System.Security.Cryptography;
using System.Text.Json;
using SwitchGate.Attestation;
using SwitchGate.Attestation.Enrolment;
using SwitchGate.Tpm.Credentials;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.Gate.Policy;

/// <summary>A rotation handed to the agent and not yet proven: the new generation's public point and the ROTATE's wrapped secret.</summary>
public sealed record PendingRotation(uint Generation, byte[] Key, byte[] Credential, byte[] EncryptedSecret);

/// <summary>
/// The node's verifier as rotation left it (docs/enrolment.md "Rotation"), kept durably next to the enrolment as
/// <c>&lt;node&gt;.proofkey</c>: the enrolled public point it started from (a re-enrolment makes the file stale),
/// the generation and public point in use, and at most one pending rotation. Public values and ciphertext only.
/// </summary>
public sealed record ProofKeyState(string Node, byte[] Enrolled, uint Generation, byte[] Current, PendingRotation? Pending)
{
    public const string Extension = ".proofkey";

    public byte[] ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("node", Node);
            w.WriteString("enrolled_proof_key", Convert.ToBase64String(Enrolled));
            w.WriteNumber("generation", Generation);
            w.WriteString("proof_key", Convert.ToBase64String(Current));
            if (Pending is { } p)
            {
                w.WriteStartObject("pending");
                w.WriteNumber("generation", p.Generation);
                w.WriteString("proof_key", Convert.ToBase64String(p.Key));
                w.WriteString("credential", Convert.ToBase64String(p.Credential));
                w.WriteString("encrypted_secret", Convert.ToBase64String(p.EncryptedSecret));
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return stream.ToArray();
    }

    /// <summary>Parses strictly; any defect is an <see cref="EnrolmentFormatException"/> naming it.</summary>
    public static ProofKeyState FromJson(ReadOnlySpan<byte> json)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json))
            throw new EnrolmentFormatException("proof key state: not UTF-8");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 4 });
        }
        catch (JsonException e)
        {
            throw new EnrolmentFormatException($"proof key state: not valid JSON: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            Keys(root, ["node", "enrolled_proof_key", "generation", "proof_key"], ["pending"]);
            PendingRotation? pending = null;
            if (root.TryGetProperty("pending", out var p))
            {
                Keys(p, ["generation", "proof_key", "credential", "encrypted_secret"], []);
                pending = new PendingRotation(ReadGeneration(p, 1), Point(p, "proof_key"),
                    Base64(p, "credential", TlvType.Credential), Base64(p, "encrypted_secret", TlvType.EncryptedSecret));
            }
            var state = new ProofKeyState(
                root.GetProperty("node") is { ValueKind: JsonValueKind.String } n ? n.GetString()! : throw new EnrolmentFormatException("proof key state: 'node' must be a string"),
                Point(root, "enrolled_proof_key"), ReadGeneration(root, 0), Point(root, "proof_key"), pending);
            if (pending is not null && pending.Generation != state.Generation + 1)
                throw new EnrolmentFormatException($"proof key state: pending generation {pending.Generation} is not {state.Generation} + 1");
            return state;
        }
    }

    private static void Keys(JsonElement e, string[] required, string[] optional)
    {
        if (e.ValueKind != JsonValueKind.Object)
            throw new EnrolmentFormatException("proof key state: a JSON object expected");
        foreach (var p in e.EnumerateObject())
            if (!required.Contains(p.Name) && !optional.Contains(p.Name))
                throw new EnrolmentFormatException($"proof key state: unknown key '{p.Name}'");
        foreach (var k in required)
            if (!e.TryGetProperty(k, out _))
                throw new EnrolmentFormatException($"proof key state: missing key '{k}'");
        if (e.EnumerateObject().Count() != required.Length + optional.Count(k => e.TryGetProperty(k, out _)))
            throw new EnrolmentFormatException("proof key state: a key is given more than once");
    }

    private static uint ReadGeneration(JsonElement e, uint min) =>
        e.GetProperty("generation").ValueKind == JsonValueKind.Number && e.GetProperty("generation").TryGetUInt32(out var g) && g >= min
            ? g : throw new EnrolmentFormatException($"proof key state: 'generation' must be an integer {min}..4294967295");

    private static byte[] Point(JsonElement e, string key)
    {
        var bytes = Base64(e, key, null);
        return AttestationProof.IsValidPublicKey(bytes) ? bytes : throw new EnrolmentFormatException($"proof key state: '{key}' is not a P-256 point");
    }

    private static byte[] Base64(JsonElement e, string key, TlvType? tlv)
    {
        var value = e.GetProperty(key);
        byte[] bytes;
        try
        {
            bytes = value.ValueKind == JsonValueKind.String ? Convert.FromBase64String(value.GetString()!) : throw new FormatException();
        }
        catch (FormatException)
        {
            throw new EnrolmentFormatException($"proof key state: '{key}' must be base64");
        }
        if (tlv is { } t && (bytes.Length < Limits.ValueLength(t).Min || bytes.Length > Limits.ValueLength(t).Max))
            throw new EnrolmentFormatException($"proof key state: '{key}' has {bytes.Length} octets");
        return bytes;
    }
}

/// <summary>Which of a node's verifiers a proof matched.</summary>
public enum ProofMatch
{
    /// <summary>Neither: BadSecretProof.</summary>
    None,
    /// <summary>The generation in use.</summary>
    Current,
    /// <summary>The pending rotation's: the agent holds the new secret, so the old one is forgotten now.</summary>
    Pending,
}

/// <summary>
/// A node's proof verifiers in the policy: the public point in use and, while a rotation is pending, the new one too.
/// Two-phase: the controller accepts old-or-new until a proof by the new key arrives (EVIDENCE, DEPART or ROTATED),
/// then only new; a pending rotation is never replaced by another, only handed out again, so an agent that installed
/// it can always prove (docs/enrolment.md "Rotation").
/// </summary>
internal sealed class ProofKeys : IDisposable
{
    private ECDsa _current;
    private ECDsa? _pending;

    public ProofKeys(EnrolmentRecord record, ProofKeyState? persisted)
    {
        Enrolled = record.ProofKey;
        // A state file of an earlier enrolment of this node (another enrolled point) is stale: start from the record.
        State = persisted is not null && persisted.Node == record.Node && persisted.Enrolled.AsSpan().SequenceEqual(record.ProofKey)
            ? persisted
            : new ProofKeyState(record.Node, record.ProofKey, 0, record.ProofKey, null);
        _current = AttestationProof.ImportPublicKey(State.Current)!;
        _pending = State.Pending is { } p ? AttestationProof.ImportPublicKey(p.Key) : null;
    }

    public byte[] Enrolled { get; }

    public ProofKeyState State { get; private set; }

    public ProofMatch Match(Func<ECDsa, bool> verify)
    {
        if (verify(_current))
            return ProofMatch.Current;
        return _pending is not null && verify(_pending) ? ProofMatch.Pending : ProofMatch.None;
    }

    /// <summary>Checks a proof against the pending generation's key only (false when none is pending).</summary>
    public bool VerifyPending(Func<ECDsa, bool> verify) => _pending is not null && verify(_pending);

    /// <summary>The pending generation was proven: it becomes the one in use and the old verifier is forgotten.</summary>
    public ProofKeyState Commit()
    {
        var pending = State.Pending ?? throw new InvalidOperationException("no rotation is pending");
        _current.Dispose();
        _current = _pending!;
        _pending = null;
        State = State with { Generation = pending.Generation, Current = pending.Key, Pending = null };
        return State;
    }

    /// <summary>
    /// A new secret for the next generation, wrapped to the node's EK and bound to its AK's Name
    /// (TPM2_MakeCredential in software). The secret itself is wiped before returning: only its public point and the
    /// ciphertext remain.
    /// </summary>
    public ProofKeyState Issue(EnrolmentRecord record)
    {
        if (State.Pending is not null)
            throw new InvalidOperationException("a rotation is already pending");
        var secret = RandomNumberGenerator.GetBytes(EnrolmentRecord.SecretLength);
        try
        {
            var ak = Tpm2bPublic.Parse(record.AkPublic);
            var credential = MakeCredential.Create(Tpm2bPublic.Parse(record.EkPublic!), ak.ComputeName(), secret);
            var key = AttestationProof.PublicKeyOf(secret);
            _pending = AttestationProof.ImportPublicKey(key);
            State = State with { Pending = new PendingRotation(State.Generation + 1, key, credential.CredentialBlob, credential.Secret) };
            return State;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    public void Dispose()
    {
        _current.Dispose();
        _pending?.Dispose();
    }
}
