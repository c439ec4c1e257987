using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SwitchGate.BootAgent.Core;
using SwitchGate.BootAgent.Hosting;
using SwitchGate.BootAgent.Network;
using SwitchGate.BootAgent.Tpm;

namespace SwitchGate.BootAgent.Jobs;

/// <summary>
/// The node's mode for the job service: runs the attestation service (<see cref="AgentRunner"/> with a renewing
/// <see cref="AgentCore"/>) while clean, departs through it, and performs the emulated reboot. The depart and
/// reboot logic is the agent's own (docs/agent.md); this class only sequences it.
/// </summary>
public sealed class NodeControl(TpmEndpoint tpm, StateDirectory state, NodeIdentity identity, string iface, ILogger log) : IAsyncDisposable
{
    private readonly object _lock = new();
    private Channel<DepartRequest>? _departs;
    private Task<int>? _run;
    private CancellationTokenSource? _stop;
    private TaskCompletionSource _admitted = NewSignal();

    public NodeIdentity Identity => identity;

    public bool IsAdmitted { get; private set; }

    public bool IsAttesting => _run is { IsCompleted: false };

    /// <summary>Dirty: the NIC has the dirty MAC or PCR 14 holds a mark. Either means only a reboot leads back.</summary>
    public async Task<bool> IsDirtyAsync(CancellationToken ct)
    {
        if (NicAddress.Current(iface).Equals(identity.DirtyMac))
            return true;
        using var client = await tpm.ConnectAsync(ct).ConfigureAwait(false);
        var (_, values) = await client.PcrReadAsync(MeasuredLaunch.Selection, ct).ConfigureAwait(false);
        return values[^1].Any(b => b != 0);
    }

    /// <summary>
    /// Starts attesting on the clean MAC (if not already): with <paramref name="restore"/> an admission recorded by
    /// an earlier run is renewed (which is itself a fresh quote), otherwise from HELLO(0).
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope",
        Justification = "the capture link belongs to the run task (using in its body); the catch closes it if the task never starts")]
    public void StartAttesting(bool restore)
    {
        lock (_lock)
        {
            if (IsAttesting)
                return;
            var admission = restore ? state.LoadAdmission() : null;
            var core = new AgentCore(new AgentOptions(identity.Node, identity.CleanMac), admission);
            _departs = Channel.CreateUnbounded<DepartRequest>();
            _stop = new CancellationTokenSource();
            _admitted = NewSignal();
            IsAdmitted = false;
            var link = PcapLink.Open(iface);
            try
            {
                var runner = new AgentRunner(core, link, tpm, state, identity, log, onAdmissionChanged: OnAdmission);
                var departs = _departs.Reader;
                var stop = _stop.Token;
                _run = Task.Run(async () =>
                {
                    using (link)
                    {
                        var code = await runner.RunAsync(core.Start(DateTimeOffset.UtcNow), departs, stop).ConfigureAwait(false);
                        OnAdmission(null);
                        return code;
                    }
                }, CancellationToken.None);
            }
            catch
            {
                // The run task owns the link once it exists; before that, nothing else would close the capture handle.
                link.Dispose();
                throw;
            }
        }
    }

    private void OnAdmission(Admission? admission)
    {
        IsAdmitted = admission is not null;
        if (admission is not null)
            _admitted.TrySetResult();
    }

    /// <summary>
    /// Waits until admitted. Fails (false, with the agent's exit code) if the attestation run ends first, e.g. not
    /// clean (exit 4): the secret does not unseal.
    /// </summary>
    public async Task<(bool Admitted, int ExitCode)> WaitAdmittedAsync(TimeSpan timeout, CancellationToken ct)
    {
        var run = _run ?? throw new InvalidOperationException("not attesting");
        var admitted = _admitted.Task;
        var done = await Task.WhenAny(admitted, run, Task.Delay(timeout, ct)).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        if (done == admitted)
            return (true, 0);
        return done == run ? (false, await run.ConfigureAwait(false)) : (false, ExitCodes.NoAnswer);
    }

    /// <summary>
    /// Leaves clean mode through the running attestation service (DEPART, revocation, PCR 14, dirty MAC); already
    /// dirty counts as done. Returns the agent's exit code (0: the NIC has the dirty MAC).
    /// </summary>
    public async Task<int> DepartAsync(CancellationToken ct)
    {
        if (await IsDirtyAsync(ct).ConfigureAwait(false))
            return ExitCodes.Ok;
        StartAttesting(restore: true);
        var request = new DepartRequest(false, new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously));
        await _departs!.Writer.WriteAsync(request, ct).ConfigureAwait(false);
        var code = await Task.WhenAny(request.Done.Task, _run!).ConfigureAwait(false) == request.Done.Task
            ? await request.Done.Task.ConfigureAwait(false)
            : await _run!.ConfigureAwait(false);
        await StopAttestingAsync().ConfigureAwait(false);
        return code;
    }

    /// <summary>Stops the attestation run without departing (its admission ends with the lease).</summary>
    public async Task StopAttestingAsync()
    {
        Task<int>? run;
        lock (_lock)
        {
            run = _run;
            _stop?.Cancel();
        }
        if (run is not null)
        {
            try
            {
                await run.ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.AttestationRunEnded(e.Message);
            }
        }
        lock (_lock)
        {
            _run = null;
            IsAdmitted = false;
        }
    }

    /// <summary>The emulated reboot into clean mode (<c>switchgate-agent reboot</c>); the attestation run is stopped first.</summary>
    public async Task RebootAsync(CancellationToken ct)
    {
        await StopAttestingAsync().ConfigureAwait(false);
        await AgentCommands.RebootAsync(tpm, state, identity, iface, log, ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await StopAttestingAsync().ConfigureAwait(false);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
