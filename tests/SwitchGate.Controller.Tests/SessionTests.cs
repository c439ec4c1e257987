using System.Buffers.Binary;
using SwitchGate.Controller.Forwarding;
using SwitchGate.Controller.Pipeline;
using SwitchGate.Controller.Sessions;
using SwitchGate.Ethernet;
using SwitchGate.OpenFlow;

namespace SwitchGate.Controller.Tests;

/// <summary>Sessions against fake switches on loopback TCP, through the production codec.</summary>
public sealed class SessionTests
{
    [Fact]
    public async Task Handshake_then_cold_start_in_order_then_ready()
    {
        await using var controller = TestController.Start();
        await using var sw = await FakeSwitch.ConnectAsync(controller.EndPoint, 0x42);
        var session = await controller.WaitForReadyAsync(0x42);

        Assert.Equal("0x0000000000000042", session.DatapathIdText);
        Assert.Equal([1u, 2u, 3u], session.PortsSnapshot().Select(p => p.PortNo));
        Assert.True(await session.Ready);
        await controller.Logs.WaitForAsync("switch 0x0000000000000042 ready");

        var got = sw.Received;
        int i = 0;
        var hello = Assert.IsType<Hello>(got[i++]);
        Assert.True(hello.SupportsVersion(0x04));
        Assert.IsType<FeaturesRequest>(got[i++]);
        var config = Assert.IsType<SetConfig>(got[i++]);
        Assert.Equal(OfpControllerMaxLen.NoBuffer, config.MissSendLen);
        Assert.IsType<PortDescRequest>(Assert.IsType<MultipartRequest>(got[i++]).Body);

        // Cold start: delete everything first, then the pipeline, then the barrier.
        var deleteFlows = Assert.IsType<FlowMod>(got[i++]);
        Assert.Equal(FlowModCommand.Delete, deleteFlows.Command);
        Assert.Equal(OfpTable.All, deleteFlows.TableId);
        Assert.Empty(deleteFlows.Match.Fields);
        var deleteMeters = Assert.IsType<MeterMod>(got[i++]);
        Assert.Equal((MeterModCommand.Delete, OfpMeter.All), (deleteMeters.Command, deleteMeters.MeterId));
        var deleteGroups = Assert.IsType<GroupMod>(got[i++]);
        Assert.Equal((GroupModCommand.Delete, OfpGroup.All), (deleteGroups.Command, deleteGroups.GroupId));

        var gate = Assert.IsType<FlowMod>(got[i++]);
        Assert.Equal((byte)0, gate.TableId);
        Assert.Equal((byte)1, Assert.IsType<InstructionGotoTable>(Assert.Single(gate.Instructions)).TableId);
        var pipeline = got.Skip(i).TakeWhile(m => m is FlowMod).Cast<FlowMod>().ToList();
        Assert.Contains(pipeline, f => f.TableId == 1 && f.Priority == 0 && f.Instructions.OfType<InstructionApplyActions>().Single().Actions.Contains(new ActionOutput(OfpPort.Controller, OfpControllerMaxLen.NoBuffer)));
        Assert.Contains(pipeline, f => f.TableId == 2 && f.Priority == 0 && f.Instructions.OfType<InstructionApplyActions>().Single().Actions.Contains(new ActionOutput(OfpPort.Flood, 0)));
        var barrier = Assert.IsType<BarrierRequest>(got[i + pipeline.Count]);

        // The cold-start batch is one contiguous xid range ending with the barrier.
        var batch = got.Skip(4).Take(4 + pipeline.Count).Append(barrier).Select(m => m.Xid).ToList();
        Assert.Equal(Enumerable.Range(0, batch.Count).Select(k => batch[0] + (uint)k), batch);
        Assert.DoesNotContain(0u, batch);
    }

