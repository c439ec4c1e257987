using System.Buffers.Binary;
using SwitchGate.Ethernet;
using SwitchGate.OpenFlow;

namespace SwitchGate.LoadGen;

/// <summary>
/// The packet-ins of one fake switch: a table-miss PACKET_IN (OFPR_NO_MATCH, §7.4.1) with an in_port match and a
/// whole 60-byte Ethernet frame (buffer_id OFP_NO_BUFFER), encoded once by the production codec and then patched
/// in place per packet (xid, in_port, MACs, sequence number).
/// <para>
/// Host h of switch s (h &lt; macs) has MAC 02:SS:SS:HH:HH:HH (locally administered unicast) and sits behind
/// port 1 + h mod ports. Packet number n comes from host n mod macs and goes to the next host; when that host sits
/// behind the same port (a wrap-around, or one port), it goes to broadcast instead. So no destination is ever
/// learned behind the packet's own in_port, and a learning switch answers EVERY packet-in with one PACKET_OUT
/// (to the learned port, or flooded), plus FLOW_MODs depending on its logic. The PACKET_OUT carries our frame
/// back, so its sequence number identifies the packet-in it answers.
/// </para>
/// </summary>
internal sealed class Traffic
{
    /// <summary>IEEE Std 802 "local experimental ethertype 1": nobody's protocol, so nobody parses the payload.</summary>
    public const ushort EtherType = EtherTypes.LocalExperimental1;

    /// <summary>"SGLG": marks a frame as ours inside a PACKET_OUT.</summary>
    public const uint Magic = 0x53474C47;

    public const int FrameLength = 60;

    // Frame layout: dst(6) src(6) ethertype(2) magic(4) switch index(4) sequence(4) zero padding.
    private const int FrameMagicOffset = 14;
    private const int FrameSwitchOffset = 18;
    private const int FrameSequenceOffset = 22;

    private readonly byte[] _template;
    private readonly int _inPortOffset;
    private readonly int _frameOffset;
    private readonly int _switchIndex;
    private readonly int _macs;
    private readonly int _ports;

    public Traffic(int switchIndex, int macs, int ports, byte tableId)
    {
        if (switchIndex is < 0 or > 0xFFFF)
            throw new ArgumentOutOfRangeException(nameof(switchIndex), "at most 65536 switches");
        if (macs is < 1 or > 0xFF_FFFF)
            throw new ArgumentOutOfRangeException(nameof(macs), "1..16777215 MACs per switch");
        _switchIndex = switchIndex;
        _macs = macs;
        _ports = ports;
        var frame = new byte[FrameLength];
        new EthernetHeader(MacAddress.Zero, MacAddress.Zero, EtherType).WriteTo(frame);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(FrameMagicOffset), Magic);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(FrameSwitchOffset), (uint)switchIndex);
        var packetIn = new PacketIn(OfpBuffer.NoBuffer, FrameLength, PacketInReason.NoMatch, tableId, 0, Match.Of(Oxm.InPort(1)), frame);
        _template = OfpCodec.Encode(packetIn);
        _frameOffset = _template.Length - FrameLength;
        // ofp_header(8), buffer_id..cookie(16), ofp_match type+length(4), OXM header(4), then the in_port value.
        _inPortOffset = 8 + 16 + 4 + 4;
        SelfCheck(tableId);
    }

    public int MessageLength => _template.Length;

    public static ulong HostMac(int switchIndex, int host) => (0x02UL << 40) | ((ulong)switchIndex << 24) | (uint)host;

    public uint PortOf(int host) => 1 + (uint)(host % _ports);

    /// <summary>Writes packet-in number <paramref name="sequence"/> into <paramref name="destination"/> (MessageLength bytes).</summary>
    public void Write(Span<byte> destination, uint sequence)
    {
        _template.CopyTo(destination);
        int host = (int)(sequence % (uint)_macs);
        int next = host + 1 == _macs ? 0 : host + 1;
        uint inPort = PortOf(host);
        ulong dst = PortOf(next) == inPort ? 0xFFFF_FFFF_FFFFUL : HostMac(_switchIndex, next);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], sequence); // xid
        BinaryPrimitives.WriteUInt32BigEndian(destination[_inPortOffset..], inPort);
        var frame = destination[_frameOffset..];
        new MacAddress(dst).WriteTo(frame);
        new MacAddress(HostMac(_switchIndex, host)).WriteTo(frame[6..]);
        BinaryPrimitives.WriteUInt32BigEndian(frame[FrameSequenceOffset..], sequence);
    }

    /// <summary>
    /// If <paramref name="packetOut"/> (a whole OFPT_PACKET_OUT) carries one of our frames for this switch, its
    /// sequence number. ofp_packet_out (§7.3.7): header(8) buffer_id(4) in_port(4) actions_len(2) pad(6) actions data.
    /// </summary>
    public bool TryReadSequence(ReadOnlySpan<byte> packetOut, out uint sequence)
    {
        sequence = 0;
        if (packetOut.Length < 24)
            return false;
        int data = 24 + BinaryPrimitives.ReadUInt16BigEndian(packetOut[16..]);
        if (packetOut.Length < data + FrameSequenceOffset + 4)
            return false;
        var frame = packetOut[data..];
        if (BinaryPrimitives.ReadUInt32BigEndian(frame[FrameMagicOffset..]) != Magic
            || BinaryPrimitives.ReadUInt32BigEndian(frame[FrameSwitchOffset..]) != (uint)_switchIndex)
            return false;
        sequence = BinaryPrimitives.ReadUInt32BigEndian(frame[FrameSequenceOffset..]);
        return true;
    }

    /// <summary>The patched bytes must still be the PACKET_IN we mean: decode two of them with the production codec.</summary>
    private void SelfCheck(byte tableId)
    {
        var buffer = new byte[MessageLength];
        foreach (uint n in new uint[] { 0, (uint)_macs - 1 })
        {
            Write(buffer, n);
            var decoded = (PacketIn)OfpCodec.Decode(buffer);
            int host = (int)(n % (uint)_macs);
            if (decoded.Xid != n || decoded.TableId != tableId || decoded.Match.InPort != PortOf(host)
                || MacAddress.Read(decoded.Data.AsSpan(6)).Value != HostMac(_switchIndex, host))
                throw new InvalidOperationException("packet-in template offsets are wrong");
        }
    }
}
