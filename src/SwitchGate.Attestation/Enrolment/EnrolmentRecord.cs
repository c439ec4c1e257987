using System.Text;
using System.Text.Json;
using SwitchGate.Ethernet;

namespace SwitchGate.Attestation.Enrolment;

/// <summary>A PCR selection in one bank: the hash algorithm's name (as tpm2-tools spells it) and PCR indices.</summary>
public sealed record PcrBankSelection(string Hash, IReadOnlyList<int> Pcrs)
{
    /// <summary>The digest size of the bank, in octets.</summary>
    public int DigestSize => Hash switch
    {
        "sha1" => 20,
        "sha256" => 32,
        "sha384" => 48,
        "sha512" => 64,
        _ => throw new EnrolmentFormatException($"unsupported PCR bank '{Hash}' (sha1, sha256, sha384, sha512)"),
    };

    /// <summary>tpm2-tools' spelling, e.g. <c>sha256:0,4,8,9,14</c>.</summary>
    public override string ToString() => $"{Hash}:{string.Join(',', Pcrs)}";

    public bool Equals(PcrBankSelection? other) => other is not null && Hash == other.Hash && Pcrs.SequenceEqual(other.Pcrs);

    public override int GetHashCode() => HashCode.Combine(Hash, Pcrs.Count);
}

/// <summary>One acceptable set of clean-mode PCR values (a node may have several, e.g. before and after an update).</summary>
public sealed record GoldenSet(string Name, IReadOnlyDictionary<int, byte[]> Values);

/// <summary>
/// What an operator enrols for one boot server (docs/architecture.md "Enrolment"): where it is
/// plugged in, its two addresses, its attestation key, the PCRs that define clean mode and their
/// golden values, and the public key of the proof key derived from the secret sealed to them. The JSON form is the file the agent's
/// <c>enrol</c> step writes and the controller reads; see docs/enrolment.md.
/// </summary>
public sealed record EnrolmentRecord
{
    /// <summary>The secret the agent seals (and the controller issues through the EK): 32 random octets.</summary>
    public const int SecretLength = 32;

    public required string Node { get; init; }
    public required ulong DatapathId { get; init; }
    public required uint Port { get; init; }
    public required MacAddress CleanMac { get; init; }
    public required MacAddress DirtyMac { get; init; }

    /// <summary>The AK's TPM2B_PUBLIC, marshalled as the TPM returns it.</summary>
    public required byte[] AkPublic { get; init; }

    public required PcrBankSelection PcrSelection { get; init; }
    public required IReadOnlyList<GoldenSet> GoldenSets { get; init; }

    /// <summary>
    /// The public point of the proof key derived from the secret the agent sealed under the clean PCR policy
    /// (<see cref="AttestationProof.PublicKeyOf(ReadOnlySpan{byte})"/>): the controller checks proofs with it and
    /// never holds the secret (docs/enrolment.md).
    /// </summary>
    public required byte[] ProofKey { get; init; }

    /// <summary>
    /// Optional: the AK's qualified name (TPM2_ReadPublic's qualifiedName, TPM2B_NAME contents). When present the
    /// verifier requires every quote's qualifiedSigner to equal it (the AK under the enrolled parent, Part 2 §10.12.12).
    /// </summary>
    public byte[]? AkQualifiedName { get; init; }

    /// <summary>
    /// Optional: the EK's TPM2B_PUBLIC, for binding the AK to the EK (docs/enrolment.md, "AK bound to the EK") and for
    /// rotating the secret (the controller wraps each new secret to it). Without a certificate it is trusted as enrolled.
    /// </summary>
    public byte[]? EkPublic { get; init; }

    /// <summary>Optional: the EK certificate (DER) from the TPM's NV, checked against the controller's EK CA.</summary>
    public byte[]? EkCertificate { get; init; }

