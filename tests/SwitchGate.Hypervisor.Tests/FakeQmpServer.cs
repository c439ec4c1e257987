using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace SwitchGate.Hypervisor.Tests;

/// <summary>A scripted QMP peer on a real Unix socket, for the client's unit tests.</summary>
internal sealed class FakeQmpServer : IAsyncDisposable
{
    public const string Greeting = """{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "test"}, "capabilities": ["oob"]}}""";

    private readonly string _dir = Directory.CreateTempSubdirectory("sgqmp").FullName;
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private Task _script = Task.CompletedTask;

    public FakeQmpServer()
    {
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(1);
    }

    public string SocketPath => Path.Combine(_dir, "qmp.sock");

    /// <summary>Runs <paramref name="script"/> against the first connection.</summary>
    public void Run(Func<Peer, Task> script) => _script = Task.Run(async () =>
    {
        using var socket = await _listener.AcceptAsync();
        await using var peer = new Peer(new NetworkStream(socket, ownsSocket: false));
        await script(peer);
    });

    /// <summary>Greets, answers qmp_capabilities, then runs <paramref name="script"/>.</summary>
    public void RunNegotiated(Func<Peer, Task> script) => Run(async peer =>
    {
        await peer.SendAsync(Greeting);
        var caps = await peer.ReadCommandAsync();
        Assert.Equal("qmp_capabilities", caps.Execute);
        await peer.SendAsync($$"""{"return": {}, "id": "{{caps.Id}}"}""");
        await script(peer);
    });

    public Task Script => _script;

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        try { await _script.WaitAsync(TimeSpan.FromSeconds(5)); } catch (Exception) { /* the test asserts what matters */ }
        Directory.Delete(_dir, recursive: true);
    }

    public sealed record Command(string Execute, string? Id, JsonElement Arguments);

    internal sealed class Peer(NetworkStream stream) : IAsyncDisposable
    {
        private readonly StreamReader _reader = new(stream, Encoding.UTF8, leaveOpen: true);

        public async Task SendAsync(string raw)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(raw + "\r\n"));
            await stream.FlushAsync();
        }

        public async Task SendBytesAsync(byte[] bytes)
        {
            await stream.WriteAsync(bytes);
            await stream.FlushAsync();
        }

        public async Task<Command> ReadCommandAsync()
        {
            var line = await _reader.ReadLineAsync() ?? throw new EndOfStreamException("client closed");
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            return new Command(
                root.GetProperty("execute").GetString()!,
                root.TryGetProperty("id", out var id) ? id.GetString() : null,
                root.TryGetProperty("arguments", out var a) ? a.Clone() : default);
        }

        public async ValueTask DisposeAsync()
        {
            _reader.Dispose();
            await stream.DisposeAsync();
        }
    }
}
