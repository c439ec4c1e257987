using System.Threading.Channels;
using SharpPcap;
using SharpPcap.LibPcap;

namespace SwitchGate.BootAgent.Network;

/// <summary>The network interface cannot be opened or used for layer-2 frames.</summary>
public sealed class LinkException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Layer-2 I/O on one interface with SharpPcap (libpcap): captures only EtherType 0x88B5 (BPF filter
/// <c>ether proto 0x88b5</c>) on a background thread into <see cref="Frames"/>, and sends whole frames. The
/// interface is looked up in the network namespace of the opening thread, so the agent works inside
/// <c>ip netns exec</c>.
/// </summary>
public sealed class PcapLink : IDisposable
{
    public const string Filter = "ether proto 0x88b5";

    private readonly LibPcapLiveDevice _device;
    private readonly Channel<byte[]> _frames = Channel.CreateBounded<byte[]>(
        new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly Thread _reader;
    private volatile bool _stopping;

    private PcapLink(LibPcapLiveDevice device)
    {
        _device = device;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"pcap {device.Name}" };
        _reader.Start();
    }

    public ChannelReader<byte[]> Frames => _frames.Reader;

    public string InterfaceName => _device.Name;

    public static PcapLink Open(string interfaceName)
    {
        LibPcapLiveDevice? device;
        try
        {
            device = LibPcapLiveDeviceList.New().FirstOrDefault(d => d.Name == interfaceName);
        }
        catch (Exception e) when (e is PcapException or DllNotFoundException)
        {
            throw new LinkException($"libpcap is not usable: {e.Message}", e);
        }

        if (device is null)
        {
            throw new LinkException($"no interface '{interfaceName}' in this network namespace");
        }

        try
        {
            // Immediate mode: deliver each frame at once instead of filling a buffer (the exchange is latency bound).
            device.Open(new DeviceConfiguration { Mode = DeviceModes.None, ReadTimeout = 50, Immediate = true });
            device.Filter = Filter;
        }
        catch (PcapException e)
        {
            device.Dispose();
            throw new LinkException($"cannot capture on {interfaceName}: {e.Message}", e);
        }

        return new PcapLink(device);
    }

    public void Send(byte[] frame)
    {
        try
        {
            _device.SendPacket(frame);
        }
        catch (PcapException e)
        {
            throw new LinkException($"cannot send on {_device.Name}: {e.Message}", e);
        }
    }

    private void ReadLoop()
    {
        while (!_stopping)
        {
            GetPacketStatus status;
            PacketCapture capture;
            try
            {
                status = _device.GetNextPacket(out capture);
            }
            catch (Exception e) when (e is PcapException or ObjectDisposedException or InvalidOperationException)
            {
                break;
            }

            if (status == GetPacketStatus.PacketRead)
            {
                _frames.Writer.TryWrite(capture.GetPacket().Data);
            }
            else if (status == GetPacketStatus.Error)
            {
                // The interface went away or down; the agent's timers keep running and decide what this means.
                Thread.Sleep(50);
            }
        }

        _frames.Writer.TryComplete();
    }

    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _reader.Join(TimeSpan.FromSeconds(2));
        _device.Close();
        _device.Dispose();
    }
}
