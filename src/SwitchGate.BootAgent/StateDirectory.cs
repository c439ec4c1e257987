using System.Net.NetworkInformation;
using System.Text.Json;
using System.Text.Json.Nodes;
using SwitchGate.Attestation;
using SwitchGate.Attestation.Enrolment;
using SwitchGate.BootAgent.Core;
using SwitchGate.BootAgent.Tpm;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Marshalling;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.BootAgent;

/// <summary>The node's identity as enrolled, kept so that later commands need no MAC options.</summary>
public sealed record NodeIdentity(string Node, PhysicalAddress CleanMac, PhysicalAddress DirtyMac);

/// <summary>
/// The agent's state directory (<c>--state-dir</c>, docs/agent.md "State directory"):
/// <c>node.json</c> identity; <c>ak.pub</c>/<c>ak.priv</c> the AK (TPM2B_PUBLIC / TPM2B_PRIVATE, tpm2-tools'
/// formats, wrapped by the SRK); <c>seal.pub</c>/<c>seal.priv</c> the sealed secret; <c>admission.json</c> the
/// current admission (session, nonce, lease) for <c>depart</c> and <c>status</c>; <c>agent.sock</c> while a
/// service runs.
/// </summary>
public sealed class StateDirectory(string path)
{
    public string Path { get; } = path;

    public string SocketPath => File("agent.sock");

    private string File(string name) => System.IO.Path.Combine(Path, name);

    public bool IsEnrolled => System.IO.File.Exists(File("ak.pub")) && System.IO.File.Exists(File("seal.pub")) && System.IO.File.Exists(File("node.json"));

    public void SaveKeys(CreatedObject ak, CreatedObject sealedSecret)
    {
        Directory.CreateDirectory(Path);
        WriteAtomic("ak.pub", Tpm2bPublic.ToBytes(ak.Public));
        WriteAtomic("ak.priv", ak.PrivateTpm2b());
        WriteAtomic("seal.pub", Tpm2bPublic.ToBytes(sealedSecret.Public));
        WriteAtomic("seal.priv", sealedSecret.PrivateTpm2b());
    }

    /// <summary>Replaces the sealed secret only (credential activation delivers a new secret for the same AK).</summary>
    public void SaveSealedSecret(CreatedObject sealedSecret)
    {
        WriteAtomic("seal.pub", Tpm2bPublic.ToBytes(sealedSecret.Public));
        WriteAtomic("seal.priv", sealedSecret.PrivateTpm2b());
    }

    public CreatedObject LoadAk() => Load("ak");

    public CreatedObject LoadSealedSecret() => Load("seal");

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
            ["clean_mac"] = EnrolmentRecord.Format(id.CleanMac),
            ["dirty_mac"] = EnrolmentRecord.Format(id.DirtyMac),
        };
        WriteAtomic("node.json", JsonSerializer.SerializeToUtf8Bytes(json, new JsonSerializerOptions { WriteIndented = true }));
    }

    public NodeIdentity LoadIdentity()
    {
        try
        {
            var json = JsonNode.Parse(System.IO.File.ReadAllBytes(File("node.json")))!;
            return new NodeIdentity(
                (string)json["node"]!,
                EnrolmentRecord.ParseMac((string)json["clean_mac"]!, "clean_mac"),
                EnrolmentRecord.ParseMac((string)json["dirty_mac"]!, "dirty_mac"));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new AgentConfigurationException($"{Path} has no node.json: run 'switchgate-agent enrol' first");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or EnrolmentFormatException)
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
        WriteAtomic("admission.json", JsonSerializer.SerializeToUtf8Bytes(json, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The admission the last run recorded, or null (none, or damaged: then the agent starts over with HELLO(0)).</summary>
    public Admission? LoadAdmission()
    {
        try
        {
            var json = JsonNode.Parse(System.IO.File.ReadAllBytes(File("admission.json")))!;
            return new Admission(
                ulong.Parse((string)json["session"]!, System.Globalization.NumberStyles.AllowHexSpecifier),
                Convert.FromHexString((string)json["nonce"]!),
                DateTimeOffset.Parse((string)json["since"]!, System.Globalization.CultureInfo.InvariantCulture),
                TimeSpan.FromSeconds((double)json["lease_seconds"]!));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or JsonException or FormatException or InvalidOperationException
                                      or NullReferenceException or OverflowException)
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
