using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using SwitchGate.Attestation;
using SwitchGate.Controller;
using SwitchGate.Controller.Forwarding;
using SwitchGate.Controller.Pipeline;
using SwitchGate.Controller.Sessions;
using SwitchGate.Gate.Policy;
using SwitchGate.OpenFlow;

namespace SwitchGate.Gate.Tests;

/// <summary>The real controller (listener, sessions, pipeline) with the gate, and a switch on loopback.</summary>
internal sealed class GateController : IAsyncDisposable
{
    private GateController(string directory, GateService gate, OpenFlowListener listener, SwitchRegistry registry, IPEndPoint endPoint)
    {
        Directory = directory;
        Gate = gate;
        Listener = listener;
        Registry = registry;
        EndPoint = endPoint;
    }

    public string Directory { get; }
    public string EnrolmentDirectory => Path.Combine(Directory, "enrolments");
    public string AuditPath => Path.Combine(Directory, "audit.jsonl");
    public GateService Gate { get; }
    public OpenFlowListener Listener { get; }
    public SwitchRegistry Registry { get; }
    public IPEndPoint EndPoint { get; }

    public static GateController Start(params TestNode[] nodes)
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
        var registry = new SwitchRegistry();
        var gate = new GateService(options, new RegistrySwitches(registry, TimeSpan.FromSeconds(5)), TimeProvider.System, NullLogger<GateService>.Instance);
        var pipeline = new SwitchPipeline([gate.AppFactory, new L2LearningFactory(new L2LearningOptions { FirstTable = GateFlows.ForwardingTable, FloodThroughGroups = true })]);
        var listener = new OpenFlowListener(new ControllerOptions { ListenAddress = IPAddress.Loopback, Port = 0 }, pipeline, registry,
            TimeProvider.System, NullLoggerFactory.Instance);
        return new GateController(directory, gate, listener, registry, listener.Start());
    }

    public async Task WaitReadyAsync(ulong dpid)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!(Registry.TryGet(dpid, out var s) && s.State == SessionState.Ready))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"switch {dpid:x} not ready");
            await Task.Delay(10);
        }
    }

    public static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException(what);
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Listener.DisposeAsync();
        await Eventually(() => Gate.BatchesInFlight == 0, "gate batches still in flight");
        Gate.Dispose();
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
        await using var controller = GateController.Start(_node);
        await using var sw = await FakeSwitch.ConnectAsync(controller.EndPoint, _node.DatapathId);
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
        await Task.Delay(300);
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
        await using var controller = GateController.Start(_node);
        await using var sw = await FakeSwitch.ConnectAsync(controller.EndPoint, _node.DatapathId);
        await controller.WaitReadyAsync(_node.DatapathId);
        sw.ErrorFor = m => m is FlowMod { Priority: 800, Command: FlowModCommand.Add }
            ? new ErrorMsg(ErrorType.FlowModFailed, (ushort)FlowModFailedCode.TableFull, [])
            : null;
        var challenge = await HelloAsync(sw);
        int mark = sw.Received.Count;
        await sw.PacketInAsync(_node.Port, _node.Frame(_node.Evidence(challenge)));
        await GateController.Eventually(() => controller.Gate.Counters.InstallFailures == 1, "install failure not seen");
        await sw.WaitForAsync<FlowMod>(f => f.Command == FlowModCommand.DeleteStrict, skip: mark);
        await Task.Delay(200);
        Assert.DoesNotContain(sw.Received.Skip(mark), m => m is PacketOut);
        Assert.Equal(NodeGateState.Idle, controller.Gate.Status()[_node.Name]!.State);
        Assert.Contains(File.ReadAllLines(controller.AuditPath), l => l.Contains("\"install_failed\"") && l.Contains("TableFull"));
    }

    [Fact]
    public async Task Reconnecting_switch_gets_still_valid_admissions_back_with_the_remaining_lease()
    {
        await using var controller = GateController.Start(_node);
        var sw = await FakeSwitch.ConnectAsync(controller.EndPoint, _node.DatapathId);
        await controller.WaitReadyAsync(_node.DatapathId);
        var verdict = await AttestAsync(sw);
        Assert.Equal(VerdictKind.Admitted, verdict.Kind);
        await sw.DisposeAsync();
        await GateController.Eventually(() => controller.Registry.Count == 0, "session not closed");
        await Task.Delay(1100);

        await using var again = await FakeSwitch.ConnectAsync(controller.EndPoint, _node.DatapathId);
        await controller.WaitReadyAsync(_node.DatapathId);
        var restored = again.Received.OfType<FlowMod>().Where(f => f.Priority == 800).ToList();
        Assert.Equal(2, restored.Count);
        Assert.All(restored, f =>
        {
            Assert.InRange(f.HardTimeout, 25, 28); // 30 s lease minus the time away, rounded down
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
        await using var controller = GateController.Start(_node);
        await using var sw = await FakeSwitch.ConnectAsync(controller.EndPoint, _node.DatapathId);
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
        await using var controller = GateController.Start(_node);
        await using var sw = await FakeSwitch.ConnectAsync(controller.EndPoint, _node.DatapathId);
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
