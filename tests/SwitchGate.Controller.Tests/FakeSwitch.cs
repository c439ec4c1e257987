using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using SwitchGate.OpenFlow;

namespace SwitchGate.Controller.Tests;

/// <summary>
/// A scriptable OpenFlow 1.3 switch on loopback for session tests. It speaks through the production
/// codec (OfpFrameReader/OfpCodec) so that both ends agree on the wire format of the spec, not on a
/// test double. By default it behaves like a well-mannered switch: HELLO at once, answers
/// FEATURES_REQUEST, PORT_DESC, ECHO_REQUEST and BARRIER_REQUEST; hooks change that.
/// </summary>
internal sealed class FakeSwitch : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<OfpMessage> _received = new();
    private readonly object _receivedLock = new();
    private readonly TaskCompletionSource _closedByPeer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SemaphoreSlim _arrivals = new(0, int.MaxValue);
    private Task? _readLoop;
    private int _disposed;

    private FakeSwitch(Socket socket, ulong dpid, IReadOnlyList<PortDesc> ports)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(_stream);
        DatapathId = dpid;
        Ports = ports;
    }

    public ulong DatapathId { get; }
    public IReadOnlyList<PortDesc> Ports { get; }

    /// <summary>Answer ECHO_REQUEST (false: play dead).</summary>
    public bool AnswerEcho { get; set; } = true;

    /// <summary>Answer FEATURES_REQUEST.</summary>
    public bool AnswerFeatures { get; set; } = true;

    /// <summary>Answer BARRIER_REQUEST.</summary>
    public bool AnswerBarrier { get; set; } = true;

    /// <summary>The switch's HELLO; null sends none.</summary>
    public Hello? HelloToSend { get; set; } = Hello.VersionBitmap(OfpConstants.Version);

    /// <summary>Return an ERROR to send in answer to a received message (before any normal answer).</summary>
    public Func<OfpMessage, ErrorMsg?>? ErrorFor { get; set; }

    /// <summary>While set, the switch stops reading its socket (a switch that floods without reading).</summary>
    public ManualResetEventSlim Reading { get; } = new(true);

    /// <summary>Completes when the controller closed the TCP connection.</summary>
    public Task ClosedByPeer => _closedByPeer.Task;

    public IReadOnlyList<OfpMessage> Received
    {
        get { lock (_receivedLock) return [.. _received]; }
    }

    public static PortDesc Port(uint number, string name) =>
        new(number, new MacAddress(0x0200_0000_0000UL | number), name, PortConfig.None, PortState.Live, 0, 0, 0, 0, 10_000_000, 10_000_000);

    public static async Task<FakeSwitch> ConnectAsync(IPEndPoint controller, ulong dpid, Action<FakeSwitch>? configure = null, params PortDesc[] ports)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(controller);
        var fake = new FakeSwitch(socket, dpid, ports.Length > 0 ? ports : [Port(1, "p1"), Port(2, "p2"), Port(3, "p3")]);
        configure?.Invoke(fake);
        if (fake.HelloToSend is not null)
            await fake.SendAsync(fake.HelloToSend);
        fake._readLoop = Task.Run(fake.ReadLoopAsync);
        return fake;
    }

    public async Task SendAsync(params OfpMessage[] messages)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var m in messages)
            OfpCodec.Encode(m, buffer);
        await SendRawAsync(buffer.WrittenMemory);
    }

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        await _writeLock.WaitAsync();
        try
        {
            await _stream.WriteAsync(bytes);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Waits for a received message matching <paramref name="predicate"/> (already received ones count).</summary>
    public async Task<T> WaitForAsync<T>(Func<T, bool>? predicate = null, TimeSpan? timeout = null) where T : OfpMessage
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        int seen = 0;
        while (true)
        {
            var snapshot = Received;
            for (; seen < snapshot.Count; seen++)
                if (snapshot[seen] is T t && (predicate is null || predicate(t)))
                    return t;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new TimeoutException($"switch {DatapathId:x}: no {typeof(T).Name} matching within the timeout; received: {string.Join(", ", snapshot.Select(m => m.Type))}");
            await _arrivals.WaitAsync(left < TimeSpan.FromMilliseconds(50) ? left : TimeSpan.FromMilliseconds(50));
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                if (!Reading.IsSet)
                    await Task.Run(() => Reading.Wait(_stop.Token));
                var result = await _input.ReadAsync(_stop.Token);
                var buffer = result.Buffer;
                var answers = new List<OfpMessage>();
                while (OfpFrameReader.TryRead(ref buffer, out var message))
                {
                    lock (_receivedLock)
                        _received.Add(message!);
                    _arrivals.Release();
                    Answer(message!, answers);
                }
                _input.AdvanceTo(buffer.Start, buffer.End);
                if (answers.Count > 0)
                    await SendAsync([.. answers]);
                if (result.IsCompleted)
                    break;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
        }
        _closedByPeer.TrySetResult();
    }

    private void Answer(OfpMessage message, List<OfpMessage> answers)
    {
        if (ErrorFor?.Invoke(message) is { } error)
        {
            answers.Add(error with { Xid = message.Xid });
            return;
        }
        switch (message)
        {
            case FeaturesRequest when AnswerFeatures:
                answers.Add(new FeaturesReply(DatapathId, 256, 254, 0, Capabilities.FlowStats | Capabilities.PortStats) { Xid = message.Xid });
                break;
            case MultipartRequest { Body: PortDescRequest }:
                // Two parts, to exercise OFPMPF_REPLY_MORE reassembly.
                int half = Ports.Count / 2;
                answers.Add(new MultipartReply(new PortDescReply([.. Ports.Take(half)])) { Xid = message.Xid, Flags = MultipartFlags.ReplyMore });
                answers.Add(new MultipartReply(new PortDescReply([.. Ports.Skip(half)])) { Xid = message.Xid });
                break;
            case EchoRequest echo when AnswerEcho:
                answers.Add(new EchoReply(echo.Data) { Xid = echo.Xid });
                break;
            case BarrierRequest when AnswerBarrier:
                answers.Add(new BarrierReply { Xid = message.Xid });
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        _stop.Cancel();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        await _stream.DisposeAsync();
        if (_readLoop is not null)
            await _readLoop;
    }
}
