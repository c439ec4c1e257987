using System.Text.Json;
using System.Text.Json.Nodes;
using SwitchGate.Attestation;
using SwitchGate.Attestation.Enrolment;
using SwitchGate.BootAgent.Core;
using SwitchGate.BootAgent.Tpm;
using SwitchGate.Ethernet;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Marshalling;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.BootAgent;

/// <summary>The node's identity as enrolled, kept so that later commands need no MAC options.</summary>
public sealed record NodeIdentity(string Node, MacAddress CleanMac, MacAddress DirtyMac);

/// <summary>
/// The agent's state directory (<c>--state-dir</c>, docs/agent.md "State directory"):
/// <c>node.json</c> identity; <c>ak.pub</c>/<c>ak.priv</c> the AK (TPM2B_PUBLIC / TPM2B_PRIVATE, tpm2-tools'
/// formats, wrapped by the SRK); <c>seal.pub</c>/<c>seal.priv</c> the sealed secret; <c>admission.json</c> the
/// current admission (session, nonce, lease) for <c>depart</c> and <c>status</c>; <c>agent.sock</c> while a
/// service runs.
/// </summary>
public sealed class StateDirectory(string path)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public string Path { get; } = path;

    public string SocketPath => File("agent.sock");

    private string File(string name) => System.IO.Path.Combine(Path, name);

    public bool IsEnrolled => System.IO.File.Exists(File("ak.pub")) && System.IO.File.Exists(File("node.json"))
        && (System.IO.File.Exists(File("seal.pub")) || System.IO.File.Exists(File(GenerationFile)));

    public void SaveKeys(CreatedObject ak, CreatedObject sealedSecret)
    {
        Directory.CreateDirectory(Path);
        WriteAtomic("ak.pub", Tpm2bPublic.ToBytes(ak.Public));
        WriteAtomic("ak.priv", ak.PrivateTpm2b());
        SaveSealedSecret(sealedSecret);
    }

    /// <summary>
    /// Replaces the sealed secret with a freshly enrolled one, generation 0 (enrolment, credential activation). The
    /// rotation pointer goes last: until it is gone the old generation stays the one used.
    /// </summary>
    public void SaveSealedSecret(CreatedObject sealedSecret)
    {
        WriteAtomic("seal.pub", Tpm2bPublic.ToBytes(sealedSecret.Public));
        WriteAtomic("seal.priv", sealedSecret.PrivateTpm2b());
        if (System.IO.File.Exists(File(GenerationFile)))
        {
            System.IO.File.Delete(File(GenerationFile));
            DurableFile.SyncDirectory(Path);
        }
        DeleteRotatedBlobs(keep: 0);
    }

    /// <summary>The pointer to the sealed secret in use: absent for generation 0 (<c>seal.*</c>), else <c>{"generation": g}</c>.</summary>
    private const string GenerationFile = "secret.json";

    /// <summary>Which secret the agent proves with: 0 the enrolled one, then one more per rotation (docs/agent.md "Rotation").</summary>
    public uint SecretGeneration
    {
        get
        {
            try
            {
                return StateJson.Read(System.IO.File.ReadAllBytes(File(GenerationFile)), json => json.Generation("generation"));
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return 0;
            }
            catch (StateFileException e)
            {
                throw new AgentConfigurationException($"{Path}/{GenerationFile} is damaged: {e.Message}");
            }
        }
    }

    /// <summary>
    /// Installs a rotated secret, crash-safe: the new blob pair is written durably under its generation's names, then the
    /// pointer is replaced atomically (the commit point), then older blobs are deleted. A crash before the commit leaves
    /// the old secret in use and the new blobs orphaned (deleted at the next rotation); after it, the new one.
    /// </summary>
    public void SaveRotatedSecret(uint generation, CreatedObject sealedSecret)
    {
        if (generation == 0)
            throw new ArgumentOutOfRangeException(nameof(generation), "a rotated secret has generation 1 or more");
        WriteAtomic($"seal-{generation}.pub", Tpm2bPublic.ToBytes(sealedSecret.Public));
        WriteAtomic($"seal-{generation}.priv", sealedSecret.PrivateTpm2b());
        WriteAtomic(GenerationFile, JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["generation"] = generation }));
        foreach (var old in new[] { "seal.pub", "seal.priv" })
            if (System.IO.File.Exists(File(old)))
                System.IO.File.Delete(File(old));
        DeleteRotatedBlobs(keep: generation);
        DurableFile.SyncDirectory(Path);
    }

    private void DeleteRotatedBlobs(uint keep)
    {
        if (!Directory.Exists(Path))
            return;
        foreach (var file in Directory.EnumerateFiles(Path, "seal-*.p*"))
        {
            var name = System.IO.Path.GetFileNameWithoutExtension(file);
            if (uint.TryParse(name.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture, out var g) && g != keep)
                System.IO.File.Delete(file);
        }
    }

    public CreatedObject LoadAk() => Load("ak");

    public CreatedObject LoadSealedSecret() => SecretGeneration is var g and > 0 ? Load($"seal-{g}") : Load("seal");

    private CreatedObject Load(string name)
    {
        try
        {
            return new CreatedObject(
                CreatedObject.ParsePrivateTpm2b(System.IO.File.ReadAllBytes(File(name + ".priv"))),
                Tpm2bPublic.Parse(System.IO.File.ReadAllBytes(File(name + ".pub"))));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new AgentConfigurationException($"{Path} has no {name}.pub/{name}.priv: run 'switchgate-agent enrol' first");
        }
        catch (TpmFormatException e)
        {
            throw new AgentConfigurationException($"{Path}/{name}.pub or .priv is damaged: {e.Message}");
        }
    }

    public void SaveIdentity(NodeIdentity id)
    {
        var json = new JsonObject
        {
            ["node"] = id.Node,
            ["clean_mac"] = id.CleanMac.ToString(),
            ["dirty_mac"] = id.DirtyMac.ToString(),
        };
        WriteAtomic("node.json", JsonSerializer.SerializeToUtf8Bytes(json, Indented));
    }

    public NodeIdentity LoadIdentity()
    {
        try
        {
            return StateJson.Read(System.IO.File.ReadAllBytes(File("node.json")), json => new NodeIdentity(
                json.String("node"),
                EnrolmentRecord.ParseMac(json.String("clean_mac"), "clean_mac"),
                EnrolmentRecord.ParseMac(json.String("dirty_mac"), "dirty_mac")));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new AgentConfigurationException($"{Path} has no node.json: run 'switchgate-agent enrol' first");
        }
        catch (Exception e) when (e is StateFileException or EnrolmentFormatException)
        {
            throw new AgentConfigurationException($"{Path}/node.json is damaged: {e.Message}");
        }
    }

    public void SaveAdmission(Admission? admission)
    {
        if (admission is null)
        {
            if (System.IO.File.Exists(File("admission.json")))
            {
                System.IO.File.Delete(File("admission.json"));
            }

            return;
        }

        var json = new JsonObject
        {
            ["session"] = AgentCore.Hex(admission.Session),
            ["nonce"] = Convert.ToHexStringLower(admission.Nonce),
            ["since"] = admission.Since.ToString("O"),
            ["lease_seconds"] = admission.Lease.TotalSeconds,
        };
        WriteAtomic("admission.json", JsonSerializer.SerializeToUtf8Bytes(json, Indented));
    }

    /// <summary>The admission the last run recorded, or null (none, or damaged: then the agent starts over with HELLO(0)).</summary>
    public Admission? LoadAdmission()
    {
        try
        {
            return StateJson.Read(System.IO.File.ReadAllBytes(File("admission.json")), json => new Admission(
                json.HexUInt64("session"),
                json.Hex("nonce"),
                json.Timestamp("since"),
                json.Seconds("lease_seconds")));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or StateFileException)
        {
            return null;
        }
    }

    private void WriteAtomic(string name, byte[] bytes)
    {
        Directory.CreateDirectory(Path);
        DurableFile.WriteAllBytes(File(name), bytes);
    }
}

