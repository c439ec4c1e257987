using System.Security.Cryptography;
using SwitchGate.Attestation;
using SwitchGate.Attestation.Enrolment;
using SwitchGate.Ethernet;
using SwitchGate.TestSupport.Tpm;
using SwitchGate.OpenFlow;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.Gate.Tests;

/// <summary>
/// A simulated boot server for unit tests: a software "TPM" (<see cref="SoftwareQuoter"/>) in the clean
/// configuration, its enrolment record, and the agent's side of the protocol (frames it would send).
/// </summary>
internal sealed class TestNode : IDisposable
{
    public static readonly TpmlPcrSelection CleanSelection = new(TpmAlgId.Sha256, 0, 4, 8, 9, 14);

    /// <param name="withEk">Enrol an (RSA 2048, software) EK public area too: the controller then rotates the node's secret.</param>
    public TestNode(string name, ulong dpid, uint port, byte id, bool withEk = false)
    {
        Name = name;
        DatapathId = dpid;
        Port = port;
        CleanMac = MacAddress.FromBytes([0x02, 0x00, 0x00, 0x00, 0x01, id]);
        DirtyMac = MacAddress.FromBytes([0x02, 0x00, 0x00, 0x00, 0x02, id]);
        Quoter = new SoftwareQuoter(CleanSelection);
        // The emulated measured launch: firmware, boot loader, command line, agent; PCR 14 stays zero.
        foreach (var pcr in new[] { 0, 4, 8, 9 })
            Quoter.Extend(pcr, System.Text.Encoding.UTF8.GetBytes($"{name} measured launch PCR {pcr}"));
        Secret = RandomNumberGenerator.GetBytes(32);
        Record = new EnrolmentRecord
        {
            Node = name,
            DatapathId = dpid,
            Port = port,
            CleanMac = CleanMac,
            DirtyMac = DirtyMac,
            AkPublic = Quoter.AkPublic,
            PcrSelection = new PcrBankSelection("sha256", [0, 4, 8, 9, 14]),
            GoldenSets = [new GoldenSet("clean", new[] { 0, 4, 8, 9, 14 }.ToDictionary(p => p, Quoter.Pcr))],
            ProofKey = AttestationProof.PublicKeyOf(Secret),
            EkPublic = withEk ? SoftwareEk() : null,
        }.Validated();
    }

    public string Name { get; }
    public ulong DatapathId { get; }
    public uint Port { get; }
    public MacAddress CleanMac { get; }
    public MacAddress DirtyMac { get; }
    public SoftwareQuoter Quoter { get; }
    public byte[] Secret { get; }
    public EnrolmentRecord Record { get; }

    /// <summary>The agent's state: session and nonce of the last admission (for DEPART).</summary>
    public ulong Session { get; set; }
    public byte[]? AdmittedNonce { get; set; }

    public byte[] Hello(ulong session = 0, string? name = null, MacAddress? source = null, MacAddress? claimed = null) =>
        AttestationFrame.Build(AttestationFrame.ControllerDestination, source ?? CleanMac,
            new Attestation.Hello(session, name ?? Name, claimed ?? CleanMac));

    /// <summary>EVIDENCE answering <paramref name="challenge"/> as an honest agent would; the optional arguments forge parts of it.</summary>
    public Evidence Evidence(Challenge challenge, byte[]? quoteNonce = null, byte[]? proof = null, ulong? session = null,
        IReadOnlyList<byte[]>? values = null, TpmlPcrSelection? quotedSelection = null, SoftwareQuoter? signer = null,
        byte[]? secret = null)
    {
        var nonce = challenge.Nonce.ToArray();
        var (attest, signature) = Quoter.Quote(quoteNonce ?? nonce, quotedSelection);
        if (signer is not null)
            signature = signer.Sign(attest);
        var s = session ?? challenge.SessionId;
        proof ??= EvidenceProof(secret ?? Secret, nonce, s, CleanMac);
        var pcrs = values ?? (quotedSelection is null ? Quoter.PcrValues() : quotedSelection.InOrder().Select(p => Quoter.Pcr(p.Pcr)).ToList());
        return new Evidence(s, attest, signature, pcrs.Select(v => (ReadOnlyMemory<byte>)v), proof);
    }

    public byte[] Frame(AttestationMessage message, MacAddress? source = null) =>
        AttestationFrame.Build(AttestationFrame.ControllerDestination, source ?? CleanMac, message);

    public byte[] Depart(ulong? session = null, byte[]? nonce = null, byte[]? secret = null)
    {
        var s = session ?? Session;
        var proof = DepartProof(secret ?? Secret, nonce ?? AdmittedNonce!, s, CleanMac);
        return Frame(new Depart(s, proof));
    }

    private static byte[] SoftwareEk()
    {
        using var rsa = RSA.Create(2048);
        return Tpm2bPublic.ToBytes(
            SwitchGate.Tpm.Client.TpmTemplates.RsaEndorsementKey() with { Unique = rsa.ExportParameters(false).Modulus! });
    }

    /// <summary>The agent's EVIDENCE proof: a signature by the proof key derived from <paramref name="secret"/>.</summary>
    public static byte[] EvidenceProof(byte[] secret, ReadOnlySpan<byte> nonce, ulong session, MacAddress cleanMac)
    {
        using var key = AttestationProof.DeriveKey(secret);
        return AttestationProof.SignEvidence(key, nonce, session, cleanMac);
    }

    public static byte[] DepartProof(byte[] secret, ReadOnlySpan<byte> nonce, ulong session, MacAddress cleanMac)
    {
        using var key = AttestationProof.DeriveKey(secret);
        return AttestationProof.SignDepart(key, nonce, session, cleanMac);
    }

    public void Dispose() => Quoter.Dispose();
}
