using System.Net.NetworkInformation;
using PacketDotNet;
using SwitchGate.Attestation;

namespace SwitchGate.BootAgent.Network;

/// <summary>
/// The Ethernet layer of attestation frames with PacketDotNet (docs/protocol.md §2): an untagged Ethernet II
/// header with EtherType 0x88B5 around the <see cref="AttestationCodec"/> bytes, zero-padded to 60 octets.
/// </summary>
public static class EthernetFraming
{
    public static byte[] Build(PhysicalAddress source, PhysicalAddress destination, AttestationMessage message)
    {
        var ethernet = new EthernetPacket(source, destination, (EthernetType)AttestationFrame.EtherType)
        {
            PayloadData = AttestationCodec.Encode(message),
        };
        var bytes = ethernet.Bytes;
        if (bytes.Length >= AttestationFrame.MinimumFrameLength)
        {
            return bytes;
        }

        // IEEE 802.3 clause 3.2.8: a sender pads a short frame to 60 octets (64 with the FCS).
        var padded = new byte[AttestationFrame.MinimumFrameLength];
        bytes.CopyTo(padded, 0);
        return padded;
    }

    /// <summary>
    /// Parses a captured frame. Not an attestation frame, or a malformed message: <see cref="AttestationFormatException"/>
    /// (the only exception). The message length comes from the attestation header; octets after it are accepted
    /// only as the padding of a minimum-size frame (docs/protocol.md §2).
    /// </summary>
    public static AttestationFrameContent Parse(byte[] frame)
    {
        if (frame.Length < AttestationFrame.EthernetHeaderLength)
        {
            throw new AttestationFormatException(FormatError.NotAttestationFrame, $"{frame.Length} octets is no Ethernet frame");
        }

        EthernetPacket ethernet;
        try
        {
            ethernet = new EthernetPacket(new PacketDotNet.Utils.ByteArraySegment(frame));
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException)
        {
            throw new AttestationFormatException(FormatError.NotAttestationFrame, $"Ethernet header does not parse: {e.Message}");
        }

        if ((ushort)ethernet.Type != AttestationFrame.EtherType)
        {
            throw new AttestationFormatException(FormatError.NotAttestationFrame, $"EtherType 0x{(ushort)ethernet.Type:X4}");
        }

        var payload = frame.AsSpan(AttestationFrame.EthernetHeaderLength);
        var length = AttestationCodec.ReadHeader(payload);
        if (payload.Length > length && frame.Length > AttestationFrame.MinimumFrameLength)
        {
            throw new AttestationFormatException(FormatError.TrailingBytes, $"{payload.Length - length} octets after the message");
        }

        return new AttestationFrameContent(ethernet.DestinationHardwareAddress, ethernet.SourceHardwareAddress,
            AttestationCodec.Decode(payload[..length]));
    }
}