    /// <summary>
    /// True when the secret was issued by <c>switchgate enrolment bind</c>: encrypted to the EK and bound to the AK's
    /// Name, so only the TPM holding both could seal it. A controller with an EK CA (gate.ek_ca) requires it.
    /// </summary>
    public bool AkBoundToEk { get; init; }

    /// <summary>Checks every invariant; throws <see cref="EnrolmentFormatException"/> naming the first one broken.</summary>
    public EnrolmentRecord Validated()
    {
        if (string.IsNullOrWhiteSpace(Node) || Node.Length > 64 || Node.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            throw new EnrolmentFormatException($"node name '{Node}' must be 1-64 characters of [A-Za-z0-9._-]");
        // OpenFlow 1.3 §7.2.1: physical ports are numbered 1..OFPP_MAX (0xffffff00).
        if (Port is 0 or > 0xffffff00)
            throw new EnrolmentFormatException($"port {Port} is not a physical OpenFlow port number (1..0xffffff00)");
        CheckUnicast(CleanMac, "clean_mac");
        CheckUnicast(DirtyMac, "dirty_mac");
        if (CleanMac.Equals(DirtyMac))
            throw new EnrolmentFormatException("clean_mac and dirty_mac must differ");
        if (AkPublic.Length < 4)
            throw new EnrolmentFormatException("ak_public is too short to be a TPM2B_PUBLIC");
        if (AkQualifiedName is { Length: < 2 or > 66 })
            throw new EnrolmentFormatException("ak_qualified_name must be a TPM2B_NAME (2-66 octets)");
        // ek_public alone (a TPM without an EK certificate) is the EK the controller wraps rotated secrets to, trusted
        // because enrolment happens in clean mode; a certificate always needs the key it certifies.
        if (EkCertificate is not null && EkPublic is null)
            throw new EnrolmentFormatException("ek_certificate needs ek_public");
        if (AkBoundToEk && EkPublic is null)
            throw new EnrolmentFormatException("ak_bound_to_ek needs ek_public and ek_certificate");
        if (!AttestationProof.IsValidPublicKey(ProofKey))
            throw new EnrolmentFormatException($"proof_key must be an uncompressed P-256 point ({AttestationProof.PublicKeyLength} octets, 0x04 ‖ X ‖ Y, on the curve)");
        var size = PcrSelection.DigestSize;
        if (PcrSelection.Pcrs.Count == 0)
            throw new EnrolmentFormatException("pcr_selection selects no PCR");
        if (PcrSelection.Pcrs.Any(p => p is < 0 or > 23) || PcrSelection.Pcrs.Distinct().Count() != PcrSelection.Pcrs.Count
            || !PcrSelection.Pcrs.SequenceEqual(PcrSelection.Pcrs.Order()))
            throw new EnrolmentFormatException($"pcr_selection {PcrSelection} must list distinct PCRs 0-23 in ascending order");
        if (GoldenSets.Count == 0)
            throw new EnrolmentFormatException("golden_sets is empty: no PCR values would ever be accepted");
        foreach (var set in GoldenSets)
        {
            if (!set.Values.Keys.Order().SequenceEqual(PcrSelection.Pcrs))
                throw new EnrolmentFormatException($"golden set '{set.Name}' must give exactly the PCRs of {PcrSelection}");
            foreach (var (pcr, value) in set.Values)
                if (value.Length != size)
                    throw new EnrolmentFormatException($"golden set '{set.Name}' PCR {pcr} has {value.Length} octets, {PcrSelection.Hash} needs {size}");
        }
        if (GoldenSets.Select(s => s.Name).Distinct().Count() != GoldenSets.Count)
            throw new EnrolmentFormatException("golden set names must be unique");
        return this;
    }

    private static void CheckUnicast(MacAddress mac, string field)
    {
        if (!mac.IsUnicast)
            throw new EnrolmentFormatException($"{field} {mac} must be a unicast, non-zero 48-bit MAC");
    }

    public byte[] ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("node", Node);
            w.WriteString("datapath_id", $"0x{DatapathId:x16}");
            w.WriteNumber("port", Port);
            w.WriteString("clean_mac", CleanMac.ToString());
            w.WriteString("dirty_mac", DirtyMac.ToString());
            w.WriteString("ak_public", Convert.ToBase64String(AkPublic));
            w.WriteString("pcr_selection", PcrSelection.ToString());
            w.WriteStartArray("golden_sets");
            foreach (var set in GoldenSets)
            {
                w.WriteStartObject();
                w.WriteString("name", set.Name);
                w.WriteStartObject("pcrs");
                foreach (var (pcr, value) in set.Values.OrderBy(kv => kv.Key))
                    w.WriteString(pcr.ToString(), Convert.ToHexStringLower(value));
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("proof_key", Convert.ToBase64String(ProofKey));
            if (AkQualifiedName is not null)
                w.WriteString("ak_qualified_name", Convert.ToBase64String(AkQualifiedName));
            if (EkPublic is not null)
                w.WriteString("ek_public", Convert.ToBase64String(EkPublic));
            if (EkCertificate is not null)
                w.WriteString("ek_certificate", Convert.ToBase64String(EkCertificate));
            if (AkBoundToEk)
                w.WriteBoolean("ak_bound_to_ek", true);
            w.WriteEndObject();
        }
        return stream.ToArray();
    }

