using System.Net.NetworkInformation;
using System.Security.Cryptography;

namespace SwitchGate.Attestation.Tests;

/// <summary>The proofs as attacks: each forged or transplanted proof must fail the comparison the controller makes.</summary>
public class ProofTests
{
    private static readonly byte[] Secret = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] Nonce = RandomNumberGenerator.GetBytes(32);
    private const ulong Session = 0x1122334455667788;
    private static readonly PhysicalAddress Mac = PhysicalAddress.Parse("02-00-00-00-01-01");

    private static readonly byte[] Expected = AttestationProof.ComputeEvidenceProof(Secret, Nonce, Session, Mac);

    [Fact]
    public void The_right_proof_is_accepted()
    {
        Assert.True(AttestationProof.ProofsEqual(Expected, AttestationProof.ComputeEvidenceProof(Secret, Nonce, Session, Mac)));
    }

    [Fact]
    public void A_proof_from_another_secret_nonce_session_or_mac_is_rejected()
    {
        Assert.False(AttestationProof.ProofsEqual(Expected, AttestationProof.ComputeEvidenceProof(RandomNumberGenerator.GetBytes(32), Nonce, Session, Mac)));
        Assert.False(AttestationProof.ProofsEqual(Expected, AttestationProof.ComputeEvidenceProof(Secret, RandomNumberGenerator.GetBytes(32), Session, Mac)));
        Assert.False(AttestationProof.ProofsEqual(Expected, AttestationProof.ComputeEvidenceProof(Secret, Nonce, Session + 1, Mac)));
        Assert.False(AttestationProof.ProofsEqual(Expected, AttestationProof.ComputeEvidenceProof(Secret, Nonce, Session, PhysicalAddress.Parse("02-00-00-00-01-02"))));
    }

    [Fact]
    public void An_evidence_proof_seen_on_the_wire_is_no_depart_proof_and_the_reverse()
    {
        var depart = AttestationProof.ComputeDepartProof(Secret, Nonce, Session, Mac);
        Assert.False(AttestationProof.ProofsEqual(depart, Expected));
        Assert.False(AttestationProof.ProofsEqual(Expected, depart));
    }

    [Fact]
    public void Every_single_bit_flip_of_a_proof_is_rejected()
    {
        for (var bit = 0; bit < 256; bit++)
        {
            var forged = Expected.ToArray();
            forged[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(AttestationProof.ProofsEqual(Expected, forged));
        }
    }

    [Fact]
    public void Truncated_empty_or_extended_proofs_are_rejected()
    {
        Assert.False(AttestationProof.ProofsEqual(Expected, Expected[..31]));
        Assert.False(AttestationProof.ProofsEqual(Expected, []));
        Assert.False(AttestationProof.ProofsEqual(Expected, [.. Expected, 0]));
        Assert.False(AttestationProof.ProofsEqual([], []));
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentException>(() => AttestationProof.ComputeEvidenceProof([], Nonce, Session, Mac));
        Assert.Throws<ArgumentException>(() => AttestationProof.ComputeEvidenceProof(Secret, Nonce[..31], Session, Mac));
        Assert.Throws<ArgumentException>(() => AttestationProof.ComputeDepartProof(Secret, Nonce, Session, new PhysicalAddress([1, 2, 3])));
    }
}
