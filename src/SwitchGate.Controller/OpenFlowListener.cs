using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using SwitchGate.Controller.Tls;
using SwitchGate.Controller.Pipeline;
using SwitchGate.Controller.Sessions;

namespace SwitchGate.Controller;

/// <summary>
/// Accepts switch connections and runs one <see cref="SwitchSession"/> per connection. The session
/// only sees an <see cref="IDuplexPipe"/> over a <see cref="Stream"/>: with TLS configured that stream is an
/// <see cref="System.Net.Security.SslStream"/> whose handshake (switch certificate required) must finish within
/// the hello timeout, and nothing above this class changes.
/// </summary>
public sealed class OpenFlowListener : IAsyncDisposable
{
    private readonly ControllerOptions _options;
    private readonly SwitchPipeline _pipeline;
    private readonly SwitchRegistry _registry;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<SwitchSession, Task> _sessions = new();
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _socket;
    private Task? _acceptLoop;
    private ControllerTls? _tls;

    public OpenFlowListener(ControllerOptions options, SwitchPipeline pipeline, SwitchRegistry registry,
        TimeProvider time, ILoggerFactory loggers)
    {
        options.EnsureValid();
        _options = options;
        _pipeline = pipeline;
        _registry = registry;
        _time = time;
        _loggers = loggers;
        _log = loggers.CreateLogger<OpenFlowListener>();
    }

    /// <summary>The bound address (with the real port when <see cref="ControllerOptions.Port"/> is 0).</summary>
    public IPEndPoint? LocalEndPoint => (IPEndPoint?)_socket?.LocalEndPoint;

    /// <summary>Sessions currently running (registered or still in the handshake).</summary>
    public int SessionCount => _sessions.Count;

    /// <summary>Binds and starts accepting; returns the bound endpoint.</summary>
    public IPEndPoint Start()
    {
        if (_socket is not null)
            throw new InvalidOperationException("already started");
        if (_options.Tls is { } tls)
        {
            // Loaded before binding: a bad certificate or key fails the start, not the first switch.
            _tls ??= new ControllerTls(tls, _time, _log);
            if (tls.SwitchBindingsPath is null)
                _log.TlsUnbound();
        }
        else
        {
            _log.Plaintext();
        }
        var socket = new Socket(_options.ListenAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            AllowRebindDuringTimeWait(socket);
            socket.Bind(new IPEndPoint(_options.ListenAddress, _options.Port));
            socket.Listen(512);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _socket = socket;
        _acceptLoop = Task.Run(AcceptLoopAsync);
        return LocalEndPoint!;
    }

    /// <summary>
    /// A restarted controller must get its port back while the old connections sit in TIME_WAIT, so set
    /// SO_REUSEADDR (the .NET runtime sets it on Unix sockets already; we rely on it, so we say so) — but
    /// only that: .NET's ReuseAddress option also sets SO_REUSEPORT on Linux, which would let a second
    /// controller bind the same port and steal half of the switches (ListenerTests prove both).
    /// </summary>
    private static void AllowRebindDuringTimeWait(Socket socket)
    {
        if (OperatingSystem.IsLinux())
        {
            const int SolSocket = 1, SoReuseAddr = 2; // <asm-generic/socket.h>
            socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket!.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                // e.g. the peer reset before accept completed: not our listener's problem.
                _log.AcceptFailed(ex.SocketErrorCode);
                continue;
            }
            Run(client);
        }
    }

