using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using SwitchGate.Attestation;
using SwitchGate.OpenFlow;
using OfHello = SwitchGate.OpenFlow.Hello;

namespace SwitchGate.AttestLoad;

/// <summary>
/// One fake OpenFlow 1.3 switch on loopback carrying the simulated nodes plugged into its ports. It does the
/// switch side of the handshake and cold start (FEATURES, PORT_DESC, barriers, echo), accepts and counts
/// FLOW_MODs and METER_MODs (it enforces neither: table 0's per-port meter is a real switch's job), turns each
/// node's frames into PACKET_INs from table 0 with the node's in_port (as the 0x88B5 flow's output:CONTROLLER
/// would, §7.4.1 OFPR_ACTION), and hands the attestation frames of PACKET_OUTs to the node on the output port.
/// Messages are decoded with the production codec.
/// </summary>
internal sealed class AttestSwitch
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    private readonly Channel<byte[]> _out = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<uint, SimNode> _byPort;
    private readonly PortDesc[] _portDescs;
    private readonly Stats _stats;
    private volatile bool _coldStartDone;
    private volatile string? _failure;
    private long _flowMods;
    private long _meterMods;
    private long _barriers;
    private long _errors;

    public AttestSwitch(ulong datapathId, int ports, IEnumerable<SimNode> nodes, Stats stats)
    {
        DatapathId = datapathId;
        _portDescs = SwitchSide.Ports(datapathId, ports, "al");
        _byPort = nodes.ToDictionary(n => n.Port);
        _stats = stats;
    }

    public ulong DatapathId { get; }
    public bool ColdStartDone => _coldStartDone;
    public string? Failure => _failure;
    public long FlowMods => Interlocked.Read(ref _flowMods);
    public long MeterMods => Interlocked.Read(ref _meterMods);
    public long Barriers => Interlocked.Read(ref _barriers);
    public long Errors => Interlocked.Read(ref _errors);
    public string? FirstError { get; private set; }

    public async Task ConnectAsync(IPEndPoint controller, CancellationToken cancel)
    {
        await _socket.ConnectAsync(controller, cancel).ConfigureAwait(false);
        Send(OfHello.VersionBitmap(OfpConstants.Version));
    }

    public Task RunAsync() => Task.WhenAll(Task.Run(ReadLoopAsync), Task.Run(WriteLoopAsync));

    /// <summary>Sends a node's attestation frame as the PACKET_IN its port's 0x88B5 flow would produce.</summary>
    public void SendFromNode(SimNode node, byte[] frame)
    {
        var packetIn = new PacketIn(OfpBuffer.NoBuffer, (ushort)frame.Length, PacketInReason.Action, 0, 0, Match.Of(Oxm.InPort(node.Port)), frame);
        Send(packetIn);
    }

    public void Close()
    {
        _out.Writer.TryComplete();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        _socket.Dispose();
    }

    private void Send(OfpMessage message) => _out.Writer.TryWrite(OfpCodec.Encode(message));

    private async Task WriteLoopAsync()
    {
        var batch = new byte[1 << 16];
        try
        {
            while (await _out.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                int used = 0;
                while (used < batch.Length - 2048 && _out.Reader.TryRead(out var message))
                {
                    message.CopyTo(batch, used);
                    used += message.Length;
                }
                for (int sent = 0; sent < used;)
                    sent += await _socket.SendAsync(batch.AsMemory(sent, used - sent), SocketFlags.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            _failure ??= $"send failed: {ex.Message}";
        }
    }

    private async Task ReadLoopAsync()
    {
        var stopped = await OfpSocketReader.RunAsync(_socket, message =>
        {
            Handle(message);
            return _failure is null;
        }).ConfigureAwait(false);
        _failure ??= stopped;
    }

    private void Handle(ReadOnlySpan<byte> bytes)
    {
        var message = OfpCodec.Decode(bytes);
        switch (message)
        {
            case FlowMod:
                Interlocked.Increment(ref _flowMods);
                return;
            case MeterMod:
                Interlocked.Increment(ref _meterMods);
                return;
            case PacketOut packetOut:
                Deliver(packetOut);
                return;
            case ErrorMsg or ErrorExperimenterMsg:
                Interlocked.Increment(ref _errors);
                FirstError ??= message.ToString();
                return;
            case BarrierRequest:
                Interlocked.Increment(ref _barriers);
                // The cold start ends with a barrier (docs/controller.md); after our reply the gate's table 0 is in place.
                _coldStartDone = true;
                break;
        }
        if (message is OfHello hello && !hello.SupportsVersion(OfpConstants.Version))
            _failure ??= "controller does not offer OpenFlow 1.3";
        else if (SwitchSide.Answer(message, DatapathId, _portDescs, "sg-attestload fake switch") is { } answer)
            Send(answer);
    }

    /// <summary>A PACKET_OUT from the gate: output:P with a whole frame for the node behind port P (docs/gate.md).</summary>
    private void Deliver(PacketOut packetOut)
    {
        var port = packetOut.Actions.OfType<ActionOutput>().Select(a => (uint?)a.Port).FirstOrDefault();
        if (port is not { } p || !_byPort.TryGetValue(p, out var node))
        {
            Stats.Count(ref _stats.Misdirected);
            return;
        }
        AttestationFrameContent content;
        try
        {
            content = AttestationFrame.Parse(packetOut.Data);
        }
        catch (AttestationFormatException)
        {
            Stats.Count(ref _stats.Malformed);
            return;
        }
        if (!content.Destination.Equals(node.CleanMac))
        {
            Stats.Count(ref _stats.Misdirected);
            return;
        }
        switch (content.Message)
        {
            case Challenge challenge:
                if (node.Answer(challenge) is { } evidence)
                    SendFromNode(node, evidence);
                else
                    Stats.Count(ref _stats.UnexpectedChallenges);
                break;
            case Verdict verdict:
                _stats.Record(node, verdict, node.Conclude(verdict));
                break;
            default:
                Stats.Count(ref _stats.Malformed);
                break;
        }
    }
}
