using Microsoft.Extensions.DependencyInjection;
using SwitchGate.Controller.Forwarding;
using SwitchGate.Controller.Pipeline;
using SwitchGate.Controller.Sessions;
using SwitchGate.Ethernet;
using SwitchGate.OpenFlow;

namespace SwitchGate.Controller.Tests;

public sealed class XidTrackerTests
{
    private static FlowMod Flow(ushort p) => SessionTests.TestFlow(p);

    [Fact]
    public async Task Batch_completes_only_on_its_own_barrier_reply()
    {
        var t = new XidTracker();
        var (first, barrier, done) = t.RegisterBatch([Flow(1), Flow(2)]);
        Assert.Equal(first + 2, barrier);
        Assert.False(t.TryComplete(new BarrierReply { Xid = barrier + 1 }));
        Assert.False(done.IsCompleted);
        Assert.True(t.TryComplete(new BarrierReply { Xid = barrier }));
        await done;
        Assert.Equal(0, t.Outstanding);
    }

    [Fact]
    public void An_abandoned_request_or_batch_leaves_the_tracker_and_its_late_reply_is_unsolicited()
    {
        var t = new XidTracker();
        var (xid, reply) = t.Register();
        var (_, barrier, done) = t.RegisterBatch([Flow(1)]);
        Assert.Equal(2, t.Outstanding);
        t.Abandon(xid);
        t.Abandon(barrier);
        Assert.Equal(0, t.Outstanding);
        Assert.False(t.TryComplete(new EchoReply([]) { Xid = xid }));
        Assert.False(t.TryComplete(new BarrierReply { Xid = barrier }));
        Assert.False(reply.IsCompleted);
        Assert.False(done.IsCompleted);
        t.Abandon(xid); // twice, or after completion: nothing happens
    }

    [Fact]
    public async Task Errors_inside_the_range_fail_the_batch_at_the_barrier_with_all_errors()
    {
        var t = new XidTracker();
        var messages = new[] { Flow(1), Flow(2), Flow(3) };
        var (first, barrier, done) = t.RegisterBatch(messages);
        Assert.True(t.TryFail(new ErrorMsg(ErrorType.BadMatch, (ushort)BadMatchCode.BadPrereq, []) { Xid = first + 2 }));
        Assert.True(t.TryFail(new ErrorMsg(ErrorType.FlowModFailed, (ushort)FlowModFailedCode.Overlap, []) { Xid = first }));
        Assert.False(t.TryFail(new ErrorMsg(ErrorType.BadRequest, 0, []) { Xid = barrier + 5 }));
        Assert.False(done.IsCompleted); // the switch may still be working on the rest
        t.TryComplete(new BarrierReply { Xid = barrier });
        var ex = await Assert.ThrowsAsync<SwitchErrorException>(() => done);
        Assert.Equal(2, ex.Errors.Count);
        Assert.Same(messages[2], ex.Errors[0].Request);
        Assert.Same(messages[0], ex.Errors[1].Request);
        Assert.Contains("BadMatch/BadPrereq", ex.Message);
    }

    [Fact]
    public async Task Single_request_completes_with_its_reply_or_fails_with_its_error()
    {
        var t = new XidTracker();
        var (x1, r1) = t.Register();
        var (x2, r2) = t.Register();
        Assert.NotEqual(x1, x2);
        t.TryComplete(new EchoReply([1]) { Xid = x1 });
        Assert.Equal(new byte[] { 1 }, ((EchoReply)await r1).Data);
        t.TryFail(new ErrorMsg(ErrorType.BadRequest, (ushort)BadRequestCode.BadType, []) { Xid = x2 });
        await Assert.ThrowsAsync<SwitchErrorException>(() => r2);
    }

    [Fact]
    public async Task Close_fails_everything_pending_and_everything_later()
    {
        var t = new XidTracker();
        var (_, _, batch) = t.RegisterBatch([Flow(1)]);
        var (_, request) = t.Register();
        t.Close(new SessionClosedException("gone"));
        Assert.Equal("gone", (await Assert.ThrowsAsync<SessionClosedException>(() => batch)).Message);
        await Assert.ThrowsAsync<SessionClosedException>(() => request);
        var (_, _, late) = t.RegisterBatch([Flow(2)]);
        await Assert.ThrowsAsync<SessionClosedException>(() => late);
    }

    [Fact]
    public async Task Local_failure_fails_the_batch_even_if_the_barrier_succeeds()
    {
        var t = new XidTracker();
        var (first, barrier, done) = t.RegisterBatch([Flow(1)]);
        t.FailLocally(first, new ArgumentException("bad match"));
        t.TryComplete(new BarrierReply { Xid = barrier });
        Assert.Contains("bad match", (await Assert.ThrowsAsync<InvalidOperationException>(() => done)).Message);
    }

