using SwitchGate.Controller.Forwarding;

namespace SwitchGate.Controller.Tests;

public sealed class MacTableTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static MacTable Table(int capacity = 8) => new(capacity, 0x4C32, TimeSpan.FromSeconds(1));

    [Fact]
    public void New_mac_is_learned_with_a_tagged_unique_cookie()
    {
        var t = Table();
        var a = t.Learn(0xA, 1, T0);
        var b = t.Learn(0xB, 2, T0);
        Assert.Equal(LearnOutcome.Learned, a.Outcome);
        Assert.Equal(0x4C32UL, a.Cookie >> 48);
        Assert.NotEqual(a.Cookie, b.Cookie);
        Assert.True(t.TryGetPort(0xA, out var port));
        Assert.Equal(1u, port);
        Assert.Equal(2, t.Count);
    }

    [Fact]
    public void Same_port_is_known_while_recent_and_reinstalled_when_old()
    {
        var t = Table();
        var first = t.Learn(0xA, 1, T0);
        var again = t.Learn(0xA, 1, T0.AddMilliseconds(500));
        Assert.Equal(LearnOutcome.Known, again.Outcome);
        Assert.Equal(first.Cookie, again.Cookie);

        var later = t.Learn(0xA, 1, T0.AddSeconds(2));
        Assert.Equal(LearnOutcome.Reinstall, later.Outcome);
        Assert.NotEqual(first.Cookie, later.Cookie);
        Assert.Equal(first.Cookie, later.OldCookie);
    }

    [Fact]
    public void Move_reports_the_old_port_and_cookie_even_when_recent()
    {
        var t = Table();
        var first = t.Learn(0xA, 1, T0);
        var moved = t.Learn(0xA, 3, T0.AddMilliseconds(1));
        Assert.Equal(LearnOutcome.Moved, moved.Outcome);
        Assert.Equal(1u, moved.OldPort);
        Assert.Equal(first.Cookie, moved.OldCookie);
        Assert.True(t.TryGetPort(0xA, out var port));
        Assert.Equal(3u, port);
    }

    [Fact]
    public void Full_table_evicts_the_least_recently_installed_mac()
    {
        var t = Table(capacity: 3);
        var a = t.Learn(0xA, 1, T0);
        t.Learn(0xB, 1, T0);
        t.Learn(0xC, 1, T0);
        // Re-installing A makes B the oldest.
        t.Learn(0xA, 1, T0.AddSeconds(5));
        var d = t.Learn(0xD, 2, T0.AddSeconds(6));

        Assert.True(d.Evicted);
        Assert.Equal(0xBUL, d.EvictedMac);
        Assert.Equal(3, t.Count);
        Assert.False(t.TryGetPort(0xB, out _));
        Assert.True(t.TryGetPort(0xA, out _));

        var e = t.Learn(0xE, 2, T0.AddSeconds(7));
        Assert.Equal(0xCUL, e.EvictedMac);
        Assert.NotEqual(a.Cookie, e.Cookie);
    }

    [Fact]
    public void Remove_requires_the_current_cookie()
    {
        var t = Table();
        var old = t.Learn(0xA, 1, T0);
        var current = t.Learn(0xA, 2, T0.AddSeconds(1));
        Assert.False(t.Remove(0xA, old.Cookie));
        Assert.True(t.TryGetPort(0xA, out _));
        Assert.True(t.Remove(0xA, current.Cookie));
        Assert.False(t.TryGetPort(0xA, out _));
        Assert.Equal(0, t.Count);
    }

    [Fact]
    public void Remove_port_forgets_only_that_port()
    {
        var t = Table();
        t.Learn(0xA, 1, T0);
        t.Learn(0xB, 2, T0);
        t.Learn(0xC, 1, T0);
        Assert.Equal([0xCUL, 0xAUL], t.RemovePort(1));
        Assert.Equal(1, t.Count);
        Assert.True(t.TryGetPort(0xB, out _));
    }

    [Fact]
    public void Slots_are_reused_after_removal_and_capacity_holds_under_churn()
    {
        var t = Table(capacity: 100);
        var now = T0;
        for (ulong mac = 1; mac <= 10_000; mac++)
        {
            var r = t.Learn(mac, (uint)(mac % 7), now);
            if (mac % 3 == 0)
                t.Remove(mac, r.Cookie);
            Assert.True(t.Count <= 100);
        }
        // The most recent MACs survive.
        Assert.True(t.TryGetPort(10_000, out _));
        Assert.False(t.TryGetPort(1, out _));
    }
}
