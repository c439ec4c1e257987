namespace SwitchGate.OpenFlow;

// OFPT_TABLE_MOD (OpenFlow 1.3.5 §7.3.3). Each record writes its body after the header; OfpCodec reads them.

/// <summary>OFPT_TABLE_MOD (§7.3.3).</summary>
public sealed record TableMod(byte TableId, TableConfig Config) : OfpMessage
{
    public override OfpType Type => OfpType.TableMod;

    internal override int BodyLength => 8;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U8(TableId);
        w.Zeros(3);
        w.U32((uint)Config);
    }
}
