using System.Security.Cryptography;
using System.Text;
using SwitchGate.Attestation;
using SwitchGate.Attestation.Enrolment;
using SwitchGate.Ethernet;
using SwitchGate.TestSupport.Tpm;
using SwitchGate.OpenFlow;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.Fuzz;

/// <summary>
/// Writes a starting corpus per target from the project's own encoders: one valid input of each kind the
/// parser meets in operation (a whole attestation exchange with a software TPM quote, ECC and RSA public areas,
/// an enrolment record, OpenFlow messages the controller sends and receives). The conformance corpus and the
/// repository's topology files are added by scripts/fuzz.
/// </summary>
public static class SeedWriter
{
    private static readonly int[] CleanPcrs = [0, 4, 8, 9, 14];

    public static void Write(string directory)
    {
        var selection = new TpmlPcrSelection(TpmAlgId.Sha256, 0, 4, 8, 9, 14);
        using var quoter = new SoftwareQuoter(selection);
        var nonce = RandomNumberGenerator.GetBytes(32);
        var (attest, signature) = quoter.Quote(nonce);
        var mac = MacAddress.Parse("02-00-00-00-01-01");
        var selectionBytes = Marshal(selection.Write);

        // Attestation frames: every message type, as the agent and the controller send them.
        const ulong session = 0x0123456789ABCDEF;
        AttestationMessage[] messages =
        [
            new SwitchGate.Attestation.Hello(0, "bs1", mac),
            new Challenge(session, nonce, selectionBytes),
            new Evidence(session, attest, signature, quoter.PcrValues().Select(v => (ReadOnlyMemory<byte>)v).ToList(), new byte[Limits.ProofLength]),
            Verdict.Admit(session, 30),
            Verdict.Revoke(session, ReasonCode.ReattestationFailed, ReasonCode.PcrValuesNotGolden),
            Verdict.Deny(0, ReasonCode.NotEnrolled),
            new Depart(session, new byte[Limits.ProofLength]),
            new Rotate(session, 1, new byte[70], new byte[256]),
            new Rotated(session, 1, new byte[Limits.ProofLength]),
        ];
        foreach (var m in messages)
        {
            Put(directory, "attestation-frame", $"{m.Type}".ToLowerInvariant() + (m is Verdict v ? "-" + v.Kind : ""),
                AttestationFrame.Build(AttestationFrame.ControllerDestination, mac, m));
        }

        // TPM structures.
        Put(directory, "tpm-attest", "quote", attest);
        Put(directory, "tpm-attest", "certify", new TpmsAttest
        {
            Magic = TpmGenerated.Value, Type = TpmSt.AttestCertify, QualifiedSigner = new byte[34], ExtraData = nonce,
            ClockInfo = new TpmsClockInfo(1, 2, 3, true), Attested = new TpmsCertifyInfo(new byte[34], new byte[34]),
        }.ToBytes());
        Put(directory, "tpm-signature", "ecdsa", signature);
        Put(directory, "tpm-signature", "rsassa", new TpmtSignature { SigAlg = TpmAlgId.RsaSsa, Hash = TpmAlgId.Sha256, Rsa = new byte[256] }.ToBytes());
        Put(directory, "tpm-public", "ecc-ak", quoter.AkPublic);
        using (var rsa = RSA.Create(2048))
        {
            var modulus = rsa.ExportParameters(false).Modulus!;
            Put(directory, "tpm-public", "rsa-ak", Tpm2bPublic.ToBytes(TpmTemplates.RsaAttestationKey() with { Unique = modulus }));
            Put(directory, "tpm-public", "rsa-ek", Tpm2bPublic.ToBytes(TpmTemplates.RsaEndorsementKey() with { Unique = modulus }));
        }
        Put(directory, "tpm-public", "ecc-ek", Tpm2bPublic.ToBytes(TpmTemplates.EccEndorsementKey()));
        Put(directory, "tpm-public", "sealed", Tpm2bPublic.ToBytes(TpmTemplates.SealedData(new byte[32])));

        // An enrolment record as the agent's enrol step writes it.
        var record = new EnrolmentRecord
        {
            Node = "bs1", DatapathId = 0xA1, Port = 2, CleanMac = mac, DirtyMac = MacAddress.Parse("02-00-00-00-02-01"),
            AkPublic = quoter.AkPublic, PcrSelection = new PcrBankSelection("sha256", [0, 4, 8, 9, 14]),
            GoldenSets = [new GoldenSet("clean", CleanPcrs.ToDictionary(p => p, _ => new byte[32]))],
            ProofKey = AttestationProof.PublicKeyOf(new byte[EnrolmentRecord.SecretLength]),
        };
        Put(directory, "enrolment", "bs1", record.ToJson());
        // A rotation state with a pending generation, as the controller writes it.
        Put(directory, "proofkey", "bs1-pending", new SwitchGate.Gate.Policy.ProofKeyState("bs1", record.ProofKey, 0, record.ProofKey,
            new SwitchGate.Gate.Policy.PendingRotation(1, AttestationProof.PublicKeyOf(new byte[32].Select((_, i) => (byte)i).ToArray()), new byte[70], new byte[256])).ToJson());

        // A switch bindings file as the documentation shows it: comments, both datapath id forms, colon-separated
        // pins, one key for two bridges and two keys for one datapath id.
        var pin = Convert.ToHexStringLower(SHA256.HashData(quoter.AkPublic));
        var pin2 = Convert.ToHexStringLower(SHA256.HashData(nonce));
        Put(directory, "switch-bindings", "rack", Encoding.UTF8.GetBytes(
            $"# DATAPATH-ID  SPKI-SHA256\n0x0000000000000001  {pin}   # s1\n0000000000000002\t{string.Join(':', Convert.FromHexString(pin).Select(b => b.ToString("X2")))}\n2 {pin2}\r\n"));

        // OpenFlow messages of the controller's own exchange (the conformance corpus covers the rest).
        OfpMessage[] openflow =
        [
            OfpCodec.Decode(Convert.FromHexString("04000010000000010001000800000010")),
            OfpCodec.Decode(Convert.FromHexString("0400000800000002")),
            OfpCodec.Decode(Convert.FromHexString("0402000c00000003cafebabe")),
        ];
        for (var i = 0; i < openflow.Length; i++)
        {
            var bytes = OfpCodec.Encode(openflow[i]);
            Put(directory, "openflow-decode", $"own-{i}", bytes);
            Put(directory, "openflow-frames", $"own-{i}", [0x07, .. bytes, .. bytes]);
        }
        Put(directory, "topology", "minimal", Encoding.UTF8.GetBytes(
            "name: t\nswitches:\n  - name: s1\n    dpid: \"1\"\nhosts:\n  - name: h1\n    role: host\n    mac: \"02:00:00:00:00:01\"\n    ip: 10.0.0.1/24\nlinks:\n  - { host: h1, switch: s1, port: 1 }\n"));
        QmpSeeds(directory);
        JobSeeds(directory);
    }

