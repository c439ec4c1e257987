using System.Security.Cryptography;
using SwitchGate.Ethernet;

namespace SwitchGate.Attestation.Tests;

/// <summary>The proofs as attacks: each forged or transplanted proof must fail the check the controller makes with the public point.</summary>
public sealed class ProofTests : IDisposable
{
    private static readonly byte[] Secret = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] Nonce = RandomNumberGenerator.GetBytes(32);
    private const ulong Session = 0x1122334455667788;
    private static readonly MacAddress Mac = MacAddress.Parse("02-00-00-00-01-01");

    private readonly ECDsa _key = AttestationProof.DeriveKey(Secret);
    private readonly ECDsa _verifier = AttestationProof.ImportPublicKey(AttestationProof.PublicKeyOf(Secret))!;

    public void Dispose()
    {
        _key.Dispose();
        _verifier.Dispose();
    }

    private byte[] Proof() => AttestationProof.SignEvidence(_key, Nonce, Session, Mac);

    [Fact]
    public void The_right_proof_is_accepted_with_only_the_public_point()
    {
        Assert.Equal(AttestationProof.PublicKeyLength, AttestationProof.PublicKeyOf(Secret).Length);
        Assert.True(AttestationProof.VerifyEvidence(_verifier, Proof(), Nonce, Session, Mac));
    }

    [Fact]
    public void The_key_is_a_function_of_the_secret_alone()
    {
        Assert.Equal(AttestationProof.PublicKeyOf(Secret), AttestationProof.PublicKeyOf(Secret.ToArray()));
        Assert.NotEqual(AttestationProof.PublicKeyOf(Secret), AttestationProof.PublicKeyOf(RandomNumberGenerator.GetBytes(32)));
    }

    [Fact]
    public void A_proof_from_another_secret_nonce_session_or_mac_is_rejected()
    {
        using var other = AttestationProof.DeriveKey(RandomNumberGenerator.GetBytes(32));
        Assert.False(AttestationProof.VerifyEvidence(_verifier, AttestationProof.SignEvidence(other, Nonce, Session, Mac), Nonce, Session, Mac));
        var proof = Proof();
        Assert.False(AttestationProof.VerifyEvidence(_verifier, proof, RandomNumberGenerator.GetBytes(32), Session, Mac));
        Assert.False(AttestationProof.VerifyEvidence(_verifier, proof, Nonce, Session + 1, Mac));
        Assert.False(AttestationProof.VerifyEvidence(_verifier, proof, Nonce, Session, MacAddress.Parse("02-00-00-00-01-02")));
    }

    [Fact]
    public void An_evidence_proof_seen_on_the_wire_is_no_depart_proof_and_the_reverse()
    {
        var depart = AttestationProof.SignDepart(_key, Nonce, Session, Mac);
        Assert.True(AttestationProof.VerifyDepart(_verifier, depart, Nonce, Session, Mac));
        Assert.False(AttestationProof.VerifyEvidence(_verifier, depart, Nonce, Session, Mac));
        Assert.False(AttestationProof.VerifyDepart(_verifier, Proof(), Nonce, Session, Mac));
    }

    [Fact]
    public void Every_single_bit_flip_of_a_proof_is_rejected()
    {
        var proof = Proof();
        for (var bit = 0; bit < proof.Length * 8; bit++)
        {
            var forged = proof.ToArray();
            forged[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(AttestationProof.VerifyEvidence(_verifier, forged, Nonce, Session, Mac));
        }
    }

    [Fact]
    public void Truncated_empty_extended_or_zero_proofs_are_rejected()
    {
        var proof = Proof();
        Assert.False(AttestationProof.VerifyEvidence(_verifier, proof.AsSpan(..63), Nonce, Session, Mac));
        Assert.False(AttestationProof.VerifyEvidence(_verifier, [], Nonce, Session, Mac));
        Assert.False(AttestationProof.VerifyEvidence(_verifier, [.. proof, 0], Nonce, Session, Mac));
        Assert.False(AttestationProof.VerifyEvidence(_verifier, new byte[64], Nonce, Session, Mac));
    }

    [Fact]
    public void Bad_arguments_and_bad_public_points_are_refused()
    {
        Assert.Throws<ArgumentException>(() => AttestationProof.DeriveKey(new byte[15]));
        Assert.Throws<ArgumentException>(() => AttestationProof.SignEvidence(_key, Nonce.AsSpan(..31), Session, Mac));
        Assert.Throws<ArgumentException>(() => AttestationProof.SignDepart(_key, Nonce, Session, MacAddress.FromBytes([1, 2, 3])));
        var point = AttestationProof.PublicKeyOf(Secret);
        point[^1] ^= 1;
        Assert.Null(AttestationProof.ImportPublicKey(point));
        Assert.Null(AttestationProof.ImportPublicKey(point.AsSpan(..64)));
        Assert.Null(AttestationProof.ImportPublicKey([]));
    }
}
