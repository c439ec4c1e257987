using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SwitchGate.Controller;
using SwitchGate.Controller.Sessions;
using SwitchGate.Ethernet;
using SwitchGate.OpenFlow;

namespace SwitchGate.LoadGen;

internal sealed record PolicyInstallOptions(string Bridge, int Flows, int Rounds)
{
    public static PolicyInstallOptions Parse(Args a)
    {
        var o = new PolicyInstallOptions(
            a.OptionalString("--bridge") ?? throw new UsageException("--bridge is required (an OVS bridge whose controller this program may set)"),
            a.Int("--flows", 100_000, 1, 10_000_000),
            a.Int("--rounds", 3, 1, 20));
        a.EnsureAllUsed();
        return o;
    }
}

/// <summary>
/// Policy install into a real Open vSwitch bridge: N flow-mods confirmed by a barrier, measured two ways in
/// alternating rounds on the same bridge:
/// <list type="bullet">
/// <item>raw ceiling: the flow-mods pre-encoded back to back in one buffer, written on a plain socket with ONE
///   barrier at the end; time from the first byte written to the BARRIER_REPLY;</item>
/// <item>SwitchGate: the controller library hosted in-process (the production DI setup,
///   <see cref="ControllerServiceCollectionExtensions.AddSwitchGateController"/>); after the switch's cold start,
///   time of <see cref="SwitchSession.SendBatchAsync"/> with the same flow-mods (it encodes them, tracks xids and
///   completes on the BARRIER_REPLY).</item>
/// </list>
/// Both verify with an OFPMP_AGGREGATE request that the switch holds exactly N flows with our cookie.
/// The caller creates and deletes the bridge; this program only points its controller at itself.
/// </summary>
internal static class PolicyInstall
{
    /// <summary>Cookie tag "PG" (policy gate) in the top 16 bits, so the flows can be counted and deleted by cookie.</summary>
    private const ulong CookieTag = 0x5047_0000_0000_0000;
    private const ulong CookieTagMask = 0xFFFF_0000_0000_0000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(PolicyInstallOptions o)
    {
        // Gate-admission-like flows: table 0, eth_src=M → goto table 1.
        var flowMods = new OfpMessage[o.Flows];
        for (int i = 0; i < o.Flows; i++)
        {
            flowMods[i] = new FlowMod
            {
                Cookie = CookieTag | (uint)i,
                TableId = 0,
                Command = FlowModCommand.Add,
                Priority = 1000,
                BufferId = OfpBuffer.NoBuffer,
                Match = Match.Of(Oxm.EthSrc(new MacAddress(0x0200_0000_0000UL | (uint)i))),
                Instructions = [new InstructionGotoTable(1)],
            };
        }
        var raw = new List<double>();
        var sg = new List<double>();
        for (int round = 1; round <= o.Rounds; round++)
        {
            double r = await RawRoundAsync(o, flowMods);
            raw.Add(r);
            Console.WriteLine($"  round {round}: raw socket     {o.Flows:N0} flow-mods + barrier in {r * 1000,8:0.0} ms = {o.Flows / r,10:N0} flow-mods/s");
            double s = await SwitchGateRoundAsync(o, flowMods);
            sg.Add(s);
            Console.WriteLine($"  round {round}: SwitchGate API {o.Flows:N0} flow-mods + barrier in {s * 1000,8:0.0} ms = {o.Flows / s,10:N0} flow-mods/s");
        }
        double rawMedian = Median(raw), sgMedian = Median(sg);
        Console.WriteLine($"sg-loadgen policy-install: bridge={o.Bridge} flows={o.Flows:N0} rounds={o.Rounds}");
        Console.WriteLine($"  raw ceiling (back to back, one barrier): median {rawMedian * 1000:0.0} ms = {o.Flows / rawMedian:N0} flow-mods/s");
        Console.WriteLine($"  SwitchGate SendBatchAsync:              median {sgMedian * 1000:0.0} ms = {o.Flows / sgMedian:N0} flow-mods/s");
        Console.WriteLine($"  SwitchGate / ceiling: {100 * rawMedian / sgMedian:0}% of the ceiling's rate (target >= 80%)");
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"RESULT label=policy-install flows={o.Flows} rounds={o.Rounds} raw_ms_median={rawMedian * 1000:0.0} raw_per_s={o.Flows / rawMedian:0} sg_ms_median={sgMedian * 1000:0.0} sg_per_s={o.Flows / sgMedian:0} sg_pct_of_ceiling={100 * rawMedian / sgMedian:0.0}"));
        return 0;
    }

    private static async Task<double> RawRoundAsync(PolicyInstallOptions o, OfpMessage[] flowMods)
    {
        using var listener = RawController.Listen(out int port);
        await SetControllerAsync(o.Bridge, port);
        await using var sw = await RawController.AcceptAsync(listener, Timeout);
        await DeleteOursAsync(sw);

        // The ceiling: encoded before the clock starts, xids 2.. (1 was FEATURES), the barrier last.
        int total = flowMods.Sum(OfpCodec.GetLength) + OfpConstants.HeaderLength;
        var bytes = new byte[total];
        int offset = 0;
        uint xid = 2;
        foreach (var m in flowMods)
            offset += OfpCodec.Encode(m with { Xid = xid++ }, bytes.AsSpan(offset));
        uint barrierXid = xid;
        offset += OfpCodec.Encode(new BarrierRequest { Xid = barrierXid }, bytes.AsSpan(offset));

        var clock = Stopwatch.StartNew();
        var send = sw.SendAsync(bytes);
        var reply = await sw.NextAsync<BarrierReply>(Timeout);
        double seconds = clock.Elapsed.TotalSeconds;
        await send;
        if (reply.Xid != barrierXid)
            throw new InvalidOperationException($"barrier reply xid {reply.Xid}, expected {barrierXid}");
        await VerifyAsync(sw, flowMods.Length);
        await DeleteOursAsync(sw);
        return seconds;
    }

    private static async Task<double> SwitchGateRoundAsync(PolicyInstallOptions o, OfpMessage[] flowMods)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddSimpleConsole(c => c.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        services.AddSwitchGateController(new ControllerOptions { ListenAddress = System.Net.IPAddress.Loopback, Port = 0 });
        await using var provider = services.BuildServiceProvider();
        var listener = provider.GetRequiredService<OpenFlowListener>();
        var registry = provider.GetRequiredService<SwitchRegistry>();
        var ready = new TaskCompletionSource<SwitchSession>(TaskCreationOptions.RunContinuationsAsynchronously);
        registry.SwitchReady += s => ready.TrySetResult(s);
        var endpoint = listener.Start();
        try
        {
            await SetControllerAsync(o.Bridge, endpoint.Port);
            var session = await ready.Task.WaitAsync(Timeout);

            var clock = Stopwatch.StartNew();
            await session.SendBatchAsync(flowMods).WaitAsync(Timeout);
            double seconds = clock.Elapsed.TotalSeconds;

            var reply = await session.RequestAsync(new MultipartRequest(new AggregateStatsRequest { Cookie = CookieTag, CookieMask = CookieTagMask })).WaitAsync(Timeout);
            uint count = reply is MultipartReply { Body: AggregateStatsReply a } ? a.FlowCount : throw new InvalidOperationException($"unexpected reply {reply}");
            if (count != flowMods.Length)
                throw new InvalidOperationException($"switch holds {count} of our flows after the batch, expected {flowMods.Length}");
            return seconds;
        }
        finally
        {
            await listener.StopAsync();
        }
    }

    private static async Task VerifyAsync(RawController sw, int expected)
    {
        await sw.SendAsync(OfpCodec.Encode(new MultipartRequest(new AggregateStatsRequest { Cookie = CookieTag, CookieMask = CookieTagMask }) { Xid = 0x7000_0001 }));
        var reply = await sw.NextAsync<MultipartReply>(Timeout);
        if (reply.Body is not AggregateStatsReply a || a.FlowCount != expected)
            throw new InvalidOperationException($"switch holds {(reply.Body as AggregateStatsReply)?.FlowCount} of our flows, expected {expected}");
    }

    /// <summary>Deletes every flow with our cookie tag (§7.3.4.2: cookie/mask restrict a delete) and waits for the barrier.</summary>
    private static async Task DeleteOursAsync(RawController sw)
    {
        var delete = new FlowMod
        {
            Cookie = CookieTag,
            CookieMask = CookieTagMask,
            TableId = OfpTable.All,
            Command = FlowModCommand.Delete,
            Xid = 0x7000_0002,
        };
        await sw.SendAsync((byte[])[.. OfpCodec.Encode(delete), .. OfpCodec.Encode(new BarrierRequest { Xid = 0x7000_0003 })]);
        await sw.NextAsync<BarrierReply>(Timeout);
    }

    private static async Task SetControllerAsync(string bridge, int port)
    {
        var psi = new ProcessStartInfo("ovs-vsctl") { RedirectStandardError = true };
        foreach (var a in new[] { "--timeout=10", "set-controller", bridge, $"tcp:127.0.0.1:{port}" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"ovs-vsctl set-controller {bridge} failed: {error.Trim()}");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }
}
