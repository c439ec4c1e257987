using SwitchGate.Ethernet;

namespace SwitchGate.Attestation.Tests;

/// <summary>The size budget of docs/protocol.md §9, checked against the encoder.</summary>
public class SizeTests
{
    [Theory]
    [InlineData(145, 262, 24, 32, 1295, true)]
    [InlineData(145, 72, 24, 32, 1105, true)]
    [InlineData(145, 390, 24, 32, 1423, true)]
    [InlineData(145, 518, 24, 32, 1551, false)]
    [InlineData(145, 518, 23, 32, 1518, false)]
    [InlineData(145, 518, 22, 32, 1485, true)]
    [InlineData(161, 262, 24, 48, 1695, false)]
    [InlineData(161, 262, 20, 48, 1499, true)]
    [InlineData(161, 104, 23, 48, 1488, true)]
    public void Evidence_length_formula_matches_the_encoder(int attest, int signature, int pcrCount, int digest, int expected, bool fits)
    {
        var digests = Enumerable.Repeat(digest, pcrCount).ToArray();
        Assert.Equal(expected, Limits.EvidenceLength(attest, signature, digests));

        var evidence = new Evidence(1, new byte[attest], new byte[signature], digests.Select(d => (ReadOnlyMemory<byte>)new byte[d]), new byte[64]);
        if (fits)
        {
            Assert.Equal(expected, AttestationCodec.Encode(evidence).Length);
        }
        else
        {
            Assert.Equal(FormatError.MessageTooLarge, Assert.Throws<AttestationFormatException>(() => AttestationCodec.Encode(evidence)).Reason);
        }
    }

    [Fact]
    public void The_largest_other_messages_fit_easily()
    {
        var mac = MacAddress.Parse("02-00-00-00-00-01");
        Assert.Equal(94, AttestationCodec.Encode(new Hello(1, new string('n', 64), mac)).Length);
        Assert.Equal(188, AttestationCodec.Encode(new Challenge(1, new byte[32], new byte[132])).Length);
        Assert.Equal(33, AttestationCodec.Encode(Verdict.Revoke(1, ReasonCode.ReattestationFailed, ReasonCode.BadSignature)).Length);
        Assert.Equal(84, AttestationCodec.Encode(new Depart(1, new byte[64])).Length);
    }
}
