using System.Collections.Concurrent;
using System.Security.Cryptography;
using SwitchGate.Attestation;
using SwitchGate.Attestation.Enrolment;
using SwitchGate.BootAgent.Network;
using SwitchGate.Ethernet;
using SwitchGate.Tpm.Structures;
using SwitchGate.Tpm.Verification;

namespace SwitchGate.BootAgent.Tests;

/// <summary>
/// A minimal controller for one enrolled node, on the other end of the veth: answers HELLO with CHALLENGE,
/// verifies EVIDENCE with <see cref="QuoteVerifier"/>, the golden set and the secret proof, answers DEPART,
/// and records what it decided. It is the protocol's controller side reduced to what the agent exercises.
/// </summary>
public sealed class FakeController : IDisposable
{
    private readonly PcapLink _link;
    private readonly EnrolmentRecord _record;
    private readonly QuoteVerifier _verifier;
    private readonly TpmlPcrSelection _selection;
    private readonly ushort _lease;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private ulong _session;
    private byte[]? _outstanding;
    private byte[]? _admittedNonce;
    private bool _admitted;

    public FakeController(string netns, string interfaceName, EnrolmentRecord record, ushort lease)
    {
        _record = record;
        _lease = lease;
        _verifier = new QuoteVerifier(AttestationKey.FromTpm2bPublic(record.AkPublic));
        _selection = TpmlPcrSelection.Parse(record.PcrSelection.ToString());
        _link = Netns.InNamespace(netns, () => PcapLink.Open(interfaceName));
        _loop = Task.Run(LoopAsync);
    }

    public ConcurrentQueue<string> Events { get; } = new();

    public ulong Session => _session;

    public void Send(AttestationMessage message, MacAddress? destination = null) =>
        _link.Send(AttestationFrame.Build(destination ?? _record.CleanMac, AttestationFrame.DefaultControllerSource, message));

    private async Task LoopAsync()
    {
        try
        {
            while (await _link.Frames.WaitToReadAsync(_stop.Token))
            {
                while (_link.Frames.TryRead(out var raw))
                {
                    AttestationFrameContent frame;
                    try
                    {
                        frame = AttestationFrame.Parse(raw);
                    }
                    catch (AttestationFormatException e)
                    {
                        Events.Enqueue($"malformed {e.Reason}");
                        continue;
                    }

                    if (!frame.Source.Equals(_record.CleanMac) || !frame.Destination.Equals(AttestationFrame.ControllerDestination))
                    {
                        continue; // our own frames, echoed by the capture
                    }

                    Handle(frame.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Handle(AttestationMessage message)
    {
        switch (message)
        {
            case Hello hello when hello.NodeName == _record.Node && hello.CleanMac.Equals(_record.CleanMac):
                if (!(_admitted && hello.SessionId == _session))
                {
                    _session = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)) | 1;
                    _admitted = false;
                }

                _outstanding = RandomNumberGenerator.GetBytes(32);
                Events.Enqueue($"hello session={hello.SessionId:x16}");
                Send(new Challenge(_session, _outstanding, _selection.ToBytes()));
                break;
            case Evidence evidence:
                Send(Verify(evidence));
                break;
            case Depart depart:
                if (!_admitted || depart.SessionId != _session)
                {
                    Events.Enqueue("depart unknown-session");
                    Send(Verdict.Deny(depart.SessionId, ReasonCode.UnknownSession));
                    break;
                }

                if (!DepartProven(depart))
                {
                    Events.Enqueue("depart bad-proof");
                    Send(Verdict.Deny(depart.SessionId, ReasonCode.BadSecretProof));
                    break;
                }

                _admitted = false;
                Events.Enqueue($"departed session={_session:x16}");
                Send(Verdict.Revoke(_session, ReasonCode.Departed));
                break;
        }
    }

    private Verdict Verify(Evidence evidence)
    {
        if (evidence.SessionId != _session || _outstanding is null)
        {
            return Deny(evidence.SessionId, ReasonCode.UnknownSession);
        }

        var nonce = _outstanding;
        _outstanding = null;
        var values = evidence.PcrValues.Select(v => v.ToArray()).ToList();
        var verdict = _verifier.Verify(evidence.Attest.Span, evidence.Signature.Span, nonce, _selection, values);
        if (!verdict.IsValid)
        {
            return Deny(evidence.SessionId, ReasonCode.BadSignature, verdict.ToString());
        }

        var pcrs = _record.PcrSelection.Pcrs;
        if (!_record.GoldenSets.Any(g => pcrs.Select((p, i) => g.Values[p].AsSpan().SequenceEqual(values[i])).All(x => x)))
        {
            return Deny(evidence.SessionId, ReasonCode.PcrValuesNotGolden);
        }

        using var key = AttestationProof.ImportPublicKey(_record.ProofKey)!;
        if (!AttestationProof.VerifyEvidence(key, evidence.Proof.Span, nonce, _session, _record.CleanMac))
        {
            return Deny(evidence.SessionId, ReasonCode.BadSecretProof);
        }

        var renewal = _admitted;
        _admitted = true;
        _admittedNonce = nonce;
        Events.Enqueue($"admitted session={_session:x16} renewal={renewal} reset={verdict.ClockInfo!.Value.ResetCount}");
        return Verdict.Admit(_session, _lease, renewal);
    }

    private Verdict Deny(ulong session, ReasonCode reason, string? detail = null)
    {
        Events.Enqueue($"denied {reason} {detail}");
        return Verdict.Deny(session, reason);
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        _link.Dispose();
        _verifier.Dispose();
    }

    private bool DepartProven(Depart depart)
    {
        using var key = AttestationProof.ImportPublicKey(_record.ProofKey)!;
        return AttestationProof.VerifyDepart(key, depart.Proof.Span, _admittedNonce!, _session, _record.CleanMac);
    }
}
