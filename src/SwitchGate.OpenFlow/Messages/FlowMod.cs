namespace SwitchGate.OpenFlow;

// OFPT_FLOW_MOD (OpenFlow 1.3.5 §7.3.4.1). Each record writes its body after the header; OfpCodec reads them.

/// <summary>OFPT_FLOW_MOD (§7.3.4.1).</summary>
public sealed record FlowMod : OfpMessage
{
    public override OfpType Type => OfpType.FlowMod;

    public ulong Cookie { get; init; }

    public ulong CookieMask { get; init; }

    public byte TableId { get; init; }

    public FlowModCommand Command { get; init; } = FlowModCommand.Add;

    public ushort IdleTimeout { get; init; }

    public ushort HardTimeout { get; init; }

    /// <summary>OFP_DEFAULT_PRIORITY.</summary>
    public ushort Priority { get; init; } = 0x8000;

    public uint BufferId { get; init; } = OfpBuffer.NoBuffer;

    public uint OutPort { get; init; } = OfpPort.Any;

    public uint OutGroup { get; init; } = OfpGroup.Any;

    public FlowModFlags Flags { get; init; }

    public Match Match { get; init; } = Match.Empty;

    public IReadOnlyList<OfpInstruction> Instructions { get; init; } = Array.Empty<OfpInstruction>();

    internal override int BodyLength => 40 + Match.PaddedLength + OfpInstruction.ListLength(Instructions);

    internal override void WriteBody(ref WireWriter w)
    {
        w.U64(Cookie);
        w.U64(CookieMask);
        w.U8(TableId);
        w.U8((byte)Command);
        w.U16(IdleTimeout);
        w.U16(HardTimeout);
        w.U16(Priority);
        w.U32(BufferId);
        w.U32(OutPort);
        w.U32(OutGroup);
        w.U16((ushort)Flags);
        w.Zeros(2);
        Match.Write(ref w);
        OfpInstruction.WriteList(ref w, Instructions);
    }

    public bool Equals(FlowMod? other) =>
        other is not null && Xid == other.Xid && Cookie == other.Cookie && CookieMask == other.CookieMask && TableId == other.TableId
        && Command == other.Command && IdleTimeout == other.IdleTimeout && HardTimeout == other.HardTimeout && Priority == other.Priority
        && BufferId == other.BufferId && OutPort == other.OutPort && OutGroup == other.OutGroup && Flags == other.Flags
        && Match.Equals(other.Match) && Instructions.SequenceEqual(other.Instructions);

    public override int GetHashCode() => HashCode.Combine(Xid, Cookie, TableId, Priority, Match);
}
