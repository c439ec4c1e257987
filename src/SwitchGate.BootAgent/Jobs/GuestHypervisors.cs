using Microsoft.Extensions.Logging;

namespace SwitchGate.BootAgent.Jobs;

/// <summary>The hypervisor the job service boots guests with.</summary>
public static class GuestHypervisors
{
    public static IGuestHypervisor Create(ILogger log) => new Unavailable();

    private sealed class Unavailable : IGuestHypervisor
    {
        public Task<IBootingGuest> BootAsync(GuestLaunch launch, string workDirectory, CancellationToken ct) =>
            throw new NotSupportedException("this build has no QEMU driver");
    }
}
