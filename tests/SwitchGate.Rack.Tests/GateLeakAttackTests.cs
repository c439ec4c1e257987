using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SwitchGate.Attestation;
using SwitchGate.Ethernet;
using SwitchGate.Topology;

namespace SwitchGate.Rack.Tests;

/// <summary>
/// The leaks of issue 8 as attacks on the rack, with real frames (AF_PACKET in the namespaces) and OVS's own counters:
/// a gated port hears nothing, attestation frames never cross in any tag stack, the production host cannot be
/// impersonated, forged frames cannot revoke, unenrolled boot-server ports are closed, denial floods are aggregated.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "ovs")]
[Trait("Requires", "swtpm")]
public sealed class GateLeakAttackTests
{
    private const string H1Mac = "02:00:00:00:00:01", ProdMac = "02:00:00:00:00:0a";
    private const string ProdIp = "10.0.0.100", Bs1Ip = "10.0.0.11";
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(700);

    /// <summary>One frame of every flooded kind from h1, each with a marker octet after the header.</summary>
    private static byte[][] FloodFrames(byte round) =>
    [
        RawFrames.Ethernet("ff:ff:ff:ff:ff:ff", H1Mac, 0x0800, [0xF1, round]),       // IPv4-typed broadcast
        RawFrames.Ethernet("01:00:5e:00:00:fb", H1Mac, 0x0800, [0xF2, round]),       // multicast
        RawFrames.Ethernet("02:00:00:00:99:99", H1Mac, 0x88B6, [0xF3, round]),       // unknown unicast
        RawFrames.Ethernet("ff:ff:ff:ff:ff:ff", H1Mac, 0x0806, Arp(1, H1Mac, "10.0.0.1", "00:00:00:00:00:00", "10.0.0.250")), // broadcast ARP
    ];

    private static bool FromH1(byte[] f) => f.AsSpan(6, 6).SequenceEqual(RawFrames.Mac(H1Mac));

