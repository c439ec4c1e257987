using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace SwitchGate.OpenFlow;

/// <summary>A 48-bit Ethernet address, held in the low 48 bits of <see cref="Value"/> (network order).</summary>
public readonly record struct MacAddress
{
    private const ulong Mask48 = 0xFFFF_FFFF_FFFFUL;

    public MacAddress(ulong value)
    {
        if (value > Mask48)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "a MAC address has 48 bits");
        }

        Value = value;
    }

    public ulong Value { get; }

    public static MacAddress Broadcast { get; } = new(Mask48);

    public static MacAddress Zero { get; } = new(0);

    /// <summary>The group bit (least significant bit of the first octet, IEEE 802 §8.2).</summary>
    public bool IsMulticast => (Value & 0x0100_0000_0000UL) != 0;

    public bool IsBroadcast => Value == Mask48;

    public static MacAddress Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < 6)
        {
            throw new ArgumentException("a MAC address needs 6 bytes", nameof(source));
        }

        return new MacAddress(((ulong)BinaryPrimitives.ReadUInt16BigEndian(source) << 32) | BinaryPrimitives.ReadUInt32BigEndian(source[2..]));
    }

    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < 6)
        {
            throw new ArgumentException("a MAC address needs 6 bytes", nameof(destination));
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(Value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)Value);
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[6];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Parses "aa:bb:cc:dd:ee:ff" (also accepts '-' as separator, any case).</summary>
    public static MacAddress Parse(string text) =>
        TryParse(text, out var mac) ? mac : throw new FormatException($"'{text}' is not a MAC address like aa:bb:cc:dd:ee:ff");

    public static bool TryParse([NotNullWhen(true)] string? text, out MacAddress mac)
    {
        mac = default;
        if (text is null || text.Length != 17)
        {
            return false;
        }

        ulong value = 0;
        for (var i = 0; i < 6; i++)
        {
            if (i > 0 && text[(i * 3) - 1] is not (':' or '-'))
            {
                return false;
            }

            if (!byte.TryParse(text.AsSpan(i * 3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var octet))
            {
                return false;
            }

            value = (value << 8) | octet;
        }

        mac = new MacAddress(value);
        return true;
    }

    public override string ToString() => string.Create(17, Value, static (span, v) =>
    {
        for (var i = 0; i < 6; i++)
        {
            var octet = (byte)(v >> (40 - (8 * i)));
            if (i > 0)
            {
                span[(i * 3) - 1] = ':';
            }

            octet.TryFormat(span[(i * 3)..], out _, "x2", CultureInfo.InvariantCulture);
        }
    });
}
