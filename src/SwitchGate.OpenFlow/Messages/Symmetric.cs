namespace SwitchGate.OpenFlow;

// Symmetric messages (OpenFlow 1.3.5 §7.5): hello with its elements, echo, experimenter. Each record writes its body
// after the header; OfpCodec reads them.

/// <summary>A hello element (§7.5.1).</summary>
public abstract record HelloElement
{
    public abstract ushort ElementType { get; }

    /// <summary>ofp_hello_elem_header.length: header plus contents, without padding.</summary>
    public abstract int Length { get; }

    internal abstract void WriteContents(ref WireWriter w);
}

/// <summary>OFPHET_VERSIONBITMAP: bit n of the bitmaps (bitmap i covers versions 32*i..32*i+31) is set if version n is supported.</summary>
public sealed record HelloElemVersionBitmap(IReadOnlyList<uint> Bitmaps) : HelloElement
{
    public override ushort ElementType => (ushort)HelloElementType.VersionBitmap;

    public override int Length => 4 + (4 * Bitmaps.Count);

    public bool Supports(byte version)
    {
        var index = version / 32;
        return index < Bitmaps.Count && (Bitmaps[index] & (1u << (version % 32))) != 0;
    }

    public IReadOnlyList<byte> Versions
    {
        get
        {
            var list = new List<byte>();
            for (var v = 0; v < Bitmaps.Count * 32 && v < 256; v++)
            {
                if (Supports((byte)v))
                {
                    list.Add((byte)v);
                }
            }

            return list;
        }
    }

    public static HelloElemVersionBitmap FromVersions(params byte[] versions)
    {
        var bitmaps = new uint[versions.Length == 0 ? 1 : (versions.Max() / 32) + 1];
        foreach (var v in versions)
        {
            bitmaps[v / 32] |= 1u << (v % 32);
        }

        return new HelloElemVersionBitmap(bitmaps);
    }

    internal override void WriteContents(ref WireWriter w)
    {
        foreach (var b in Bitmaps)
        {
            w.U32(b);
        }
    }

    public bool Equals(HelloElemVersionBitmap? other) => other is not null && Bitmaps.SequenceEqual(other.Bitmaps);

    public override int GetHashCode() => Bitmaps.Count;
}

/// <summary>A hello element of a type this codec does not know; the spec says to ignore it, we keep it to re-encode it.</summary>
public sealed record HelloElemUnknown(ushort Type, byte[] Data) : HelloElement
{
    public override ushort ElementType => Type;

    public override int Length => 4 + Data.Length;

    internal override void WriteContents(ref WireWriter w) => w.Bytes(Data);
}

/// <summary>OFPT_HELLO (§7.5.1). Decodes at any header version so the session can negotiate (§6.3.1).</summary>
public sealed record Hello(IReadOnlyList<HelloElement> Elements) : OfpMessage
{
    public Hello()
        : this(Array.Empty<HelloElement>())
    {
    }

    public override OfpType Type => OfpType.Hello;

    /// <summary>The header version: the highest version the sender supports.</summary>
    public byte Version { get; init; } = OfpConstants.Version;

    internal override byte HeaderVersion => Version;

    /// <summary>A version-4 HELLO whose bitmap lists <paramref name="versions"/>.</summary>
    public static Hello VersionBitmap(params byte[] versions) =>
        new([HelloElemVersionBitmap.FromVersions(versions)]) { Version = versions.Length == 0 ? OfpConstants.Version : versions.Max() };

    public HelloElemVersionBitmap? Bitmap => Elements.OfType<HelloElemVersionBitmap>().FirstOrDefault();

    /// <summary>With a bitmap: whether it has the version's bit. Without: whether the header version is at least it (§6.3.1).</summary>
    public bool SupportsVersion(byte version) => Bitmap is { } b ? b.Supports(version) : version <= Version;

    internal override int BodyLength => Elements.Sum(e => Wire.Pad8(e.Length));

    internal override void WriteBody(ref WireWriter w)
    {
        foreach (var e in Elements)
        {
            var start = w.Position;
            w.U16(e.ElementType);
            w.U16((ushort)e.Length);
            e.WriteContents(ref w);
            w.PadTo8(start);
        }
    }

    internal static Hello Read(ref WireReader r, byte version)
    {
        var elements = new List<HelloElement>();
        while (r.Remaining > 0)
        {
            var type = r.U16("hello element type");
            var length = r.U16("hello element length");
            if (length < 4)
            {
                throw r.Fail($"hello element length {length} is less than its 4-byte header");
            }

            var padded = Wire.Pad8(length);
            if (padded - 4 > r.Remaining)
            {
                throw r.Fail($"hello element length {length} (padded to {padded}) exceeds the {r.Remaining + 4} bytes left");
            }

            var contents = r.Bytes(length - 4, "hello element");
            r.Pad(padded - length, "hello element padding");
            if (type == (ushort)HelloElementType.VersionBitmap)
            {
                if (contents.Length % 4 != 0)
                {
                    throw r.Fail($"version bitmap length {length} is not 4 plus a multiple of 4");
                }

                var bitmaps = new uint[contents.Length / 4];
                for (var i = 0; i < bitmaps.Length; i++)
                {
                    bitmaps[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(contents[(4 * i)..]);
                }

                elements.Add(new HelloElemVersionBitmap(bitmaps));
            }
            else
            {
                elements.Add(new HelloElemUnknown(type, contents.ToArray()));
            }
        }

        return new Hello(elements) { Version = version };
    }
}

/// <summary>OFPT_ECHO_REQUEST.</summary>
public sealed record EchoRequest(byte[] Data) : OfpMessage
{
    public EchoRequest()
        : this(Array.Empty<byte>())
    {
    }

    public override OfpType Type => OfpType.EchoRequest;

    internal override int BodyLength => Data.Length;

    internal override void WriteBody(ref WireWriter w) => w.Bytes(Data);
}

/// <summary>OFPT_ECHO_REPLY.</summary>
public sealed record EchoReply(byte[] Data) : OfpMessage
{
    public EchoReply()
        : this(Array.Empty<byte>())
    {
    }

    public override OfpType Type => OfpType.EchoReply;

    internal override int BodyLength => Data.Length;

    internal override void WriteBody(ref WireWriter w) => w.Bytes(Data);
}

/// <summary>OFPT_EXPERIMENTER (§7.5.4), opaque.</summary>
public sealed record ExperimenterMsg(uint Experimenter, uint ExpType, byte[] Data) : OfpMessage
{
    public override OfpType Type => OfpType.Experimenter;

    internal override int BodyLength => 8 + Data.Length;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U32(Experimenter);
        w.U32(ExpType);
        w.Bytes(Data);
    }
}
