using System.Buffers.Binary;

namespace SwitchGate.Ethernet;

/// <summary>
/// The Ethernet II header (destination, source, EtherType) of a frame as an AF_PACKET socket, libpcap and an
/// OpenFlow packet-in present it: no preamble, no FCS. The project's only Ethernet framer; stateless, on spans.
/// A frame whose EtherType field holds a VLAN TPID is tagged: <see cref="TryReadInnerEtherType"/> looks behind the tags.
/// </summary>
public readonly record struct EthernetHeader(MacAddress Destination, MacAddress Source, ushort EtherType)
{
    public const int Length = 14;

    /// <summary>One IEEE 802.1Q tag: TPID(2) and TCI(2).</summary>
    public const int TagLength = 4;

    /// <summary>The minimum frame without FCS (IEEE Std 802.3 clause 3.2.8: 64 octets including the 4-octet FCS).</summary>
    public const int MinimumFrameLength = 60;

    /// <summary>True if the EtherType field holds a VLAN TPID: the real EtherType is behind one or more tags.</summary>
    public bool IsVlanTagged => EtherTypes.IsVlanTpid(EtherType);

    /// <summary>Reads the header; false if <paramref name="frame"/> is shorter than <see cref="Length"/>.</summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, out EthernetHeader header)
    {
        if (frame.Length < Length)
        {
            header = default;
            return false;
        }

        header = new EthernetHeader(MacAddress.Read(frame), MacAddress.Read(frame[6..]), BinaryPrimitives.ReadUInt16BigEndian(frame[12..]));
        return true;
    }

    /// <summary>
    /// The EtherType behind any number of VLAN tags and the offset where that protocol's payload starts; false if the
    /// frame ends inside the header or a tag.
    /// </summary>
    public static bool TryReadInnerEtherType(ReadOnlySpan<byte> frame, out ushort etherType, out int payloadOffset)
    {
        etherType = 0;
        payloadOffset = 0;
        for (var at = Length - 2; at + 2 <= frame.Length; at += TagLength)
        {
            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[at..]);
            if (!EtherTypes.IsVlanTpid(etherType))
            {
                payloadOffset = at + 2;
                return true;
            }
        }

        return false;
    }

    public void WriteTo(Span<byte> frame)
    {
        if (frame.Length < Length)
        {
            throw new ArgumentException($"an Ethernet header is {Length} octets, {frame.Length} given", nameof(frame));
        }

        Destination.WriteTo(frame);
        Source.WriteTo(frame[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], EtherType);
    }

    /// <summary>A whole frame: this header, then <paramref name="payload"/>, zero-padded to <see cref="MinimumFrameLength"/>.</summary>
    public byte[] Frame(ReadOnlySpan<byte> payload)
    {
        var frame = new byte[Math.Max(MinimumFrameLength, Length + payload.Length)];
        WriteTo(frame);
        payload.CopyTo(frame.AsSpan(Length));
        return frame;
    }
}
