namespace SwitchGate.OpenFlow;

/// <summary>An action (§7.2.5). <see cref="Length"/> is the on-wire length including padding (a multiple of 8).</summary>
public abstract record OfpAction
{
    public abstract ActionType ActionType { get; }

    public abstract int Length { get; }

    internal abstract void WriteBody(ref WireWriter w);

    internal void Write(ref WireWriter w)
    {
        w.U16((ushort)ActionType);
        w.U16((ushort)Length);
        WriteBody(ref w);
    }

    internal static int ListLength(IReadOnlyList<OfpAction> actions)
    {
        var n = 0;
        for (var index = 0; index < actions.Count; index++)
        {
            var a = actions[index];
            n += a.Length;
        }

        return n;
    }

    internal static void WriteList(ref WireWriter w, IReadOnlyList<OfpAction> actions)
    {
        for (var index = 0; index < actions.Count; index++)
        {
            var a = actions[index];
            a.Write(ref w);
        }
    }

    /// <summary>Reads actions until the reader is exhausted.</summary>
    internal static IReadOnlyList<OfpAction> ReadList(ref WireReader r)
    {
        if (r.Remaining == 0)
        {
            return Array.Empty<OfpAction>();
        }

        var count = r.CountTlvs(2);
        if (count < 0)
        {
            // Inconsistent lengths: read one by one so the error names the offending element.
            var list = new List<OfpAction>();
            while (r.Remaining > 0)
            {
                list.Add(Read(ref r));
            }

            return list;
        }

        var items = new OfpAction[count];
        for (var i = 0; i < count; i++)
        {
            items[i] = Read(ref r);
        }

        return items;
    }

    /// <summary>
    /// Reads one action. Its len must be a multiple of 8 and at least 8 (§7.2.5), fit in what is left, and equal the
    /// fixed size of the action type; unknown types are an error, experimenter actions are kept opaque.
    /// </summary>
    internal static OfpAction Read(ref WireReader outer)
    {
        var type = outer.U16("action type");
        var length = outer.U16("action length");
        if (length < 8 || length % 8 != 0)
        {
            throw outer.Fail($"action type {type} length {length} is not a multiple of 8 of at least 8");
        }

        if (length - 4 > outer.Remaining)
        {
            throw outer.Fail($"action type {type} length {length} exceeds the {outer.Remaining + 4} bytes left");
        }

        var r = outer.Sub(length - 4, "action body");
        var name = Enum.IsDefined((ActionType)type) ? ((ActionType)type).ToString() : type.ToString(System.Globalization.CultureInfo.InvariantCulture);
        void Fixed(ref WireReader rr, int size)
        {
            if (length != size)
            {
                throw rr.Fail($"action {name} has length {length}, expected {size}");
            }
        }

        OfpAction action;
        switch ((ActionType)type)
        {
            case ActionType.Output:
                Fixed(ref r, 16);
                action = new ActionOutput(r.U32("output port"), r.U16("output max_len"));
                r.Pad(6, "output padding");
                break;
            case ActionType.CopyTtlOut:
                Fixed(ref r, 8);
                r.Pad(4, "action padding");
                action = new ActionCopyTtlOut();
                break;
            case ActionType.CopyTtlIn:
                Fixed(ref r, 8);
                r.Pad(4, "action padding");
                action = new ActionCopyTtlIn();
                break;
            case ActionType.SetMplsTtl:
                Fixed(ref r, 8);
                action = new ActionSetMplsTtl(r.U8("mpls_ttl"));
                r.Pad(3, "action padding");
                break;
            case ActionType.DecMplsTtl:
                Fixed(ref r, 8);
                r.Pad(4, "action padding");
                action = new ActionDecMplsTtl();
                break;
            case ActionType.PushVlan:
                Fixed(ref r, 8);
                action = new ActionPushVlan(r.U16("ethertype"));
                r.Pad(2, "action padding");
                break;
            case ActionType.PopVlan:
                Fixed(ref r, 8);
                r.Pad(4, "action padding");
                action = new ActionPopVlan();
                break;
            case ActionType.PushMpls:
                Fixed(ref r, 8);
                action = new ActionPushMpls(r.U16("ethertype"));
                r.Pad(2, "action padding");
                break;
            case ActionType.PopMpls:
                Fixed(ref r, 8);
                action = new ActionPopMpls(r.U16("ethertype"));
                r.Pad(2, "action padding");
                break;
            case ActionType.SetQueue:
                Fixed(ref r, 8);
                action = new ActionSetQueue(r.U32("queue_id"));
                break;
            case ActionType.Group:
                Fixed(ref r, 8);
                action = new ActionGroup(r.U32("group_id"));
                break;
            case ActionType.SetNwTtl:
                Fixed(ref r, 8);
                action = new ActionSetNwTtl(r.U8("nw_ttl"));
                r.Pad(3, "action padding");
                break;
            case ActionType.DecNwTtl:
                Fixed(ref r, 8);
                r.Pad(4, "action padding");
                action = new ActionDecNwTtl();
                break;
            case ActionType.SetField:
                {
                    var field = OxmField.Read(ref r);
                    var expected = Wire.Pad8(4 + field.WireLength);
                    if (length != expected)
                    {
                        throw r.Fail($"action SetField with a {field.WireLength}-byte OXM has length {length}, expected {expected}");
                    }

                    r.Pad(r.Remaining, "set_field padding");
                    action = new ActionSetField(field);
                    break;
                }

            case ActionType.PushPbb:
                Fixed(ref r, 8);
                action = new ActionPushPbb(r.U16("ethertype"));
                r.Pad(2, "action padding");
                break;
            case ActionType.PopPbb:
                Fixed(ref r, 8);
                r.Pad(4, "action padding");
                action = new ActionPopPbb();
                break;
            case ActionType.Experimenter:
                action = new ActionExperimenter(r.U32("experimenter"), r.Rest().ToArray());
                break;
            default:
                throw outer.Fail($"unknown action type {type}");
        }

        r.End($"action {name}");
        return action;
    }
}

