using SwitchGate.Controller.Sessions;
using SwitchGate.OpenFlow;

namespace SwitchGate.Controller.Tests;

public sealed class SendQueueTests
{
    private static List<OfpMessage> Echoes(int n) => [.. Enumerable.Range(0, n).Select(i => new EchoRequest([]) { Xid = (uint)i })];

    [Fact]
    public void Reader_path_drops_what_does_not_fit()
    {
        var q = new SendQueue(4);
        Assert.Equal(2, q.TryEnqueueAll(Echoes(6)));
        Assert.False(q.TryEnqueue(new BarrierRequest()));
        Assert.True(q.TryTakeAll(out var taken));
        Assert.Equal([0u, 1u, 2u, 3u], taken.Select(o => o.Xid));
        Assert.False(q.TryTakeAll(out _));
    }

    [Fact]
    public async Task Batch_path_waits_for_room_and_numbers_xids()
    {
        var q = new SendQueue(3);
        var batch = Echoes(5);
        Assert.Equal(3, await q.EnqueueSomeAsync(batch, 0, 100, CancellationToken.None));
        var more = q.EnqueueSomeAsync(batch, 3, 100, CancellationToken.None).AsTask();
        // The call ran synchronously up to its wait for room: incomplete now means it is waiting, not "not yet run".
        Assert.False(more.IsCompleted); // full
        Assert.True(q.TryTakeAll(out var first));
        Assert.Equal([100u, 101u, 102u], first.Select(o => o.Xid));
        Assert.Equal(2, await more.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(q.TryTakeAll(out var second));
        Assert.Equal([103u, 104u], second.Select(o => o.Xid));
        Assert.Same(batch[4], second[1].Message);
    }

    [Fact]
    public async Task Completion_rejects_producers_and_releases_waiters()
    {
        var q = new SendQueue(1);
        Assert.True(q.TryEnqueue(new BarrierRequest()));
        var waiting = q.EnqueueSomeAsync(Echoes(1), 0, 1, CancellationToken.None).AsTask();
        q.Complete();
        await Assert.ThrowsAsync<InvalidOperationException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(1, q.TryEnqueueAll(Echoes(1)));
        Assert.True(q.TryTakeAll(out _)); // what was queued before completion can still be written
    }
}
