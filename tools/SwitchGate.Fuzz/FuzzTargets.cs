using System.Buffers;
using System.Text;
using SwitchGate.Attestation;
using SwitchGate.Attestation.Enrolment;
using SwitchGate.Controller.Tls;
using SwitchGate.OpenFlow;
using SwitchGate.Topology;
using SwitchGate.Tpm.Marshalling;
using SwitchGate.Tpm.Structures;
using SwitchGate.Tpm.Verification;

namespace SwitchGate.Fuzz;

/// <summary>A parser under fuzz: feeds one input; returns normally when the parser accepted or rejected it the documented way.</summary>
public sealed record FuzzTarget(string Name, string Description, string[] InstrumentedAssemblies, Action<byte[]> Run);

/// <summary>Thrown when a parser breaks a property beyond "does not crash" (an accepted input does not re-encode to itself).</summary>
public sealed class FuzzPropertyException(string message) : Exception(message);

/// <summary>
/// One target per parser that takes bytes from outside. Each catches only the parser's own documented exception
/// type: anything else escaping (IndexOutOfRange, Overflow, ArgumentException, …) is a finding.
/// </summary>
public static class FuzzTargets
{
    public static readonly IReadOnlyList<FuzzTarget> All =
    [
        new("openflow-decode", "OfpCodec.Decode of one whole OpenFlow 1.3 message, then re-encoding of what it accepted",
            ["SwitchGate.OpenFlow.dll"], OpenFlowDecode),
        new("openflow-frames", "OfpFrameReader over a byte stream cut into segments (the session's read path)",
            ["SwitchGate.OpenFlow.dll"], OpenFlowFrames),
        new("attestation-frame", "AttestationFrame.Parse of an Ethernet frame carrying an 0x88B5 message",
            ["SwitchGate.Attestation.dll"], AttestationFrameParse),
        new("tpm-attest", "TPMS_ATTEST (a quote's signed bytes); accepted input must marshal back to itself",
            ["SwitchGate.Tpm.dll"], TpmAttest),
        new("tpm-public", "TPM2B_PUBLIC (an AK or EK public area), its Name, and the verifier's key import",
            ["SwitchGate.Tpm.dll"], TpmPublic),
        new("tpm-signature", "TPMT_SIGNATURE; accepted input must marshal back to itself",
            ["SwitchGate.Tpm.dll"], TpmSignature),
        new("enrolment", "EnrolmentRecord.FromJson (a file of the enrolment directory)",
            ["SwitchGate.Attestation.dll"], Enrolment),
        new("proofkey", "ProofKeyState.FromJson (a node's rotation state, <node>.proofkey); accepted input must write and parse back equal",
            ["SwitchGate.Gate.dll"], ProofKey),
        new("topology", "TopologyLoader.Load (a topology YAML file)",
            ["SwitchGate.Topology.dll"], Topology),
        new("job-file", "JobCodec.ParseJob (job.json, uploaded by a production host); accepted input must write and parse back equal",
            ["SwitchGate.Jobs.dll"], JobFile),
        new("job-manifest", "JobCodec.ParseManifest (the second image's manifest.json, written in the dirty phase); round trip as above",
            ["SwitchGate.Jobs.dll"], JobManifest),
        new("job-record", "JobCodec.ParseRecord (record.json, rewritable in the dirty phase); round trip as above",
            ["SwitchGate.Jobs.dll"], JobRecordFile),
        new("switch-bindings", "SwitchCertificateBindings.Parse (the controller's switch certificate bindings file); what it accepts must write and parse back equal",
            ["SwitchGate.Controller.dll"], SwitchBindings),
        new("qmp", "QmpLineReader + QmpCodec.Decode over a QMP byte stream (what QEMU, running an untrusted guest, sends)",
            ["SwitchGate.Hypervisor.dll"], Qmp),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    private static void OpenFlowDecode(byte[] input)
    {
        OfpMessage message;
        try
        {
            message = OfpCodec.Decode(input);
        }
        catch (OpenFlowFormatException)
        {
            return;
        }
        // What the decoder accepted must be something the encoder can write (the session logs and re-sends
        // decoded messages); the verbatim options skip only the prerequisite check a switch may violate.
        OfpCodec.Encode(message, OfpEncodeOptions.Verbatim);
    }

    private static void OpenFlowFrames(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }
        // The first byte chooses the segment size, so multi-segment headers and bodies are exercised as a
        // socket delivers them.
        var segmentSize = input[0] % 32 + 1;
        var sequence = Segments(input.AsMemory(1), segmentSize);
        try
        {
            var guard = 0;
            while (OfpFrameReader.TryRead(ref sequence, out _))
            {
                if (++guard > input.Length)
                {
                    throw new FuzzPropertyException("the frame reader returned more messages than there are bytes");
                }
            }
            if (sequence.Length > 0)
            {
                OfpFrameReader.PeekLength(sequence);
            }
        }
        catch (OpenFlowFormatException)
        {
        }
    }

    private static void AttestationFrameParse(byte[] input)
    {
        try
        {
            var content = AttestationFrame.Parse(input);
            AttestationCodec.Encode(content.Message);
        }
        catch (AttestationFormatException)
        {
        }
    }

    private static void TpmAttest(byte[] input)
    {
        TpmsAttest attest;
        try
        {
            attest = TpmsAttest.Parse(input);
        }
        catch (TpmFormatException)
        {
            return;
        }
        if (!attest.ToBytes().AsSpan().SequenceEqual(input))
        {
            throw new FuzzPropertyException("TPMS_ATTEST accepted but does not marshal back to the same bytes");
        }
    }

