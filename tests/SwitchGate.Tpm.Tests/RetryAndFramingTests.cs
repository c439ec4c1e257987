using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Marshalling;
using SwitchGate.Tpm.Structures;
using SwitchGate.Tpm.Transport;

namespace SwitchGate.Tpm.Tests;

/// <summary>
/// The client's response handling against scripted responses (pure logic; the real-TPM paths are covered by the
/// swtpm tests): warnings that mean "try again" are retried, everything else surfaces, malformed framing is a
/// TpmFormatException.
/// </summary>
public sealed class RetryAndFramingTests
{
    private sealed class ScriptedTransport(params byte[][] responses) : ITpmTransport
    {
        private int _next;
        public List<byte[]> Commands { get; } = [];

        public Task<byte[]> SendAsync(ReadOnlyMemory<byte> command, CancellationToken cancellationToken = default)
        {
            Commands.Add(command.ToArray());
            return Task.FromResult(responses[_next++]);
        }

        public void Dispose() { }
    }

    private static byte[] Response(uint rc, byte[]? parameters = null)
    {
        var w = new TpmWriter();
        w.WriteUInt16((ushort)TpmSt.NoSessions).WriteUInt32(0).WriteUInt32(rc).WriteBytes(parameters ?? []);
        w.PatchUInt32(2, (uint)w.Length);
        return w.ToArray();
    }

    private static readonly byte[] RandomOk = Response(0, new TpmWriter().Write2B([1, 2, 3, 4]).ToArray());

    [Theory]
    [InlineData(0x922u)] // TPM_RC_RETRY
    [InlineData(0x908u)] // TPM_RC_YIELDED
    [InlineData(0x90Au)] // TPM_RC_TESTING
    public async Task Retryable_warnings_resend_the_same_command(uint warning)
    {
        var transport = new ScriptedTransport(Response(warning), Response(warning), RandomOk);
        using var tpm = new Tpm2(transport);
        Assert.Equal([1, 2, 3, 4], await tpm.GetRandomAsync(4));
        Assert.Equal(3, transport.Commands.Count);
        Assert.All(transport.Commands, c => Assert.Equal(transport.Commands[0], c));
    }

    [Fact]
    public async Task Other_codes_raise_TpmException_naming_command_and_code()
    {
        using var tpm = new Tpm2(new ScriptedTransport(Response(0x902)));
        var e = await Assert.ThrowsAsync<TpmException>(() => tpm.GetRandomAsync(4));
        Assert.Equal("TPM2_GetRandom failed: TPM_RC_OBJECT_MEMORY [0x902]", e.Message);
    }

    [Fact]
    public async Task Malformed_responses_raise_TpmFormatException()
    {
        var wrongSize = Response(0, new TpmWriter().Write2B([1, 2, 3, 4]).ToArray());
        wrongSize[5]++;
        var trailing = Response(0, [.. new TpmWriter().Write2B([1, 2]).ToArray(), 0xFF]);
        var truncated = Response(0, [0x00, 0x09, 0x01]);
        foreach (var bad in new[] { wrongSize, trailing, truncated, new byte[] { 0x80, 0x01 } })
        {
            using var tpm = new Tpm2(new ScriptedTransport(bad));
            await Assert.ThrowsAsync<TpmFormatException>(() => tpm.GetRandomAsync(2));
        }
    }
}
