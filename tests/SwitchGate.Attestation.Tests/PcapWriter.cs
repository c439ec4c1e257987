using System.Buffers.Binary;

namespace SwitchGate.Attestation.Tests;

/// <summary>Writes the classic libpcap file format (magic 0xA1B2C3D4, version 2.4), link type 1 (Ethernet).</summary>
internal static class PcapWriter
{
    public static void Write(string path, IEnumerable<byte[]> frames)
    {
        using var file = File.Create(path);
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 1);
        file.Write(header);

        var seconds = 1_790_000_000u;
        var microseconds = 0u;
        Span<byte> record = stackalloc byte[16];
        foreach (var frame in frames)
        {
            microseconds += 1_000;
            BinaryPrimitives.WriteUInt32LittleEndian(record, seconds);
            BinaryPrimitives.WriteUInt32LittleEndian(record[4..], microseconds);
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)frame.Length);
            file.Write(record);
            file.Write(frame);
        }
    }
}