/// <summary>A state file that is not what the agent wrote: its JSON or a named field is missing, of the wrong type or out of range.</summary>
public sealed class StateFileException(string message) : Exception(message);

/// <summary>
/// One state file's JSON object, read strictly: every field the agent wrote is required and of its type, and any
/// defect is a <see cref="StateFileException"/> naming the field.
/// </summary>
internal readonly struct StateJson
{
    private readonly JsonElement _root;

    private StateJson(JsonElement root) => _root = root;

    public static T Read<T>(byte[] bytes, Func<StateJson, T> read)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new StateFileException($"not JSON ({e.Message})");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new StateFileException($"a JSON object expected, found {document.RootElement.ValueKind}");
            return read(new StateJson(document.RootElement));
        }
    }

    public string String(string name) =>
        _root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Missing(name, "a string");

    public ulong HexUInt64(string name) =>
        ulong.TryParse(String(name), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value : throw new StateFileException($"'{name}' must be up to 16 hex digits");

    public byte[] Hex(string name)
    {
        var text = String(name);
        return text.Length % 2 == 0 && text.All(char.IsAsciiHexDigit) ? Convert.FromHexString(text) : throw new StateFileException($"'{name}' must be hex octets");
    }

    public DateTimeOffset Timestamp(string name) =>
        DateTimeOffset.TryParse(String(name), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var value)
            ? value : throw new StateFileException($"'{name}' must be an ISO 8601 time");

    /// <summary>A non-negative duration in seconds, at most a year (a lease is seconds to minutes).</summary>
    public TimeSpan Seconds(string name)
    {
        if (!_root.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var seconds))
            throw Missing(name, "a number");
        return seconds is >= 0 and <= 365 * 86400 ? TimeSpan.FromSeconds(seconds) : throw new StateFileException($"'{name}' must be 0 to one year in seconds, not {seconds}");
    }

    /// <summary>A secret generation: an integer 1..2^32−1.</summary>
    public uint Generation(string name) =>
        _root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetUInt32(out var g) && g > 0
            ? g : throw Missing(name, "an integer 1..4294967295");

    private static StateFileException Missing(string name, string kind) => new($"'{name}' must be {kind}");
}
