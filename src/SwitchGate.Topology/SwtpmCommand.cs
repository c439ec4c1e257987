using System.Globalization;

namespace SwitchGate.Topology;

/// <summary>
/// The one command line SwitchGate starts swtpm with: a TPM 2.0 serving raw command bytes on TCP port P and its
/// control channel on P+1, both on 127.0.0.1 (of whatever network namespace it runs in), with its state in a
/// directory. It comes up powered on and started, as firmware would leave a TPM; an emulated reboot
/// power-cycles it through the control channel.
/// </summary>
public static class SwtpmCommand
{
    public static string[] Socket(string stateDirectory, int port) =>
    [
        "swtpm", "socket", "--tpm2", "--tpmstate", $"dir={stateDirectory}",
        "--server", $"type=tcp,port={port.ToString(CultureInfo.InvariantCulture)},bindaddr=127.0.0.1",
        "--ctrl", $"type=tcp,port={(port + 1).ToString(CultureInfo.InvariantCulture)},bindaddr=127.0.0.1",
        "--flags", "not-need-init,startup-clear",
    ];
}