/// <summary>Base of the 8-byte actions that carry no argument (type, len, pad[4]).</summary>
public abstract record OfpActionNoArgs : OfpAction
{
    public sealed override int Length => 8;

    internal sealed override void WriteBody(ref WireWriter w) => w.Zeros(4);
}

/// <summary>OFPAT_OUTPUT.</summary>
public sealed record ActionOutput(uint Port, ushort MaxLen = OfpControllerMaxLen.NoBuffer) : OfpAction
{
    public override ActionType ActionType => ActionType.Output;

    public override int Length => 16;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U32(Port);
        w.U16(MaxLen);
        w.Zeros(6);
    }
}

/// <summary>OFPAT_COPY_TTL_OUT.</summary>
public sealed record ActionCopyTtlOut : OfpActionNoArgs
{
    public override ActionType ActionType => ActionType.CopyTtlOut;
}

/// <summary>OFPAT_COPY_TTL_IN.</summary>
public sealed record ActionCopyTtlIn : OfpActionNoArgs
{
    public override ActionType ActionType => ActionType.CopyTtlIn;
}

/// <summary>OFPAT_DEC_MPLS_TTL.</summary>
public sealed record ActionDecMplsTtl : OfpActionNoArgs
{
    public override ActionType ActionType => ActionType.DecMplsTtl;
}

/// <summary>OFPAT_POP_VLAN.</summary>
public sealed record ActionPopVlan : OfpActionNoArgs
{
    public override ActionType ActionType => ActionType.PopVlan;
}

/// <summary>OFPAT_DEC_NW_TTL.</summary>
public sealed record ActionDecNwTtl : OfpActionNoArgs
{
    public override ActionType ActionType => ActionType.DecNwTtl;
}

/// <summary>OFPAT_POP_PBB.</summary>
public sealed record ActionPopPbb : OfpActionNoArgs
{
    public override ActionType ActionType => ActionType.PopPbb;
}

/// <summary>OFPAT_SET_MPLS_TTL.</summary>
public sealed record ActionSetMplsTtl(byte MplsTtl) : OfpAction
{
    public override ActionType ActionType => ActionType.SetMplsTtl;

