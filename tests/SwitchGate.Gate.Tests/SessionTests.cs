using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using SwitchGate.Attestation;
using SwitchGate.Controller;
using SwitchGate.Controller.Forwarding;
using SwitchGate.Controller.Pipeline;
using SwitchGate.Controller.Sessions;
using SwitchGate.Gate.Audit;
using SwitchGate.Gate.Policy;
using SwitchGate.TestSupport;
using SwitchGate.OpenFlow;

namespace SwitchGate.Gate.Tests;

/// <summary>
/// The real controller (listener, sessions, pipeline) with the gate. <see cref="Start"/> listens on loopback on the
/// real clock (for OVS); <see cref="StartInMemory"/> connects fake switches through in-memory connections on a
/// <see cref="ManualClock"/>, so time moves only when a test advances it.
/// </summary>
internal sealed class GateController : IAsyncDisposable
{
    private GateController(string directory, GateService gate, OpenFlowListener listener, SwitchRegistry registry, IPEndPoint? endPoint, ManualClock? clock)
    {
        Directory = directory;
        Gate = gate;
        Listener = listener;
        Registry = registry;
        _endPoint = endPoint;
        Clock = clock;
    }

    private readonly IPEndPoint? _endPoint;

    public string Directory { get; }
    public string EnrolmentDirectory => Path.Combine(Directory, "enrolments");
    public string AuditPath => Path.Combine(Directory, "audit.jsonl");
    public GateService Gate { get; }
    public OpenFlowListener Listener { get; }
    public SwitchRegistry Registry { get; }
    public IPEndPoint EndPoint => _endPoint ?? throw new InvalidOperationException("in-memory controller: use ConnectAsync");

    /// <summary>The clock of an in-memory controller (null on the real clock).</summary>
    public ManualClock? Clock { get; }

    public static GateController Start(params TestNode[] nodes) => Create(nodes, null, null);

    public static GateController StartInMemory(params TestNode[] nodes) => Create(nodes, new ManualClock(), null);

    public static GateController StartInMemory(IAuditSink sink, params TestNode[] nodes) => Create(nodes, new ManualClock(), sink);

