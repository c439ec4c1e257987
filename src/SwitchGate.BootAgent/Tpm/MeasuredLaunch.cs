using System.Security.Cryptography;
using System.Text;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.BootAgent.Tpm;

/// <summary>The measured launch already happened since the last TPM reset (or the PCRs are not fresh).</summary>
public sealed class AlreadyMeasuredException(string message) : Exception(message);

/// <summary>
/// The test rack's emulated measured launch (docs/agent.md "PCR layout"): what firmware, boot loader and
/// kernel would extend on a real boot server, with fixed event strings, plus the agent's own assembly.
/// The golden values are whatever the TPM reads after it; they are never computed here.
/// PCR assignments follow the TCG PC Client Platform Firmware Profile (§3.3.4): 0 SRTM/firmware code,
/// 4 boot manager code, 8/9 the OS loader's (GRUB uses 8 for the command line and 9 for files it loads).
/// PCR 14 is the "leaving clean mode" mark; PCRs 16 and 23 are not used because locality 0 can reset them.
/// </summary>
public static class MeasuredLaunch
{
    public const int FirmwarePcr = 0;
    public const int BootLoaderPcr = 4;
    public const int KernelCommandLinePcr = 8;
    public const int AgentPcr = 9;
    public const int DirtyMarkPcr = 14;

    /// <summary>The clean-mode selection the secret is sealed to and the controller quotes (issue 4 shared decisions).</summary>
    public const string SelectionText = "sha256:0,4,8,9,14";

    public const string FirmwareEvent = "SwitchGate test rack firmware 1.0";
    public const string BootLoaderEvent = "SwitchGate test rack boot loader 1.0";
    public const string KernelCommandLineEvent = "SwitchGate test rack kernel command line: console=ttyS0 switchgate.mode=clean";
    public const string DirtyMarkEvent = "SwitchGate: leaving clean mode";

    public static TpmlPcrSelection Selection => TpmlPcrSelection.Parse(SelectionText);

    public static byte[] EventDigest(string eventText) => SHA256.HashData(Encoding.UTF8.GetBytes(eventText));

    /// <summary>SHA-256 of the agent's own assembly file (what PCR 9 receives).</summary>
    public static byte[] AgentDigest(string? assemblyPath = null) =>
        SHA256.HashData(File.ReadAllBytes(assemblyPath ?? typeof(MeasuredLaunch).Assembly.Location));

    /// <summary>The events in the order they are extended.</summary>
    public static IReadOnlyList<(int Pcr, byte[] Digest, string What)> Events(byte[] agentDigest) =>
    [
        (FirmwarePcr, EventDigest(FirmwareEvent), "firmware"),
        (BootLoaderPcr, EventDigest(BootLoaderEvent), "boot loader"),
        (KernelCommandLinePcr, EventDigest(KernelCommandLineEvent), "kernel command line"),
        (AgentPcr, agentDigest, "agent assembly"),
    ];

    /// <summary>
    /// Extends the launch events, once per TPM reset: if any launch PCR is not all zeros (the value after
    /// Startup(CLEAR)), the launch already ran and extending again would only make the node unclean.
    /// </summary>
    public static async Task RunAsync(Tpm2 tpm, byte[]? agentDigest = null, CancellationToken ct = default)
    {
        var events = Events(agentDigest ?? AgentDigest());
        var launchPcrs = new TpmlPcrSelection(TpmAlgId.Sha256, events.Select(e => e.Pcr).ToArray());
        var (_, values) = await tpm.PcrReadAsync(launchPcrs, ct).ConfigureAwait(false);
        if (values.Any(v => v.Any(b => b != 0)))
        {
            throw new AlreadyMeasuredException("the launch PCRs (0,4,8,9) are already extended since the last TPM reset; reboot first");
        }

        foreach (var (pcr, digest, _) in events)
        {
            await tpm.PcrExtendAsync(pcr, TpmAlgId.Sha256, digest, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The dirty mark: after it the secret's PolicyPCR can no longer be satisfied until a TPM reset.</summary>
    public static Task ExtendDirtyMarkAsync(Tpm2 tpm, CancellationToken ct = default) =>
        tpm.PcrExtendAsync(DirtyMarkPcr, TpmAlgId.Sha256, EventDigest(DirtyMarkEvent), ct);
}
