using SwitchGate.Attestation.Enrolment;
using SwitchGate.Ethernet;
using SwitchGate.OpenFlow;
using SwitchGate.Tpm.Marshalling;
using SwitchGate.Tpm.Structures;
using SwitchGate.Tpm.Verification;

namespace SwitchGate.Gate.Policy;

/// <summary>
/// An enrolment record prepared for the gate: MACs as OpenFlow addresses, the AK imported once into a
/// <see cref="QuoteVerifier"/>, the selection as a TPML_PCR_SELECTION, golden sets in selection order.
/// </summary>
public sealed class NodeEnrolment : IDisposable
{
    private NodeEnrolment(EnrolmentRecord record, QuoteVerifier verifier, TpmlPcrSelection selection, byte[] selectionBytes,
        IReadOnlyList<(string Name, byte[][] Values)> golden)
    {
        Record = record;
        Verifier = verifier;
        Selection = selection;
        SelectionBytes = selectionBytes;
        Golden = golden;
    }

    public EnrolmentRecord Record { get; }
    public string Node => Record.Node;
    public ulong DatapathId => Record.DatapathId;
    public uint Port => Record.Port;
    public MacAddress CleanMac => Record.CleanMac;
    public MacAddress DirtyMac => Record.DirtyMac;
    public QuoteVerifier Verifier { get; }
    public TpmlPcrSelection Selection { get; }

    /// <summary>The marshalled TPML_PCR_SELECTION sent in CHALLENGE.</summary>
    public byte[] SelectionBytes { get; }

    /// <summary>Golden sets with their values in selection order (ascending PCR index).</summary>
    public IReadOnlyList<(string Name, byte[][] Values)> Golden { get; }

    /// <summary>Prepares a validated record; a record whose AK or selection the TPM library refuses is an <see cref="EnrolmentFormatException"/>.</summary>
    public static NodeEnrolment From(EnrolmentRecord record)
    {
        record.Validated();
        var hash = record.PcrSelection.Hash switch
        {
            "sha1" => TpmAlgId.Sha1,
            "sha256" => TpmAlgId.Sha256,
            "sha384" => TpmAlgId.Sha384,
            "sha512" => TpmAlgId.Sha512,
            var other => throw new EnrolmentFormatException($"unsupported PCR bank '{other}'"),
        };
        var selection = new TpmlPcrSelection(hash, [.. record.PcrSelection.Pcrs]);
        AttestationKey key;
        try
        {
            key = AttestationKey.FromTpm2bPublic(record.AkPublic);
        }
        catch (TpmFormatException e)
        {
            throw new EnrolmentFormatException($"ak_public: {e.Message}");
        }
        var golden = record.GoldenSets
            .Select(s => (s.Name, record.PcrSelection.Pcrs.Select(p => s.Values[p]).ToArray()))
            .ToList();
        if (record.EkPublic is not null)
        {
            try
            {
                // Rotated secrets are wrapped to this EK (MakeCredential): it must parse now, not at the first rotation.
                _ = Tpm2bPublic.Parse(record.EkPublic);
            }
            catch (TpmFormatException e)
            {
                throw new EnrolmentFormatException($"ek_public: {e.Message}");
            }
        }
        return new NodeEnrolment(record, new QuoteVerifier(key, record.AkQualifiedName), selection, selection.ToBytes(), golden);
    }

    /// <summary>True when two records describe the same enrolment (every field, byte for byte).</summary>
    public static bool SameRecord(EnrolmentRecord a, EnrolmentRecord b) => a.ToJson().AsSpan().SequenceEqual(b.ToJson());

    public void Dispose() => Verifier.Dispose();
}
