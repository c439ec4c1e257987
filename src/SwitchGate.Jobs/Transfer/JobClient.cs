using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SwitchGate.Jobs.Codec;
using SwitchGate.Jobs.Model;
using SwitchGate.Jobs.Pipeline;
using SwitchGate.Jobs.Storage;

namespace SwitchGate.Jobs.Transfer;

/// <summary>An answer of the boot agent's job API that is not a success (or no answer at all).</summary>
public sealed class JobTransferException(string message, HttpStatusCode? status = null, Exception? inner = null) : Exception(message, inner)
{
    public HttpStatusCode? Status { get; } = status;
}

/// <summary>
/// The production host's side of the job API (docs/jobs.md "Transfer"): HTTP on the boot server's rack address,
/// files streamed from and to disk, every file's SHA-256 checked, and every transfer resumed where it broke
/// (upload: ask the agent how much it holds and continue at that offset; download: <c>Range: bytes=N-</c>).
/// </summary>
public sealed class JobClient : IDisposable
{
    private readonly HttpClient _http;

    /// <param name="server">The agent's job API, e.g. <c>http://10.0.0.11:8470/</c>.</param>
    /// <param name="localAddress">The address to connect from (the host's rack address); null: the kernel's choice.</param>
    public JobClient(Uri server, IPAddress? localAddress = null, TimeSpan? connectTimeout = null)
    {
        var handler = new SocketsHttpHandler
        {
            // Short: while the boot server is dirty every SYN is dropped, and the poll after it comes back should not wait long.
            ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(1),
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        };
        if (localAddress is not null)
        {
            handler.ConnectCallback = async (context, ct) =>
            {
                var socket = new System.Net.Sockets.Socket(localAddress.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(localAddress, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct).ConfigureAwait(false);
                    return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }
        _http = new HttpClient(handler)
        {
            BaseAddress = server,
            // Large files: the caller's token bounds the time, not a per-request timeout.
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>How often a broken transfer is resumed before giving up.</summary>
    public int MaxAttempts { get; init; } = 20;

    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a status request may go unanswered (polls run while the switch may be cutting the boot server off).</summary>
    public TimeSpan StatusTimeout { get; init; } = TimeSpan.FromSeconds(1.5);

    /// <summary>How long any other API call may go unanswered (submit hashes every file of the first image).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Called with a line each time a transfer is resumed (for the operator's log).</summary>
    public Action<string>? OnRetry { get; init; }

    public async Task<JobRecord> CreateAsync(CancellationToken ct) =>
        ParseRecord(await SendAsync(HttpMethod.Post, "jobs", null, ct).ConfigureAwait(false));

    public async Task<JobRecord> StatusAsync(string id, CancellationToken ct) =>
        OfJob(id, ParseRecord(await SendAsync(HttpMethod.Get, $"jobs/{Id(id)}", null, ct, timeout: StatusTimeout).ConfigureAwait(false)));

    /// <summary>
    /// The job's record once it has left <paramref name="since"/> for a state the agent answers in
    /// (<see cref="JobWatch"/>), or as it is after <paramref name="wait"/>. Given up (<see cref="JobTransferException"/>
    /// without a status) when no answer comes within <paramref name="wait"/> + <see cref="JobWatch.AnswerGrace"/>: the
    /// connection may have been cut, and the caller simply asks again. The answer is only a record, parsed strictly;
    /// what it claims is checked like any other answer of the agent (manifest, digests).
    /// </summary>
    public async Task<JobRecord> WaitStatusAsync(string id, JobState since, TimeSpan wait, CancellationToken ct)
    {
        if (wait < TimeSpan.Zero || wait > JobWatch.MaxWait)
            throw new ArgumentOutOfRangeException(nameof(wait), $"0 to {JobWatch.MaxWait.TotalSeconds:0} s");
        var path = $"jobs/{Id(id)}?since={since}&wait={((int)wait.TotalSeconds).ToString(CultureInfo.InvariantCulture)}";
        return OfJob(id, ParseRecord(await SendAsync(HttpMethod.Get, path, null, ct, timeout: wait + JobWatch.AnswerGrace).ConfigureAwait(false)));
    }

    /// <summary>This host's jobs, as the agent lists them.</summary>
    public async Task<IReadOnlyList<JobRecord>> ListAsync(CancellationToken ct)
    {
        var body = await SendAsync(HttpMethod.Get, "jobs", null, ct).ConfigureAwait(false);
        try
        {
            using var doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 6 });
            return doc.RootElement.EnumerateArray().Select(e => JobCodec.ParseRecord(Encoding.UTF8.GetBytes(e.GetRawText()))).ToList();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new JobFormatException("job list", e.Message);
        }
    }

    /// <summary>
    /// Submits the job; with <paramref name="wait"/> the agent holds the answer like <see cref="WaitStatusAsync"/> from
    /// <see cref="JobState.Queued"/> (the request is in place before the job can depart).
    /// </summary>
    public async Task<JobRecord> SubmitAsync(string id, BootJob job, CancellationToken ct, TimeSpan? wait = null)
    {
        if (wait is { } w && (w < TimeSpan.Zero || w > JobWatch.MaxWait))
            throw new ArgumentOutOfRangeException(nameof(wait), $"0 to {JobWatch.MaxWait.TotalSeconds:0} s");
        var path = $"jobs/{Id(id)}/submit" + (wait is { } s ? $"?wait={((int)s.TotalSeconds).ToString(CultureInfo.InvariantCulture)}" : "");
        // Held: given up like a status request, plus the time the agent may need to hash the first image (at 20 MiB/s,
        // a loaded machine's pace), so a lost answer does not hold the host for RequestTimeout.
        var bytes = job.Kernel.Size + (job.Initrd?.Size ?? 0) + (job.Disk?.Size ?? 0);
        TimeSpan? timeout = wait is { } held ? held + JobWatch.AnswerGrace + TimeSpan.FromSeconds(bytes / (20.0 * 1048576)) : null;
        using var content = new ByteArrayContent(JobCodec.Write(job));
        return OfJob(id, ParseRecord(await SendAsync(HttpMethod.Post, path, content, ct, timeout: timeout).ConfigureAwait(false)));
    }

    public async Task<JobRecord> ConfirmDeliveryAsync(string id, CancellationToken ct) =>
        ParseRecord(await SendAsync(HttpMethod.Post, $"jobs/{Id(id)}/delivered", null, ct).ConfigureAwait(false));

    /// <summary>Uploads one file of the first image, resuming at the agent's offset after a broken connection.</summary>
    public async Task UploadAsync(string id, FirstImageFile file, string path, CancellationToken ct)
    {
        var name = JobCodec.FileName(file);
        var size = new FileInfo(path).Length;
        await RetryingAsync($"upload {name}", async () =>
        {
            var received = long.Parse(Encoding.ASCII.GetString(await SendAsync(HttpMethod.Get, $"jobs/{Id(id)}/first/{name}", null, ct).ConfigureAwait(false)),
                CultureInfo.InvariantCulture);
            if (received == size)
                return;
            if (received > size)
                throw new JobTransferException($"the agent holds {received} bytes of {name}, more than the {size} of {path}");
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous);
            stream.Seek(received, SeekOrigin.Begin);
            var content = new StreamContent(stream, 1 << 20);
            content.Headers.ContentLength = size - received;
            await SendAsync(HttpMethod.Put, $"jobs/{Id(id)}/first/{name}?offset={received.ToString(CultureInfo.InvariantCulture)}", content, ct).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
    }

    /// <summary>The second image's manifest (bounded, strict).</summary>
    public async Task<SecondImage> ManifestAsync(string id, CancellationToken ct)
    {
        var bytes = await SendAsync(HttpMethod.Get, $"jobs/{Id(id)}/second/manifest", null, ct, JobLimits.ManifestBytes).ConfigureAwait(false);
        return JobCodec.ParseManifest(bytes);
    }

    /// <summary>
    /// Downloads one file of the second image to <paramref name="path"/>, resuming a partial <c>PATH.part</c> with a
    /// Range request, and checks size and SHA-256 against <paramref name="expected"/> (refused: the part is deleted).
    /// The digest is computed while the bytes arrive, so the file is not read a second time.
    /// </summary>
    public async Task DownloadAsync(string id, SecondImageFile file, FileDigest expected, string path, CancellationToken ct)
    {
        var name = JobCodec.FileName(file);
        var part = path + ".part";
        using var hash = new Sha256Stream();
        await RetryingAsync($"download {name}", async () =>
        {
            var have = File.Exists(part) ? new FileInfo(part).Length : 0;
            if (have > expected.Size)
            {
                File.Delete(part);
                have = 0;
            }
            hash.Restart(part, have);
            if (have == expected.Size)
                return;
            using var request = new HttpRequestMessage(HttpMethod.Get, $"jobs/{Id(id)}/second/{name}");
            if (have > 0)
                request.Headers.Range = new RangeHeaderValue(have, null);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            await EnsureAsync(response, ct).ConfigureAwait(false);
            if (have > 0 && response.StatusCode != HttpStatusCode.PartialContent)
            {
                have = 0; // the server ignored the range: start over
                hash.Restart(part, 0);
            }
            await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using var output = new FileStream(part, have > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous);
            var buffer = new byte[1 << 20];
            long written = have;
            int n;
            while ((n = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                written += n;
                if (written > expected.Size)
                    throw new JobFormatException($"second image {name}", $"the agent sent more than the {expected.Size} bytes of the manifest");
                await output.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                hash.Append(buffer.AsSpan(0, n));
            }
            await output.FlushAsync(ct).ConfigureAwait(false);
            if (written < expected.Size)
                throw new IOException($"the connection ended after {written} of {expected.Size} bytes");
        }, ct).ConfigureAwait(false);
        var actual = hash.Finish();
        if (actual != expected.Sha256)
        {
            File.Delete(part);
            throw new JobFormatException($"second image {name}", $"SHA-256 {actual} does not match the expected {expected.Sha256}");
        }
        File.Move(part, path, overwrite: true);
    }

    /// <summary>SHA-256 of a file being appended to; <see cref="Restart"/> re-reads what is already on disk when an attempt resumes.</summary>
    private sealed class Sha256Stream : IDisposable
    {
        private IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _hashed;

        /// <summary>Makes the hash cover exactly the first <paramref name="length"/> bytes of <paramref name="path"/>.</summary>
        public void Restart(string path, long length)
        {
            if (length == _hashed)
                return;
            _hash.Dispose();
            _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            _hashed = 0;
            if (length == 0)
                return;
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            var buffer = new byte[1 << 20];
            while (_hashed < length)
            {
                var n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, length - _hashed));
                if (n == 0)
                    throw new IOException($"{path} is shorter than {length} bytes");
                Append(buffer.AsSpan(0, n));
            }
        }

        public void Append(ReadOnlySpan<byte> data)
        {
            _hash.AppendData(data);
            _hashed += data.Length;
        }

        public string Finish() => Convert.ToHexStringLower(_hash.GetHashAndReset());

        public void Dispose() => _hash.Dispose();
    }

    private async Task RetryingAsync(string what, Func<Task> attempt, CancellationToken ct)
    {
        for (var i = 1; ; i++)
        {
            try
            {
                await attempt().ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or JobTransferException { Status: null } && i < MaxAttempts && !ct.IsCancellationRequested)
            {
                OnRetry?.Invoke($"{what}: {e.Message}; resuming (attempt {i + 1})");
                await Task.Delay(RetryDelay, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task<byte[]> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct, int maxBytes = JobLimits.RecordBytes * 8,
        TimeSpan? timeout = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        // A call that gets no answer may have gone out on a connection the switch cut (the boot server went dirty):
        // give it up, and with it that connection, instead of waiting for TCP's retransmission backoff.
        // Uploads (PUT) carry whole files and are bounded by the caller's token only.
        var after = timeout ?? RequestTimeout;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (method != HttpMethod.Put)
            limit.CancelAfter(after);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token).ConfigureAwait(false);
            await EnsureAsync(response, limit.Token).ConfigureAwait(false);
            return await ReadBoundedAsync(response, maxBytes, limit.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (method != HttpMethod.Put)
        {
            throw new JobTransferException($"{method} {path}: {e.Message}", null, e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new JobTransferException($"{method} {path}: no answer within {after.TotalSeconds:0.#} s", null, e);
        }
    }

    private static async Task EnsureAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
            return;
        var text = Encoding.UTF8.GetString(await ReadBoundedAsync(response, 2048, ct).ConfigureAwait(false)).Trim();
        throw new JobTransferException($"{(int)response.StatusCode} {response.ReasonPhrase}: {text}", response.StatusCode);
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, int max, CancellationToken ct)
    {
        await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int n;
        while ((n = await body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > max)
                return buffer.ToArray(); // an error text or document cut at the bound; the strict parser refuses a cut document
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    private static JobRecord ParseRecord(byte[] bytes) => JobCodec.ParseRecord(bytes);

    private static JobRecord OfJob(string id, JobRecord record) =>
        record.Id == id ? record : throw new JobFormatException("job record", $"is of job '{record.Id}', not the '{id}' asked for");

    private static string Id(string id) => JobCodec.IsJobId(id) ? id : throw new ArgumentException($"'{id}' is not a job id", nameof(id));

    public void Dispose() => _http.Dispose();
}
