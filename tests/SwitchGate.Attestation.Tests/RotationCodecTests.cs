using System.Security.Cryptography;
using SwitchGate.Ethernet;
using static SwitchGate.Attestation.Tests.Samples;

namespace SwitchGate.Attestation.Tests;

/// <summary>ROTATE and ROTATED (docs/protocol.md §5.6, §5.7): exact octets, and every malformed variant refused with its specific error.</summary>
public class RotationCodecTests
{
    private static AttestationFormatException Refused(byte[] bytes) => Assert.Throws<AttestationFormatException>(() => AttestationCodec.Decode(bytes));

    private static (ushort, byte[]) Generation(uint g) => Tlv(TlvType.Generation, [(byte)(g >> 24), (byte)(g >> 16), (byte)(g >> 8), (byte)g]);

    [Fact]
    public void Rotate_and_rotated_encode_to_the_documented_octets_and_back()
    {
        var rotate = AttestationCodec.Encode(Samples.Rotate);
        Assert.Equal(
            "5347020601660000" + "0123456789ABCDEF" + "000D000400000001" + "000E0046" + Convert.ToHexString(Samples.Rotate.Credential.Span)
            + "000F0100" + Convert.ToHexString(Samples.Rotate.EncryptedSecret.Span),
            Convert.ToHexString(rotate));
        Assert.Equal(Samples.Rotate, AttestationCodec.Decode(rotate));
        var rotated = AttestationCodec.Encode(Samples.Rotated);
        Assert.Equal("53470207005C0000" + "0123456789ABCDEF" + "000D000400000001" + "00080040" + new string('5', 128), Convert.ToHexString(rotated));
        Assert.Equal(Samples.Rotated, AttestationCodec.Decode(rotated));
    }

    [Fact]
    public void Malformed_rotation_messages_are_refused_with_a_specific_error()
    {
        var credential = Tlv(TlvType.Credential, new byte[70]);
        var encrypted = Tlv(TlvType.EncryptedSecret, new byte[256]);
        var proof = Tlv(TlvType.Proof, new byte[64]);
        Assert.Equal(FormatError.BadTlvValue, Refused(Raw(MessageType.Rotate, Session, Generation(0), credential, encrypted)).Reason);
        Assert.Equal(FormatError.BadTlvValue, Refused(Raw(MessageType.Rotated, Session, Generation(0), proof)).Reason);
        Assert.Equal(FormatError.BadSessionId, Refused(Raw(MessageType.Rotate, 0, Generation(1), credential, encrypted)).Reason);
        Assert.Equal(FormatError.BadSessionId, Refused(Raw(MessageType.Rotated, 0, Generation(1), proof)).Reason);
        Assert.Equal(FormatError.MissingTlv, Refused(Raw(MessageType.Rotate, Session, Generation(1), credential)).Reason);
        Assert.Equal(FormatError.MissingTlv, Refused(Raw(MessageType.Rotated, Session, proof)).Reason);
        Assert.Equal(FormatError.BadTlvLength, Refused(Raw(MessageType.Rotate, Session, Tlv(TlvType.Generation, new byte[3]), credential, encrypted)).Reason);
        Assert.Equal(FormatError.BadTlvLength, Refused(Raw(MessageType.Rotate, Session, Generation(1), Tlv(TlvType.Credential, new byte[3]), encrypted)).Reason);
        Assert.Equal(FormatError.BadTlvLength, Refused(Raw(MessageType.Rotate, Session, Generation(1), Tlv(TlvType.Credential, new byte[257]), encrypted)).Reason);
        Assert.Equal(FormatError.BadTlvLength, Refused(Raw(MessageType.Rotate, Session, Generation(1), credential, Tlv(TlvType.EncryptedSecret, new byte[513]))).Reason);
        Assert.Equal(FormatError.BadTlvLength, Refused(Raw(MessageType.Rotated, Session, Generation(1), Tlv(TlvType.Proof, new byte[32]))).Reason);
        Assert.Equal(FormatError.DuplicateTlv, Refused(Raw(MessageType.Rotated, Session, Generation(1), Generation(2), proof)).Reason);
        Assert.Equal(FormatError.UnexpectedTlv, Refused(Raw(MessageType.Rotated, Session, Generation(1), proof, credential)).Reason);
        Assert.Equal(FormatError.UnexpectedTlv, Refused(Raw(MessageType.Depart, Session, proof, Generation(1))).Reason);
        Assert.Equal(FormatError.UnexpectedTlv, Refused(Raw(MessageType.Rotate, Session, Generation(1), credential, encrypted, Tlv(TlvType.Nonce, new byte[32]))).Reason);
    }

    [Fact]
    public void Constructors_refuse_what_the_wire_cannot_carry()
    {
        Assert.Throws<ArgumentException>(() => new Rotate(Session, 0, new byte[70], new byte[256]));
        Assert.Throws<ArgumentException>(() => new Rotate(0, 1, new byte[70], new byte[256]));
        Assert.Throws<ArgumentException>(() => new Rotate(Session, 1, new byte[3], new byte[256]));
        Assert.Throws<ArgumentException>(() => new Rotated(Session, 1, new byte[63]));
    }

    [Fact]
    public void The_rotated_proof_is_bound_to_session_generation_and_mac_and_is_no_other_proof()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        using var key = AttestationProof.DeriveKey(secret);
        using var verifier = AttestationProof.ImportPublicKey(AttestationProof.PublicKeyOf(secret))!;
        var proof = AttestationProof.SignRotated(key, Session, 2, CleanMac);
        Assert.True(AttestationProof.VerifyRotated(verifier, proof, Session, 2, CleanMac));
        Assert.False(AttestationProof.VerifyRotated(verifier, proof, Session, 3, CleanMac));
        Assert.False(AttestationProof.VerifyRotated(verifier, proof, Session + 1, 2, CleanMac));
        Assert.False(AttestationProof.VerifyRotated(verifier, proof, Session, 2, MacAddress.Parse("02:00:00:00:01:02")));
        var evidence = AttestationProof.SignEvidence(key, Nonce, Session, CleanMac);
        Assert.False(AttestationProof.VerifyRotated(verifier, evidence, Session, 2, CleanMac));
        Assert.False(AttestationProof.VerifyEvidence(verifier, proof, Nonce, Session, CleanMac));
    }
}
