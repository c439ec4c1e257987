using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SwitchGate.OpenFlow;

namespace SwitchGate.LoadGen;

/// <summary>Flags shared by every fake switch of a run; written by the main loop only.</summary>
internal sealed class RunControl
{
    private volatile bool _measuring;
    private volatile bool _stopSending;

    /// <summary>Latencies are recorded only while this is set (after the warm-up).</summary>
    public bool Measuring { get => _measuring; set => _measuring = value; }

    public bool StopSending { get => _stopSending; set => _stopSending = value; }
}

/// <summary>
/// One fake OpenFlow 1.3 switch on one TCP connection. The reader counts FLOW_MODs and PACKET_OUTs straight from
/// the ofp_header (no decoding, no allocation) and decodes everything else with the production codec to answer it
/// (<see cref="SwitchSide"/>). The writer keeps <c>window</c> packet-ins unanswered (an answer is the PACKET_OUT
/// carrying our frame back): window 1 is cbench's latency mode, a large window a pipelined throughput mode. Window 0
/// is cbench's throughput mode proper ("blast"): batches of packet-ins written as fast as TCP takes them, whatever
/// comes back; it shows how a controller behaves under overload. Every counter has a single writer thread.
/// </summary>
internal sealed class FakeSwitch
{
    private const int RingSize = 4096;
    private const int BlastBatch = 64;