    [Fact]
    public void Xid_zero_is_never_handed_out_even_across_wrap()
    {
        var t = new XidTracker();
        for (int i = 0; i < 3; i++)
            t.Reserve(int.MaxValue);
        // ~6.4e9 xids reserved: the counter wrapped at least once.
        for (int i = 0; i < 1000; i++)
        {
            uint first = t.Reserve(7);
            Assert.NotEqual(0u, first);
            Assert.True(first + 6 >= first, "a range never wraps through 0");
        }
    }
}

public sealed class OptionsAndPipelineTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        Assert.Empty(new ControllerOptions().Validate());
    }

    [Fact]
    public void Nonsense_is_rejected_with_every_problem_named()
    {
        var options = new ControllerOptions
        {
            Port = 70000,
            EchoInterval = TimeSpan.FromSeconds(10),
            EchoTimeout = TimeSpan.FromSeconds(5),
            HelloTimeout = TimeSpan.Zero,
            MaxMacsPerSwitch = 0,
            MacIdleTimeoutSeconds = 0,
        };
        var problems = options.Validate();
        Assert.Contains(problems, p => p.Contains("port 70000"));
        Assert.Contains(problems, p => p.Contains("echo timeout"));
        Assert.Contains(problems, p => p.Contains("hello timeout"));
        Assert.Contains(problems, p => p.Contains("max MACs"));
        Assert.Contains(problems, p => p.Contains("idle timeout"));
        Assert.Throws<ArgumentException>(options.EnsureValid);
    }

    [Fact]
    public void Two_apps_cannot_own_the_same_table()
    {
        var ex = Assert.Throws<ArgumentException>(() => new SwitchPipeline([new OpenGateFactory(), new OpenGateFactory()]));
        Assert.Contains("table 0", ex.Message);
    }

    [Fact]
    public void Events_go_to_the_owner_of_their_table()
    {
        var pipeline = new SwitchPipeline([new OpenGateFactory(), new L2LearningFactory(new L2LearningOptions())]);
        Assert.Equal("open-gate", pipeline.OwnerOf(0));
        Assert.Equal("l2-learning", pipeline.OwnerOf(1));
        Assert.Equal("l2-learning", pipeline.OwnerOf(2));
        Assert.Null(pipeline.OwnerOf(3));
        var instance = pipeline.Attach(null!);
        var output = new List<OfpMessage>();
        var mac = SessionTests.Mac(1);
        Assert.True(instance.PacketIn(SessionTests.PacketInFrom(1, mac, MacAddress.Broadcast), DateTimeOffset.UnixEpoch, output));
        Assert.NotEmpty(output);
        Assert.False(instance.PacketIn(SessionTests.PacketInFrom(1, mac, MacAddress.Broadcast, table: 7), DateTimeOffset.UnixEpoch, output));
    }

    [Fact]
    public void Error_text_uses_spec_names()
    {
        Assert.Equal("FlowModFailed/TableFull", ErrorText.Describe(new ErrorMsg(ErrorType.FlowModFailed, (ushort)FlowModFailedCode.TableFull, [])));
        Assert.Equal("HelloFailed/Incompatible \"no\"", ErrorText.Describe(new ErrorMsg(ErrorType.HelloFailed, 0, "no"u8.ToArray())));
        Assert.Equal("77/3", ErrorText.Describe(new ErrorMsg(77, 3, [])));
    }
}

public sealed class CompositionTests
{
    private sealed class FakeGate : ISwitchAppFactory
    {
        public string Name => "fake-gate";
        public IReadOnlyList<byte> Tables { get; } = [0];
        public ISwitchApp Create(ISwitchView sw) => throw new NotSupportedException();
    }

    private static SwitchPipeline Resolve(Action<IServiceCollection> register)
    {
        var services = new ServiceCollection();
        register(services);
        return services.BuildServiceProvider().GetRequiredService<SwitchPipeline>();
    }

    [Fact]
    public void Default_pipeline_is_open_gate_then_l2_learning()
    {
        var pipeline = Resolve(s => s.AddSwitchGateController(new ControllerOptions()));
        Assert.Equal(["open-gate", "l2-learning"], pipeline.Apps.Select(a => a.Name));
    }

    [Fact]
    public void A_registered_table_0_app_replaces_the_open_gate_and_runs_first()
    {
        var pipeline = Resolve(s =>
        {
            s.AddSwitchGateController(new ControllerOptions());
            s.AddSingleton<ISwitchAppFactory, FakeGate>();
        });
        Assert.Equal(["fake-gate", "l2-learning"], pipeline.Apps.Select(a => a.Name));
    }
}
