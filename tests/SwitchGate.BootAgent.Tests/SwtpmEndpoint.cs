using SwitchGate.BootAgent.Tpm;
using SwitchGate.TestSupport;

namespace SwitchGate.BootAgent.Tests;

internal static class SwtpmEndpoint
{
    /// <summary>The agent's view of a test swtpm (<c>--tpm tcp:127.0.0.1:P</c>).</summary>
    public static TpmEndpoint Endpoint(this SwtpmInstance swtpm) => TpmEndpoint.Parse(swtpm.Spec);
}
