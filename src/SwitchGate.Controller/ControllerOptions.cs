using System.Net;
using SwitchGate.Controller.Tls;

namespace SwitchGate.Controller;

/// <summary>
/// Settings of the controller daemon. <see cref="Validate"/> rejects nonsense with one readable
/// message per problem so that the CLI can print it instead of failing later on a socket.
/// </summary>
public sealed class ControllerOptions
{
    /// <summary>IANA-assigned OpenFlow port (OpenFlow 1.3.5 §6.3.1 "Connection Setup").</summary>
    public const int DefaultPort = 6653;

    /// <summary>Address to listen on; loopback by default, the rack only uses loopback and namespaces.</summary>
    public IPAddress ListenAddress { get; set; } = IPAddress.Loopback;

    /// <summary>TCP port; 0 asks the OS for an ephemeral port (printed when listening).</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>Time allowed between TCP accept and the switch's HELLO.</summary>
    public TimeSpan HelloTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Time allowed between the switch's HELLO and the end of the port description exchange.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>An ECHO_REQUEST is sent when the switch has been silent this long.</summary>
    public TimeSpan EchoInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A switch silent for this long (no echo reply, no anything) is declared dead.</summary>
    public TimeSpan EchoTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Time allowed for the cold start (deletes + pipeline + barrier).</summary>
    public TimeSpan ColdStartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Upper bound on MAC addresses learned per switch (see docs/controller.md, eviction).</summary>
    public int MaxMacsPerSwitch { get; set; } = 16_384;

    /// <summary>Idle timeout of the learned forwarding flows, in seconds (OpenFlow idle_timeout is 16 bits).</summary>
    public ushort MacIdleTimeoutSeconds { get; set; } = 300;

    /// <summary>Messages queued for one switch before its reader waits (back-pressure on a switch that does not read).</summary>
    public int SendQueueCapacity { get; set; } = 8192;

    /// <summary>
    /// TLS with mutual authentication on the OpenFlow channel; null is plaintext TCP, which the listener logs as a
    /// warning when it starts (the CLI needs an explicit --plaintext for it). See docs/controller.md, "TLS".
    /// </summary>
    public ControllerTlsOptions? Tls { get; set; }

    /// <summary>Returns the list of problems; empty when the options are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Port is < 0 or > 65535)
            problems.Add($"port {Port} is outside 0..65535");
        Positive(HelloTimeout, "hello timeout");
        Positive(HandshakeTimeout, "handshake timeout");
        Positive(EchoInterval, "echo interval");
        Positive(EchoTimeout, "echo timeout");
        Positive(ColdStartTimeout, "cold start timeout");
        if (EchoTimeout <= EchoInterval)
            problems.Add($"echo timeout ({EchoTimeout.TotalSeconds}s) must be longer than the echo interval ({EchoInterval.TotalSeconds}s), otherwise a live switch is declared dead before it could answer");
        if (MaxMacsPerSwitch < 1)
            problems.Add($"max MACs per switch must be at least 1, not {MaxMacsPerSwitch}");
        if (MacIdleTimeoutSeconds == 0)
            problems.Add("MAC idle timeout must be at least 1 second (0 would mean learned flows never expire)");
        if (SendQueueCapacity < 16)
            problems.Add($"send queue capacity must be at least 16, not {SendQueueCapacity}");
        if (Tls is not null)
            problems.AddRange(Tls.Validate());
        return problems;

        void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero)
                problems.Add($"{name} must be positive, not {value.TotalSeconds}s");
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem.</summary>
    public void EnsureValid()
    {
        var problems = Validate();
        if (problems.Count > 0)
            throw new ArgumentException("invalid controller options: " + string.Join("; ", problems));
    }
}
