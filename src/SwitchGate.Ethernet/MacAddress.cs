using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace SwitchGate.Ethernet;

/// <summary>
/// A 48-bit Ethernet address (IEEE Std 802-2014 §8), held in the low 48 bits of <see cref="Value"/> in transmission
/// order (first octet most significant). The project's only MAC type: OpenFlow fields, topology files, attestation
/// messages and enrolment records all use it. Text form: six two-digit hex octets separated by ':' (or '-'),
/// printed lower case with ':'.
/// </summary>
public readonly record struct MacAddress
{
    public const int Length = 6;

    private const ulong Mask48 = 0xFFFF_FFFF_FFFFUL;

    /// <summary>The text form's length: six octets of two digits and five separators.</summary>
    private const int TextLength = 17;

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

    /// <summary>The I/G (group) bit: least significant bit of the first octet (IEEE Std 802-2014 §8.2).</summary>
    public bool IsMulticast => (Value & 0x0100_0000_0000UL) != 0;

    public bool IsBroadcast => Value == Mask48;

    /// <summary>An individual (not group) address other than all zeros: what a NIC may have as its own address.</summary>
    public bool IsUnicast => !IsMulticast && Value != 0;

    /// <summary>The first <see cref="Length"/> octets of <paramref name="source"/>.</summary>
    public static MacAddress Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Length)
        {
            throw new ArgumentException("a MAC address needs 6 bytes", nameof(source));
        }

        return new MacAddress(((ulong)BinaryPrimitives.ReadUInt16BigEndian(source) << 32) | BinaryPrimitives.ReadUInt32BigEndian(source[2..]));
    }

    /// <summary>Exactly six octets, as held by a <see cref="System.Net.NetworkInformation.PhysicalAddress"/> of an Ethernet NIC.</summary>
    public static MacAddress FromBytes(ReadOnlySpan<byte> octets) =>
        octets.Length == Length ? Read(octets) : throw new ArgumentException($"a MAC address is 6 octets, not {octets.Length}", nameof(octets));

    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException("a MAC address needs 6 bytes", nameof(destination));
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(Value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)Value);
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[Length];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Parses "aa:bb:cc:dd:ee:ff" or "aa-bb-cc-dd-ee-ff" (any case, one separator throughout).</summary>
    public static MacAddress Parse(string text) =>
        TryParse(text, out var mac) ? mac : throw new FormatException($"'{text}' is not a MAC address like 02:00:00:00:00:01");

    public static bool TryParse([NotNullWhen(true)] string? text, out MacAddress mac)
    {
        mac = default;
        if (text is null || text.Length != TextLength)
        {
            return false;
        }

        var separator = text[2];
        if (separator is not (':' or '-'))
        {
            return false;
        }

        ulong value = 0;
        for (var i = 0; i < Length; i++)
        {
            if (i > 0 && text[(i * 3) - 1] != separator)
            {
                return false;
            }

            var hi = HexDigit(text[i * 3]);
            var lo = HexDigit(text[(i * 3) + 1]);
            if (hi < 0 || lo < 0)
            {
                return false;
            }

            value = (value << 8) | (uint)((hi << 4) | lo);
        }

        mac = new MacAddress(value);
        return true;
    }

    public override string ToString() => string.Create(TextLength, Value, static (span, v) =>
    {
        for (var i = 0; i < Length; i++)
        {
            var octet = (byte)(v >> (40 - (8 * i)));
            if (i > 0)
            {
                span[(i * 3) - 1] = ':';
            }

            octet.TryFormat(span[(i * 3)..], out _, "x2", CultureInfo.InvariantCulture);
        }
    });

    // Only ASCII hex digits: byte.Parse's hex style would do too, but this keeps the accepted alphabet explicit.
    private static int HexDigit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
