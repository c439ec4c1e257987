namespace SwitchGate.OpenFlow;

/// <summary>An instruction (§7.2.4). <see cref="Length"/> is the on-wire length (a multiple of 8).</summary>
public abstract record OfpInstruction
{
    public abstract InstructionType InstructionType { get; }

    public abstract int Length { get; }

    internal abstract void WriteBody(ref WireWriter w);

    internal void Write(ref WireWriter w)
    {
        w.U16((ushort)InstructionType);
        w.U16((ushort)Length);
        WriteBody(ref w);
    }

    internal static int ListLength(IReadOnlyList<OfpInstruction> instructions)
    {
        var n = 0;
        for (var index = 0; index < instructions.Count; index++)
        {
            var i = instructions[index];
            n += i.Length;
        }

        return n;
    }

    internal static void WriteList(ref WireWriter w, IReadOnlyList<OfpInstruction> instructions)
    {
        for (var index = 0; index < instructions.Count; index++)
        {
            var i = instructions[index];
            i.Write(ref w);
        }
    }

    internal static IReadOnlyList<OfpInstruction> ReadList(ref WireReader r)
    {
        if (r.Remaining == 0)
        {
            return Array.Empty<OfpInstruction>();
        }

        var count = r.CountTlvs(2);
        if (count < 0)
        {
            // Inconsistent lengths: read one by one so the error names the offending element.
            var list = new List<OfpInstruction>();
            while (r.Remaining > 0)
            {
                list.Add(Read(ref r));
            }

            return list;
        }

        var items = new OfpInstruction[count];
        for (var i = 0; i < count; i++)
        {
            items[i] = Read(ref r);
        }

        return items;
    }

    /// <summary>Reads one instruction: len a multiple of 8, within bounds, equal to the type's fixed size where it has one.</summary>
    internal static OfpInstruction Read(ref WireReader outer)
    {
        var type = outer.U16("instruction type");
        var length = outer.U16("instruction length");
        if (length < 8 || length % 8 != 0)
        {
            throw outer.Fail($"instruction type {type} length {length} is not a multiple of 8 of at least 8");
        }

        if (length - 4 > outer.Remaining)
        {
            throw outer.Fail($"instruction type {type} length {length} exceeds the {outer.Remaining + 4} bytes left");
        }

        var r = outer.Sub(length - 4, "instruction body");
        void Fixed(ref WireReader rr, string name, int size)
        {
            if (length != size)
            {
                throw rr.Fail($"instruction {name} has length {length}, expected {size}");
            }
        }

        OfpInstruction instruction;
        switch ((InstructionType)type)
        {
            case InstructionType.GotoTable:
                Fixed(ref r, "GotoTable", 8);
                instruction = new InstructionGotoTable(r.U8("table_id"));
                r.Pad(3, "instruction padding");
                break;
            case InstructionType.WriteMetadata:
                Fixed(ref r, "WriteMetadata", 24);
                r.Pad(4, "instruction padding");
                instruction = new InstructionWriteMetadata(r.U64("metadata"), r.U64("metadata_mask"));
                break;
            case InstructionType.WriteActions:
                r.Pad(4, "instruction padding");
                instruction = new InstructionWriteActions(OfpAction.ReadList(ref r));
                break;
            case InstructionType.ApplyActions:
                r.Pad(4, "instruction padding");
                instruction = new InstructionApplyActions(OfpAction.ReadList(ref r));
                break;
            case InstructionType.ClearActions:
                Fixed(ref r, "ClearActions", 8);
                r.Pad(4, "instruction padding");
                instruction = new InstructionClearActions();
                break;
            case InstructionType.Meter:
                Fixed(ref r, "Meter", 8);
                instruction = new InstructionMeter(r.U32("meter_id"));
                break;
            case InstructionType.Experimenter:
                instruction = new InstructionExperimenter(r.U32("experimenter"), r.Rest().ToArray());
                break;
            default:
                throw outer.Fail($"unknown instruction type {type}");
        }

        r.End($"instruction {(InstructionType)type}");
        return instruction;
    }
}

