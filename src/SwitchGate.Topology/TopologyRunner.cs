using System.Globalization;
using System.Text.Json;

namespace SwitchGate.Topology;

/// <summary>Settings of one run.</summary>
public sealed record TopologyRunOptions
{
    /// <summary>Overrides every switch's controller port (e.g. an ephemeral controller's port).</summary>
    public int? ControllerPort { get; init; }

    /// <summary>Names to use; default: a fresh unique prefix.</summary>
    public TopologyNames? Names { get; init; }

    /// <summary>
    /// If set, the list of created resources is rewritten here after each creation and the file
    /// is deleted after teardown, so `switchgate topology down` can clean up after a killed run.
    /// </summary>
    public string? StateFile { get; init; }

    /// <summary>
    /// OVS's reconnect back-off ceiling for the controller connection. OVS's default is 8 s;
    /// 1 s keeps reconnect tests short.
    /// </summary>
    public TimeSpan ControllerMaxBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Progress lines (what is being created or deleted), e.g. for the CLI.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>Kinds of things a run creates, in creation order.</summary>
public enum ResourceKind
{
    Namespace,
    Interface,
    Bridge,
}

public sealed record CreatedResource(ResourceKind Kind, string Name);

/// <summary>Raised when teardown could not delete everything it created; lists what is left.</summary>
public sealed class TopologyTeardownException(IReadOnlyList<string> failures)
    : Exception("topology teardown left things behind:\n  " + string.Join("\n  ", failures))
{
    public IReadOnlyList<string> Failures { get; } = failures;
}

/// <summary>
/// Builds a topology the way Mininet does: one network namespace per host, a veth pair per link
/// (<c>eth0</c> in the host, the other end an OVS port with a fixed OpenFlow port number), one OVS
/// bridge per switch with the userspace datapath, fail_mode=secure, OpenFlow 1.3 only and our
/// controller. If building fails half-way, what was created is deleted before the error is thrown.
/// </summary>
public static class TopologyRunner
{
    public static async Task<RunningTopology> UpAsync(TopologySpec spec, TopologyRunOptions? options = null, CancellationToken cancel = default)
    {
        options ??= new TopologyRunOptions();
        var running = new RunningTopology(spec, options.Names ?? TopologyNames.CreateUnique(), options);
        try
        {
            await running.BuildAsync(cancel).ConfigureAwait(false);
            return running;
        }
        catch
        {
            await running.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Deletes resources by exact name, in reverse creation order; collects every failure.</summary>
    public static async Task TearDownAsync(IReadOnlyList<CreatedResource> resources, Action<string>? log = null)
    {
        var failures = new List<string>();
        foreach (var resource in resources.Reverse())
        {
            log?.Invoke($"deleting {resource.Kind.ToString().ToLowerInvariant()} {resource.Name}");
            var (file, args, gone) = resource.Kind switch
            {
                ResourceKind.Bridge => ("ovs-vsctl", new[] { "--timeout=10", "--if-exists", "del-br", resource.Name }, ""),
                // Deleting one end of a veth pair deletes both; the namespace may already have taken it.
                ResourceKind.Interface => ("ip", ["link", "del", "dev", resource.Name], "Cannot find device"),
                ResourceKind.Namespace => ("ip", ["netns", "del", resource.Name], "No such file"),
                _ => throw new ArgumentOutOfRangeException(nameof(resources)),
            };
            try
            {
                var result = await CommandRunner.TryRunAsync(file, args).ConfigureAwait(false);
                if (!result.Succeeded && (gone.Length == 0 || !result.StandardError.Contains(gone, StringComparison.Ordinal)))
                    failures.Add($"{result.CommandLine}: {result.StandardError.Trim()}");
            }
            catch (CommandFailedException e)
            {
                failures.Add(e.Message);
            }
        }
        if (failures.Count > 0) throw new TopologyTeardownException(failures);
    }

    /// <summary>Reads a state file written by a run (see <see cref="TopologyRunOptions.StateFile"/>).</summary>
    public static IReadOnlyList<CreatedResource> ReadStateFile(string path) =>
        JsonSerializer.Deserialize<List<CreatedResource>>(File.ReadAllText(path)) ?? [];

    internal static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
