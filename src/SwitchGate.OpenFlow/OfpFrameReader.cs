using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace SwitchGate.OpenFlow;

/// <summary>
/// Stateless framing of an OpenFlow byte stream (§7.1: every message starts with ofp_header whose length counts
/// the whole message). Malformed headers are rejected as soon as the bytes that show it have arrived, so a
/// hostile peer cannot make us wait for a body that can never be valid.
/// </summary>
public static class OfpFrameReader
{
    /// <summary>ofp_header.length is 16 bits.</summary>
    public const int MaxMessageLength = 65535;

    /// <summary>
    /// Returns false (and leaves <paramref name="buffer"/> unchanged) if more bytes are needed; otherwise decodes one
    /// message and advances <paramref name="buffer"/> past it. Throws <see cref="OpenFlowFormatException"/> on
    /// malformed input.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, [NotNullWhen(true)] out OfpMessage? message)
    {
        message = null;
        if (buffer.Length < 2)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[OfpConstants.HeaderLength];
        var available = (int)Math.Min(buffer.Length, OfpConstants.HeaderLength);
        buffer.Slice(0, available).CopyTo(header);
        OfpCodec.CheckHeader(header[0], header[1]);
        if (available < 4)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        if (length < OfpConstants.HeaderLength)
        {
            throw new OpenFlowFormatException($"{OfpCodec.TypeName((OfpType)header[1])}: header length {length} is less than the 8-byte header");
        }

        if (buffer.Length < length)
        {
            return false;
        }

        var frame = buffer.Slice(0, length);
        if (frame.IsSingleSegment)
        {
            message = OfpCodec.Decode(frame.FirstSpan);
        }
        else
        {
            var rented = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                frame.CopyTo(rented);
                message = OfpCodec.Decode(rented.AsSpan(0, length));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        buffer = buffer.Slice(length);
        return true;
    }

    /// <summary>The total length of the next message if its header is complete (and valid), else null.</summary>
    public static int? PeekLength(ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length < 4)
        {
            return null;
        }

        Span<byte> header = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(header);
        OfpCodec.CheckHeader(header[0], header[1]);
        var length = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        return length < OfpConstants.HeaderLength
            ? throw new OpenFlowFormatException($"{OfpCodec.TypeName((OfpType)header[1])}: header length {length} is less than the 8-byte header")
            : length;
    }
}
