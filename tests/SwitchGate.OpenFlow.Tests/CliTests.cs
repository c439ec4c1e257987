using System.CommandLine;
using System.Text.Json;
using SwitchGate.Cli;

namespace SwitchGate.OpenFlow.Tests;

/// <summary>`switchgate openflow decode|roundtrip` run through System.CommandLine with captured output.</summary>
public class CliTests
{
    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var root = new RootCommand("test");
        root.Subcommands.Add(OpenFlowCommands.Create());
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = root.Parse(["openflow", .. args]).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private static string Temp(byte[] bytes)
    {
        var path = Path.Combine(Path.GetTempPath(), $"sg-of-{Guid.NewGuid():n}.packet");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public static TheoryData<string> Files => Corpus.All();

    [Theory]
    [MemberData(nameof(Files))]
    public void Roundtrip_of_every_corpus_file_exits_0(string name)
    {
        var (exit, output, error) = Run("roundtrip", Corpus.PacketPath(name));
        Assert.Equal(0, exit);
        Assert.Contains("re-encoded identically", output);
        Assert.Equal(string.Empty, error);
    }

    [Fact]
    public void Decode_json_names_the_type_and_spec_fields()
    {
        var (exit, output, _) = Run("decode", Corpus.PacketPath("4-2-ofp_flow_mod"), "--json");
        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal("OFPT_FLOW_MOD", root.GetProperty("type").GetString());
        Assert.Equal(0u, root.GetProperty("xid").GetUInt32());
        Assert.Equal(65535u, root.GetProperty("buffer_id").GetUInt32());
        Assert.Equal(0, root.GetProperty("hard_timeout").GetInt32());
        var oxm = root.GetProperty("match").GetProperty("oxm_fields")[0];
        Assert.Equal("eth_dst", oxm.GetProperty("field").GetString());
        Assert.Equal("f2:0b:a4:7d:f8:ea", oxm.GetProperty("value").GetString());
        Assert.Equal(JsonValueKind.Null, oxm.GetProperty("mask").ValueKind);
    }

    [Fact]
    public void Decode_prints_a_readable_message()
    {
        var (exit, output, error) = Run("decode", Corpus.PacketPath("4-4-ofp_packet_in"));
        Assert.Equal(0, exit);
        Assert.StartsWith("OFPT_PACKET_IN xid=0 length=148", output);
        Assert.Contains("arp_spa = 10.0.0.1", output);
        Assert.Contains("buffer_id: 2", output);
        Assert.Equal(string.Empty, error);
    }

    [Theory]
    [InlineData("decode")]
    [InlineData("roundtrip")]
    public void Truncated_file_exits_2_with_one_line(string command)
    {
        var bytes = Corpus.Packet("4-2-ofp_flow_mod");
        var path = Temp(bytes[..100]);
        try
        {
            var (exit, output, error) = Run(command, path);
            Assert.Equal(2, exit);
            Assert.Equal(string.Empty, output);
            var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("OFPT_FLOW_MOD: truncated: header length 280, only 100 bytes", line);
            Assert.DoesNotContain(" at ", line);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Malformed_inner_length_exits_2_naming_the_problem()
    {
        var bytes = Corpus.Packet("4-46-ofp_flow_mod");
        bytes[0x33] = 2; // match length 14 -> 2
        var path = Temp(bytes);
        try
        {
            var (exit, _, error) = Run("decode", path, "--json");
            Assert.Equal(2, exit);
            Assert.Contains("match length 2 is less than the 4-byte ofp_match header", Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Oversized_file_exits_2_without_reading_it_all()
    {
        var path = Temp(new byte[OfpFrameReader.MaxMessageLength + 1]);
        try
        {
            var (exit, _, error) = Run("decode", path);
            Assert.Equal(2, exit);
            Assert.Contains("at most 65535", Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Missing_file_exits_2_with_one_line()
    {
        var (exit, _, error) = Run("roundtrip", "/nonexistent/nothing.packet");
        Assert.Equal(2, exit);
        Assert.Contains("cannot read", Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void First_difference_is_reported_by_offset()
    {
        Assert.Null(OfpText.FirstDifference([1, 2, 3], [1, 2, 3]));
        Assert.Equal("first difference at byte offset 1: file 0x02, re-encoded 0x09", OfpText.FirstDifference([1, 2, 3], [1, 9, 3]));
        Assert.Contains("lengths differ: file has 3 bytes, re-encoded 2", OfpText.FirstDifference([1, 2, 3], [1, 2]));
    }
}