    private static readonly string[] Keys =
        ["node", "datapath_id", "port", "clean_mac", "dirty_mac", "ak_public", "pcr_selection", "golden_sets", "proof_key"];

    private static readonly string[] OptionalKeys = ["ak_qualified_name", "ek_public", "ek_certificate", "ak_bound_to_ek"];

    /// <summary>Parses and validates one record; any defect is an <see cref="EnrolmentFormatException"/>.</summary>
    public static EnrolmentRecord FromJson(ReadOnlySpan<byte> json)
    {
        // RFC 8259 §8.1: JSON text is UTF-8. JsonDocument only checks string contents when they are read, and then
        // throws InvalidOperationException (found by fuzzing), so invalid UTF-8 is refused here first.
        if (!System.Text.Unicode.Utf8.IsValid(json))
            throw new EnrolmentFormatException("not valid JSON: the file is not UTF-8");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new EnrolmentFormatException($"not valid JSON: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new EnrolmentFormatException("an enrolment record must be a JSON object");
            // Records of protocol version 1 carried the secret itself: refuse them by name, so the operator knows to re-enrol.
            if (root.TryGetProperty("secret", out _))
                throw new EnrolmentFormatException("'secret' is a version-1 record holding the secret in clear: re-enrol (the record now carries proof_key only)");
            foreach (var p in root.EnumerateObject())
                if (!Keys.Contains(p.Name) && !OptionalKeys.Contains(p.Name))
                    throw new EnrolmentFormatException($"unknown key '{p.Name}'");
            foreach (var k in Keys)
                if (!root.TryGetProperty(k, out _))
                    throw new EnrolmentFormatException($"missing key '{k}'");
            if (root.EnumerateObject().Count() != Keys.Length + OptionalKeys.Count(k => root.TryGetProperty(k, out _)))
                throw new EnrolmentFormatException("a key is given more than once");
            return new EnrolmentRecord
            {
                Node = Str(root, "node"),
                DatapathId = ParseDpid(Str(root, "datapath_id")),
                Port = root.GetProperty("port").TryGetUInt32(out var port) ? port : throw new EnrolmentFormatException("port must be an unsigned 32-bit integer"),
                CleanMac = ParseMac(Str(root, "clean_mac"), "clean_mac"),
                DirtyMac = ParseMac(Str(root, "dirty_mac"), "dirty_mac"),
                AkPublic = Base64(Str(root, "ak_public"), "ak_public"),
                PcrSelection = ParseSelection(Str(root, "pcr_selection")),
                GoldenSets = ParseGoldenSets(root.GetProperty("golden_sets")),
                ProofKey = Base64(Str(root, "proof_key"), "proof_key"),
                AkQualifiedName = Optional(root, "ak_qualified_name"),
                EkPublic = Optional(root, "ek_public"),
                EkCertificate = Optional(root, "ek_certificate"),
                AkBoundToEk = root.TryGetProperty("ak_bound_to_ek", out var bound)
                    && (bound.ValueKind == JsonValueKind.True || (bound.ValueKind == JsonValueKind.False ? false : throw new EnrolmentFormatException("ak_bound_to_ek must be true or false"))),
            }.Validated();
        }
    }