    private static GateController Create(TestNode[] nodes, ManualClock? clock, IAuditSink? sink)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("sg-gate-").FullName;
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "enrolments"));
        foreach (var n in nodes)
            File.WriteAllBytes(Path.Combine(directory, "enrolments", n.Name + ".json"), n.Record.ToJson());
        var options = new GateOptions
        {
            EnrolmentDirectory = Path.Combine(directory, "enrolments"),
            AuditLogPath = Path.Combine(directory, "audit.jsonl"),
        };
        TimeProvider time = clock ?? TimeProvider.System;
        var registry = new SwitchRegistry();
        var gate = new GateService(options, new RegistrySwitches(registry, TimeSpan.FromSeconds(5)), time, NullLogger<GateService>.Instance, sink);
        var pipeline = new SwitchPipeline([gate.AppFactory, new L2LearningFactory(new L2LearningOptions { FirstTable = GateFlows.ForwardingTable, FloodThroughGroups = true })]);
        var listener = new OpenFlowListener(new ControllerOptions { ListenAddress = IPAddress.Loopback, Port = 0 }, pipeline, registry,
            time, NullLoggerFactory.Instance);
        return new GateController(directory, gate, listener, registry, clock is null ? listener.Start() : null, clock);
    }

    /// <summary>A fake switch connected to this controller: in memory if it is in-memory, else over loopback TCP.</summary>
    public async Task<FakeSwitch> ConnectAsync(ulong dpid, Action<FakeSwitch>? configure = null)
    {
        if (_endPoint is not null)
            return await FakeSwitch.ConnectAsync(_endPoint, dpid, configure);
        var (near, far) = InMemoryConnection.CreateStreams();
        Listener.Accept(near, "memory");
        return await FakeSwitch.AttachAsync(far, dpid, configure);
    }

    /// <summary>Waits for the switch's cold start to be confirmed (woken by the registry's event, not by polling).</summary>
    public async Task WaitReadyAsync(ulong dpid)
    {
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnReady(SwitchSession s)
        {
            if (s.DatapathId == dpid)
                ready.TrySetResult();
        }
        Registry.SwitchReady += OnReady;
        try
        {
            if (Registry.TryGet(dpid, out var s) && s.State == SessionState.Ready)
                return;
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"switch {dpid:x} not ready");
        }
        finally
        {
            Registry.SwitchReady -= OnReady;
        }
    }

    /// <summary>Waits until the switch's session has left the registry.</summary>
    public async Task WaitClosedAsync(ulong dpid)
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnClosed(SwitchSession s)
        {
            if (s.DatapathId == dpid)
                closed.TrySetResult();
        }
        Registry.SwitchClosed += OnClosed;
        try
        {
            if (!Registry.TryGet(dpid, out _))
                return;
            await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            Registry.SwitchClosed -= OnClosed;
        }
    }

    /// <summary>Starts listening for an audit entry matching <paramref name="match"/>; await the task after causing it.</summary>
    public Task<AuditEntry> NextAudit(Func<AuditEntry, bool> match)
    {
        var seen = new TaskCompletionSource<AuditEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
        Action<AuditEntry>? handler = null;
        handler = e =>
        {
            if (match(e) && seen.TrySetResult(e))
                Gate.Audited -= handler;
        };
        Gate.Audited += handler;
        return seen.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        await Listener.DisposeAsync();
        await Gate.DisposeAsync(); // drains batches still in flight before the audit log closes
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

public sealed class SessionTests : IDisposable
{
    private readonly TestNode _node = new("bs1", PolicyHarness.Dpid, 2, 1);

    public void Dispose() => _node.Dispose();

    private static AttestationMessage FromPacketOut(PacketOut po) => AttestationFrame.Parse(po.Data).Message;

    private async Task<Challenge> HelloAsync(FakeSwitch sw, ulong session = 0)
    {
        int mark = sw.Received.Count;
        await sw.PacketInAsync(_node.Port, _node.Hello(session));
        var po = await sw.WaitForAsync<PacketOut>(skip: mark);
        Assert.Equal([new ActionOutput(_node.Port, 0)], po.Actions);
        return Assert.IsType<Challenge>(FromPacketOut(po));
    }

    /// <summary>
    /// An ECHO_REQUEST from the switch and its reply: the controller answers it after everything it read before, and
    /// the reply arrives after everything it wrote before. Proves "nothing was sent" without sleeping on it.
    /// </summary>
    internal static async Task RoundTripAsync(FakeSwitch sw)
    {
        var payload = Guid.NewGuid().ToByteArray();
        int mark = sw.Received.Count;
        await sw.SendAsync(new EchoRequest(payload) { Xid = 0x5151 });
        await sw.WaitForAsync<EchoReply>(r => r.Data.AsSpan().SequenceEqual(payload), skip: mark);
    }

    private async Task<Verdict> AttestAsync(FakeSwitch sw)
    {
        var challenge = await HelloAsync(sw);
        int mark = sw.Received.Count;
        await sw.PacketInAsync(_node.Port, _node.Frame(_node.Evidence(challenge)));
        return Assert.IsType<Verdict>(FromPacketOut(await sw.WaitForAsync<PacketOut>(skip: mark)));
    }

    [Fact]
    public async Task Cold_start_installs_the_gate_and_the_verdict_follows_the_barrier_reply()
    {
        await using var controller = GateController.StartInMemory(_node);
        await using var sw = await controller.ConnectAsync(_node.DatapathId);
        await controller.WaitReadyAsync(_node.DatapathId);
        var coldStart = sw.Received.OfType<FlowMod>().Where(f => f.TableId == 0 && f.Command == FlowModCommand.Add).ToList();
        Assert.Contains(coldStart, f => f.Priority == 600 && f.Match == Match.Of(Oxm.InPort(_node.Port)));
        Assert.Equal(3, sw.Received.OfType<MeterMod>().Count(m => m.Command == MeterModCommand.Add));

        var challenge = await HelloAsync(sw);
        sw.HoldBarriers = true;
        int mark = sw.Received.Count;
        await sw.PacketInAsync(_node.Port, _node.Frame(_node.Evidence(challenge)));
        await sw.WaitForAsync<BarrierRequest>(skip: mark);
        var after = sw.Received.Skip(mark).ToList();
        Assert.Equal(2, after.OfType<FlowMod>().Count(f => f.Priority == 800 && f.HardTimeout == 30));
        await RoundTripAsync(sw); // everything the controller had to say by now has arrived
        Assert.DoesNotContain(sw.Received.Skip(mark), m => m is PacketOut);
        Assert.Equal(NodeGateState.Installing, controller.Gate.Status()[_node.Name]!.State);

        await sw.ReleaseBarriersAsync();
        var verdict = Assert.IsType<Verdict>(FromPacketOut(await sw.WaitForAsync<PacketOut>(skip: mark)));
        Assert.Equal((VerdictKind.Admitted, challenge.SessionId, (ushort?)30), (verdict.Kind, verdict.SessionId, verdict.LeaseSeconds));
        var sinceEvidence = sw.Received.Skip(mark).ToList();
        Assert.True(sinceEvidence.FindIndex(m => m is BarrierRequest) < sinceEvidence.FindIndex(m => m is PacketOut));
        Assert.Equal(NodeGateState.Admitted, controller.Gate.Status()[_node.Name]!.State);

        // The audit log has the verdict as a JSON line, durable before the VERDICT went out.
        var lines = File.ReadAllLines(controller.AuditPath).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var admitted = Assert.Single(lines, l => l.GetProperty("event").GetString() == "verdict");
        Assert.Equal("admitted", admitted.GetProperty("verdict").GetString());
        Assert.Equal("Admitted", admitted.GetProperty("reason").GetString());
        Assert.Equal($"{challenge.SessionId:X16}", admitted.GetProperty("session").GetString());
    }

    [Fact]
    public async Task Switch_error_to_the_admission_batch_means_no_admission()
    {
        await using var controller = GateController.StartInMemory(_node);
        await using var sw = await controller.ConnectAsync(_node.DatapathId);
        await controller.WaitReadyAsync(_node.DatapathId);
        sw.ErrorFor = m => m is FlowMod { Priority: 800, Command: FlowModCommand.Add }
            ? new ErrorMsg(ErrorType.FlowModFailed, (ushort)FlowModFailedCode.TableFull, [])
            : null;
        var challenge = await HelloAsync(sw);
        int mark = sw.Received.Count;
        var failed = controller.NextAudit(e => e.Event == "install_failed");
        await sw.PacketInAsync(_node.Port, _node.Frame(_node.Evidence(challenge)));
        await failed;
        Assert.Equal(1, controller.Gate.Counters.InstallFailures);
        await sw.WaitForAsync<FlowMod>(f => f.Command == FlowModCommand.DeleteStrict, skip: mark);
        await RoundTripAsync(sw);
        Assert.DoesNotContain(sw.Received.Skip(mark), m => m is PacketOut);
        Assert.Equal(NodeGateState.Idle, controller.Gate.Status()[_node.Name]!.State);
        Assert.Contains(File.ReadAllLines(controller.AuditPath), l => l.Contains("\"install_failed\"") && l.Contains("TableFull"));
    }

    [Fact]
    public async Task Reconnecting_switch_gets_still_valid_admissions_back_with_the_remaining_lease()
    {
        await using var controller = GateController.StartInMemory(_node);
        var sw = await controller.ConnectAsync(_node.DatapathId);
        await controller.WaitReadyAsync(_node.DatapathId);
        var verdict = await AttestAsync(sw);
        Assert.Equal(VerdictKind.Admitted, verdict.Kind);
        await sw.DisposeAsync();
        await controller.WaitClosedAsync(_node.DatapathId);
        controller.Clock!.Advance(TimeSpan.FromSeconds(3.5));

        await using var again = await controller.ConnectAsync(_node.DatapathId);
        await controller.WaitReadyAsync(_node.DatapathId);
        var restored = again.Received.OfType<FlowMod>().Where(f => f.Priority == 800).ToList();
        Assert.Equal(2, restored.Count);
        Assert.All(restored, f =>
        {
            Assert.Equal(26, f.HardTimeout); // 30 s lease minus the 3.5 s away, rounded down
            Assert.Equal(FlowModFlags.SendFlowRem, f.Flags);
        });
        Assert.Equal(Match.Of(Oxm.InPort(_node.Port), Oxm.EthSrc(_node.CleanMac)), restored[0].Match);
        // The delete of everything comes first in the cold start, the restored admission after it.
        var all = again.Received.ToList();
        Assert.True(all.FindIndex(m => m is FlowMod { Command: FlowModCommand.Delete, TableId: OfpTable.All }) < all.IndexOf(restored[0]));
        Assert.Equal(verdict.SessionId, controller.Gate.Status()[_node.Name]!.Session);
    }

    [Fact]
    public async Task Enrolment_change_on_disk_revokes_over_the_switch_after_reload()
    {
        await using var controller = GateController.StartInMemory(_node);
        await using var sw = await controller.ConnectAsync(_node.DatapathId);
        await controller.WaitReadyAsync(_node.DatapathId);
        var admitted = await AttestAsync(sw);
        int mark = sw.Received.Count;
        controller.Gate.Enrolments.Save(_node.Record with { Port = 3 });
        var changes = controller.Gate.Reload();
        Assert.Equal([_node.Name], changes.Changed);
        var po = await sw.WaitForAsync<PacketOut>(skip: mark);
        var revoked = Assert.IsType<Verdict>(FromPacketOut(po));
        Assert.Equal((VerdictKind.Revoked, ReasonCode.EnrolmentChanged, admitted.SessionId), (revoked.Kind, revoked.Reason, revoked.SessionId));
        Assert.Equal([new ActionOutput(_node.Port, 0)], po.Actions);
        var received = sw.Received.Skip(mark).ToList();
        Assert.True(received.FindIndex(m => m is FlowMod { Command: FlowModCommand.DeleteStrict }) < received.IndexOf(po));
        await sw.WaitForAsync<FlowMod>(f => f.Priority == 600 && f.Match == Match.Of(Oxm.InPort(3)), skip: mark);
        Assert.Null(controller.Gate.ReloadIfChanged());
    }
}

public sealed class HostingAndExpiryTests : IDisposable
{
    private readonly TestNode _node = new("bs1", PolicyHarness.Dpid, 2, 1);

    public void Dispose() => _node.Dispose();

    [Fact]
    public void The_hosting_extension_puts_the_gate_in_table_0_of_the_controller_pipeline()
    {
        var dir = Directory.CreateTempSubdirectory("sg-host-").FullName;
        try
        {
            var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
            Microsoft.Extensions.DependencyInjection.LoggingServiceCollectionExtensions.AddLogging(services);
            services.AddSwitchGateController(new ControllerOptions { Port = 0 });
            Hosting.GateServiceCollectionExtensions.AddSwitchGateAttestation(services, new GateOptions
            {
                EnrolmentDirectory = dir,
                AuditLogPath = Path.Combine(dir, "audit.jsonl"),
                Lease = TimeSpan.FromSeconds(20),
            });
            using var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);
            var pipeline = (SwitchPipeline)provider.GetService(typeof(SwitchPipeline))!;
            Assert.Equal("attestation-gate", pipeline.OwnerOf(0));
            Assert.Equal(2, pipeline.Apps.Count); // no open gate next to it
            Assert.Throws<ArgumentException>(() => Hosting.GateServiceCollectionExtensions.AddSwitchGateAttestation(
                new Microsoft.Extensions.DependencyInjection.ServiceCollection(), new GateOptions { EnrolmentDirectory = dir, AuditLogPath = "x", Lease = TimeSpan.FromSeconds(0.5) }));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Flow_removed_by_hard_timeout_in_the_switch_revokes_lease_expired()
    {
        await using var controller = GateController.StartInMemory(_node);
        await using var sw = await controller.ConnectAsync(_node.DatapathId);
        await controller.WaitReadyAsync(_node.DatapathId);
        var verdicts = new List<AuditEntry>();
        controller.Gate.Audited += e => { lock (verdicts) verdicts.Add(e); };
        int mark = sw.Received.Count;
        await sw.PacketInAsync(_node.Port, _node.Hello());
        var challenge = (Challenge)AttestationFrame.Parse((await sw.WaitForAsync<PacketOut>(skip: mark)).Data).Message;
        mark = sw.Received.Count;
        await sw.PacketInAsync(_node.Port, _node.Frame(_node.Evidence(challenge)));
        var admission = await sw.WaitForAsync<FlowMod>(f => f.Priority == 800, skip: mark);
        await sw.WaitForAsync<PacketOut>(skip: mark); // VERDICT Admitted

        mark = sw.Received.Count;
        await sw.SendAsync(new FlowRemoved(admission.Cookie, 800, FlowRemovedReason.HardTimeout, 0, 30, 0, 0, 30, 10, 1000, admission.Match));
        var po = await sw.WaitForAsync<PacketOut>(skip: mark);
        var verdict = (Verdict)AttestationFrame.Parse(po.Data).Message;
        Assert.Equal((VerdictKind.Revoked, ReasonCode.LeaseExpired, challenge.SessionId), (verdict.Kind, verdict.Reason, verdict.SessionId));
        Assert.Equal(NodeGateState.Idle, controller.Gate.Status()[_node.Name]!.State);
        lock (verdicts)
            Assert.Equal([ReasonCode.Admitted, ReasonCode.LeaseExpired], verdicts.Where(e => e.Event == "verdict").Select(e => e.Reason!.Value));
    }
}
