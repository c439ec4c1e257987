using System.Net;
using System.Net.Sockets;
using SwitchGate.Controller.Forwarding;
using SwitchGate.Controller.Pipeline;
using SwitchGate.Controller.Sessions;

namespace SwitchGate.Controller.Tests;

public sealed class ListenerTests
{
    private static OpenFlowListener NewListener(int port, SwitchRegistry? registry = null) => new(
        new ControllerOptions { ListenAddress = IPAddress.Loopback, Port = port },
        new SwitchPipeline([new OpenGateFactory(), new L2LearningFactory(new L2LearningOptions())]),
        registry ?? new SwitchRegistry(), TimeProvider.System, new LogCollector().Factory);

    [Fact]
    public async Task A_second_controller_cannot_bind_the_same_port()
    {
        await using var first = NewListener(0);
        int port = first.Start().Port;
        await using var second = NewListener(port);
        var ex = Assert.Throws<SocketException>(() => second.Start());
        Assert.Equal(SocketError.AddressAlreadyInUse, ex.SocketErrorCode);
    }

    [Fact]
    public async Task A_restarted_controller_gets_its_port_back_despite_TIME_WAIT()
    {
        var registry = new SwitchRegistry();
        var first = NewListener(0, registry);
        var endPoint = first.Start();
        await using (var sw = await FakeSwitch.ConnectAsync(endPoint, 0x51))
        {
            await Eventually.TrueAsync(() => registry.TryGet(0x51, out var s) && s.State == SessionState.Ready);
            // Everything read: the controller's close is an orderly FIN, not a reset, and as it closes
            // first its side of the connection goes to TIME_WAIT.
            await first.DisposeAsync();
            await sw.ClosedByPeer.WaitAsync(TimeSpan.FromSeconds(5));
        }

        await using var second = NewListener(endPoint.Port);
        Assert.Equal(endPoint.Port, second.Start().Port);
        await using var again = await FakeSwitch.ConnectAsync(endPoint, 0x51);
        await Eventually.TrueAsync(() => again.Received.OfType<SwitchGate.OpenFlow.BarrierRequest>().Any());
    }
}