    private readonly ulong _datapathId;
    private readonly int _window;
    private readonly PortDesc[] _portDescs;
    private readonly TimeSpan _stallTimeout;
    private readonly RunControl _control;
    private readonly Traffic _traffic;
    private readonly AsyncSignal _signal = new();
    private readonly ConcurrentQueue<byte[]> _controlReplies = new();
    private readonly long[] _sendTimestamps = new long[RingSize];
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };

    // Reader-owned counters (read by the main loop for the per-second figures).
    private long _flowMods;
    private long _packetOuts;
    private long _answered;
    private long _foreignPacketOuts;
    private long _errors;
    private long _lastProgress;
    private readonly long[] _received = new long[32];

    // Writer-owned.
    private long _sent;
    private long _lost;
    private long _lostAdjust;

    private long _featuresAt;
    private volatile bool _ready;
    private volatile string? _failure;

    public FakeSwitch(int index, ulong datapathId, int macs, int ports, byte tableId, int window, TimeSpan stallTimeout, RunControl control)
    {
        if (window < 0 || window > RingSize / 2)
            throw new ArgumentOutOfRangeException(nameof(window), $"window 0 (blast) .. {RingSize / 2}");
        _datapathId = datapathId;
        _window = window;
        _portDescs = SwitchSide.Ports(datapathId, ports, "lg");
        _stallTimeout = stallTimeout;
        _control = control;
        _traffic = new Traffic(index, macs, ports, tableId);
    }

    public ulong DatapathId => _datapathId;
    public long FlowMods => Volatile.Read(ref _flowMods);
    public long PacketOuts => Volatile.Read(ref _packetOuts);
    public long Answered => Volatile.Read(ref _answered);
    public long ForeignPacketOuts => Volatile.Read(ref _foreignPacketOuts);
    public long Errors => Volatile.Read(ref _errors);
    public long Sent => Volatile.Read(ref _sent);
    public long Lost => Volatile.Read(ref _lost);
    public bool Ready => _ready;
    public string? Failure => _failure;
    public LatencyHistogram Latency { get; } = new();
    public string? FirstError { get; private set; }

    /// <summary>Message counts by ofp_type received so far (diagnostics).</summary>
    public IEnumerable<(OfpType Type, long Count)> ReceivedByType() =>
        _received.Select((c, t) => ((OfpType)t, Volatile.Read(ref _received[t]))).Where(x => x.Item2 > 0);

    /// <summary>Connects and sends HELLO at once (§6.3.1; ovs-testcontroller drops a silent peer after ~1 s).</summary>
    public async Task ConnectAsync(IPEndPoint target, CancellationToken cancellationToken)
    {
        await _socket.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
        await SendAllAsync(OfpCodec.Encode(Hello.VersionBitmap(OfpConstants.Version))).ConfigureAwait(false);
    }

    public Task RunAsync() => Task.WhenAll(Task.Run(ReadLoopAsync), Task.Run(WriteLoopAsync));

    /// <summary>Called by the run's watchdog ~10 times a second: readiness fallback and stall checks.</summary>
    public void Tick(TimeSpan readyAfterFeatures)
    {
        long features = Volatile.Read(ref _featuresAt);
        if (!_ready && features != 0 && Stopwatch.GetElapsedTime(features) >= readyAfterFeatures)
            _ready = true;
        _signal.Set();
    }

    public void Close()
    {
        _control.StopSending = true;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        _socket.Dispose();
        _signal.Set();
    }

    private async Task ReadLoopAsync()
    {
        long now = 0;
        bool progress = false;
        var stopped = await OfpSocketReader.RunAsync(_socket, message =>
        {
            if (now == 0)
                now = Stopwatch.GetTimestamp();
            byte type = message[1];
            _received[type & 31]++;
            if (type == (byte)OfpType.FlowMod)
            {
                _flowMods++;
            }
            else if (type == (byte)OfpType.PacketOut)
            {
                _packetOuts++;
                if (_traffic.TryReadSequence(message, out uint sequence))
                {
                    _answered++;
                    progress = true;
                    if (_window > 0 && _control.Measuring && unchecked((uint)_sent - sequence) <= RingSize / 2)
                        Latency.RecordTicks(now - _sendTimestamps[sequence % RingSize]);
                }
                else
                {
                    _foreignPacketOuts++;
                }
            }
            else
            {
                return HandleControl(message);
            }
            return true;
        }, () =>
        {
            if (progress)
            {
                Volatile.Write(ref _lastProgress, now);
                _signal.Set();
            }
            progress = false;
            now = 0;
        }).ConfigureAwait(false);
        Fail(stopped);
    }

    /// <summary>Decodes and answers a non-hot-path message; false if the session must end.</summary>
    private bool HandleControl(ReadOnlySpan<byte> bytes)
    {
        OfpMessage message;
        try
        {
            message = OfpCodec.Decode(bytes);
        }
        catch (OpenFlowFormatException ex)
        {
            Fail($"malformed message from the controller: {ex.Message}");
            return false;
        }
        switch (message)
        {
            case Hello hello when !hello.SupportsVersion(OfpConstants.Version):
                Fail("controller does not offer OpenFlow 1.3");
                return false;
            case ErrorMsg or ErrorExperimenterMsg:
                _errors++;
                FirstError ??= message.ToString();
                break;
            case FeaturesRequest:
                Volatile.Write(ref _featuresAt, Stopwatch.GetTimestamp());
                break;
            case BarrierRequest when Volatile.Read(ref _featuresAt) != 0:
                // The controller confirms its cold start with a barrier: after our reply it is ready for packet-ins.
                _ready = true;
                break;
        }
        if (SwitchSide.Answer(message, _datapathId, _portDescs, "sg-loadgen fake switch") is { } answer)
        {
            _controlReplies.Enqueue(OfpCodec.Encode(answer));
            _signal.Set();
        }
        return true;
    }

    private async Task WriteLoopAsync()
    {
        int len = _traffic.MessageLength;
        var batch = new byte[Math.Max(_window, BlastBatch) * len];
        try
        {
            while (!_control.StopSending || !_controlReplies.IsEmpty)
            {
                // Control replies keep their order relative to each other; they are few (handshake, echo).
                while (_controlReplies.TryDequeue(out var reply))
                    await SendAllAsync(reply).ConfigureAwait(false);
                if (_ready && !_control.StopSending)
                {
                    long outstanding = _sent - Volatile.Read(ref _answered) - _lostAdjust;
                    int credit = _window == 0 ? BlastBatch : (int)Math.Max(0, _window - outstanding);
                    if (credit > 0)
                    {
                        long now = Stopwatch.GetTimestamp();
                        for (int i = 0; i < credit; i++)
                        {
                            uint sequence = unchecked((uint)_sent);
                            _traffic.Write(batch.AsSpan(i * len, len), sequence);
                            _sendTimestamps[sequence % RingSize] = now;
                            Volatile.Write(ref _sent, _sent + 1);
                        }
                        if (outstanding <= 0)
                            Volatile.Write(ref _lastProgress, now);
                        await SendAllAsync(batch.AsMemory(0, credit * len)).ConfigureAwait(false);
                        continue;
                    }
                    // Window full: if nothing was answered for the stall timeout, the controller dropped them.
                    if (Stopwatch.GetElapsedTime(Volatile.Read(ref _lastProgress)) > _stallTimeout)
                    {
                        Volatile.Write(ref _lost, _lost + outstanding);
                        _lostAdjust += outstanding;
                        continue;
                    }
                }
                if (_failure is not null)
                    return;
                await _signal.WaitAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            Fail($"send failed: {ex.Message}");
        }
    }

    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            int n = await _socket.SendAsync(bytes, SocketFlags.None).ConfigureAwait(false);
            bytes = bytes[n..];
        }
    }

    private void Fail(string reason)
    {
        if (!_control.StopSending)
            _failure ??= reason;
        _signal.Set();
    }
}
