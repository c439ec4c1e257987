using System.Net.NetworkInformation;
using SwitchGate.Attestation;
using SwitchGate.BootAgent.Network;

namespace SwitchGate.BootAgent.Tests;

/// <summary>PacketDotNet framing agrees byte for byte with the reference <see cref="AttestationFrame"/>.</summary>
public sealed class EthernetFramingTests
{
    private static readonly PhysicalAddress Clean = PhysicalAddress.Parse("02-00-00-00-01-01");

    public static TheoryData<int> Messages => new() { 0, 1, 2, 3 };

    private static AttestationMessage Sample(int i) => i switch
    {
        0 => new Hello(0, "bs1", Clean),
        1 => new Depart(0x0123456789ABCDEF, Enumerable.Range(0, 64).Select(b => (byte)b).ToArray()),
        2 => Verdict.Admit(0x0123456789ABCDEF, 30),
        _ => new Evidence(7, new byte[145], new byte[72], Enumerable.Range(0, 5).Select(_ => (ReadOnlyMemory<byte>)new byte[32]), new byte[64]),
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void Build_equals_the_reference_frame_and_parses_back(int i)
    {
        var message = Sample(i);
        var ours = EthernetFraming.Build(Clean, AttestationFrame.ControllerDestination, message);
        Assert.Equal(AttestationFrame.Build(AttestationFrame.ControllerDestination, Clean, message), ours);
        var parsed = EthernetFraming.Parse(ours);
        Assert.Equal(message, parsed.Message);
        Assert.Equal(Clean, parsed.Source);
        Assert.Equal(AttestationFrame.ControllerDestination, parsed.Destination);
    }

    [Fact]
    public void Bad_frames_throw_only_AttestationFormatException()
    {
        var good = EthernetFraming.Build(Clean, AttestationFrame.ControllerDestination, Sample(3));
        var otherType = (byte[])good.Clone();
        otherType[12] = 0x08;
        otherType[13] = 0x00;
        var trailing = good.Concat(new byte[4]).ToArray();
        var truncated = good[..40];
        foreach (var bad in new[] { otherType, trailing, truncated, new byte[10], new byte[14] })
        {
            Assert.Throws<AttestationFormatException>(() => EthernetFraming.Parse(bad));
        }

        var random = new Random(4);
        for (int n = 0; n < 2000; n++)
        {
            var mutated = (byte[])good.Clone();
            mutated[random.Next(12, mutated.Length)] ^= (byte)(1 << random.Next(8));
            try
            {
                EthernetFraming.Parse(mutated);
            }
            catch (AttestationFormatException)
            {
            }
        }
    }
}
