using System.Buffers;

namespace SwitchGate.OpenFlow.Tests;

/// <summary>Every message of the conformance corpus tests/data/openflow13: decode, compare with its JSON, re-encode, truncate.</summary>
public class ConformanceTests
{
    public static TheoryData<string> Files => Corpus.All();

    [Fact]
    public void Corpus_is_there_and_complete()
    {
        var names = Corpus.Names().ToList();
        Assert.Equal(64, names.Count);
        Assert.All(names, n => Assert.True(File.Exists(Corpus.JsonPath(n)), $"missing JSON for {n}"));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Reencodes_byte_for_byte(string name)
    {
        var bytes = Corpus.Packet(name);
        var message = OfpCodec.Decode(bytes);
        var again = GoldenTests.EncodeInto0xFF(message, OfpEncodeOptions.Verbatim);
        Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(again));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Frame_reader_reads_the_file_as_one_message(string name)
    {
        var bytes = Corpus.Packet(name);
        var seq = new ReadOnlySequence<byte>(bytes);
        Assert.True(OfpFrameReader.TryRead(ref seq, out var message));
        Assert.Equal(0, seq.Length);
        Assert.Equal(bytes, OfpCodec.Encode(message, OfpEncodeOptions.Verbatim));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_truncation_needs_more_or_fails_cleanly(string name)
    {
        var bytes = Corpus.Packet(name);
        for (var n = 0; n < bytes.Length; n++)
        {
            var prefix = bytes.AsSpan(0, n).ToArray();
            var seq = new ReadOnlySequence<byte>(prefix);
            Assert.False(OfpFrameReader.TryRead(ref seq, out _), $"prefix {n}");
            Assert.Equal(n, seq.Length);
            var e = Record.Exception(() => OfpCodec.Decode(prefix));
            Assert.IsType<OpenFlowFormatException>(e);
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Trailing_bytes_are_an_error(string name)
    {
        var bytes = Corpus.Packet(name).Append((byte)0).ToArray();
        Assert.Contains("trailing", Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(bytes)).Reason);
    }
}