    private static void TpmPublic(byte[] input)
    {
        TpmtPublic area;
        try
        {
            area = Tpm2bPublic.Parse(input);
        }
        catch (TpmFormatException)
        {
            return;
        }
        if (!Tpm2bPublic.ToBytes(area).AsSpan().SequenceEqual(input))
        {
            throw new FuzzPropertyException("TPM2B_PUBLIC accepted but does not marshal back to the same bytes");
        }
        try
        {
            area.ComputeName();
            using var key = AttestationKey.FromPublic(area);
        }
        catch (TpmFormatException)
        {
        }
    }

    private static void TpmSignature(byte[] input)
    {
        TpmtSignature signature;
        try
        {
            signature = TpmtSignature.Parse(input);
        }
        catch (TpmFormatException)
        {
            return;
        }
        if (!signature.ToBytes().AsSpan().SequenceEqual(input))
        {
            throw new FuzzPropertyException("TPMT_SIGNATURE accepted but does not marshal back to the same bytes");
        }
    }

    private static void JobFile(byte[] input)
    {
        try
        {
            var job = Jobs.Codec.JobCodec.ParseJob(input);
            if (Jobs.Codec.JobCodec.ParseJob(Jobs.Codec.JobCodec.Write(job)) != job)
                throw new FuzzPropertyException("an accepted job file does not parse back equal after writing");
        }
        catch (Jobs.Codec.JobFormatException)
        {
        }
    }

    private static void JobManifest(byte[] input)
    {
        try
        {
            var manifest = Jobs.Codec.JobCodec.ParseManifest(input);
            if (Jobs.Codec.JobCodec.ParseManifest(Jobs.Codec.JobCodec.Write(manifest)) != manifest)
                throw new FuzzPropertyException("an accepted manifest does not parse back equal after writing");
        }
        catch (Jobs.Codec.JobFormatException)
        {
        }
    }

    private static void JobRecordFile(byte[] input)
    {
        try
        {
            var record = Jobs.Codec.JobCodec.ParseRecord(input);
            var back = Jobs.Codec.JobCodec.ParseRecord(Jobs.Codec.JobCodec.Write(record));
            if (back with { Phases = record.Phases } != record || !back.Phases.SequenceEqual(record.Phases))
                throw new FuzzPropertyException("an accepted record does not parse back equal after writing");
        }
        catch (Jobs.Codec.JobFormatException)
        {
        }
    }

    private static void Enrolment(byte[] input)
    {
        try
        {
            var record = EnrolmentRecord.FromJson(input);
            EnrolmentRecord.FromJson(record.ToJson());
        }
        catch (EnrolmentFormatException)
        {
        }
    }

    private static void ProofKey(byte[] input)
    {
        SwitchGate.Gate.Policy.ProofKeyState state;
        try
        {
            state = SwitchGate.Gate.Policy.ProofKeyState.FromJson(input);
        }
        catch (EnrolmentFormatException)
        {
            return;
        }
        var again = SwitchGate.Gate.Policy.ProofKeyState.FromJson(state.ToJson());
        if (!again.ToJson().AsSpan().SequenceEqual(state.ToJson()))
            throw new FuzzPropertyException("an accepted proof key state does not write and parse back to itself");
    }

    private static void Topology(byte[] input)
    {
        try
        {
            TopologyLoader.Load(Encoding.UTF8.GetString(input), "fuzz.yaml");
        }
        catch (TopologyFileException)
        {
        }
    }

    private static void SwitchBindings(byte[] input)
    {
        SwitchCertificateBindings bindings;
        try
        {
            bindings = SwitchCertificateBindings.Parse(Encoding.UTF8.GetString(input));
        }
        catch (SwitchBindingsFormatException)
        {
            return;
        }
        var lines = bindings.Pairs.Select(p => $"0x{p.DatapathId:x16} {p.Pin}").ToList();
        var back = SwitchCertificateBindings.Parse(string.Join('\n', lines));
        if (!back.Pairs.SequenceEqual(bindings.Pairs))
            throw new FuzzPropertyException("accepted switch bindings do not parse back equal after writing");
        foreach (var (dpid, pin) in bindings.Pairs)
        {
            if (bindings.Check(dpid, pin) is { } refusal)
                throw new FuzzPropertyException($"a listed binding is refused: {refusal}");
        }
    }

    private static void Qmp(byte[] input)
    {
        // A small line bound, so that the oversized path is reachable from short inputs.
        var reader = new Hypervisor.Qmp.QmpLineReader(new MemoryStream(input), maxLineBytes: 4096);
        try
        {
            while (reader.ReadLineAsync(CancellationToken.None).GetAwaiter().GetResult() is { } line)
            {
                if (line.Length > reader.MaxLineBytes)
                    throw new FuzzPropertyException($"a line of {line.Length} bytes passed a {reader.MaxLineBytes}-byte bound");
                Hypervisor.Qmp.QmpCodec.Decode(line);
            }
        }
        catch (Hypervisor.QmpException)
        {
        }
    }

    private static ReadOnlySequence<byte> Segments(ReadOnlyMemory<byte> bytes, int size)
    {
        if (bytes.Length <= size)
        {
            return new ReadOnlySequence<byte>(bytes);
        }
        var first = new Segment(bytes[..size], 0);
        var last = first;
        for (var at = size; at < bytes.Length; at += size)
        {
            last = last.Append(bytes[at..Math.Min(at + size, bytes.Length)]);
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
