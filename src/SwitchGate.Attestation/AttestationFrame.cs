using SwitchGate.Ethernet;

namespace SwitchGate.Attestation;

/// <summary>An attestation message with the Ethernet addresses it travelled between.</summary>
public sealed record AttestationFrameContent(MacAddress Destination, MacAddress Source, AttestationMessage Message);

/// <summary>
/// Builds and parses whole Ethernet II frames carrying one attestation message (docs/protocol.md §2).
/// Frames are untagged and without the FCS, as an AF_PACKET socket, libpcap and an OpenFlow packet-in present them.
/// </summary>
public static class AttestationFrame
{
    /// <summary>IEEE 802 Local Experimental EtherType 1 (IEEE Std 802-2014 §9.2.4).</summary>
    public const ushort EtherType = EtherTypes.LocalExperimental1;

    public const int EthernetHeaderLength = EthernetHeader.Length;

    /// <summary>The minimum Ethernet frame without FCS (IEEE 802.3 clause 3.2.8: 64 octets including the 4-octet FCS).</summary>
    public const int MinimumFrameLength = EthernetHeader.MinimumFrameLength;

    public const int MaximumFrameLength = EthernetHeaderLength + Limits.MaxMessageLength;

    /// <summary>
    /// Destination of every agent → controller frame: the IEEE 802.1Q "Nearest Bridge" group address
    /// 01-80-C2-00-00-0E (IEEE Std 802.1Q-2018 Table 8-1), which no conformant bridge or TPMR forwards, so
    /// even a switch that fell out of OpenFlow control (or a plain bridge on the path) never delivers it to a host.
    /// </summary>
    public static MacAddress ControllerDestination { get; } = new(0x0180_C200_000EUL);

    /// <summary>
    /// The source address the controller puts on its frames unless configured otherwise: locally
    /// administered unicast ("SG" 00 00 01). Agents must not rely on it; the switch alone authenticates the origin.
    /// </summary>
    public static MacAddress DefaultControllerSource { get; } = new(0x0253_4700_0001UL);

    /// <summary>Encodes <paramref name="message"/> into a frame, zero-padded to the 60-octet minimum.</summary>
    public static byte[] Build(MacAddress destination, MacAddress source, AttestationMessage message)
    {
        return new EthernetHeader(destination, source, EtherType).Frame(AttestationCodec.Encode(message));
    }

    /// <summary>Builds the frame into <paramref name="destination"/> (padding included) and returns its length.</summary>
    public static int Build(MacAddress destination, MacAddress source, AttestationMessage message, Span<byte> frame)
    {
        var bytes = Build(destination, source, message);
        if (bytes.Length > frame.Length)
        {
            throw new ArgumentException($"{bytes.Length} octets needed, {frame.Length} given", nameof(frame));
        }

        bytes.CopyTo(frame);
        return bytes.Length;
    }

    /// <summary>
    /// Parses a frame. The message length comes from the attestation header; octets after it are
    /// accepted only as padding of a minimum-size frame. Bad input throws <see cref="AttestationFormatException"/> only.
    /// </summary>
    public static AttestationFrameContent Parse(ReadOnlySpan<byte> frame)
    {
        if (!EthernetHeader.TryRead(frame, out var header))
        {
            throw new AttestationFormatException(FormatError.NotAttestationFrame, $"{frame.Length} octets, an Ethernet header is {EthernetHeaderLength}");
        }

        if (header.EtherType != EtherType)
        {
            throw new AttestationFormatException(FormatError.NotAttestationFrame, $"EtherType 0x{header.EtherType:X4}");
        }

        var payload = frame[EthernetHeaderLength..];
        var length = AttestationCodec.ReadHeader(payload);
        if (payload.Length > length && frame.Length > MinimumFrameLength)
        {
            throw new AttestationFormatException(
                FormatError.TrailingBytes,
                $"{payload.Length - length} octets after a {length}-octet message in a {frame.Length}-octet frame");
        }

        var message = AttestationCodec.Decode(payload[..length]);
        return new AttestationFrameContent(header.Destination, header.Source, message);
    }
}
