using SwitchGate.Attestation;
using SwitchGate.Ethernet;

namespace SwitchGate.BootAgent.Tests;

/// <summary>The controller's proof check, for tests that hold only what the controller holds: the proof key's public point.</summary>
internal static class Proofs
{
    public static bool Verify(byte[] proofKey, Evidence evidence, byte[] nonce, MacAddress cleanMac)
    {
        using var key = AttestationProof.ImportPublicKey(proofKey) ?? throw new ArgumentException("not a P-256 point", nameof(proofKey));
        return AttestationProof.VerifyEvidence(key, evidence.Proof.Span, nonce, evidence.SessionId, cleanMac);
    }
}
