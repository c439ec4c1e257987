using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SwitchGate.Controller.Sessions;
using SwitchGate.Controller.Tls;
using SwitchGate.OpenFlow;

namespace SwitchGate.Controller.Tests;

/// <summary>The pure part: the bindings file and the decision "may this switch key claim this datapath id".</summary>
public sealed class SwitchBindingDecisionTests
{
    private static readonly string PinA = new('a', 64);
    private static readonly string PinB = new('b', 64);
    private static readonly string PinB2 = new('c', 64);

    [Fact]
    public void The_file_takes_comments_blank_lines_both_datapath_id_forms_and_colon_separated_pins()
    {
        var colons = string.Join(':', Enumerable.Repeat("BB", 32));
        var bindings = SwitchCertificateBindings.Parse($"""
            # rack 1
            0x0000000000000001  {PinA.ToUpperInvariant()}   # s1
            0000000000000002	{colons}
            2 {PinB2}

            """);
        Assert.Equal(2, bindings.Count);
        Assert.Equal([PinA], bindings.PinsOf(1));
        Assert.Equal([PinB, PinB2], bindings.PinsOf(2).Order());
        Assert.Empty(bindings.PinsOf(3));
        Assert.Equal([(1UL, PinA), (2UL, PinB), (2UL, PinB2)], bindings.Pairs);
    }

    [Theory]
    [InlineData("0x1", "expected 'DATAPATH-ID SPKI-SHA256', got 1 field(s)")]
    [InlineData("0x1 PIN extra", "got 3 field(s)")]
    [InlineData("0x11112222333344445 PIN", "is not a datapath id")]
    [InlineData("0x PIN", "is not a datapath id")]
    [InlineData("s1 PIN", "is not a datapath id")]
    [InlineData("1 abcd", "is not a SHA-256 digest")]
    [InlineData("1 PIN0", "is not a SHA-256 digest")]
    [InlineData("1 COLONS-MISPLACED", "is not a SHA-256 digest")]
    [InlineData("1 NOT-HEX", "is not a SHA-256 digest")]
    public void A_bad_line_is_refused_with_its_number(string line, string problem)
    {
        line = line.Replace("PIN0", PinA + "0").Replace("PIN", PinA)
            .Replace("COLONS-MISPLACED", "a" + string.Join(':', Enumerable.Repeat("aa", 32))[..94])
            .Replace("NOT-HEX", new string('g', 64));
        var e = Assert.Throws<SwitchBindingsFormatException>(() => SwitchCertificateBindings.Parse($"# header\n1 {PinA}\n{line}\n"));
        Assert.Equal(3, e.Line);
        Assert.Contains(problem, e.Message);
        Assert.StartsWith("line 3: ", e.Message);
    }

    [Fact]
    public void Only_a_bound_key_may_claim_a_datapath_id()
    {
        var bindings = SwitchCertificateBindings.Parse($"1 {PinA}\n2 {PinB}\n");
        Assert.Null(bindings.Check(1, PinA));
        Assert.Null(bindings.Check(2, PinB));
        // The attack: switch A's valid key announcing switch B's datapath id.
        var impersonation = bindings.Check(2, PinA);
        Assert.Equal($"the switch key (SPKI SHA-256 {PinA}) may not claim datapath id 0x0000000000000002: it is bound to 0x0000000000000001 only", impersonation);
        Assert.Contains("datapath id 0x0000000000000003 has no switch certificate bound to it", bindings.Check(3, PinA));
        Assert.Contains("is bound to no datapath id", bindings.Check(1, PinB2));
    }

    [Fact]
    public void One_key_for_several_bridges_and_several_keys_for_one_datapath_id_during_a_rotation()
    {
        // One ovs-vswitchd presents one certificate for all its bridges.
        var host = SwitchCertificateBindings.Parse($"1 {PinA}\n2 {PinA}\n");
        Assert.Null(host.Check(1, PinA));
        Assert.Null(host.Check(2, PinA));
        Assert.Equal([1UL, 2UL], host.DatapathIdsOf(PinA));

        // Rotation of switch 2's key: old and new listed, then the old one removed.
        var during = SwitchCertificateBindings.Parse($"2 {PinB}\n2 {PinB2}\n");
        Assert.Null(during.Check(2, PinB));
        Assert.Null(during.Check(2, PinB2));
        var after = SwitchCertificateBindings.Parse($"2 {PinB2}\n");
        Assert.NotNull(after.Check(2, PinB));
        Assert.Null(after.Check(2, PinB2));
    }

    [Fact]
    public void An_empty_file_binds_nothing_and_so_admits_nothing()
    {
        var none = SwitchCertificateBindings.Parse("# no switch yet\n");
        Assert.Equal(0, none.Count);
        Assert.NotNull(none.Check(1, PinA));
    }

