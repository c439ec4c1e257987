using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using SwitchGate.Ethernet;
using SwitchGate.OpenFlow;

namespace SwitchGate.TestSupport.OpenFlow;

/// <summary>
/// A scriptable OpenFlow 1.3 switch for tests, over TCP or any stream (an in-memory pipe). It speaks through the
/// production codec (OfpFrameReader/OfpCodec), so both ends agree on the wire format of the spec, not on a test
/// double. By default it behaves like a well-mannered switch (<see cref="SwitchSide"/>): HELLO at once, answers
/// FEATURES_REQUEST, PORT_DESC (in two parts, to exercise OFPMPF_REPLY_MORE), ECHO_REQUEST and BARRIER_REQUEST;
/// hooks change that, and tests inject PACKET_IN, FLOW_REMOVED or PORT_STATUS.
/// </summary>
public sealed class FakeSwitch : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly Socket? _socket;
    private readonly PipeReader _input;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<OfpMessage> _received = [];
    private readonly List<BarrierRequest> _heldBarriers = [];
    private readonly object _gate = new();
    private readonly TaskCompletionSource _closedByPeer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _arrival = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _readLoop;
    private int _disposed;

    private FakeSwitch(Stream stream, Socket? socket, ulong dpid, IReadOnlyList<PortDesc> ports)
    {
        _stream = stream;
        _socket = socket;
        _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        DatapathId = dpid;
        Ports = ports;
    }

    public ulong DatapathId { get; }
    public IReadOnlyList<PortDesc> Ports { get; }

    /// <summary>Answer ECHO_REQUEST (false: play dead).</summary>
    public bool AnswerEcho { get; set; } = true;

    /// <summary>Answer FEATURES_REQUEST.</summary>
    public bool AnswerFeatures { get; set; } = true;

    /// <summary>Answer BARRIER_REQUEST (false: never).</summary>
    public bool AnswerBarrier { get; set; } = true;

    /// <summary>While true, BARRIER_REQUESTs are kept unanswered until <see cref="ReleaseBarriersAsync"/>.</summary>
    public bool HoldBarriers { get; set; }

    /// <summary>The switch's HELLO; null sends none.</summary>
    public Hello? HelloToSend { get; set; } = Hello.VersionBitmap(OfpConstants.Version);

    /// <summary>An ERROR to answer a received message with, instead of its normal answer.</summary>
    public Func<OfpMessage, ErrorMsg?>? ErrorFor { get; set; }

    /// <summary>While reset, the switch stops reading (a switch that floods without reading).</summary>
    public ManualResetEventSlim Reading { get; } = new(true);

    /// <summary>Completes when the controller closed the connection.</summary>
    public Task ClosedByPeer => _closedByPeer.Task;

    public IReadOnlyList<OfpMessage> Received
    {
        get { lock (_gate) return [.. _received]; }
    }

    /// <summary>Port <paramref name="number"/> with MAC 02:00:00:00:00:NN and name pN, live.</summary>
    public static PortDesc Port(uint number, string? name = null) =>
        SwitchSide.Port(number, new MacAddress(0x0200_0000_0000UL | number), name ?? $"p{number}");

    /// <summary>Connects to the controller over TCP; ports 1-3 unless given.</summary>
    public static async Task<FakeSwitch> ConnectAsync(IPEndPoint controller, ulong dpid, Action<FakeSwitch>? configure = null, params PortDesc[] ports)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(controller);
        return await StartAsync(new NetworkStream(socket, ownsSocket: true), socket, dpid, configure, ports);
    }

    /// <summary>Runs over a stream the caller connected to the controller (e.g. an in-memory pipe); disposing closes it.</summary>
    public static Task<FakeSwitch> AttachAsync(Stream stream, ulong dpid, Action<FakeSwitch>? configure = null, params PortDesc[] ports) =>
        StartAsync(stream, null, dpid, configure, ports);

    private static async Task<FakeSwitch> StartAsync(Stream stream, Socket? socket, ulong dpid, Action<FakeSwitch>? configure, PortDesc[] ports)
    {
        var fake = new FakeSwitch(stream, socket, dpid, ports.Length > 0 ? ports : [Port(1), Port(2), Port(3)]);
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
            await _stream.FlushAsync();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>A frame arriving on <paramref name="port"/> and matching a flow with output:CONTROLLER (OFPR_ACTION, §7.4.1).</summary>
    public Task PacketInAsync(uint port, byte[] frame) =>
        SendAsync(new PacketIn(OfpBuffer.NoBuffer, (ushort)frame.Length, PacketInReason.Action, 0, 0, Match.Of(Oxm.InPort(port)), frame));

    /// <summary>
    /// Answers the barriers held back while <see cref="HoldBarriers"/> was set, and stops holding; with
    /// <paramref name="count"/>, answers only the first that many and keeps holding the rest.
    /// </summary>
    public async Task ReleaseBarriersAsync(int? count = null)
    {
        BarrierRequest[] held;
        lock (_gate)
        {
            int take = Math.Min(count ?? _heldBarriers.Count, _heldBarriers.Count);
            held = [.. _heldBarriers.Take(take)];
            _heldBarriers.RemoveRange(0, take);
            if (count is null)
                HoldBarriers = false;
        }
        foreach (var b in held)
            await SendAsync(new BarrierReply { Xid = b.Xid });
    }

    /// <summary>
    /// Waits for a received message of type <typeparamref name="T"/> matching <paramref name="predicate"/>, among
    /// those after the first <paramref name="skip"/> received (already received ones count); woken by each arrival.
    /// </summary>
    public async Task<T> WaitForAsync<T>(Func<T, bool>? predicate = null, int skip = 0, TimeSpan? timeout = null) where T : OfpMessage
    {
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        int seen = skip;
        while (true)
        {
            Task arrival;
            lock (_gate)
            {
                for (; seen < _received.Count; seen++)
                    if (_received[seen] is T t && (predicate is null || predicate(t)))
                        return t;
                arrival = _arrival.Task;
            }
            try
            {
                await arrival.WaitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"switch {DatapathId:x}: no {typeof(T).Name} matching within the timeout; received: {string.Join(", ", Received.Select(m => m.Type))}");
            }
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
                    lock (_gate)
                    {
                        _received.Add(message!);
                        _arrival.TrySetResult();
                        _arrival = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                    Answer(message!, answers);
                }
                _input.AdvanceTo(buffer.Start, buffer.End);
                if (answers.Count > 0)
                    await SendAsync([.. answers]);
                if (result.IsCompleted)
                    break;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
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
            case FeaturesRequest when !AnswerFeatures:
            case EchoRequest when !AnswerEcho:
            case BarrierRequest when !AnswerBarrier:
                return;
            case BarrierRequest barrier:
                lock (_gate)
                {
                    if (HoldBarriers)
                    {
                        _heldBarriers.Add(barrier);
                        return;
                    }
                }
                break;
            case MultipartRequest { Body: PortDescRequest }:
                int half = Ports.Count / 2;
                answers.Add(new MultipartReply(new PortDescReply([.. Ports.Take(half)])) { Xid = message.Xid, Flags = MultipartFlags.ReplyMore });
                answers.Add(new MultipartReply(new PortDescReply([.. Ports.Skip(half)])) { Xid = message.Xid });
                return;
        }
        if (SwitchSide.Answer(message, DatapathId, Ports) is { } answer)
            answers.Add(answer);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        _stop.Cancel();
        try
        {
            _socket?.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        await _stream.DisposeAsync();
        if (_readLoop is not null)
            await _readLoop;
    }
}
