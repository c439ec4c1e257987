using SwitchGate.Controller.Sessions;
using SwitchGate.OpenFlow;

namespace SwitchGate.Gate;

/// <summary>How the gate reaches switches: fire-and-forget messages and barrier-confirmed batches.</summary>
public interface IGateSwitches
{
    /// <summary>Queues a message for the switch; false when it is not connected.</summary>
    ValueTask<bool> SendAsync(ulong datapathId, OfpMessage message);

    /// <summary>
    /// Sends the messages and a BARRIER_REQUEST; completes with null once the BARRIER_REPLY confirmed all of them,
    /// or with why not (the switch's ERROR, a closed session, no such switch, no reply in time). Never throws.
    /// </summary>
    Task<string?> SendBatchAsync(ulong datapathId, IReadOnlyList<OfpMessage> messages);
}

/// <summary>The controller's connected switches (<see cref="SwitchRegistry"/>) as seen by the gate.</summary>
public sealed class RegistrySwitches(SwitchRegistry registry, TimeSpan batchTimeout) : IGateSwitches
{
    public async ValueTask<bool> SendAsync(ulong datapathId, OfpMessage message)
    {
        if (!registry.TryGet(datapathId, out var session))
            return false;
        try
        {
            await session.SendAsync(message).ConfigureAwait(false);
            return true;
        }
        catch (SessionClosedException)
        {
            return false;
        }
    }

    public async Task<string?> SendBatchAsync(ulong datapathId, IReadOnlyList<OfpMessage> messages)
    {
        if (!registry.TryGet(datapathId, out var session))
            return $"switch {SwitchSession.FormatDpid(datapathId)} is not connected";
        using var timeout = new CancellationTokenSource(batchTimeout);
        try
        {
            await session.SendBatchAsync(messages, timeout.Token).ConfigureAwait(false);
            return null;
        }
        catch (SwitchErrorException e)
        {
            return e.Message;
        }
        catch (SessionClosedException e)
        {
            return $"switch session closed: {e.Message}";
        }
        catch (OperationCanceledException)
        {
            return $"no barrier reply within {batchTimeout.TotalSeconds}s";
        }
    }
}