    public override int Length => 8;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U8(MplsTtl);
        w.Zeros(3);
    }
}

/// <summary>OFPAT_SET_NW_TTL.</summary>
public sealed record ActionSetNwTtl(byte NwTtl) : OfpAction
{
    public override ActionType ActionType => ActionType.SetNwTtl;

    public override int Length => 8;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U8(NwTtl);
        w.Zeros(3);
    }
}

/// <summary>Base of the ofp_action_push / ofp_action_pop_mpls shape (type, len, ethertype, pad[2]).</summary>
public abstract record OfpActionEthertype(ushort Ethertype) : OfpAction
{
    public sealed override int Length => 8;

    internal sealed override void WriteBody(ref WireWriter w)
    {
        w.U16(Ethertype);
        w.Zeros(2);
    }
}

/// <summary>OFPAT_PUSH_VLAN (ethertype 0x8100 or 0x88a8).</summary>
public sealed record ActionPushVlan(ushort Ethertype = 0x8100) : OfpActionEthertype(Ethertype)
{
    public override ActionType ActionType => ActionType.PushVlan;
}

/// <summary>OFPAT_PUSH_MPLS (ethertype 0x8847 or 0x8848).</summary>
public sealed record ActionPushMpls(ushort Ethertype = 0x8847) : OfpActionEthertype(Ethertype)
{
    public override ActionType ActionType => ActionType.PushMpls;
}

/// <summary>OFPAT_POP_MPLS (ethertype of the payload after the pop).</summary>
public sealed record ActionPopMpls(ushort Ethertype = 0x0800) : OfpActionEthertype(Ethertype)
{
    public override ActionType ActionType => ActionType.PopMpls;
}

/// <summary>OFPAT_PUSH_PBB (ethertype 0x88e7).</summary>
public sealed record ActionPushPbb(ushort Ethertype = 0x88e7) : OfpActionEthertype(Ethertype)
{
    public override ActionType ActionType => ActionType.PushPbb;
}

/// <summary>OFPAT_SET_QUEUE.</summary>
public sealed record ActionSetQueue(uint QueueId) : OfpAction
{
    public override ActionType ActionType => ActionType.SetQueue;

    public override int Length => 8;

    internal override void WriteBody(ref WireWriter w) => w.U32(QueueId);
}

/// <summary>OFPAT_GROUP.</summary>
public sealed record ActionGroup(uint GroupId) : OfpAction
{
    public override ActionType ActionType => ActionType.Group;

    public override int Length => 8;

    internal override void WriteBody(ref WireWriter w) => w.U32(GroupId);
}

/// <summary>OFPAT_SET_FIELD: one OXM TLV, padded to 8 bytes (§7.2.5).</summary>
public sealed record ActionSetField(OxmField Field) : OfpAction
{
    public override ActionType ActionType => ActionType.SetField;

    public override int Length => Wire.Pad8(4 + Field.WireLength);

    internal override void WriteBody(ref WireWriter w)
    {
        Field.Write(ref w);
        w.Zeros(Length - 4 - Field.WireLength);
    }
}

/// <summary>
/// OFPAT_EXPERIMENTER, kept opaque: the experimenter id and the bytes after it. <see cref="Data"/> must make the
/// action a multiple of 8 bytes (8 + Data.Length), as the spec requires; equality is by value.
/// </summary>
public sealed record ActionExperimenter(uint Experimenter, byte[] Data) : OfpAction
{
    public override ActionType ActionType => ActionType.Experimenter;

    public override int Length => (8 + Data.Length) % 8 == 0
        ? 8 + Data.Length
        : throw new ArgumentException($"experimenter action data of {Data.Length} bytes does not make a multiple of 8");

    internal override void WriteBody(ref WireWriter w)
    {
        w.U32(Experimenter);
        w.Bytes(Data);
    }

    public bool Equals(ActionExperimenter? other) => other is not null && Experimenter == other.Experimenter && Data.AsSpan().SequenceEqual(other.Data);

    public override int GetHashCode() => HashCode.Combine(Experimenter, Data.Length);
}