    [Fact]
    public void The_pin_is_the_key_not_the_certificate()
    {
        using var ca = CertificateAuthority.Create("pin CA", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10));
        using var cert = TestPki.Issue("switch-1", ca);
        var pin = SwitchCertificateBindings.PinOf(cert);
        Assert.Matches("^[0-9a-f]{64}$", pin);
        // Renewed for the same key (a new certificate, new dates and serial): same pin.
        using var key = cert.GetRSAPrivateKey()!;
        var request = new CertificateRequest("CN=switch-1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var renewed = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(2));
        Assert.NotEqual(cert.Thumbprint, renewed.Thumbprint);
        Assert.Equal(pin, SwitchCertificateBindings.PinOf(renewed));
        using var other = TestPki.Issue("switch-1", ca);
        Assert.NotEqual(pin, SwitchCertificateBindings.PinOf(other));
    }
}

/// <summary>
/// The binding against the real listener over TLS on loopback: a switch whose certificate passes the CA check but is
/// not bound to the datapath id it announces is closed after FEATURES_REPLY, before it is registered and before any
/// policy reaches it; the switch it impersonates keeps its session; the refusal is an event and a metric; a key
/// rotation through the bindings file admits the new key without touching established sessions.
/// </summary>
public sealed class SwitchBindingTests : IDisposable
{
    private const ulong DpidA = 0x7152_0000_0000_000a, DpidB = 0x7152_0000_0000_000b;
    private readonly TestPki _pki = new();
    private readonly X509Certificate2 _certA, _certB;
    private string BindingsPath => Path.Combine(_pki.Directory, "switch-bindings");

    public SwitchBindingTests()
    {
        _certA = TestPki.Issue("switch-a", _pki.Ca);
        _certB = TestPki.Issue("switch-b", _pki.Ca);
        WriteBindings((DpidA, _certA), (DpidB, _certB));
    }

    public void Dispose()
    {
        _certA.Dispose();
        _certB.Dispose();
        _pki.Dispose();
    }

    private void WriteBindings(params (ulong Dpid, X509Certificate2 Cert)[] bindings)
    {
        File.WriteAllText(BindingsPath, "# datapath id, SPKI SHA-256\n" + string.Concat(bindings.Select(b => $"0x{b.Dpid:x16} {SwitchCertificateBindings.PinOf(b.Cert)}\n")));
        // A new write time for sure even on a coarse clock: the reload compares size and write time.
        File.SetLastWriteTimeUtc(BindingsPath, DateTime.UtcNow.AddSeconds(Random.Shared.Next(5, 500)));
    }

    private TestController Start() => TestController.Start(o => o.Tls = _pki.Options with { SwitchBindingsPath = BindingsPath });

    private Task<FakeSwitch> ConnectAsync(TestController controller, ulong dpid, X509Certificate2 cert) =>
        TestPki.ConnectAsync(controller.EndPoint, dpid, TestPki.AsSwitch(cert, _pki.Ca.Certificate));

    [Fact]
    public async Task A_valid_certificate_of_switch_a_cannot_take_the_datapath_id_of_switch_b()
    {
        await using var controller = Start();
        var refusals = new List<SwitchRefusal>();
        controller.Registry.SwitchRefused += r => { lock (refusals) refusals.Add(r); };
        using var counted = new RefusalCounter();

        await using var realB = await ConnectAsync(controller, DpidB, _certB);
        var sessionB = await controller.WaitForReadyAsync(DpidB);

        // Switch A's certificate chains to the CA (the TLS handshake succeeds); it announces B's datapath id.
        await using var impostor = await ConnectAsync(controller, DpidB, _certA);
        await impostor.ClosedByPeer.WaitAsync(TimeSpan.FromSeconds(20));
        await controller.Logs.WaitForAsync("datapath id refused");

        Assert.True(controller.Logs.Contains($"may not claim datapath id 0x{DpidB:x16}: it is bound to 0x{DpidA:x16} only"), controller.Logs.ToString());
        Assert.True(controller.Logs.Contains("session closed in state AwaitingFeatures"), controller.Logs.ToString());
        // Nothing beyond the handshake reached the impostor: no SET_CONFIG, no port description request, no flow.
        Assert.DoesNotContain(impostor.Received, m => m is SetConfig or MultipartRequest or FlowMod or BarrierRequest);
        // The real switch B keeps its session: the impostor was never registered, so it replaced nothing.
        Assert.True(controller.Registry.TryGet(DpidB, out var still));
        Assert.Same(sessionB, still);
        Assert.Equal(SessionState.Ready, still.State);
        await sessionB.SendBatchAsync([]);

        var refusal = Assert.Single(refusals);
        Assert.Equal(DpidB, refusal.DatapathId);
        Assert.Equal(SwitchCertificateBindings.PinOf(_certA), refusal.CertificatePin);
        Assert.Contains("CN=switch-a", refusal.CertificateSubject);
        Assert.Equal(1, counted.Total);
    }

    [Fact]
    public async Task The_right_pairing_is_admitted_and_an_unlisted_datapath_id_is_not()
    {
        await using var controller = Start();
        await using var a = await ConnectAsync(controller, DpidA, _certA);
        await controller.WaitForReadyAsync(DpidA);
        Assert.False(controller.Logs.Contains("not bound to datapath ids"));

        await using var unlisted = await ConnectAsync(controller, 0x7152_0000_0000_00ff, _certA);
        await unlisted.ClosedByPeer.WaitAsync(TimeSpan.FromSeconds(20));
        await controller.Logs.WaitForAsync("has no switch certificate bound to it");
        Assert.False(controller.Registry.TryGet(0x7152_0000_0000_00ff, out _));
    }

