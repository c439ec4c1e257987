using System.Buffers.Binary;

namespace SwitchGate.Tpm.Marshalling;

/// <summary>
/// Big-endian reader over a TPM byte buffer (TPM 2.0 Part 2, §3 "canonical" marshalling: all integers
/// are big-endian; TPM2B_ types are a UINT16 size followed by that many bytes). Every read is length
/// checked and failures raise <see cref="TpmFormatException"/>.
/// </summary>
public ref struct TpmReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public TpmReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public int Position => _position;
    public int Remaining => _buffer.Length - _position;

    public ReadOnlySpan<byte> ReadSpan(int count, string what)
    {
        if (count < 0 || count > Remaining)
            throw new TpmFormatException($"{what}: needs {count} bytes, {Remaining} left at offset {_position}");
        var span = _buffer.Slice(_position, count);
        _position += count;
        return span;
    }

    public byte[] ReadBytes(int count, string what) => ReadSpan(count, what).ToArray();

    public byte ReadByte(string what) => ReadSpan(1, what)[0];
    public ushort ReadUInt16(string what) => BinaryPrimitives.ReadUInt16BigEndian(ReadSpan(2, what));
    public uint ReadUInt32(string what) => BinaryPrimitives.ReadUInt32BigEndian(ReadSpan(4, what));
    public ulong ReadUInt64(string what) => BinaryPrimitives.ReadUInt64BigEndian(ReadSpan(8, what));

    /// <summary>A TPM2B: UINT16 size then the bytes. <paramref name="maxSize"/> enforces the spec's buffer bound.</summary>
    public byte[] Read2B(string what, int maxSize = ushort.MaxValue)
    {
        int size = ReadUInt16(what + ".size");
        if (size > maxSize)
            throw new TpmFormatException($"{what}: size {size} exceeds the maximum {maxSize}");
        return ReadBytes(size, what);
    }

    /// <summary>Reads a TPM2B and returns a reader limited to its contents (for TPM2B wrapping a structure).</summary>
    public TpmReader Read2BReader(string what)
    {
        int size = ReadUInt16(what + ".size");
        return new TpmReader(ReadSpan(size, what));
    }

    /// <summary>Throws unless every byte was consumed: a structure with trailing data is malformed.</summary>
    public void EnsureEnd(string what)
    {
        if (Remaining != 0)
            throw new TpmFormatException($"{what}: {Remaining} unexpected trailing bytes");
    }
}
