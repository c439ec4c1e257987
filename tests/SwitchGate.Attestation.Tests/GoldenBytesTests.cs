namespace SwitchGate.Attestation.Tests;

/// <summary>Expected octets written by hand from the tables of docs/protocol.md (§3, §4, Appendix A).</summary>
public class GoldenBytesTests
{
    private const string HelloHex =
        "5347 01 01 0021 0000 0000000000000000" +
        "0001 0003 627331" +
        "0002 0006 020000000101";

    private const string ChallengeHex =
        "5347 01 02 0042 0000 0123456789ABCDEF" +
        "0003 0020 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F" +
        "0004 000A 00000001000B03FFFFFF";

    private const string EvidenceHex =
        "5347 01 03 0067 0000 0123456789ABCDEF" +
        "0005 0004 FF544347" +
        "0006 0002 0010" +
        "0007 0021 20 1111111111111111111111111111111111111111111111111111111111111111" +
        "0008 0020 2222222222222222222222222222222222222222222222222222222222222222";

    private const string AdmittedHex =
        "5347 01 04 0021 0000 0123456789ABCDEF" +
        "0009 0001 01" +
        "000A 0002 0000" +
        "000B 0002 001E";

    private const string ReattestationFailedHex =
        "5347 01 04 0021 0000 0123456789ABCDEF" +
        "0009 0001 03" +
        "000A 0002 0205" +
        "000C 0002 010F";

    private const string DepartHex =
        "5347 01 05 0034 0000 0123456789ABCDEF" +
        "0008 0020 A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF";

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

    [Fact]
    public void Proofs_match_the_documented_test_vectors()
    {
        var secret = Enumerable.Repeat((byte)0x5A, 32).ToArray();

        Assert.Equal(
            "7B9B8E096D0FBA9EB7E3858A03910D2841E86B20FBFFECF26672E8518AD5F4A2",
            Convert.ToHexString(AttestationProof.ComputeEvidenceProof(secret, Samples.Nonce, Samples.Session, Samples.CleanMac)));
        Assert.Equal(
            "FEA9A4958101392969C396DFE929AA196D1BD8E396A49F734D4D14D7AC2B9BCB",
            Convert.ToHexString(AttestationProof.ComputeDepartProof(secret, Samples.Nonce, Samples.Session, Samples.CleanMac)));
    }
}