/// <summary>OFPIT_GOTO_TABLE.</summary>
public sealed record InstructionGotoTable(byte TableId) : OfpInstruction
{
    public override InstructionType InstructionType => InstructionType.GotoTable;

    public override int Length => 8;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U8(TableId);
        w.Zeros(3);
    }
}

/// <summary>OFPIT_WRITE_METADATA.</summary>
public sealed record InstructionWriteMetadata(ulong Metadata, ulong MetadataMask) : OfpInstruction
{
    public override InstructionType InstructionType => InstructionType.WriteMetadata;

    public override int Length => 24;

    internal override void WriteBody(ref WireWriter w)
    {
        w.Zeros(4);
        w.U64(Metadata);
        w.U64(MetadataMask);
    }
}

/// <summary>Base of OFPIT_WRITE_ACTIONS / OFPIT_APPLY_ACTIONS (type, len, pad[4], actions).</summary>
public abstract record InstructionActions(IReadOnlyList<OfpAction> Actions) : OfpInstruction
{
    public sealed override int Length => 8 + OfpAction.ListLength(Actions);

    internal sealed override void WriteBody(ref WireWriter w)
    {
        w.Zeros(4);
        OfpAction.WriteList(ref w, Actions);
    }

    public virtual bool Equals(InstructionActions? other) => other is not null && other.GetType() == GetType() && Actions.SequenceEqual(other.Actions);

    public override int GetHashCode() => HashCode.Combine(GetType(), Actions.Count);
}

/// <summary>OFPIT_WRITE_ACTIONS: merge actions into the action set.</summary>
public sealed record InstructionWriteActions(IReadOnlyList<OfpAction> Actions) : InstructionActions(Actions)
{
    public override InstructionType InstructionType => InstructionType.WriteActions;

    public bool Equals(InstructionWriteActions? other) => base.Equals(other);

    public override int GetHashCode() => base.GetHashCode();
}

/// <summary>OFPIT_APPLY_ACTIONS: apply actions immediately.</summary>
public sealed record InstructionApplyActions(IReadOnlyList<OfpAction> Actions) : InstructionActions(Actions)
{
    public override InstructionType InstructionType => InstructionType.ApplyActions;

    public bool Equals(InstructionApplyActions? other) => base.Equals(other);

    public override int GetHashCode() => base.GetHashCode();
}

/// <summary>OFPIT_CLEAR_ACTIONS.</summary>
public sealed record InstructionClearActions : OfpInstruction
{
    public override InstructionType InstructionType => InstructionType.ClearActions;

    public override int Length => 8;

    internal override void WriteBody(ref WireWriter w) => w.Zeros(4);
}

/// <summary>OFPIT_METER.</summary>
public sealed record InstructionMeter(uint MeterId) : OfpInstruction
{
    public override InstructionType InstructionType => InstructionType.Meter;

    public override int Length => 8;

    internal override void WriteBody(ref WireWriter w) => w.U32(MeterId);
}

/// <summary>OFPIT_EXPERIMENTER, kept opaque (experimenter id, then data; 8 + Data.Length must be a multiple of 8).</summary>
public sealed record InstructionExperimenter(uint Experimenter, byte[] Data) : OfpInstruction
{
    public override InstructionType InstructionType => InstructionType.Experimenter;

    public override int Length => (8 + Data.Length) % 8 == 0
        ? 8 + Data.Length
        : throw new ArgumentException($"experimenter instruction data of {Data.Length} bytes does not make a multiple of 8");

    internal override void WriteBody(ref WireWriter w)
    {
        w.U32(Experimenter);
        w.Bytes(Data);
    }

    public bool Equals(InstructionExperimenter? other) => other is not null && Experimenter == other.Experimenter && Data.AsSpan().SequenceEqual(other.Data);

    public override int GetHashCode() => HashCode.Combine(Experimenter, Data.Length);
}