    private static byte[] Arp(ushort op, string sha, string spa, string tha, string tpa)
    {
        var p = new byte[28];
        BinaryPrimitives.WriteUInt16BigEndian(p, 1);           // htype Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), 0x0800);
        p[4] = 6;
        p[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), op);
        RawFrames.Mac(sha).CopyTo(p, 8);
        IPAddress.Parse(spa).GetAddressBytes().CopyTo(p, 14);
        RawFrames.Mac(tha).CopyTo(p, 18);
        IPAddress.Parse(tpa).GetAddressBytes().CopyTo(p, 24);
        return p;
    }

    private static bool IsArp(byte[] f) => f[12] == 0x08 && f[13] == 0x06 && f.Length >= 42;

    /// <summary>h1 floods; returns how many packets OVS sent out of <paramref name="victim"/>'s port meanwhile, and checks the flood really flooded (prod heard it).</summary>
    private static async Task<ulong> FloodAsync(RackFixture rack, string victim, byte round)
    {
        using var control = FrameSniffer.On(rack, "prod", FromH1);
        var before = await rack.TxPacketsToAsync(victim);
        rack.SendFrames("h1", FloodFrames(round));
        await Task.Delay(Settle);
        var after = await rack.TxPacketsToAsync(victim);
        Assert.True(control.RawFrames.Count >= 4, $"prod (an ordinary port) heard {control.RawFrames.Count} of h1's 4 flooded frames");
        return after - before;
    }

    [Fact]
    public async Task A_gated_port_hears_no_flood_before_admission_and_only_broadcast_ARP_and_its_own_frames_after()
    {
        await using var rack = await RackFixture.StartAsync(leaseSeconds: 30, enrol: false);
        string bs1Port = rack.Spec.LinkOf("bs1").Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var bs1 = FrameSniffer.On(rack, "bs1", FromH1);
        using var bs2 = FrameSniffer.On(rack, "bs2", FromH1);

        // 1. Unenrolled boot-server ports: closed both ways and deaf.
        Assert.Equal(0UL, await FloodAsync(rack, "bs1", 1));
        Assert.Empty(bs1.RawFrames);
        var closed = await rack.Table0PacketsAsync(590, $"in_port={bs1Port}");
        Assert.False((await rack.PingAsync("bs1", "prod")).Succeeded);
        Assert.True(await rack.Table0PacketsAsync(590, $"in_port={bs1Port}") > closed, "the closed-port flow counted bs1's frames");
        Assert.False((await rack.PingAsync("h1", "bs1")).Succeeded);

        // 2. Enrolled but not admitted: still deaf.
        await rack.EnrolAsync("bs1", "bs2");
        Assert.Equal(0UL, await FloodAsync(rack, "bs1", 2));
        Assert.Empty(bs1.RawFrames);

        // 3. Admitted: broadcast ARP reaches it (so the rack can resolve its address), nothing else that is flooded does.
        var attest = await rack.AttestOnceAsync("bs1");
        Assert.True(attest.Succeeded, attest + rack.ControllerOutput());
        Assert.True(await FloodAsync(rack, "bs1", 3) > 0);
        var heard = bs1.RawFrames;
        Assert.NotEmpty(heard);
        Assert.All(heard, f => Assert.True(IsArp(f) && f.AsSpan(0, 6).IndexOfAnyExcept((byte)0xFF) < 0,
            $"bs1 heard a flooded frame that is not broadcast ARP: {Convert.ToHexString(f.AsSpan(0, 16))}"));

        // Its ordinary traffic works both ways, TCP included...
        Assert.True((await rack.PingAsync("prod", "bs1")).Succeeded, "prod resolves and reaches the admitted boot server");
        Assert.True((await rack.PingAsync("bs1", "prod")).Succeeded);
        Assert.Equal("image chunk", await NetnsTcp.EchoAsync(rack, server: "bs1", client: "prod", IPAddress.Parse(Bs1Ip), "image chunk"));
        // ...and frames addressed to its clean MAC reach it (once forwarding has learned the MAC from its own frames:
        // unknown unicast is flooded, and floods never reach a boot server).
        rack.SendFrames("h1", RawFrames.Ethernet(rack.BootServer("bs1").CleanMac.ToString(), H1Mac, 0x88B6, [0xF4]));
        await Task.Delay(Settle);
        Assert.Contains(bs1.RawFrames, f => f[12] == 0x88 && f[13] == 0xB6 && f[14] == 0xF4);

        // bs2 (enrolled, not admitted) heard nothing of all this.
        Assert.Empty(bs2.RawFrames);
    }

    /// <summary>An attestation frame from h1 with <paramref name="tags"/> (TPID, VID) pushed in front of its EtherType.</summary>
    private static byte[] Tagged(string destination, params (ushort Tpid, ushort Vid)[] tags)
    {
        var plain = AttestationFrame.Build(MacAddress.Parse(destination),
            MacAddress.Parse(H1Mac),
            new Hello(0, "bs1", MacAddress.Parse("02-00-00-00-0B-01")));
        var frame = new byte[plain.Length + 4 * tags.Length];
        plain.AsSpan(0, 12).CopyTo(frame);
        for (int i = 0; i < tags.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12 + 4 * i), tags[i].Tpid);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 4 * i), tags[i].Vid);
        }
        plain.AsSpan(12).CopyTo(frame.AsSpan(12 + 4 * tags.Length));
        return frame;
    }

    /// <summary>True if 0x88B5 is the EtherType behind any number of tags (the receiver's NIC may have stripped some).</summary>
    private static bool CarriesAttestation(byte[] f) =>
        EthernetHeader.TryReadInnerEtherType(f, out var type, out _) && type == AttestationFrame.EtherType;

    [Fact]
    public async Task Attestation_frames_in_any_tag_stack_are_never_forwarded_between_hosts()
    {
        await using var rack = await RackFixture.StartAsync(leaseSeconds: 30);
        using var prod = FrameSniffer.On(rack, "prod", FromH1);
        (ushort, ushort)[][] stacks =
        [
            [(0x8100, 5)],
            [(0x88A8, 5)],
            [(0x9100, 5)],
            [(0x88A8, 5), (0x8100, 6)],
            [(0x8100, 5), (0x8100, 6)],
            [(0x88A8, 5), (0x8100, 6), (0x8100, 7)],
        ];
        var stackDrops = await rack.Table0PacketsAsync(990);
        foreach (var destination in new[] { ProdMac, "ff:ff:ff:ff:ff:ff", "01:80:c2:00:00:0e" })
            rack.SendFrames("h1", stacks.Select(s => Tagged(destination, s)).ToArray());
        // Positive control: an ordinary frame from h1 to prod arrives.
        rack.SendFrames("h1", RawFrames.Ethernet(ProdMac, H1Mac, 0x88B6, [0xC0]));
        await Task.Delay(Settle);

        Assert.Contains(prod.RawFrames, f => f[12] == 0x88 && f[13] == 0xB6);
        var leaked = prod.RawFrames.Where(CarriesAttestation).ToList();
        Assert.True(leaked.Count == 0, $"prod received {leaked.Count} tagged attestation frames: "
            + string.Join(' ', leaked.Select(f => Convert.ToHexString(f.AsSpan(0, 24)))));
        // The stacks OVS does not parse to 0x88B5 (deeper than vlan-limit, or 0x9100) were dropped by the priority-990 flows.
        Assert.True(await rack.Table0PacketsAsync(990) >= stackDrops + 3 * 4, "the VLAN-stack drop flows counted the frames");
    }

    [Fact]
    public async Task The_production_host_cannot_be_impersonated_and_keeps_working()
    {
        await using var rack = await RackFixture.StartAsync(leaseSeconds: 30);
        var attest = await rack.AttestOnceAsync("bs1");
        Assert.True(attest.Succeeded, attest + rack.ControllerOutput());
        Assert.True((await rack.PingAsync("bs1", "prod")).Succeeded);
        string clean = rack.BootServer("bs1").CleanMac.ToString();
        string h1Port = rack.Spec.LinkOf("h1").Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // h1 sends with prod's MAC: dropped in table 0 (priority 700), so the learning table never moves prod to h1's port.
        var spoofDrops = await rack.DroppedAsync("dl_src", ProdMac);
        rack.SendFrames("h1", Enumerable.Range(0, 5).Select(_ => RawFrames.Ethernet(clean, ProdMac, 0x0800, new byte[46])).ToArray());
        await Task.Delay(Settle);
        Assert.True(await rack.DroppedAsync("dl_src", ProdMac) >= spoofDrops + 5);
        var flows = await rack.FlowsAsync();
        // Forwarding's eth_src table (2, behind the gate's two tables) never learned prod's MAC on h1's port.
        Assert.DoesNotContain(flows, f => f.Table == 2 && f.Matches("dl_src", ProdMac) && f.Matches("in_port", h1Port));
        Assert.True((await rack.PingAsync("bs1", "prod")).Succeeded, "bs1 still reaches the real prod");

        // ARP poisoning from h1's own MAC: "10.0.0.100 is at h1" as a reply to bs1 and as a gratuitous broadcast.
        using var bs1 = FrameSniffer.On(rack, "bs1", f => IsArp(f) && f.AsSpan(22, 6).SequenceEqual(RawFrames.Mac(H1Mac)));
        var arpDrops = await rack.Table0PacketsAsync(880);
        rack.SendFrames("h1",
            RawFrames.Ethernet(clean, H1Mac, 0x0806, Arp(2, H1Mac, ProdIp, clean, Bs1Ip)),
            RawFrames.Ethernet("ff:ff:ff:ff:ff:ff", H1Mac, 0x0806, Arp(1, H1Mac, ProdIp, "00:00:00:00:00:00", ProdIp)),
            RawFrames.Ethernet(clean, H1Mac, 0x0806, Arp(2, H1Mac, Bs1Ip, clean, Bs1Ip)));
        await Task.Delay(Settle);
        Assert.True(bs1.RawFrames.Count == 0, $"bs1 received {bs1.RawFrames.Count} forged ARP frames claiming a locked address");
        Assert.True(await rack.Table0PacketsAsync(880) >= arpDrops + 3, "the locked-address ARP drops counted the forgeries");
        var neighbour = await rack.Topology.ExecAsync("bs1", ["ip", "neigh", "show", ProdIp]);
        Assert.DoesNotContain(H1Mac, neighbour.StandardOutput);

        // The locked production host keeps working: ping and TCP from the admitted boot server and from an ordinary host.
        Assert.True((await rack.PingAsync("bs1", "prod")).Succeeded);
        Assert.True((await rack.PingAsync("h1", "prod")).Succeeded);
        Assert.Equal("second image", await NetnsTcp.EchoAsync(rack, server: "prod", client: "bs1", IPAddress.Parse(ProdIp), "second image"));
        Assert.Equal("from h1", await NetnsTcp.EchoAsync(rack, server: "prod", client: "h1", IPAddress.Parse(ProdIp), "from h1"));
    }

    [Fact]
    public async Task A_forged_HELLO_and_garbage_EVIDENCE_from_the_link_do_not_revoke_the_admission()
    {
        await using var rack = await RackFixture.StartAsync(leaseSeconds: 30);
        var node = rack.BootServer("bs1");
        var attest = await rack.AttestOnceAsync("bs1");
        Assert.True(attest.Succeeded, attest + rack.ControllerOutput());
        var admitted = rack.AuditEntries().Last(e => e.TryGetProperty("verdict", out var v) && v.GetString() == "admitted");
        ulong session = ulong.Parse(admitted.GetProperty("session").GetString()!, System.Globalization.NumberStyles.HexNumber);
        int verdictsBefore = rack.Verdicts("bs1").Count;

        // Someone on bs1's link: a renewal HELLO with the admitted session, then an EVIDENCE whose quote is garbage.
        rack.SendFrames("bs1", AttackSupport.HelloFrame(node, session));
        await Task.Delay(500);
        rack.SendFrames("bs1", AttackSupport.AgentFrame(node.CleanMac, new Evidence(session, new byte[40], new byte[10], [new byte[32]], new byte[Limits.ProofLength])));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (rack.Verdicts("bs1").Count == verdictsBefore && DateTime.UtcNow < deadline) await Task.Delay(100);
        await Task.Delay(500);

        var after = rack.Verdicts("bs1").Skip(verdictsBefore).ToList();
        Assert.Equal(["denied/EvidenceMalformed"], after);
        Assert.Equal(2, (await rack.AdmissionFlowsAsync("bs1")).Count(f => f.Priority == 800));
        Assert.True((await rack.PingAsync("bs1", "prod")).Succeeded, "the admission still forwards");
    }

    [Fact]
    public async Task A_flood_of_denials_is_audited_once_per_window_with_a_count_while_another_node_is_admitted()
    {
        // The default window (10 s) spans the whole flood.
        await using var rack = await RackFixture.StartAsync(leaseSeconds: 10, extraControllerArgs: ["--meter-rate", "1000", "--meter-burst", "1000"]);
        var node = rack.BootServer("bs1");
        // HELLOs naming bs1 with a CLEAN_MAC that is not its own: each one is denied CleanMacMismatch.
        var wrong = AttackSupport.AgentFrame(node.CleanMac, new Hello(0, "bs1", new MacAddress(0x0200_0000_0E01UL)));
        var flood = Task.Run(async () =>
        {
            for (int i = 0; i < 6; i++)
            {
                rack.SendFrames("bs1", Enumerable.Repeat(wrong, 100).ToArray());
                await Task.Delay(500);
            }
        });
        var attest = await rack.AttestOnceAsync("bs2");
        await flood;
        Assert.True(attest.Succeeded, attest + rack.ControllerOutput());

        // The window closes on the controller's one-second tick after 10 s: wait for the aggregated record.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        long Aggregated() => rack.AuditEntries().Where(e => e.GetProperty("event").GetString() == "denials_aggregated")
            .Sum(e => e.GetProperty("count").GetInt64());
        long one = 0;
        while (DateTime.UtcNow < deadline)
        {
            one = rack.AuditEntries().Count(e => e.GetProperty("event").GetString() == "verdict" && e.TryGetProperty("reason", out var r) && r.GetString() == "CleanMacMismatch");
            if (one + Aggregated() >= 300 && rack.AuditEntries()[^1].GetProperty("event").GetString() == "denials_aggregated") break;
            await Task.Delay(250);
        }
        var lines = rack.AuditEntries().Where(e => e.TryGetProperty("reason", out var r) && r.GetString() == "CleanMacMismatch").ToList();
        Assert.True(one + Aggregated() >= 300, $"{one} audited + {Aggregated()} aggregated denials of 600 HELLOs");
        // 600 denials in about 3 s, one window: one audited denial plus one aggregated record.
        Assert.True(lines.Count <= 2, $"{lines.Count} audit records for the flood:\n{string.Join('\n', lines)}");
        Assert.Contains(lines, e => e.GetProperty("event").GetString() == "denials_aggregated" && e.GetProperty("verdict").GetString() == "denied"
            && e.GetProperty("node").GetString() == "bs1" && e.GetProperty("count").GetInt64() > 0);
    }
}