    private static void JobSeeds(string directory)
    {
        var digest = new Jobs.Model.FileDigest(8247232, new string('a', 64));
        Put(directory, "job-file", "job", Jobs.Codec.JobCodec.Write(new Jobs.Model.BootJob(digest, digest with { Size = 1028403 }, null,
            "console=ttyS0 quiet", 128, "SWITCHGATE-GUEST-BOOTED", TimeSpan.FromSeconds(120))));
        Put(directory, "job-manifest", "manifest", Jobs.Codec.JobCodec.Write(new Jobs.Model.SecondImage("j1-0a1b2c3d", digest with { Size = 63427792 }, null,
            digest.Sha256, digest.Sha256, "console=ttyS0 quiet", 128, "SWITCHGATE-GUEST-BOOTED", "tcg",
            new DateTimeOffset(2026, 12, 4, 16, 0, 0, TimeSpan.Zero), "counter=1 pci=5")));
        var at = new DateTimeOffset(2026, 12, 4, 16, 0, 0, TimeSpan.Zero);
        Put(directory, "job-record", "record", Jobs.Codec.JobCodec.Write(new Jobs.Model.JobRecord("j1-0a1b2c3d", "10.0.0.100", 1, Jobs.Model.JobState.Rebooting,
            TimeSpan.FromSeconds(120), 1, "the guest did not print 'X' within 120 s", null,
            [new(Jobs.Model.JobState.Receiving, at), new(Jobs.Model.JobState.Queued, at.AddSeconds(1)), new(Jobs.Model.JobState.Rebooting, at.AddSeconds(9))])));
    }

    private static void QmpSeeds(string directory)
    {
        // A QMP session as QEMU 7.2 answers the driver: greeting, replies, an error, events between replies.
        Put(directory, "qmp", "session", Encoding.UTF8.GetBytes(string.Join("\r\n",
            """{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian"}, "capabilities": ["oob"]}}""",
            """{"return": {}, "id": "sg-1"}""",
            """{"return": {"status": "running", "singlestep": false, "running": true}, "id": "sg-2"}""",
            """{"timestamp": {"seconds": 1764860000, "microseconds": 12}, "event": "DEVICE_DELETED", "data": {"device": "bootdev", "path": "/machine/peripheral/bootdev"}}""",
            """{"return": {}, "id": "sg-3"}""",
            """{"error": {"class": "DeviceNotFound", "desc": "Device 'x' not found"}, "id": "sg-4"}""",
            """{"return": {"status": "completed", "total-time": 120, "ram": {"total": 134217728}}, "id": "sg-5"}""",
            """{"return": [{"bus": 0, "devices": [{"bus": 0, "slot": 4, "function": 0, "qdev_id": "disk0", "class_info": {"class": 256}}]}], "id": "sg-6"}""",
            "")));
    }

    private static byte[] Marshal(Action<Tpm.Marshalling.TpmWriter> write)
    {
        var w = new Tpm.Marshalling.TpmWriter();
        write(w);
        return w.ToArray();
    }

    private static void Put(string directory, string target, string name, byte[] bytes)
    {
        var dir = Path.Combine(directory, target);
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, name), bytes);
    }
}
