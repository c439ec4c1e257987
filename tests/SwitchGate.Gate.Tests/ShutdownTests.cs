using System.Text.Json;
using SwitchGate.Attestation;
using SwitchGate.Gate.Audit;
using SwitchGate.Gate.Policy;
using SwitchGate.OpenFlow;

namespace SwitchGate.Gate.Tests;

/// <summary>Issue 7 item 6: shutdown drains the gate's batches and store commits before the audit log closes.</summary>
public sealed class ShutdownTests : IDisposable
{
    private const int Nodes = 8;
    private readonly TestNode[] _nodes = [.. Enumerable.Range(1, Nodes).Select(i => new TestNode($"bs{i}", PolicyHarness.Dpid, (uint)(10 + i), (byte)i))];

    public void Dispose()
    {
        foreach (var n in _nodes)
            n.Dispose();
    }

    /// <summary>A store whose group commit completes only when the test lets it (a slow disk), in call order.</summary>
    private sealed class HeldSink : IAuditSink
    {
        private readonly object _lock = new();
        private readonly List<(IReadOnlyList<AuditEntry> Entries, TaskCompletionSource Done)> _held = [];
        private bool _holding;

        public List<AuditEntry> Committed { get; } = [];

        public void Hold()
        {
            lock (_lock)
                _holding = true;
        }

        public int Held
        {
            get { lock (_lock) return _held.Count; }
        }

        public ValueTask WriteAsync(IReadOnlyList<AuditEntry> entries)
        {
            lock (_lock)
            {
                if (!_holding)
                {
                    Committed.AddRange(entries);
                    return ValueTask.CompletedTask;
                }
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _held.Add((entries, done));
                return new ValueTask(done.Task);
            }
        }

        public void Release()
        {
            List<TaskCompletionSource> done;
            lock (_lock)
            {
                _holding = false;
                foreach (var (entries, _) in _held)
                    Committed.AddRange(entries);
                done = [.. _held.Select(h => h.Done)];
                _held.Clear();
            }
            foreach (var d in done)
                d.TrySetResult();
        }
    }

    [Fact]
    public async Task Shutdown_during_a_burst_leaves_an_audit_record_for_every_verdict_sent_and_every_install()
    {
        var sink = new HeldSink();
        var controller = GateController.StartInMemory(sink, _nodes);
        var sw = await controller.ConnectAsync(PolicyHarness.Dpid, s => s.HoldBarriers = false);
        await controller.WaitReadyAsync(PolicyHarness.Dpid);
        var challenges = new Dictionary<string, Challenge>();
        foreach (var n in _nodes)
        {
            int mark = sw.Received.Count;
            await sw.PacketInAsync(n.Port, n.Hello());
            var po = await sw.WaitForAsync<PacketOut>(skip: mark);
            challenges[n.Name] = (Challenge)AttestationFrame.Parse(po.Data).Message;
        }

        // The burst: every node's evidence at once; each admission becomes a batch waiting for its barrier reply.
        sw.HoldBarriers = true;
        int before = sw.Received.Count;
        await sw.SendAsync([.. _nodes.Select(n => (OfpMessage)new PacketIn(OfpBuffer.NoBuffer, 0, PacketInReason.Action, 0, 0,
            Match.Of(Oxm.InPort(n.Port)), n.Frame(n.Evidence(challenges[n.Name]))))]);
        for (int i = 0, at = before; i < Nodes; i++)
        {
            var barrier = await sw.WaitForAsync<BarrierRequest>(skip: at);
            at = sw.Received.ToList().FindIndex(at, m => ReferenceEquals(m, barrier)) + 1;
        }
        Assert.Equal(Nodes, controller.Gate.BatchesInFlight);

        // Half are confirmed while the store is slow; their verdicts wait for the commit. Then the controller stops:
        // the other half fail with the closed sessions, and the store commits only once the shutdown has begun.
        sink.Hold();
        await sw.ReleaseBarriersAsync(Nodes / 2);
        await controller.Listener.StopAsync();
        var disposing = controller.Gate.DisposeAsync().AsTask();
        sink.Release();
        await disposing.WaitAsync(TimeSpan.FromSeconds(20));
        await sw.DisposeAsync();

        var log = File.ReadAllLines(controller.AuditPath).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var verdictsSent = sw.Received.OfType<PacketOut>().Select(p => AttestationFrame.Parse(p.Data).Message).OfType<Verdict>().ToList();
        foreach (var v in verdictsSent)
            Assert.Contains(log, e => e.GetProperty("event").GetString() == "verdict" && e.TryGetProperty("session", out var s) && s.GetString() == $"{v.SessionId:X16}");
        // Every evidence that became a batch ends in exactly one record: its verdict, or its failed install.
        foreach (var n in _nodes)
        {
            string session = $"{challenges[n.Name].SessionId:X16}";
            var outcome = log.Where(e => e.TryGetProperty("session", out var s) && s.GetString() == session
                && e.GetProperty("event").GetString() is "verdict" or "install_failed").ToList();
            Assert.True(outcome.Count == 1, $"{n.Name}: {outcome.Count} outcome records in {string.Join(" | ", log)}");
        }
        Assert.Equal(0, controller.Gate.BatchesInFlight);
        // The store got the same records as the file (nothing withheld because it was closed under the gate).
        Assert.Equal(log.Count(e => e.GetProperty("event").GetString() is "verdict" or "install_failed"),
            sink.Committed.Count(e => e.Event is "verdict" or "install_failed"));
        Directory.Delete(controller.Directory, recursive: true);
    }
}
