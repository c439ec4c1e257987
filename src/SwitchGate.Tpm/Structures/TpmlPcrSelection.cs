using System.Globalization;
using SwitchGate.Tpm.Marshalling;

namespace SwitchGate.Tpm.Structures;

/// <summary>TPMS_PCR_SELECTION (Part 2, §10.6.2): a hash bank and a bitmap of PCR indices.</summary>
public sealed class TpmsPcrSelection
{
    /// <summary>TPM_PCR_SELECT_MAX for a 24-PCR TPM is 3 bytes; the bitmap may be longer on larger TPMs (Part 2, §10.6.1).</summary>
    public const int MaxSizeOfSelect = 4;

    public TpmsPcrSelection(TpmAlgId hash, IEnumerable<int> pcrs, int sizeOfSelect = 3)
    {
        Hash = hash;
        var list = pcrs.Distinct().Order().ToArray();
        if (list.Any(p => p < 0 || p >= MaxSizeOfSelect * 8))
            throw new TpmFormatException($"PCR index out of range in [{string.Join(',', list)}]");
        var needed = list.Length == 0 ? 0 : list[^1] / 8 + 1;
        Select = new byte[Math.Max(sizeOfSelect, needed)];
        foreach (var p in list) Select[p / 8] |= (byte)(1 << (p % 8));
        Pcrs = list;
    }

    private TpmsPcrSelection(TpmAlgId hash, byte[] select)
    {
        Hash = hash;
        Select = select;
        var list = new List<int>();
        for (int i = 0; i < select.Length * 8; i++)
            if ((select[i / 8] & (1 << (i % 8))) != 0) list.Add(i);
        Pcrs = list;
    }

    public TpmAlgId Hash { get; }
    /// <summary>pcrSelect bitmap as marshalled; PCR n is bit (n mod 8) of byte n/8.</summary>
    public byte[] Select { get; }
    /// <summary>Selected PCR indices in ascending order (the order the TPM reads and digests them).</summary>
    public IReadOnlyList<int> Pcrs { get; }

    public static TpmsPcrSelection Read(ref TpmReader r)
    {
        var hash = (TpmAlgId)r.ReadUInt16("TPMS_PCR_SELECTION.hash");
        int size = r.ReadByte("TPMS_PCR_SELECTION.sizeofSelect");
        if (size > MaxSizeOfSelect)
            throw new TpmFormatException($"TPMS_PCR_SELECTION.sizeofSelect {size} exceeds {MaxSizeOfSelect}");
        return new TpmsPcrSelection(hash, r.ReadBytes(size, "TPMS_PCR_SELECTION.pcrSelect"));
    }

    public void Write(TpmWriter w) => w.WriteUInt16((ushort)Hash).WriteByte((byte)Select.Length).WriteBytes(Select);
}

/// <summary>TPML_PCR_SELECTION (Part 2, §10.9.7).</summary>
public sealed class TpmlPcrSelection : IEquatable<TpmlPcrSelection>
{
    /// <summary>HASH_COUNT bound: a TPM has at most a handful of banks; 16 is generous and stops absurd counts.</summary>
    public const int MaxCount = 16;

    public TpmlPcrSelection(IEnumerable<TpmsPcrSelection> selections) => Selections = selections.ToArray();

    public TpmlPcrSelection(TpmAlgId hash, params int[] pcrs) : this([new TpmsPcrSelection(hash, pcrs)]) { }

    public IReadOnlyList<TpmsPcrSelection> Selections { get; }

    /// <summary>(bank, index) pairs in the order PCR values are reported and digested: banks in list order, indices ascending.</summary>
    public IEnumerable<(TpmAlgId Hash, int Pcr)> InOrder() =>
        Selections.SelectMany(s => s.Pcrs.Select(p => (s.Hash, p)));

    public int Count => Selections.Sum(s => s.Pcrs.Count);

    /// <summary>Parses tpm2-tools' list syntax: <c>sha256:16,23</c>, banks joined by '+'.</summary>
    public static TpmlPcrSelection Parse(string text)
    {
        var banks = new List<TpmsPcrSelection>();
        foreach (var bank in text.Split('+', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = bank.Split(':');
            if (parts.Length != 2) throw new TpmFormatException($"PCR selection '{bank}' is not BANK:INDICES");
            var hash = parts[0].Trim().ToLowerInvariant() switch
            {
                "sha1" => TpmAlgId.Sha1,
                "sha256" => TpmAlgId.Sha256,
                "sha384" => TpmAlgId.Sha384,
                "sha512" => TpmAlgId.Sha512,
                var other => throw new TpmFormatException($"unknown PCR bank '{other}'"),
            };
            var pcrs = new List<int>();
            foreach (var p in parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!int.TryParse(p.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var idx) || idx > 23)
                    throw new TpmFormatException($"PCR index '{p}' is not 0..23");
                pcrs.Add(idx);
            }
            if (pcrs.Count == 0) throw new TpmFormatException($"PCR bank '{bank}' selects no PCRs");
            banks.Add(new TpmsPcrSelection(hash, pcrs));
        }
        if (banks.Count == 0) throw new TpmFormatException("empty PCR selection");
        return new TpmlPcrSelection(banks);
    }

    public override string ToString() =>
        string.Join('+', Selections.Select(s => $"{s.Hash.ToString().ToLowerInvariant()}:{string.Join(',', s.Pcrs)}"));

    public static TpmlPcrSelection Read(ref TpmReader r)
    {
        var count = r.ReadUInt32("TPML_PCR_SELECTION.count");
        if (count > MaxCount) throw new TpmFormatException($"TPML_PCR_SELECTION.count {count} exceeds {MaxCount}");
        var list = new TpmsPcrSelection[count];
        for (int i = 0; i < count; i++) list[i] = TpmsPcrSelection.Read(ref r);
        return new TpmlPcrSelection(list);
    }

    public void Write(TpmWriter w)
    {
        w.WriteUInt32((uint)Selections.Count);
        foreach (var s in Selections) s.Write(w);
    }

    public byte[] ToBytes()
    {
        var w = new TpmWriter();
        Write(w);
        return w.ToArray();
    }

    /// <summary>
    /// Same banks in the same order selecting the same PCRs. The bitmap length is not compared: a 3-byte and a
    /// 4-byte bitmap selecting the same PCRs are the same selection.
    /// </summary>
    public bool Equals(TpmlPcrSelection? other) =>
        other is not null
        && other.Selections.Count == Selections.Count
        && Selections.Zip(other.Selections).All(p => p.First.Hash == p.Second.Hash && p.First.Pcrs.SequenceEqual(p.Second.Pcrs));

    public override bool Equals(object? obj) => Equals(obj as TpmlPcrSelection);
    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);
}
