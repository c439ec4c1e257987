namespace SwitchGate.OpenFlow;

// OFPT_GROUP_MOD and ofp_bucket (OpenFlow 1.3.5 §7.3.4.3). Each record writes its body after the header; OfpCodec
// reads them.

/// <summary>ofp_bucket (§7.3.4.3).</summary>
public sealed record Bucket(ushort Weight, uint WatchPort, uint WatchGroup, IReadOnlyList<OfpAction> Actions)
{
    public Bucket(IReadOnlyList<OfpAction> actions)
        : this(0, OfpPort.Any, OfpGroup.Any, actions)
    {
    }

    public int Length => 16 + OfpAction.ListLength(Actions);

    internal void Write(ref WireWriter w)
    {
        w.U16((ushort)Length);
        w.U16(Weight);
        w.U32(WatchPort);
        w.U32(WatchGroup);
        w.Zeros(4);
        OfpAction.WriteList(ref w, Actions);
    }

    internal static int ListLength(IReadOnlyList<Bucket> buckets) => buckets.Sum(b => b.Length);

    internal static IReadOnlyList<Bucket> ReadList(ref WireReader r)
    {
        var list = new List<Bucket>();
        while (r.Remaining > 0)
        {
            var length = r.U16("bucket length");
            if (length < 16 || length % 8 != 0)
            {
                throw r.Fail($"bucket length {length} is not a multiple of 8 of at least 16");
            }

            if (length - 2 > r.Remaining)
            {
                throw r.Fail($"bucket length {length} exceeds the {r.Remaining + 2} bytes left");
            }

            var b = r.Sub(length - 2, "bucket");
            var weight = b.U16("weight");
            var watchPort = b.U32("watch_port");
            var watchGroup = b.U32("watch_group");
            b.Pad(4, "bucket padding");
            list.Add(new Bucket(weight, watchPort, watchGroup, OfpAction.ReadList(ref b)));
        }

        return list;
    }
}

/// <summary>OFPT_GROUP_MOD (§7.3.4.3).</summary>
public sealed record GroupMod(GroupModCommand Command, GroupType GroupType, uint GroupId, IReadOnlyList<Bucket> Buckets) : OfpMessage
{
    public override OfpType Type => OfpType.GroupMod;

    internal override int BodyLength => 8 + Bucket.ListLength(Buckets);

    internal override void WriteBody(ref WireWriter w)
    {
        w.U16((ushort)Command);
        w.U8((byte)GroupType);
        w.Zeros(1);
        w.U32(GroupId);
        foreach (var b in Buckets)
        {
            b.Write(ref w);
        }
    }
}
