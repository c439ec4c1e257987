using Microsoft.Extensions.Time.Testing;

namespace SwitchGate.TestSupport;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also tells a test when the code under test is waiting on it. Time only moves
/// when the test says so, and a test that advances time must first know that the timer it means to fire exists:
/// otherwise a loop that has not yet re-armed its <c>Task.Delay</c> would arm it after the jump and never see it.
/// <see cref="WaitForTimerAsync"/> waits (on an event, not a poll) until a timer with the given due time is armed,
/// which for a loop also means it has finished handling the previous tick.
/// </summary>
public sealed class ManualClock : FakeTimeProvider
{
    private readonly object _lock = new();
    private readonly List<ArmedTimer> _armed = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ManualClock()
        : base(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var armed = new ArmedTimer(this, dueTime, period);
        armed.Inner = base.CreateTimer(s => { armed.Fired(); callback(s); }, state, dueTime, period);
        armed.Publish();
        return armed;
    }

    /// <summary>Completes when a timer created or changed with <paramref name="dueTime"/> is armed (not yet fired, changed or disposed).</summary>
    public async Task WaitForTimerAsync(TimeSpan dueTime, TimeSpan? timeout = null)
    {
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_armed.Exists(t => t.DueTime == dueTime))
                    return;
                changed = _changed.Task;
            }
            try
            {
                await changed.WaitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no timer due in {dueTime} was armed; armed: [{string.Join(", ", Armed())}]");
            }
        }
    }

    /// <summary>Waits for the timer due in <paramref name="dueTime"/>, then moves time by exactly that much (it fires).</summary>
    public async Task StepAsync(TimeSpan dueTime)
    {
        await WaitForTimerAsync(dueTime);
        Advance(dueTime);
    }

    private IEnumerable<TimeSpan> Armed()
    {
        lock (_lock)
            return [.. _armed.Select(t => t.DueTime)];
    }

    private void Update(ArmedTimer timer, bool armed)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _armed.Remove(timer);
            if (armed)
                _armed.Add(timer);
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    private sealed class ArmedTimer(ManualClock clock, TimeSpan dueTime, TimeSpan period) : ITimer
    {
        public ITimer Inner = null!;
        private TimeSpan _period = period;
        private volatile bool _spent;

        public TimeSpan DueTime { get; private set; } = dueTime;

        private bool OneShot => _period == Timeout.InfiniteTimeSpan || _period == TimeSpan.Zero;

        /// <summary>Listed as armed unless it will never fire or (one-shot, due at once) already did.</summary>
        public void Publish() => clock.Update(this, DueTime != Timeout.InfiniteTimeSpan && !(OneShot && _spent));

        public void Fired()
        {
            // A periodic timer stays armed (same period), a one-shot one is spent.
            if (OneShot)
            {
                _spent = true;
                clock.Update(this, false);
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            DueTime = dueTime;
            _period = period;
            _spent = false;
            bool changed = Inner.Change(dueTime, period);
            Publish();
            return changed;
        }

        public void Dispose()
        {
            Inner.Dispose();
            clock.Update(this, false);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