    [Theory]
    [InlineData(new byte[] { 0x01 }, (byte)0x01)] // bitmap: 1.0 only
    [InlineData(new byte[] { 0x01, 0x05 }, (byte)0x05)] // bitmap: 1.0 and 1.4, no 1.3
    [InlineData(null, (byte)0x01)] // no bitmap, header version 1.0
    public async Task No_common_version_gets_HELLO_FAILED_INCOMPATIBLE_and_close(byte[]? bitmap, byte version)
    {
        await using var controller = TestController.Start();
        var hello = bitmap is null ? new Hello { Version = version } : Hello.VersionBitmap(bitmap) with { Version = version };
        await using var sw = await FakeSwitch.ConnectAsync(controller.EndPoint, 7, s => s.HelloToSend = hello);

        var error = await sw.WaitForAsync<ErrorMsg>();
        Assert.Equal(ErrorType.HelloFailed, error.KnownErrorType);
        Assert.Equal((ushort)HelloFailedCode.Incompatible, error.Code);
        Assert.Contains("1.3", System.Text.Encoding.ASCII.GetString(error.Data));
        await sw.ClosedByPeer.WaitAsync(TimeSpan.FromSeconds(5));
        await controller.Logs.WaitForAsync("version negotiation failed");
        Assert.False(controller.Registry.TryGet(7, out _));
    }

    [Theory]
    [InlineData(new byte[] { 0x01, 0x04, 0x06 }, (byte)0x06)] // bitmap with 1.3 among others
    [InlineData(null, (byte)0x05)] // no bitmap, newer header version: min(4, 5) = 4
    public async Task Common_version_is_negotiated(byte[]? bitmap, byte version)
    {
        await using var controller = TestController.Start();
        var hello = bitmap is null ? new Hello { Version = version } : Hello.VersionBitmap(bitmap) with { Version = version };
        await using var sw = await FakeSwitch.ConnectAsync(controller.EndPoint, 8, s => s.HelloToSend = hello);
        await controller.WaitForReadyAsync(8);
    }

    [Fact]
    public async Task Silent_connection_is_closed_by_the_hello_timeout()
    {
        await using var controller = TestController.Start(o => o.HelloTimeout = TimeSpan.FromMilliseconds(200));
        await using var sw = await FakeSwitch.ConnectAsync(controller.EndPoint, 9, s => s.HelloToSend = null);
        await sw.ClosedByPeer.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(controller.Logs.Contains("no HELLO within 0.2s"), controller.Logs.ToString());
    }

    [Fact]
    public async Task Switch_that_never_answers_FEATURES_REQUEST_is_closed_by_the_handshake_timeout()
    {
        await using var controller = TestController.Start(o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        await using var sw = await FakeSwitch.ConnectAsync(controller.EndPoint, 0x13, s => s.AnswerFeatures = false);
        await sw.ClosedByPeer.WaitAsync(TimeSpan.FromSeconds(5));
        await controller.Logs.WaitForAsync("handshake (features, port description) not completed within 0.3s");
        Assert.Contains(sw.Received, m => m is FeaturesRequest);
    }

    [Fact]
    public async Task Echo_keeps_a_quiet_switch_alive_and_a_dead_one_is_closed()
    {
        await using var controller = TestController.Start(o =>
        {
            o.EchoInterval = TimeSpan.FromMilliseconds(100);
            o.EchoTimeout = TimeSpan.FromSeconds(1); // generous: the test machine is shared
        });
        await using var alive = await FakeSwitch.ConnectAsync(controller.EndPoint, 1);
        await using var dead = await FakeSwitch.ConnectAsync(controller.EndPoint, 2);
        var aliveSession = await controller.WaitForReadyAsync(1);
        var deadSession = await controller.WaitForReadyAsync(2);
        dead.AnswerEcho = false;

        string reason = await deadSession.Closed.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Contains("dead peer", reason);
        await dead.ClosedByPeer.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Contains(dead.Received, m => m is EchoRequest);

        // The answering switch lives through many echo rounds, far beyond the echo timeout.
        await Eventually.TrueAsync(() => alive.Received.Count(m => m is EchoRequest) >= 8, TimeSpan.FromSeconds(20));
        Assert.Equal(SessionState.Ready, aliveSession.State);
        Assert.Contains(alive.Received, m => m is EchoRequest e && e.Xid != 0);
    }

    [Fact]
    public async Task Cancelled_requests_and_batches_leave_the_xid_tracker()
    {
        await using var controller = TestController.Start();
        await using var sw = await FakeSwitch.ConnectAsync(controller.EndPoint, 0x31);
        var session = await controller.WaitForReadyAsync(0x31);
        Assert.Equal(0, session.OutstandingRequests);
        sw.AnswerEcho = false;
        sw.AnswerBarrier = false;
        int before = sw.Received.Count;

        using (var cancel = new CancellationTokenSource())
        {
            var echo = session.RequestAsync(new EchoRequest([1]), cancel.Token);
            var batch = session.SendBatchAsync([TestFlow(12)], cancel.Token);
            await sw.WaitForAsync<BarrierRequest>(skip: before);
            Assert.Equal(2, session.OutstandingRequests);
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => echo);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => batch);
        }

