using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using SwitchGate.OpenFlow;

namespace SwitchGate.Gate.Tests;

/// <summary>
/// A minimal OpenFlow 1.3 switch on loopback speaking through the production codec: HELLO at once, answers
/// FEATURES_REQUEST, PORT_DESC, ECHO_REQUEST and BARRIER_REQUEST. Tests can hold barrier replies back, answer
/// chosen messages with an ERROR, and inject PACKET_IN / FLOW_REMOVED / PORT_STATUS.
/// </summary>
internal sealed class LoopbackSwitch : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<OfpMessage> _received = new();
    private readonly List<BarrierRequest> _heldBarriers = new();
    private Task? _readLoop;

    private LoopbackSwitch(Socket socket, ulong dpid, IReadOnlyList<PortDesc> ports)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(_stream);
        DatapathId = dpid;
        Ports = ports;
    }

    public ulong DatapathId { get; }
    public IReadOnlyList<PortDesc> Ports { get; }

    /// <summary>While true, BARRIER_REQUESTs are kept unanswered until <see cref="ReleaseBarriersAsync"/>.</summary>
    public bool HoldBarriers { get; set; }

    /// <summary>An ERROR to answer a received message with (the barrier after it is still answered).</summary>
    public Func<OfpMessage, ErrorMsg?>? ErrorFor { get; set; }

    public IReadOnlyList<OfpMessage> Received
    {
        get { lock (_received) return [.. _received]; }
    }

    public static PortDesc Port(uint number) =>
        new(number, new MacAddress(0x0200_0000_0000UL | number), $"p{number}", PortConfig.None, PortState.Live, 0, 0, 0, 0, 0, 0);

    public static async Task<LoopbackSwitch> ConnectAsync(IPEndPoint controller, ulong dpid, params uint[] ports)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(controller);
        var sw = new LoopbackSwitch(socket, dpid, ports.Select(Port).ToList());
        await sw.SendAsync(Hello.VersionBitmap(OfpConstants.Version));
        sw._readLoop = Task.Run(sw.ReadLoopAsync);
        return sw;
    }

    public async Task SendAsync(params OfpMessage[] messages)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var m in messages)
            OfpCodec.Encode(m, buffer);
        await _writeLock.WaitAsync();
        try
        {
            await _stream.WriteAsync(buffer.WrittenMemory);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>A frame arriving on <paramref name="port"/> and matching the table-0 0x88B5 flow (OFPR_ACTION).</summary>
    public Task PacketInAsync(uint port, byte[] frame) =>
        SendAsync(new PacketIn(OfpBuffer.NoBuffer, (ushort)frame.Length, PacketInReason.Action, 0, 0, Match.Of(Oxm.InPort(port)), frame));

    public async Task ReleaseBarriersAsync()
    {
        BarrierRequest[] held;
        lock (_heldBarriers)
        {
            held = [.. _heldBarriers];
            _heldBarriers.Clear();
        }
        HoldBarriers = false;
        foreach (var b in held)
            await SendAsync(new BarrierReply { Xid = b.Xid });
    }

    public async Task<T> WaitForAsync<T>(Func<T, bool>? predicate = null, int skip = 0, TimeSpan? timeout = null) where T : OfpMessage
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        while (true)
        {
            var found = Received.Skip(skip).OfType<T>().FirstOrDefault(m => predicate is null || predicate(m));
            if (found is not null)
                return found;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"no {typeof(T).Name} matching; received {string.Join(", ", Received.Select(m => m.Type))}");
            await Task.Delay(10);
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync(_stop.Token);
                var buffer = result.Buffer;
                var answers = new List<OfpMessage>();
                while (OfpFrameReader.TryRead(ref buffer, out var message))
                {
                    lock (_received)
                        _received.Add(message!);
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
            case FeaturesRequest:
                answers.Add(new FeaturesReply(DatapathId, 0, 254, 0, Capabilities.FlowStats) { Xid = message.Xid });
                break;
            case MultipartRequest { Body: PortDescRequest }:
                answers.Add(new MultipartReply(new PortDescReply(Ports)) { Xid = message.Xid });
                break;
            case EchoRequest echo:
                answers.Add(new EchoReply(echo.Data) { Xid = echo.Xid });
                break;
            case BarrierRequest barrier when HoldBarriers:
                lock (_heldBarriers)
                    _heldBarriers.Add(barrier);
                break;
            case BarrierRequest:
                answers.Add(new BarrierReply { Xid = message.Xid });
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
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