    private static string Str(JsonElement root, string key) =>
        root.GetProperty(key) is { ValueKind: JsonValueKind.String } e ? e.GetString()! : throw new EnrolmentFormatException($"'{key}' must be a string");

    private static ulong ParseDpid(string s) =>
        Ethernet.DatapathId.TryParse(s, out var v) ? v : throw new EnrolmentFormatException($"datapath_id '{s}' is not a 64-bit hex number");

    public static MacAddress ParseMac(string s, string field) =>
        MacAddress.TryParse(s, out var mac) ? mac : throw new EnrolmentFormatException($"{field} '{s}' is not a MAC address like 02:00:00:00:00:01");

    private static byte[]? Optional(JsonElement root, string key) =>
        root.TryGetProperty(key, out _) ? Base64(Str(root, key), key) : null;

    private static byte[] Base64(string s, string field)
    {
        try { return Convert.FromBase64String(s); }
        catch (FormatException) { throw new EnrolmentFormatException($"{field} is not valid base64"); }
    }

    /// <summary>Parses tpm2-tools' selection syntax for one bank, e.g. <c>sha256:0,4,8</c>.</summary>
    public static PcrBankSelection ParseSelection(string s)
    {
        var colon = s.IndexOf(':');
        if (colon <= 0 || s.Contains('+', StringComparison.Ordinal))
            throw new EnrolmentFormatException($"pcr_selection '{s}' must be one bank like sha256:0,4,8");
        var pcrs = new List<int>();
        foreach (var part in s[(colon + 1)..].Split(','))
            pcrs.Add(int.TryParse(part, out var p) ? p : throw new EnrolmentFormatException($"pcr_selection '{s}': '{part}' is not a PCR index"));
        var sel = new PcrBankSelection(s[..colon], pcrs);
        _ = sel.DigestSize;
        return sel;
    }

    private static List<GoldenSet> ParseGoldenSets(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Array)
            throw new EnrolmentFormatException("golden_sets must be an array");
        var sets = new List<GoldenSet>();
        foreach (var item in e.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                || !item.TryGetProperty("pcrs", out var pcrs) || pcrs.ValueKind != JsonValueKind.Object || item.EnumerateObject().Count() != 2)
                throw new EnrolmentFormatException("each golden set must be {\"name\": string, \"pcrs\": {index: hex}}");
            var values = new Dictionary<int, byte[]>();
            foreach (var p in pcrs.EnumerateObject())
            {
                if (!int.TryParse(p.Name, out var index) || p.Value.ValueKind != JsonValueKind.String)
                    throw new EnrolmentFormatException($"golden set '{name.GetString()}': '{p.Name}' must map a PCR index to a hex string");
                try { values.Add(index, Convert.FromHexString(p.Value.GetString()!)); }
                catch (Exception ex) when (ex is FormatException or ArgumentException)
                {
                    throw new EnrolmentFormatException($"golden set '{name.GetString()}' PCR {p.Name} is not a hex string (or is listed twice)");
                }
            }
            sets.Add(new GoldenSet(name.GetString()!, values));
        }
        return sets;
    }
}

/// <summary>The one exception for an enrolment record that cannot be used; the message names the defect.</summary>
public sealed class EnrolmentFormatException(string reason) : Exception($"invalid enrolment: {reason}")
{
    public string Reason { get; } = reason;
}
