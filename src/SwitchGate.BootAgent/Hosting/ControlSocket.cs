using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace SwitchGate.BootAgent.Hosting;

/// <summary>
/// The running service's control socket, <c>STATE_DIR/agent.sock</c> (a Unix stream socket, reachable only
/// through the file system): one line per connection, <c>depart</c> or <c>depart force</c>; the answer is
/// <c>exit=N</c> once the depart has finished. This is how <c>switchgate-agent depart</c> reaches a service
/// that holds the admission (its session and nonce live in the service).
/// </summary>
public sealed class ControlSocket : IDisposable
{
    private readonly Socket _listener;
    private readonly string _path;

    private ControlSocket(Socket listener, string path)
    {
        _listener = listener;
        _path = path;
    }

    public static ControlSocket Listen(string path)
    {
        if (File.Exists(path) && !IsServing(path))
        {
            File.Delete(path);
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        listener.Listen(4);
        return new ControlSocket(listener, path);
    }

    public async Task ServeAsync(ChannelWriter<DepartRequest> departs, ILogger logger, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(client, departs, logger, ct), ct);
        }
    }

    private static async Task HandleAsync(Socket client, ChannelWriter<DepartRequest> departs, ILogger logger, CancellationToken ct)
    {
        using (client)
        await using (var stream = new NetworkStream(client))
        {
            try
            {
                using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
                var line = (await reader.ReadLineAsync(ct).ConfigureAwait(false))?.Trim();
                string answer;
                if (line is "depart" or "depart force")
                {
                    var request = new DepartRequest(line == "depart force", new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously));
                    await departs.WriteAsync(request, ct).ConfigureAwait(false);
                    answer = $"exit={await request.Done.Task.WaitAsync(ct).ConfigureAwait(false)}";
                }
                else
                {
                    answer = "error=unknown-command";
                }

                await stream.WriteAsync(Encoding.ASCII.GetBytes(answer + "\n"), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ChannelClosedException)
            {
                logger.ControlConnectionEnded(e.Message);
            }
        }
    }

    /// <summary>Sends one command to a running service; null if none is listening.</summary>
    public static async Task<string?> RequestAsync(string path, string command, CancellationToken ct)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            return null;
        }

        await using var stream = new NetworkStream(socket);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\n"), ct).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadLineAsync(ct).ConfigureAwait(false);
    }

    public static bool IsServing(string path)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
        }
    }
}
