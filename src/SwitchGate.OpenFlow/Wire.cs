using System.Buffers.Binary;
using SwitchGate.Ethernet;

namespace SwitchGate.OpenFlow;

/// <summary>
/// Bounds-checked big-endian reader over one structure. Every read names what it reads, so a short or
/// inconsistent input becomes an <see cref="OpenFlowFormatException"/> that says where ("OFPT_FLOW_MOD: ...").
/// </summary>
internal ref struct WireReader
{
    private readonly ReadOnlySpan<byte> _span;
    private readonly string _context;
    private int _position;

    public WireReader(ReadOnlySpan<byte> span, string context)
    {
        _span = span;
        _context = context;
        _position = 0;
    }

    public readonly int Remaining => _span.Length - _position;

    public readonly int Position => _position;

    public readonly string Context => _context;

    public readonly OpenFlowFormatException Fail(string problem) => new($"{_context}: {problem}");

    /// <summary>
    /// Counts the TLVs left, reading each one's length at <paramref name="lengthOffset"/> (16-bit, or 8-bit when
    /// <paramref name="oxm"/>: an OXM's length byte counts the payload after its 4-byte header). Returns -1 if they do
    /// not tile the rest exactly; the caller then reads one by one and reports the precise error. Lets list decoders
    /// allocate an exact array instead of a growing list.
    /// </summary>
    public readonly int CountTlvs(int lengthOffset, bool oxm = false)
    {
        var rest = _span[_position..];
        var count = 0;
        var offset = 0;
        while (offset < rest.Length)
        {
            if (rest.Length - offset < 4)
            {
                return -1;
            }

            var length = oxm ? 4 + rest[offset + 3] : BinaryPrimitives.ReadUInt16BigEndian(rest[(offset + lengthOffset)..]);
            if (length < 4)
            {
                return -1;
            }

            offset += length;
            count++;
        }

        return offset == rest.Length ? count : -1;
    }

    private readonly void Need(int count, string what)
    {
        if (count > Remaining)
        {
            throw Fail($"truncated {what}: needs {count} bytes, {Remaining} left");
        }
    }

    public byte U8(string what)
    {
        Need(1, what);
        return _span[_position++];
    }

    public ushort U16(string what)
    {
        Need(2, what);
        var v = BinaryPrimitives.ReadUInt16BigEndian(_span[_position..]);
        _position += 2;
        return v;
    }

    public uint U32(string what)
    {
        Need(4, what);
        var v = BinaryPrimitives.ReadUInt32BigEndian(_span[_position..]);
        _position += 4;
        return v;
    }

    public ulong U64(string what)
    {
        Need(8, what);
        var v = BinaryPrimitives.ReadUInt64BigEndian(_span[_position..]);
        _position += 8;
        return v;
    }

    public readonly ushort PeekU16(int offset, string what)
    {
        Need(offset + 2, what);
        return BinaryPrimitives.ReadUInt16BigEndian(_span[(_position + offset)..]);
    }

    public ReadOnlySpan<byte> Bytes(int count, string what)
    {
        Need(count, what);
        var s = _span.Slice(_position, count);
        _position += count;
        return s;
    }

    public ReadOnlySpan<byte> Rest() => Bytes(Remaining, "rest");

    public MacAddress Mac(string what) => MacAddress.Read(Bytes(6, what));

    /// <summary>
    /// Padding. The spec fills it with zeros; we reject anything else so that every message we accept
    /// re-encodes to exactly the same bytes (and junk in padding is a sign of a mis-framed stream).
    /// </summary>
    public void Pad(int count, string what)
    {
        var s = Bytes(count, what);
        if (s.ContainsAnyExcept((byte)0))
        {
            throw Fail($"non-zero padding in {what}");
        }
    }

    /// <summary>A fixed-size, NUL-padded UTF-8 string field (e.g. OFP_MAX_PORT_NAME_LEN).</summary>
    public string FixedString(int size, string what)
    {
        var s = Bytes(size, what);
        var end = s.IndexOf((byte)0);
        if (end < 0)
        {
            end = size;
        }
        else if (s[end..].ContainsAnyExcept((byte)0))
        {
            throw Fail($"non-zero bytes after the NUL terminator of {what}");
        }

        try
        {
            return StrictUtf8.GetString(s[..end]);
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw Fail($"{what} is not valid UTF-8");
        }
    }

    /// <summary>A sub-reader over the next <paramref name="count"/> bytes, which this reader skips.</summary>
    public WireReader Sub(int count, string what, string? context = null)
    {
        var s = Bytes(count, what);
        return new WireReader(s, context ?? _context);
    }

    public readonly void End(string what)
    {
        if (Remaining != 0)
        {
            throw Fail($"{Remaining} unexpected trailing bytes after {what}");
        }
    }

    internal static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}

/// <summary>Big-endian writer into a span already sized by the length computation.</summary>
internal ref struct WireWriter
{
    private readonly Span<byte> _span;
    private int _position;

    public WireWriter(Span<byte> span)
    {
        _span = span;
        _position = 0;
    }

    public readonly int Position => _position;

    public void U8(byte v) => _span[_position++] = v;

    public void U16(ushort v)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_span[_position..], v);
        _position += 2;
    }

    public readonly void U16At(int offset, ushort v) => BinaryPrimitives.WriteUInt16BigEndian(_span[offset..], v);

    public void U32(uint v)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_span[_position..], v);
        _position += 4;
    }

    public void U64(ulong v)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_span[_position..], v);
        _position += 8;
    }

    public void Bytes(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_span[_position..]);
        _position += bytes.Length;
    }

    public void Zeros(int count)
    {
        _span.Slice(_position, count).Clear();
        _position += count;
    }

    public void Mac(MacAddress mac)
    {
        mac.WriteTo(_span[_position..]);
        _position += 6;
    }

    public void FixedString(string value, int size, string what)
    {
        var dest = _span.Slice(_position, size);
        dest.Clear();
        if (WireReader.StrictUtf8.GetByteCount(value) > size)
        {
            throw new ArgumentException($"{what} '{value}' is longer than {size} bytes in UTF-8");
        }

        WireReader.StrictUtf8.GetBytes(value, dest);
        _position += size;
    }

    /// <summary>Pads with zeros to the next multiple of 8 relative to <paramref name="start"/>.</summary>
    public void PadTo8(int start) => Zeros(Wire.Pad8(_position - start) - (_position - start));
}

internal static class Wire
{
    public static int Pad8(int length) => (length + 7) & ~7;
}
