namespace SwitchGate.Attestation.Tests;

/// <summary>Expected octets written by hand from the tables of docs/protocol.md (§3, §4, Appendix A).</summary>
public class GoldenBytesTests
{
    private const string Twos = "22222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222";

    private const string HelloHex =
        "5347 02 01 0021 0000 0000000000000000" +
        "0001 0003 627331" +
        "0002 0006 020000000101";

    private const string ChallengeHex =
        "5347 02 02 0042 0000 0123456789ABCDEF" +
        "0003 0020 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F" +
        "0004 000A 00000001000B03FFFFFF";

    private const string EvidenceHex =
        "5347 02 03 0087 0000 0123456789ABCDEF" +
        "0005 0004 FF544347" +
        "0006 0002 0010" +
        "0007 0021 20 1111111111111111111111111111111111111111111111111111111111111111" +
        "0008 0040 " + Twos;

    private const string AdmittedHex =
        "5347 02 04 0021 0000 0123456789ABCDEF" +
        "0009 0001 01" +
        "000A 0002 0000" +
        "000B 0002 001E";

    private const string ReattestationFailedHex =
        "5347 02 04 0021 0000 0123456789ABCDEF" +
        "0009 0001 03" +
        "000A 0002 0205" +
        "000C 0002 010F";

    private const string DepartHex =
        "5347 02 05 0054 0000 0123456789ABCDEF" +
        "0008 0040 A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF" +
        "C0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF";

    public static TheoryData<string, string> Cases() => new()
    {
        { "hello", HelloHex },
        { "challenge", ChallengeHex },
        { "evidence", EvidenceHex },
        { "admitted", AdmittedHex },
        { "reattestation-failed", ReattestationFailedHex },
        { "depart", DepartHex },
    };

    private static AttestationMessage Message(string name) => name switch
    {
        "hello" => Samples.Hello,
        "challenge" => Samples.Challenge,
        "evidence" => Samples.Evidence,
        "admitted" => Samples.Admitted,
        "reattestation-failed" => Samples.ReattestationFailed,
        _ => Samples.Depart,
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encodes_exactly_the_documented_octets_into_a_dirty_buffer(string name, string hex)
    {
        var expected = Samples.Hex(hex);
        var buffer = Enumerable.Repeat((byte)0xFF, 1600).ToArray();

        var written = AttestationCodec.Encode(Message(name), buffer);

        Assert.Equal(expected.Length, written);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(buffer, 0, written));
        Assert.All(buffer[written..], b => Assert.Equal(0xFF, b));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decodes_the_documented_octets(string name, string hex)
    {
        Assert.Equal(Message(name), AttestationCodec.Decode(Samples.Hex(hex)));
    }

    [Fact]
    public void Hello_frame_goes_to_the_nearest_bridge_address_and_is_zero_padded_to_60_octets()
    {
        var expected = Samples.Hex("0180C200000E 020000000101 88B5" + HelloHex + "00000000000000000000000000");
        var buffer = Enumerable.Repeat((byte)0xFF, 1600).ToArray();

        var written = AttestationFrame.Build(AttestationFrame.ControllerDestination, Samples.CleanMac, Samples.Hello, buffer);

        Assert.Equal(60, written);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(buffer, 0, written));
        Assert.All(buffer[written..], b => Assert.Equal(0xFF, b));
    }

    [Fact]
    public void Evidence_frame_longer_than_the_minimum_is_not_padded()
    {
        var frame = AttestationFrame.Build(AttestationFrame.ControllerDestination, Samples.CleanMac, Samples.Evidence);

        Assert.Equal(
            Convert.ToHexString(Samples.Hex("0180C200000E 020000000101 88B5" + EvidenceHex)),
            Convert.ToHexString(frame));
    }

    /// <summary>
    /// docs/protocol.md §8 test vectors, computed independently with Python's <c>cryptography</c> (HKDF, SECP256R1):
    /// the proof key's public point is deterministic; ECDSA signatures are randomized, so the documented signatures
    /// are checked by verifying them.
    /// </summary>
    [Fact]
    public void Proofs_match_the_documented_test_vectors()
    {
        var secret = Enumerable.Repeat((byte)0x5A, 32).ToArray();
        var point = AttestationProof.PublicKeyOf(secret);
        Assert.Equal(
            "0466E43384072ECFA89448960A3120841B49674AD4E681488B14597C8ED0C50DB7417B6B28578C1FCA93DF4516F822285F90A6B5F0188E2A29BD34BFE8BADC7DB9",
            Convert.ToHexString(point));
        using var verifier = AttestationProof.ImportPublicKey(point)!;
        Assert.True(AttestationProof.VerifyEvidence(verifier, Samples.Hex(
            "5305A623676163DBE782A915521CD710035DBDFDD715F8EB96FC98F5522D4020F425BEFC8120B2A0931CB831F2417C418B4019720FA5CBDE6E9E86EF3061A43C"),
            Samples.Nonce, Samples.Session, Samples.CleanMac));
        Assert.True(AttestationProof.VerifyDepart(verifier, Samples.Hex(
            "101C2700CE06D75C394B7185CC78D0A981BC787976A3E8D285220D59A5A4FF91E7990D02B92FC8FC8C5442EDDA9E5C3E979CE2F5AEB3372D65459C629DA0BB32"),
            Samples.Nonce, Samples.Session, Samples.CleanMac));
    }
}