        Assert.Equal(0, session.OutstandingRequests);
        Assert.Equal(SessionState.Ready, session.State);
    }

    [Fact]
    public async Task Batch_completes_on_barrier_reply()
    {
        await using var controller = TestController.Start();
        await using var sw = await FakeSwitch.ConnectAsync(controller.EndPoint, 3);
        var session = await controller.WaitForReadyAsync(3);
        int before = sw.Received.Count;

        await session.SendBatchAsync([TestFlow(10), TestFlow(11)]).WaitAsync(TimeSpan.FromSeconds(5));

        var sent = sw.Received.Skip(before).ToList();
        Assert.Equal([OfpType.FlowMod, OfpType.FlowMod, OfpType.BarrierRequest], sent.Select(m => m.Type));
        Assert.Equal(sent[0].Xid + 1, sent[1].Xid);
        Assert.Equal(sent[0].Xid + 2, sent[2].Xid);
    }

    [Fact]
    public async Task Large_batch_through_a_small_queue_arrives_in_order_with_contiguous_xids()
    {
        await using var controller = TestController.Start(o => o.SendQueueCapacity = 64);
        await using var sw = await FakeSwitch.ConnectAsync(controller.EndPoint, 0x14);
        var session = await controller.WaitForReadyAsync(0x14);
        int before = sw.Received.Count;
        var flows = Enumerable.Range(0, 20_000).Select(i => TestFlow((ushort)(i + 1))).ToList();

        // Concurrent traffic from the reader's side while the batch streams.
        var learning = sw.SendAsync(Enumerable.Range(0, 200).Select(i => (OfpMessage)PacketInFrom(1, Mac(0x300 + (ulong)i), MacAddress.Broadcast)).ToArray());
        await session.SendBatchAsync(flows).WaitAsync(TimeSpan.FromSeconds(30));
        await learning;

        var batch = sw.Received.Skip(before).OfType<FlowMod>().Where(f => f.Xid != 0).ToList(); // learned flows are fire-and-forget (xid 0)
        Assert.Equal(flows.Select(f => f.Priority), batch.Select(f => f.Priority));
        Assert.Equal(Enumerable.Range(0, batch.Count).Select(k => batch[0].Xid + (uint)k), batch.Select(f => f.Xid));
        var barrier = sw.Received.OfType<BarrierRequest>().Last();
        Assert.Equal(batch[^1].Xid + 1, barrier.Xid);
        Assert.All(flows, f => Assert.Equal(0u, f.Xid)); // the caller's records are not modified
    }

    [Fact]
    public async Task Batch_fails_with_the_switch_ERROR_for_the_message_it_rejected()
    {
        await using var controller = TestController.Start();
        await using var sw = await FakeSwitch.ConnectAsync(controller.EndPoint, 4);
        var session = await controller.WaitForReadyAsync(4);
        sw.ErrorFor = m => m is FlowMod { Priority: 11 }
            ? new ErrorMsg(ErrorType.FlowModFailed, (ushort)FlowModFailedCode.TableFull, [1, 2, 3])
            : null;

        var ex = await Assert.ThrowsAsync<SwitchErrorException>(() => session.SendBatchAsync([TestFlow(10), TestFlow(11), TestFlow(12)]).WaitAsync(TimeSpan.FromSeconds(5)));

        Assert.Equal(ErrorType.FlowModFailed, ex.Error.KnownErrorType);
        Assert.Equal((ushort)FlowModFailedCode.TableFull, ex.Error.Code);
        var (_, request) = Assert.Single(ex.Errors);
        Assert.Equal((ushort)11, Assert.IsType<FlowMod>(request).Priority);
        Assert.Contains("FlowModFailed/TableFull", ex.Message);
        // The switch rejected one flow-mod; the session itself is fine.
        Assert.Equal(SessionState.Ready, session.State);
        await session.SendBatchAsync([TestFlow(12)]).WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Batch_waiting_for_a_barrier_fails_when_the_session_closes()
    {
        await using var controller = TestController.Start();
        await using var sw = await FakeSwitch.ConnectAsync(controller.EndPoint, 5);
        var session = await controller.WaitForReadyAsync(5);
        sw.AnswerBarrier = false;
        var pending = session.SendBatchAsync([TestFlow(10)]);
        await Eventually.TrueAsync(() => sw.Received.OfType<BarrierRequest>().Count() == 2); // cold start's and ours

        await sw.DisposeAsync();

        var ex = await Assert.ThrowsAsync<SessionClosedException>(() => pending.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains("closed the connection", ex.Message);
    }

    [Fact]
    public async Task Cold_start_rejected_by_the_switch_closes_the_session()
    {
        await using var controller = TestController.Start();
        await using var sw = await FakeSwitch.ConnectAsync(controller.EndPoint, 6, s => s.ErrorFor = m => m is MeterMod
            ? new ErrorMsg(ErrorType.MeterModFailed, (ushort)MeterModFailedCode.Unknown, [])
            : null);
        await sw.ClosedByPeer.WaitAsync(TimeSpan.FromSeconds(5));
        await controller.Logs.WaitForAsync("cold start failed: switch rejected MeterMod");
        Assert.False(controller.Registry.TryGet(6, out _));
    }

    [Fact]
    public async Task Malformed_message_closes_only_that_switch()
    {
        await using var controller = TestController.Start();
        await using var bad = await FakeSwitch.ConnectAsync(controller.EndPoint, 0xA);
        await using var good = await FakeSwitch.ConnectAsync(controller.EndPoint, 0xB);
        var badSession = await controller.WaitForReadyAsync(0xA);
        var goodSession = await controller.WaitForReadyAsync(0xB);

        // An ECHO_REQUEST header claiming a length of 4, shorter than the header itself.
        await bad.SendRawAsync(new byte[] { 0x04, (byte)OfpType.EchoRequest, 0x00, 0x04, 0, 0, 0, 1 });

        string reason = await badSession.Closed.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.StartsWith("malformed message", reason);
        await bad.ClosedByPeer.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(controller.Registry.TryGet(0xA, out _));

        // The other switch is untouched: still registered, still confirming batches, still learning.
        Assert.Equal(SessionState.Ready, goodSession.State);
        await goodSession.SendBatchAsync([TestFlow(20)]).WaitAsync(TimeSpan.FromSeconds(5));
        await good.SendAsync(PacketInFrom(1, Mac(0xA1), MacAddress.Broadcast));
        await good.WaitForAsync<PacketOut>();
    }

    [Fact]
    public async Task Controller_to_switch_message_from_a_switch_is_a_protocol_violation()
    {
        await using var controller = TestController.Start();
        await using var hostile = await FakeSwitch.ConnectAsync(controller.EndPoint, 0xC);
        await using var other = await FakeSwitch.ConnectAsync(controller.EndPoint, 0xD);
        var hostileSession = await controller.WaitForReadyAsync(0xC);
        var otherSession = await controller.WaitForReadyAsync(0xD);

        await hostile.SendAsync(TestFlow(1));

        Assert.Equal("protocol violation: switch sent FlowMod, a controller-to-switch message",
            await hostileSession.Closed.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(SessionState.Ready, otherSession.State);
        await otherSession.SendBatchAsync([TestFlow(2)]).WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Oversized_garbage_closes_the_session()
    {
        await using var controller = TestController.Start();
        await using var sw = await FakeSwitch.ConnectAsync(controller.EndPoint, 0xE);
        var session = await controller.WaitForReadyAsync(0xE);
        // A 64 KiB "PACKET_IN" of random bytes after a valid header.
        var junk = new byte[65535];
        new Random(1).NextBytes(junk);
        junk[0] = 0x04;
        junk[1] = (byte)OfpType.PacketIn;
        BinaryPrimitives.WriteUInt16BigEndian(junk.AsSpan(2), 65535);
        await sw.SendRawAsync(junk);
        Assert.StartsWith("malformed message", await session.Closed.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Switch_that_floods_without_reading_only_loses_its_own_answers()
    {
        await using var controller = TestController.Start(o => o.SendQueueCapacity = 64);
        await using var flooder = await FakeSwitch.ConnectAsync(controller.EndPoint, 0xF1);
        await using var other = await FakeSwitch.ConnectAsync(controller.EndPoint, 0xF2);
        var flooderSession = await controller.WaitForReadyAsync(0xF1);
        var otherSession = await controller.WaitForReadyAsync(0xF2);
        flooder.Reading.Reset();

        // Packet-ins until the socket buffers are full and the controller starts dropping answers.
        var chunk = new System.Buffers.ArrayBufferWriter<byte>();
        for (int i = 0; i < 5000; i++)
            OfpCodec.Encode(PacketInFrom(1, Mac(0x100 + (ulong)(i % 50)), MacAddress.Broadcast), chunk);
        for (int round = 0; round < 200 && flooderSession.AnswersDropped == 0; round++)
            await flooder.SendRawAsync(chunk.WrittenMemory).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(flooderSession.AnswersDropped > 0, "the controller never had to drop an answer");

        // The flooder's session still reads (it is not wedged), and the other switch is unaffected.
        Assert.Equal(SessionState.Ready, flooderSession.State);
        Assert.Equal(SessionState.Ready, otherSession.State);
        await otherSession.SendBatchAsync([TestFlow(30)]).WaitAsync(TimeSpan.FromSeconds(5));
        await other.SendAsync(PacketInFrom(2, Mac(0xB2), MacAddress.Broadcast));
        await other.WaitForAsync<PacketOut>(p => p.InPort == 2);
        Assert.Equal(0, otherSession.AnswersDropped);
        flooder.Reading.Set();
    }

    [Fact]
    public async Task Second_connection_with_the_same_dpid_replaces_the_first()
    {
        await using var controller = TestController.Start();
        await using var first = await FakeSwitch.ConnectAsync(controller.EndPoint, 0x77);
        var firstSession = await controller.WaitForReadyAsync(0x77);

        await using var second = await FakeSwitch.ConnectAsync(controller.EndPoint, 0x77);

        Assert.Contains("replaced by a new connection", await firstSession.Closed.WaitAsync(TimeSpan.FromSeconds(5)));
        await first.ClosedByPeer.WaitAsync(TimeSpan.FromSeconds(5));
        var secondSession = await controller.WaitForReadyAsync(0x77);
        Assert.NotSame(firstSession, secondSession);
        Assert.Equal(1, controller.Registry.Count);
        // The new connection got its own cold start.
        Assert.Contains(second.Received, m => m is FlowMod { Command: FlowModCommand.Delete, TableId: OfpTable.All });
    }

    [Fact]
    public async Task Packet_in_is_answered_with_flows_and_packet_out()
    {
        await using var controller = TestController.Start();
        await using var sw = await FakeSwitch.ConnectAsync(controller.EndPoint, 0x10);
        await controller.WaitForReadyAsync(0x10);
        int before = sw.Received.Count;

        // Host A on port 1 broadcasts: learn A, flood.
        await sw.SendAsync(PacketInFrom(1, Mac(0xA), MacAddress.Broadcast));
        var flood = await sw.WaitForAsync<PacketOut>();
        Assert.Equal(new ActionOutput(OfpPort.Flood, 0), Assert.Single(flood.Actions));
        Assert.Equal(1u, flood.InPort);
        var learnA = sw.Received.Skip(before).OfType<FlowMod>().ToList();
        Assert.Equal(2, learnA.Count);
        Assert.Equal(new Match([Oxm.InPort(1), Oxm.EthSrc(Mac(0xA))]), learnA[0].Match);
        Assert.Equal(new Match([Oxm.EthDst(Mac(0xA))]), learnA[1].Match);

        // Host B on port 2 answers A: learn B, output to port 1 only.
        await sw.SendAsync(PacketInFrom(2, Mac(0xB), Mac(0xA)));
        var unicast = await sw.WaitForAsync<PacketOut>(p => p.InPort == 2);
        Assert.Equal(new ActionOutput(1, 0), Assert.Single(unicast.Actions));
        Assert.Contains(sw.Received, m => m is FlowMod f && f.TableId == 2 && f.Match.EthDst == Mac(0xB));
    }

    [Fact]
    public async Task Port_status_updates_the_port_table_and_reaches_listeners()
    {
        await using var controller = TestController.Start();
        var events = new List<PortStatus>();
        controller.Registry.PortStatusChanged += (_, status) => { lock (events) events.Add(status); };
        await using var sw = await FakeSwitch.ConnectAsync(controller.EndPoint, 0x11);
        var session = await controller.WaitForReadyAsync(0x11);

        await sw.SendAsync(new PortStatus(PortStatusReason.Add, FakeSwitch.Port(9, "p9")));
        await Eventually.TrueAsync(() => session.PortsSnapshot().Any(p => p.PortNo == 9));
        await sw.SendAsync(new PortStatus(PortStatusReason.Delete, FakeSwitch.Port(1, "p1")));
        await Eventually.TrueAsync(() => session.PortsSnapshot().All(p => p.PortNo != 1));

        Assert.Equal([2u, 3u, 9u], session.PortsSnapshot().Select(p => p.PortNo));
        lock (events)
            Assert.Equal([PortStatusReason.Add, PortStatusReason.Delete], events.Select(e => e.Reason));
    }

    [Fact]
    public async Task Echo_request_from_the_switch_is_answered_with_its_data()
    {
        await using var controller = TestController.Start();
        await using var sw = await FakeSwitch.ConnectAsync(controller.EndPoint, 0x12);
        await controller.WaitForReadyAsync(0x12);
        await sw.SendAsync(new EchoRequest([9, 8, 7]) { Xid = 0xBEEF });
        var reply = await sw.WaitForAsync<EchoReply>(r => r.Xid == 0xBEEF);
        Assert.Equal(new byte[] { 9, 8, 7 }, reply.Data);
    }

    [Fact]
    public async Task Stopping_the_listener_closes_every_session()
    {
        var controller = TestController.Start();
        await using var a = await FakeSwitch.ConnectAsync(controller.EndPoint, 0x21);
        await using var b = await FakeSwitch.ConnectAsync(controller.EndPoint, 0x22);
        await controller.WaitForReadyAsync(0x21);
        await controller.WaitForReadyAsync(0x22);

        await controller.DisposeAsync();

        await a.ClosedByPeer.WaitAsync(TimeSpan.FromSeconds(5));
        await b.ClosedByPeer.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, controller.Registry.Count);
        Assert.Equal(0, controller.Listener.SessionCount);
    }

    internal static MacAddress Mac(ulong low) => new(0x0200_0000_0000UL | low);

    internal static FlowMod TestFlow(ushort priority) => new()
    {
        TableId = 2,
        Priority = priority,
        Match = new Match([Oxm.EthDst(Mac(priority))]),
        Instructions = [new InstructionApplyActions([new ActionOutput(1, 0)])],
    };

    internal static PacketIn PacketInFrom(uint inPort, MacAddress src, MacAddress dst, byte table = L2Learning.EthSrcTable)
    {
        var frame = new byte[60];
        dst.WriteTo(frame);
        src.WriteTo(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        return new PacketIn(OfpBuffer.NoBuffer, (ushort)frame.Length, PacketInReason.NoMatch, table, 0, new Match([Oxm.InPort(inPort)]), frame);
    }
}