    /// <summary>The TLS credentials in use (null for plaintext); tests and operators may force a reload.</summary>
    public ControllerTls? Tls => _tls;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope",
        Justification = "the stream (and its socket) belongs to the session task from here: RunAndDisposeAsync or HandshakeAndRunAsync disposes it")]
    private void Run(Socket client)
    {
        client.NoDelay = true; // small control messages; latency matters more than segment count
        string remote = client.RemoteEndPoint?.ToString() ?? "?";
        var stream = new NetworkStream(client, ownsSocket: true);
        if (_tls is null)
        {
            Track(Attach(stream, remote), stream);
            return;
        }
        _ = HandshakeAndRunAsync(stream, remote);
    }

    /// <summary>
    /// Runs a session over a connection that did not come through the socket (a test's in-memory connection), as a
    /// plaintext connection; it is closed with the others by <see cref="StopAsync"/>. Works without <see cref="Start"/>.
    /// </summary>
    public void Accept(Stream connection, string remote) => Track(Attach(connection, remote), connection);

    private void Track(SwitchSession session, Stream stream)
    {
        var running = RunAndDisposeAsync(session, stream);
        _sessions[session] = running;
        if (running.IsCompleted)
            _sessions.TryRemove(session, out _);
    }

    /// <summary>
    /// The TLS handshake runs off the accept loop (a slow or silent peer must not hold up other switches) and is
    /// bounded by the hello timeout; a refused switch is one warning with the reason and never gets a session.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope",
        Justification = "the secured stream belongs to the session task from Track on: RunAndDisposeAsync disposes it")]
    private async Task HandshakeAndRunAsync(NetworkStream stream, string remote)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(_options.HelloTimeout);
        Stream secured;
        try
        {
            secured = await _tls!.AuthenticateAsync(stream, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
        {
            var reason = e is OperationCanceledException ? $"no TLS handshake within {_options.HelloTimeout.TotalSeconds:0.#} s" : e.Message;
            if (!_stopping.IsCancellationRequested)
                _log.TlsRefused(remote, reason);
            await stream.DisposeAsync().ConfigureAwait(false);
            return;
        }
        if (_stopping.IsCancellationRequested)
        {
            await secured.DisposeAsync().ConfigureAwait(false);
            return;
        }
        // AuthenticateAsync required a certificate that passed the CA check, so there is one.
        var peer = (X509Certificate2)((SslStream)secured).RemoteCertificate!;
        Track(Attach(secured, remote, dpid => CheckDatapathId(dpid, peer, remote)), secured);
    }

    /// <summary>
    /// The binding check after FEATURES_REPLY (with the bindings in force at that moment, so a rotation's new pin works
    /// as soon as the file is replaced): a refusal is counted and raised as an event; the session then closes itself.
    /// </summary>
    private string? CheckDatapathId(ulong datapathId, X509Certificate2 peer, string remote)
    {
        var refusal = _tls!.CheckDatapathId(datapathId, peer);
        if (refusal is null)
            return null;
        ControllerMetrics.SwitchIdentityRefusals.Add(1);
        _registry.OnRefused(new SwitchRefusal(datapathId, remote, peer.Subject, SwitchCertificateBindings.PinOf(peer), refusal));
        return refusal;
    }

    /// <summary>Creates a session over any duplex stream (plaintext TCP or TLS).</summary>
    private SwitchSession Attach(Stream stream, string remote, Func<ulong, string?>? checkDatapathId = null)
    {
        var transport = new StreamDuplexPipe(
            PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 65536, minimumReadSize: 4096, leaveOpen: true)),
            PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 65536, leaveOpen: true)));
        return new SwitchSession(transport, remote, _pipeline, _registry, _options, _time, _loggers.CreateLogger<SwitchSession>(), checkDatapathId);
    }

    private async Task RunAndDisposeAsync(SwitchSession session, Stream stream)
    {
        await Task.Yield();
        try
        {
            await session.RunAsync(_stopping.Token).ConfigureAwait(false);
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            _sessions.TryRemove(session, out _);
        }
    }

    /// <summary>Stops accepting, closes every session and waits for them.</summary>
    public async Task StopAsync()
    {
        if (_stopping.IsCancellationRequested)
            return;
        _stopping.Cancel();
        _socket?.Dispose();
        if (_acceptLoop is not null)
            await _acceptLoop.ConfigureAwait(false);
        await Task.WhenAll(_sessions.Values).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private sealed class StreamDuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