/// <summary>A TCP echo between two namespaces: each side on its own thread that joined its namespace (sockets stay in the namespace they were created in).</summary>
internal static class NetnsTcp
{
    public static async Task<string> EchoAsync(RackFixture rack, string server, string client, IPAddress address, string message)
    {
        int port = Random.Shared.Next(20_000, 30_000);
        using var listening = new ManualResetEventSlim();
        Exception? serverFailure = null;
        var serverThread = new Thread(() =>
        {
            try
            {
                FrameSniffer.JoinNamespace(rack.Topology.Names.Namespace(server));
                using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                listener.Bind(new IPEndPoint(IPAddress.Any, port));
                listener.Listen(1);
                listening.Set();
                if (!listener.Poll(TimeSpan.FromSeconds(15), SelectMode.SelectRead))
                    throw new TimeoutException("no connection within 15 s");
                using var connection = listener.Accept();
                connection.ReceiveTimeout = 15_000;
                var buffer = new byte[1024];
                int n = connection.Receive(buffer);
                connection.Send(buffer.AsSpan(0, n));
                connection.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e)
            {
                serverFailure = e;
                listening.Set();
            }
        });
        serverThread.Start();
        listening.Wait(TimeSpan.FromSeconds(10));
        string? answer = null;
        Exception? clientFailure = null;
        var clientThread = new Thread(() =>
        {
            try
            {
                FrameSniffer.JoinNamespace(rack.Topology.Names.Namespace(client));
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 15_000 };
                if (!socket.ConnectAsync(new IPEndPoint(address, port)).Wait(TimeSpan.FromSeconds(15)))
                    throw new TimeoutException($"no TCP connection to {address}:{port} within 15 s");
                socket.Send(Encoding.UTF8.GetBytes(message));
                var buffer = new byte[1024];
                int n = socket.Receive(buffer);
                answer = Encoding.UTF8.GetString(buffer, 0, n);
            }
            catch (Exception e)
            {
                clientFailure = e;
            }
        });
        clientThread.Start();
        await Task.Run(() => { clientThread.Join(); serverThread.Join(TimeSpan.FromSeconds(20)); });
        if (clientFailure is not null || serverFailure is not null)
            throw new InvalidOperationException($"TCP {client} -> {server} {address}:{port}: client {clientFailure?.Message}, server {serverFailure?.Message}");
        return answer!;
    }
}
