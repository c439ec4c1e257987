using System.Globalization;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Structures;
using SwitchGate.Tpm.Transport;

namespace SwitchGate.BootAgent.Tpm;

/// <summary>A <c>--tpm</c> value that cannot be used.</summary>
public sealed class AgentConfigurationException(string message) : Exception(message);

/// <summary>
/// Where the TPM is: <c>tcp:HOST:PORT</c> (swtpm's data socket, control channel on PORT+1) or
/// <c>device:PATH</c> (e.g. /dev/tpmrm0). A connection is opened per operation: swtpm serves one client at a
/// time, and the agent's commands (a running service and a <c>status</c>) must not lock each other out.
/// </summary>
public sealed record TpmEndpoint(string? Host, int Port, string? DevicePath)
{
    public const string Default = "tcp:127.0.0.1:2321";

    public bool IsSwtpm => Host is not null;

    public int ControlPort => Port + 1;

    public static TpmEndpoint Parse(string spec)
    {
        if (spec.StartsWith("device:", StringComparison.Ordinal) && spec.Length > "device:".Length)
        {
            return new TpmEndpoint(null, 0, spec["device:".Length..]);
        }

        if (spec.StartsWith("tcp:", StringComparison.Ordinal))
        {
            var rest = spec["tcp:".Length..];
            var colon = rest.LastIndexOf(':');
            if (colon > 0 && int.TryParse(rest[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65535)
            {
                return new TpmEndpoint(rest[..colon], port, null);
            }
        }

        throw new AgentConfigurationException($"--tpm '{spec}' must be tcp:HOST:PORT (swtpm, control channel on PORT+1) or device:PATH");
    }

    public async Task<Tpm2> ConnectAsync(CancellationToken ct = default)
    {
        if (IsSwtpm)
            return await Tpm2.ConnectSwtpmAsync(Host!, Port, ct).ConfigureAwait(false);
        return new Tpm2(new LinuxDeviceTransport(DevicePath!));
    }

    /// <summary>
    /// The test rack's emulated reboot of the TPM: an orderly Shutdown(CLEAR) first (an unorderly power cycle
    /// counts as a dictionary-attack failure, docs/tool-notes.md), the control channel's power cycle (CMD_INIT), then
    /// Startup(CLEAR), which resets the PCRs and increments resetCount (TPM 2.0 Part 1, §36.5 "TPM Reset").
    /// </summary>
    public async Task PowerCycleAsync(CancellationToken ct = default)
    {
        if (!IsSwtpm)
        {
            throw new AgentConfigurationException("an emulated reboot needs swtpm's control channel (--tpm tcp:HOST:PORT); reboot a real machine instead");
        }

        using (var tpm = await ConnectAsync(ct).ConfigureAwait(false))
        {
            await tpm.ShutdownAsync(TpmSu.Clear, ct).ConfigureAwait(false);
        }

        await SwtpmControl.InitAsync(Host!, ControlPort, ct).ConfigureAwait(false);
        using (var tpm = await ConnectAsync(ct).ConfigureAwait(false))
        {
            await tpm.StartupAsync(TpmSu.Clear, ct).ConfigureAwait(false);
        }
    }

    public override string ToString() => IsSwtpm ? $"tcp:{Host}:{Port}" : $"device:{DevicePath}";
}
