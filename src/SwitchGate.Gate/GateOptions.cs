using SwitchGate.Attestation;
using SwitchGate.Ethernet;

namespace SwitchGate.Gate;

/// <summary>
/// Settings of the attestation gate (docs/gate.md). <see cref="Validate"/> lists every problem in one
/// readable line each, so the CLI can print them instead of failing later.
/// </summary>
public sealed class GateOptions
{
    /// <summary>Directory of <c>&lt;node&gt;.json</c> enrolment records (EnrolmentRecord JSON).</summary>
    public string EnrolmentDirectory { get; set; } = "";

    /// <summary>Append-only JSON-lines audit log; created if missing.</summary>
    public string AuditLogPath { get; set; } = "";

    /// <summary>Admission lease L (docs/protocol.md §7): LEASE_SECONDS and the admission flows' hard_timeout.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a CHALLENGE's nonce may be answered (docs/protocol.md §7, default 5 s).</summary>
    public TimeSpan NonceLifetime { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Per-port meter for 0x88B5 frames to the controller: packets per second of the drop band.</summary>
    public uint MeterRatePps { get; set; } = 20;

    /// <summary>Burst size of the drop band, in packets (OFPMF_BURST).</summary>
    public uint MeterBurstPackets { get; set; } = 10;

    /// <summary>Source address of the controller's frames (docs/protocol.md §2).</summary>
    public MacAddress ControllerMac { get; set; } = AttestationFrame.DefaultControllerSource;

    /// <summary>
    /// fsync the audit log on every append (default). False: appends are written at once (a killed controller loses
    /// none) and fsynced by a background loop, which takes the ~4 ms fsync out of the VERDICT's path.
    /// </summary>
    public bool AuditSyncEveryAppend { get; set; } = true;

    /// <summary>How often the enrolment directory is polled for changes; zero: only on <c>Reload()</c>.</summary>
    public TimeSpan EnrolmentPollInterval { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// The EK CA bundle (PEM). When set, only records whose AK was bound to a certified EK are loaded: EK certificate
    /// chaining to this CA and certifying the record's EK, a TPM-resident AK, and a secret issued by
    /// <c>switchgate enrolment bind</c> (<c>ak_bound_to_ek</c>). docs/enrolment.md, "AK bound to the EK".
    /// </summary>
    public string? EkCaPath { get; set; }

    /// <summary>How often the controller's own clock checks leases (a lost FLOW_REMOVED still ends an admission).</summary>
    public TimeSpan LeaseCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Roles of switch ports from the rack's configuration (docs/gate.md "Port roles"): boot-server ports stay closed
    /// until enrolled; production hosts are locked to their port.
    /// </summary>
    public IReadOnlyList<Policy.PortRole> PortRoles { get; set; } = [];

    /// <summary>
    /// Repeated denials of one node for one reason within this window are audited once and then only counted; one
    /// <c>denials_aggregated</c> record with the count closes the window (docs/gate.md "Audit log").
    /// </summary>
    public TimeSpan AuditDenialWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// At shutdown, how long the gate waits for batches in flight and store commits to finish (and audit their
    /// outcome) before the audit log closes; longer than the batch timeout of the controller's switches (10 s).
    /// </summary>
    public TimeSpan ShutdownDrainTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Lease in whole seconds as carried by LEASE_SECONDS and hard_timeout (both 16-bit).</summary>
    public ushort LeaseSeconds => (ushort)Math.Clamp(Lease.TotalSeconds, 0, ushort.MaxValue);

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(EnrolmentDirectory))
            problems.Add("the enrolment directory is not set");
        if (string.IsNullOrWhiteSpace(AuditLogPath))
            problems.Add("the audit log path is not set");
        // OpenFlow 1.3.5 §7.3.4.1: hard_timeout is 16 bits; LEASE_SECONDS is 1..65535 (docs/protocol.md §4.1).
        if (Lease.TotalSeconds is < 1 or > ushort.MaxValue || Lease.Ticks % TimeSpan.TicksPerSecond != 0)
            problems.Add($"lease {Lease.TotalSeconds}s must be a whole number of seconds in 1..65535");
        if (NonceLifetime <= TimeSpan.Zero || NonceLifetime >= Lease)
            problems.Add($"nonce lifetime {NonceLifetime.TotalSeconds}s must be positive and shorter than the lease");
        if (MeterRatePps == 0)
            problems.Add("meter rate must be at least 1 packet per second");
        if (!ControllerMac.IsUnicast)
            problems.Add("the controller MAC must be a unicast address other than 0");
        if (EnrolmentPollInterval < TimeSpan.Zero)
            problems.Add("the enrolment poll interval cannot be negative");
        if (ShutdownDrainTimeout <= TimeSpan.Zero)
            problems.Add("shutdown drain timeout must be positive");
        if (LeaseCheckInterval <= TimeSpan.Zero)
            problems.Add("the lease check interval must be positive");
        if (AuditDenialWindow < TimeSpan.Zero)
            problems.Add("the audit denial window cannot be negative");
        problems.AddRange(Policy.PortRole.Validate(PortRoles));
        if (EkCaPath is not null && !File.Exists(EkCaPath))
            problems.Add($"the EK CA bundle '{EkCaPath}' does not exist");
        return problems;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem.</summary>
    public void EnsureValid()
    {
        var problems = Validate();
        if (problems.Count > 0)
            throw new ArgumentException("invalid gate options: " + string.Join("; ", problems));
    }
}
