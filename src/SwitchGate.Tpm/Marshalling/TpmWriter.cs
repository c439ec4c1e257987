using System.Buffers.Binary;

namespace SwitchGate.Tpm.Marshalling;

/// <summary>Big-endian writer producing TPM canonical marshalling (TPM 2.0 Part 2, §3).</summary>
public sealed class TpmWriter
{
    private byte[] _buffer;
    private int _length;

    public TpmWriter(int capacity = 256) => _buffer = new byte[capacity];

    public int Length => _length;

    private Span<byte> Grow(int count)
    {
        if (_length + count > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }

    public TpmWriter WriteByte(byte value) { Grow(1)[0] = value; return this; }
    public TpmWriter WriteUInt16(ushort value) { BinaryPrimitives.WriteUInt16BigEndian(Grow(2), value); return this; }
    public TpmWriter WriteUInt32(uint value) { BinaryPrimitives.WriteUInt32BigEndian(Grow(4), value); return this; }
    public TpmWriter WriteUInt64(ulong value) { BinaryPrimitives.WriteUInt64BigEndian(Grow(8), value); return this; }
    public TpmWriter WriteBytes(ReadOnlySpan<byte> bytes) { bytes.CopyTo(Grow(bytes.Length)); return this; }

    /// <summary>A TPM2B: UINT16 size then the bytes.</summary>
    public TpmWriter Write2B(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > ushort.MaxValue)
            throw new TpmFormatException($"a TPM2B cannot hold {bytes.Length} bytes");
        WriteUInt16((ushort)bytes.Length);
        return WriteBytes(bytes);
    }

    /// <summary>A TPM2B wrapping a structure written by <paramref name="body"/>.</summary>
    public TpmWriter Write2B(Action<TpmWriter> body)
    {
        var inner = new TpmWriter();
        body(inner);
        return Write2B(inner.AsSpan());
    }

    /// <summary>Overwrites a UINT32 already written at <paramref name="offset"/> (command/response size fields).</summary>
    public void PatchUInt32(int offset, uint value) => BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(offset, 4), value);

    public ReadOnlySpan<byte> AsSpan() => _buffer.AsSpan(0, _length);
    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();
}
