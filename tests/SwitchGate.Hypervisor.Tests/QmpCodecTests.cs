using System.Text;
using System.Text.Json.Nodes;
using SwitchGate.Hypervisor.Qmp;

namespace SwitchGate.Hypervisor.Tests;

public class QmpCodecTests
{
    private static QmpMessage Decode(string line) => QmpCodec.Decode(Encoding.UTF8.GetBytes(line));

    private static QmpException Refused(string line) => Assert.Throws<QmpException>(() => Decode(line));

    [Fact]
    public void Decodes_the_four_message_kinds()
    {
        var greeting = Assert.IsType<QmpGreeting>(Decode(FakeQmpServer.Greeting));
        Assert.Equal("7.2.22", greeting.Version);
        Assert.Equal(["oob"], greeting.Capabilities);

        var ret = Assert.IsType<QmpReturn>(Decode("""{"return": {"status": "running", "running": true}, "id": "sg-3"}"""));
        Assert.Equal("sg-3", ret.Id);
        Assert.Equal("running", ret.Value.GetProperty("status").GetString());

        var error = Assert.IsType<QmpError>(Decode("""{"error": {"class": "DeviceNotFound", "desc": "Device 'x' not found"}, "id": "sg-4"}"""));
        Assert.Equal(("DeviceNotFound", "Device 'x' not found", "sg-4"), (error.Class, error.Description, error.Id));

        var ev = Assert.IsType<QmpEvent>(Decode("""{"timestamp": {"seconds": 1733300000, "microseconds": 5}, "event": "DEVICE_DELETED", "data": {"device": "bootdev", "path": "/machine/peripheral/bootdev"}}"""));
        Assert.Equal("DEVICE_DELETED", ev.Name);
        Assert.Equal("bootdev", ev.DataString("device"));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1733300000).AddTicks(50), ev.Timestamp);

        var bare = Assert.IsType<QmpEvent>(Decode("""{"event": "STOP"}"""));
        Assert.Null(bare.DataString("device"));
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("[1,2]", "instead of an object")]
    [InlineData("\"return\"", "instead of an object")]
    [InlineData("{}", "none of")]
    [InlineData("""{"return": {}, "event": "STOP"}""", "several of")]
    [InlineData("""{"error": {"class": 1, "desc": "x"}}""", "error without")]
    [InlineData("""{"error": "boom"}""", "error without")]
    [InlineData("""{"event": 7}""", "event name")]
    [InlineData("""{"event": "X", "data": [1]}""", "event data")]
    [InlineData("""{"return": {}, "id": 5}""", "id is not a string")]
    [InlineData("""{"QMP": {}}""", "greeting without")]
    [InlineData("""{"QMP": {"version": {"qemu": {"major": "7", "minor": 2, "micro": 0}}}}""", "major")]
    [InlineData("""{"return": {}, "id": "a"}x""", "not JSON")]
    [InlineData("""{"return": {}, "id": "sg-1", "id": "sg-2"}""", "not JSON")]
    public void Refuses_malformed_messages_with_a_specific_error(string line, string expected)
    {
        var e = Refused(line);
        Assert.Equal(QmpFailure.Malformed, e.Failure);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 })]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    public void Refuses_invalid_utf8_in_any_string(byte[] bad)
    {
        foreach (var (prefix, suffix) in new[] { ("{\"return\": {\"status\": \"", "\"}}"), ("{\"event\": \"X", "\"}"), ("{\"return\": {\"", "\": 1}}") })
        {
            var line = Encoding.UTF8.GetBytes(prefix).Concat(bad).Concat(Encoding.UTF8.GetBytes(suffix)).ToArray();
            var e = Assert.Throws<QmpException>(() => QmpCodec.Decode(line));
            Assert.Equal(QmpFailure.Malformed, e.Failure);
        }
    }

    [Fact]
    public void Refuses_a_lone_surrogate_escape()
    {
        var e = Refused("""{"return": {"status": "\ud800"}}""");
        Assert.Equal(QmpFailure.Malformed, e.Failure);
    }

    [Fact]
    public void Refuses_a_nesting_bomb()
    {
        var line = """{"return": """ + new string('[', 200) + new string(']', 200) + "}";
        Assert.Equal(QmpFailure.Malformed, Refused(line).Failure);
    }

    [Fact]
    public void Encodes_a_command_on_one_line_with_its_id()
    {
        var bytes = QmpCodec.EncodeCommand("device_del", new JsonObject { ["id"] = "boot\"dev" }, "sg-1");
        Assert.Equal("""{"execute":"device_del","arguments":{"id":"boot\u0022dev"},"id":"sg-1"}""" + "\n", Encoding.UTF8.GetString(bytes));
        Assert.Throws<ArgumentException>(() => QmpCodec.EncodeCommand("quit\"}", null, null));
    }

    [Fact]
    public async Task Line_reader_splits_crlf_lines_and_skips_blank_ones()
    {
        var reader = new QmpLineReader(new MemoryStream(Encoding.UTF8.GetBytes("{\"a\":1}\r\n\r\n{\"b\":2}\n")));
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString((await reader.ReadLineAsync(default))!));
        Assert.Equal("{\"b\":2}", Encoding.UTF8.GetString((await reader.ReadLineAsync(default))!));
        Assert.Null(await reader.ReadLineAsync(default));
    }

    [Fact]
    public async Task Line_reader_refuses_an_oversized_line_before_its_end()
    {
        // An endless line: the reader must give up at the bound, not wait for a newline that never comes.
        var reader = new QmpLineReader(new EndlessStream((byte)'x'), maxLineBytes: 4096);
        var e = await Assert.ThrowsAsync<QmpException>(() => reader.ReadLineAsync(default));
        Assert.Equal(QmpFailure.Oversized, e.Failure);
    }

    [Fact]
    public async Task Line_reader_reports_a_message_cut_by_the_end_of_the_stream()
    {
        var reader = new QmpLineReader(new MemoryStream(Encoding.UTF8.GetBytes("{\"return\": {")));
        var e = await Assert.ThrowsAsync<QmpException>(() => reader.ReadLineAsync(default));
        Assert.Equal(QmpFailure.Closed, e.Failure);
    }

    private sealed class EndlessStream(byte value) : Stream
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            Array.Fill(buffer, value, offset, count);
            return count;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
