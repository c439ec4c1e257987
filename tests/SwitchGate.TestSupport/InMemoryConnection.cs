using System.IO.Pipelines;

namespace SwitchGate.TestSupport;

/// <summary>
/// A connection in memory: two pipes crossed, one end as the <see cref="IDuplexPipe"/> a session runs on, the other
/// as the <see cref="Stream"/> a fake peer (e.g. the fake switch) talks through. No socket, no kernel buffer, no
/// clock: what one end writes is readable at the other as soon as it is flushed, and completing one end's output is
/// an orderly close (the other end reads 0 bytes). Pauses on back-pressure like a pipe (64 KiB by default).
/// </summary>
public static class InMemoryConnection
{
    public static (IDuplexPipe Near, Stream Far) Create()
    {
        var toFar = new Pipe();
        var toNear = new Pipe();
        var near = new DuplexPipe(toNear.Reader, toFar.Writer);
        var far = new DuplexStream(toFar.Reader.AsStream(), toNear.Writer.AsStream());
        return (near, far);
    }

    /// <summary>Both ends as streams (for code that wraps a stream itself, like the controller's listener).</summary>
    public static (Stream Near, Stream Far) CreateStreams()
    {
        var toFar = new Pipe();
        var toNear = new Pipe();
        return (new DuplexStream(toNear.Reader.AsStream(), toFar.Writer.AsStream()), new DuplexStream(toFar.Reader.AsStream(), toNear.Writer.AsStream()));
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    /// <summary>Reads from one stream and writes to another; disposing closes both (the peer sees the end of data).</summary>
    private sealed class DuplexStream(Stream reading, Stream writing) : Stream
    {
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => reading.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => reading.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => reading.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) => writing.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => writing.WriteAsync(buffer, cancellationToken);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => writing.WriteAsync(buffer, offset, count, cancellationToken);
        public override void Flush() => writing.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => writing.FlushAsync(cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                writing.Dispose();
                reading.Dispose();
            }
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await writing.DisposeAsync();
            await reading.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
