using System.Buffers;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using SwitchGate.Ethernet;
using SwitchGate.OpenFlow;

namespace SwitchGate.Benchmarks.OpenFlow;

/// <summary>
/// The codec on the controller's hot path: decode a PACKET_IN (an ARP request, as in L2 learning), encode the
/// FLOW_MOD and PACKET_OUT that answer it, and frame a PACKET_IN out of a byte stream.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class CodecBenchmarks
{
    private static readonly MacAddress HostA = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly MacAddress HostB = MacAddress.Parse("02:00:00:00:00:02");

    private readonly byte[] _destination = new byte[2048];
    private byte[] _packetIn = null!;
    private byte[] _flowModBytes = null!;
    private ReadOnlySequence<byte> _stream;
    private FlowMod _flowMod = null!;
    private PacketOut _packetOut = null!;

    [GlobalSetup]
    public void Setup()
    {
        var frame = new byte[60];
        HostB.WriteTo(frame);
        HostA.WriteTo(frame.AsSpan(6));
        _packetIn = OfpCodec.Encode(new PacketIn(
            OfpBuffer.NoBuffer, 60, PacketInReason.NoMatch, 1, 0, Match.Of(Oxm.InPort(1)), frame) { Xid = 0 });
        _flowMod = new FlowMod
        {
            Xid = 7,
            TableId = 1,
            IdleTimeout = 300,
            Priority = 100,
            Cookie = 0x5347,
            Match = Match.Of(Oxm.EthDst(HostA)),
            Instructions = [new InstructionApplyActions([new ActionOutput(1)])],
        };
        _flowModBytes = OfpCodec.Encode(_flowMod);
        _packetOut = new PacketOut(OfpBuffer.NoBuffer, 2, [new ActionOutput(1)], frame) { Xid = 8 };
        _stream = new ReadOnlySequence<byte>(_packetIn);
    }

    [Benchmark]
    public OfpMessage DecodePacketIn() => OfpCodec.Decode(_packetIn);

    [Benchmark]
    public OfpMessage DecodeFlowMod() => OfpCodec.Decode(_flowModBytes);

    [Benchmark]
    public int EncodeFlowMod() => OfpCodec.Encode(_flowMod, _destination);

    [Benchmark]
    public int EncodePacketOut() => OfpCodec.Encode(_packetOut, _destination);

    [Benchmark]
    public int BuildAndEncodeFlowMod()
    {
        var mod = new FlowMod
        {
            Xid = 9,
            TableId = 1,
            IdleTimeout = 300,
            Priority = 100,
            Match = Match.Of(Oxm.EthDst(HostB)),
            Instructions = [new InstructionApplyActions([new ActionOutput(2)])],
        };
        return OfpCodec.Encode(mod, _destination);
    }

    [Benchmark]
    public bool FramePacketIn()
    {
        var buffer = _stream;
        return OfpFrameReader.TryRead(ref buffer, out _);
    }
}
