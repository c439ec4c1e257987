using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SwitchGate.Attestation;
using SwitchGate.BootAgent.Core;
using SwitchGate.BootAgent.Network;
using SwitchGate.BootAgent.Tpm;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Transport;

namespace SwitchGate.BootAgent.Hosting;

/// <summary>A request to depart, from the control socket; completed with the exit code when the run ends.</summary>
public sealed record DepartRequest(bool Force, TaskCompletionSource<int> Done);

/// <summary>
/// The thin I/O shell around <see cref="AgentCore"/>: feeds it received frames, timer ticks and depart requests,
/// and runs the actions it returns — frames through <see cref="PcapLink"/>, TPM work through <see cref="AgentTpm"/>,
/// the dirty mark and the MAC change through <see cref="MeasuredLaunch"/> and <see cref="NicAddress"/>.
/// </summary>
public sealed class AgentRunner(
    AgentCore core,
    PcapLink link,
    TpmEndpoint tpmEndpoint,
    StateDirectory state,
    NodeIdentity identity,
    ILogger logger,
    TimeProvider? clock = null,
    Action<Admission?>? onAdmissionChanged = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly List<DepartRequest> _waiting = [];
    private bool _linkClosed;

    // Timing of the current exchange (Stopwatch timestamps), for the "exchange" log line: the last HELLO sent,
    // the last frame received, and the TPM time (connect + unseal + quote) spent since that HELLO.
    private long _helloAt;
    private bool _helloRenews;
    private long _frameAt;
    private long _tpmTicks;

    private DateTimeOffset Now => _clock.GetUtcNow();

    /// <summary>Runs until the core stops (exit code of its outcome) or <paramref name="ct"/> is cancelled (exit 0).</summary>
    public async Task<int> RunAsync(IReadOnlyList<AgentAction> initial, ChannelReader<DepartRequest>? departs, CancellationToken ct)
    {
        var pending = new Queue<AgentAction>(initial);
        try
        {
            while (true)
            {
                while (pending.TryDequeue(out var action))
                {
                    if (action is Stop stop)
                    {
                        return Finish(ExitCodes.Of(stop.Outcome));
                    }

                    foreach (var next in await ExecuteAsync(action, ct).ConfigureAwait(false))
                    {
                        pending.Enqueue(next);
                    }
                }

                foreach (var next in await WaitForInputAsync(departs, ct).ConfigureAwait(false))
                {
                    pending.Enqueue(next);
                }
            }
        }
        catch (AgentAbortException e)
        {
            return Finish(e.ExitCode);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            logger.Stopped(core.State);
            return Finish(ExitCodes.Ok);
        }
    }

    private int Finish(int code)
    {
        foreach (var d in _waiting)
        {
            d.Done.TrySetResult(code);
        }

        return code;
    }

    private async Task<IReadOnlyList<AgentAction>> WaitForInputAsync(ChannelReader<DepartRequest>? departs, CancellationToken ct)
    {
        if (!_linkClosed && link.Frames.TryRead(out var raw))
        {
            return OnRaw(raw);
        }

        if (departs is not null && departs.TryRead(out var request))
        {
            _waiting.Add(request);
            logger.DepartRequested(request.Force);
            return core.RequestDepart(Now, request.Force);
        }

        var deadline = core.NextDeadline;
        if (deadline is { } d && d <= Now)
        {
            return core.OnTimer(Now);
        }

        using var wake = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = deadline is { } dl ? TimeSpan.FromTicks(Math.Max(0, (dl - Now).Ticks)) : Timeout.InfiniteTimeSpan;
        var waits = new List<Task> { Task.Delay(delay, _clock, wake.Token) };
        if (!_linkClosed)
        {
            waits.Add(link.Frames.WaitToReadAsync(wake.Token).AsTask());
        }

        if (departs is not null)
        {
            waits.Add(departs.WaitToReadAsync(wake.Token).AsTask());
        }

        await Task.WhenAny(waits).ConfigureAwait(false);
        wake.Cancel();
        ct.ThrowIfCancellationRequested();
        return [];
    }

    private IReadOnlyList<AgentAction> OnRaw(byte[] raw)
    {
        _frameAt = Stopwatch.GetTimestamp();
        AttestationFrameContent frame;
        try
        {
            frame = AttestationFrame.Parse(raw);
        }
        catch (AttestationFormatException e)
        {
            // docs/protocol.md §10: the agent ignores malformed input.
            logger.MalformedFrame(e.Message);
            return [];
        }

        var before = core.Ignored;
        var actions = core.OnFrame(frame, Now);
        var ownEcho = frame.Source == identity.CleanMac && frame.Destination == AttestationFrame.ControllerDestination;
        if (core.Ignored != before && !ownEcho)
        {
            logger.IgnoredFrame(frame.Message.Type, frame.Message.SessionId, frame.Source, frame.Destination, core.State);
        }

        return actions;
    }

    private async Task<IReadOnlyList<AgentAction>> ExecuteAsync(AgentAction action, CancellationToken ct)
    {
        switch (action)
        {
            case SendMessage send:
                if (send.Message is Hello hello)
                {
                    _helloAt = Stopwatch.GetTimestamp();
                    _helloRenews = hello.SessionId != 0;
                    _tpmTicks = 0;
                }

                link.Send(AttestationFrame.Build(AttestationFrame.ControllerDestination, identity.CleanMac, send.Message));
                logger.Sent(send.Message.Type, send.Message.SessionId);
                return [];
            case Report report:
                logger.Report(report.Warning ? LogLevel.Warning : LogLevel.Information, report.Line);
                return [];
            case AdmissionChanged changed:
                state.SaveAdmission(changed.Admission);
                LogExchange(changed.Admission);
                onAdmissionChanged?.Invoke(changed.Admission);
                return [];
            case ProduceEvidence produce:
                return await ProduceEvidenceAsync(produce, ct).ConfigureAwait(false);
            case ProduceDepartProof prove:
                return await ProveDepartureAsync(prove, ct).ConfigureAwait(false);
            case RotateSecret rotate:
                return await RotateAsync(rotate, ct).ConfigureAwait(false);
            case LeaveCleanMode leave:
                await LeaveCleanModeAsync(leave, ct).ConfigureAwait(false);
                return [];
            default:
                throw new InvalidOperationException($"unknown action {action}");
        }
    }

    /// <summary>One line per completed exchange: HELLO sent → admitting VERDICT received, and the TPM's share of it.</summary>
    private void LogExchange(Admission? admission)
    {
        if (admission is null || _helloAt == 0 || _frameAt < _helloAt)
        {
            return;
        }

        var total = Stopwatch.GetElapsedTime(_helloAt, _frameAt).TotalMilliseconds;
        var tpm = TimeSpan.FromTicks(_tpmTicks * TimeSpan.TicksPerSecond / Stopwatch.Frequency).TotalMilliseconds;
        logger.Exchange(admission.Session, _helloRenews ? "renew" : "admit", total, tpm);
        _helloAt = 0;
    }

    private async Task<IReadOnlyList<AgentAction>> ProduceEvidenceAsync(ProduceEvidence produce, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var tpm = await tpmEndpoint.ConnectAsync(ct).ConfigureAwait(false);
            var evidence = await new AgentTpm(tpm, state)
                .ProduceEvidenceAsync(produce.Session, produce.Nonce, produce.PcrSelection, identity.CleanMac, ct).ConfigureAwait(false);
            _tpmTicks += Stopwatch.GetTimestamp() - started;
            return core.OnEvidence(evidence, Now);
        }
        catch (NotCleanException e)
        {
            return core.OnEvidenceFailed(e.Message, notClean: true, Now);
        }
        catch (Exception e) when (e is TpmException or TpmTransportException or AgentConfigurationException or AttestationFormatException
                                      or ArgumentException)
        {
            return core.OnEvidenceFailed(e.Message, notClean: false, Now);
        }
    }

    private async Task<IReadOnlyList<AgentAction>> RotateAsync(RotateSecret rotate, CancellationToken ct)
    {
        try
        {
            using var tpm = await tpmEndpoint.ConnectAsync(ct).ConfigureAwait(false);
            var rotated = await new AgentTpm(tpm, state).RotateSecretAsync(rotate.Rotate, identity.CleanMac, ct).ConfigureAwait(false);
            return core.OnRotated(rotated, Now);
        }
        catch (Exception e) when (e is CredentialActivationException or NotCleanException or TpmException or TpmTransportException
                                      or AgentConfigurationException or IOException)
        {
            return core.OnRotationFailed(e.Message, Now);
        }
    }

    private async Task<IReadOnlyList<AgentAction>> ProveDepartureAsync(ProduceDepartProof prove, CancellationToken ct)
    {
        try
        {
            using var tpm = await tpmEndpoint.ConnectAsync(ct).ConfigureAwait(false);
            var proof = await new AgentTpm(tpm, state).ProduceDepartProofAsync(prove.Session, prove.Nonce, identity.CleanMac, ct)
                .ConfigureAwait(false);
            return core.OnDepartProof(prove.Session, proof, Now);
        }
        catch (Exception e) when (e is NotCleanException or TpmException or TpmTransportException or AgentConfigurationException)
        {
            return core.OnDepartProofFailed(e.Message, Now);
        }
    }

    /// <summary>
    /// docs/agent.md "Safety ordering": the dirty mark goes into PCR 14 first; only if that succeeded does the NIC
    /// take the dirty MAC. If the TPM cannot be reached the agent stays on the clean MAC and fails.
    /// </summary>
    private async Task LeaveCleanModeAsync(LeaveCleanMode leave, CancellationToken ct)
    {
        try
        {
            using var tpm = await tpmEndpoint.ConnectAsync(ct).ConfigureAwait(false);
            await MeasuredLaunch.ExtendDirtyMarkAsync(tpm, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TpmException or TpmTransportException)
        {
            logger.TaintFailed(e.Message);
            throw new AgentAbortException(ExitCodes.Failure);
        }

        logger.Tainted(MeasuredLaunch.DirtyMarkPcr, MeasuredLaunch.DirtyMarkEvent);
        link.Dispose();
        _linkClosed = true;
        await NicAddress.SetAsync(link.InterfaceName, identity.DirtyMac, ct).ConfigureAwait(false);
        state.SaveAdmission(null);
        logger.Dirty(identity.DirtyMac, leave.RevocationConfirmed ? "true" : "false", leave.Why);
    }
}

/// <summary>Ends a run with an exit code after the cause was logged.</summary>
public sealed class AgentAbortException(int exitCode) : Exception($"agent stopped with exit code {exitCode}")
{
    public int ExitCode { get; } = exitCode;
}