    [Fact]
    public async Task A_key_rotation_through_the_bindings_file_keeps_sessions_and_admits_the_new_key()
    {
        await using var controller = Start();
        await using var before = await ConnectAsync(controller, DpidB, _certB);
        var session = await controller.WaitForReadyAsync(DpidB);

        // Switch B's new key is not listed yet: refused.
        using var newB = TestPki.Issue("switch-b-2026", _pki.Ca);
        await using (var early = await ConnectAsync(controller, DpidB, newB))
        {
            await early.ClosedByPeer.WaitAsync(TimeSpan.FromSeconds(20));
        }
        await controller.Logs.WaitForAsync("datapath id refused");

        // The operator lists both keys for B; the switch moves to its new certificate and reconnects.
        WriteBindings((DpidA, _certA), (DpidB, _certB), (DpidB, newB));
        Assert.True(controller.Listener.Tls!.ReloadIfChanged());
        Assert.Null(controller.Listener.Tls.CheckDatapathId(DpidB, _certB));
        // Replacing the file touched no session.
        Assert.Equal(SessionState.Ready, session.State);
        await session.SendBatchAsync([]);
        await using var after = await ConnectAsync(controller, DpidB, newB);
        SwitchSession? newSession = null;
        await Eventually.TrueAsync(() => controller.Registry.TryGet(DpidB, out newSession) && !ReferenceEquals(newSession, session)
            && newSession.State == SessionState.Ready, TimeSpan.FromSeconds(20), $"the new key was not admitted; log: {controller.Logs}");

        // Then the old key is dropped from the file: a reconnect with it is refused, the new session stays.
        WriteBindings((DpidA, _certA), (DpidB, newB));
        Assert.True(controller.Listener.Tls.ReloadIfChanged());
        Assert.NotNull(controller.Listener.Tls.CheckDatapathId(DpidB, _certB));
        Assert.Null(controller.Listener.Tls.CheckDatapathId(DpidB, newB));
        Assert.True(controller.Registry.TryGet(DpidB, out var current));
        Assert.Same(newSession, current);
        Assert.Equal(SessionState.Ready, current.State);
    }

    [Fact]
    public async Task A_broken_bindings_file_keeps_the_previous_bindings()
    {
        await using var controller = Start();
        File.WriteAllText(BindingsPath, "0x1 not-a-digest\n");
        File.SetLastWriteTimeUtc(BindingsPath, DateTime.UtcNow.AddSeconds(1000));
        Assert.False(controller.Listener.Tls!.ReloadIfChanged());
        Assert.True(controller.Logs.Contains("line 1: 'not-a-digest' is not a SHA-256 digest"), controller.Logs.ToString());
        await using var a = await ConnectAsync(controller, DpidA, _certA);
        await controller.WaitForReadyAsync(DpidA);
    }

    [Fact]
    public async Task Tls_without_bindings_and_plaintext_say_that_datapath_ids_are_not_bound()
    {
        await using (var unbound = TestController.Start(o => o.Tls = _pki.Options))
            Assert.True(unbound.Logs.Contains("Warning: switch certificates are not bound to datapath ids"), unbound.Logs.ToString());
        await using var plaintext = TestController.Start();
        Assert.True(plaintext.Logs.Contains("datapath ids are not bound to anything"), plaintext.Logs.ToString());
    }

    [Fact]
    public void A_bindings_file_that_does_not_parse_fails_the_options()
    {
        File.WriteAllText(BindingsPath, $"0x1 {new string('a', 64)}\nswitch-2 {new string('b', 64)}\n");
        var e = Assert.Throws<InvalidDataException>(() => ControllerTls.CheckFiles(_pki.Options with { SwitchBindingsPath = BindingsPath }));
        Assert.Contains("switch certificate bindings", e.Message);
        Assert.Contains("line 2: 'switch-2' is not a datapath id", e.Message);
        var missing = new ControllerOptions { Tls = _pki.Options with { SwitchBindingsPath = "/nonexistent/bindings" } }.Validate();
        Assert.Contains(missing, p => p.Contains("switch certificate bindings: '/nonexistent/bindings' does not exist"));
    }

    /// <summary>Counts <see cref="ControllerMetrics.SwitchIdentityRefusals"/> while alive (other tests may count too: only this listener's own).</summary>
    private sealed class RefusalCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _total;

        public RefusalCounter()
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                // By name: the callback may run inside ControllerMetrics' static initializer, before its fields are set.
                if (instrument.Meter.Name == ControllerMetrics.MeterName && instrument.Name == "switchgate_switch_identity_refusals")
                    l.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _total, value));
            _listener.Start();
        }

        public long Total => Interlocked.Read(ref _total);

        public void Dispose() => _listener.Dispose();
    }
}
