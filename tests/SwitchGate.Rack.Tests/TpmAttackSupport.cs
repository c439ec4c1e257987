using SwitchGate.Attestation;
using SwitchGate.BootAgent;
using SwitchGate.BootAgent.Tpm;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Structures;
using SwitchGate.Topology;

namespace SwitchGate.Rack.Tests;

/// <summary>
/// The attacker on a boot server that is no longer clean: it can still ask its own TPM for a quote with the enrolled
/// AK over any nonce (the AK has no PCR policy), only the secret stays sealed. The TPM is the boot server's swtpm on
/// the namespace's loopback, so the connection is opened from a thread that joined the namespace (setns(2)).
/// </summary>
internal static class TpmAttackSupport
{
    /// <summary>The enrolled selection (docs/agent.md, "PCR layout and measured launch").</summary>
    public static TpmlPcrSelection Selection => TpmlPcrSelection.Parse("sha256:0,4,8,9,14");

    /// <summary>
    /// EVIDENCE built on <paramref name="node"/>'s TPM: TPM2_Quote(its AK, qualifyingData = <paramref name="nonce"/>),
    /// the PCR values it covers, and <paramref name="proof"/> as given.
    /// </summary>
    public static Evidence QuoteOn(RackFixture rack, BootServer node, ulong session, ReadOnlyMemory<byte> nonce, byte[] proof)
    {
        Evidence? evidence = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                FrameSniffer.JoinNamespace(rack.Topology.Names.Namespace(node.Name));
                using var tpm = Tpm2.ConnectSwtpmAsync("127.0.0.1", rack.Rack.Options.SwtpmPort).GetAwaiter().GetResult();
                evidence = QuoteAsync(tpm, node, session, nonce.ToArray(), proof).GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        return evidence ?? throw new InvalidOperationException($"quoting on {node.Name}'s TPM failed: {failure?.Message}", failure);
    }

    /// <summary>
    /// The secret sealed in <paramref name="node"/>'s TPM, unsealed as its agent does (only while its PCRs are clean):
    /// what a thief who owns the clean node learns, and what a test scans the disk for.
    /// </summary>
    public static byte[] UnsealOn(RackFixture rack, BootServer node) =>
        InNamespace(rack, node, tpm => new AgentTpm(tpm, new StateDirectory(node.StateDirectory)).UnsealSecretAsync());

    /// <summary>Runs <paramref name="action"/> with a connection to <paramref name="node"/>'s swtpm, from a thread inside its namespace.</summary>
    public static T InNamespace<T>(RackFixture rack, BootServer node, Func<Tpm2, Task<T>> action)
    {
        T? result = default;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                FrameSniffer.JoinNamespace(rack.Topology.Names.Namespace(node.Name));
                using var tpm = Tpm2.ConnectSwtpmAsync("127.0.0.1", rack.Rack.Options.SwtpmPort).GetAwaiter().GetResult();
                result = action(tpm).GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        return failure is null ? result! : throw new InvalidOperationException($"TPM work on {node.Name} failed: {failure.Message}", failure);
    }

    private static async Task<Evidence> QuoteAsync(Tpm2 tpm, BootServer node, ulong session, byte[] nonce, byte[] proof)
    {
        var ak = new StateDirectory(node.StateDirectory).LoadAk();
        QuoteResult quote;
        // The agent's SRK: the standard ECC storage template always gives the same key, so the AK blob loads under it.
        await using (var srk = await tpm.CreatePrimaryAsync(TpmRh.Owner, TpmTemplates.EccStorageKey()))
        await using (var loaded = await tpm.LoadAsync(srk.Handle, ak))
            quote = await tpm.QuoteAsync(loaded.Handle, nonce, Selection);
        var (_, values) = await tpm.PcrReadAsync(Selection);
        return new Evidence(session, quote.Attest, quote.Signature.ToBytes(), values.Select(v => (ReadOnlyMemory<byte>)v), proof);
    }
}
