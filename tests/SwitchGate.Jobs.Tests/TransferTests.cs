using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using SwitchGate.Attestation;
using SwitchGate.BootAgent;
using SwitchGate.BootAgent.Jobs;
using SwitchGate.BootAgent.Tpm;
using SwitchGate.Ethernet;
using SwitchGate.Jobs.Codec;
using SwitchGate.Jobs.Model;
using SwitchGate.Jobs.Storage;
using SwitchGate.Jobs.Transfer;

namespace SwitchGate.Jobs.Tests;

/// <summary>
/// The job API (Kestrel) and <see cref="JobClient"/> over loopback: upload, submit, strict checks, access by source
/// address (two hosts: 127.0.0.1 and 127.0.0.2), and resumption after the connection is cut mid-file.
/// </summary>
public sealed class TransferTests : IAsyncLifetime
{
    private static readonly IPAddress Prod = IPAddress.Loopback;
    private static readonly IPAddress Other = IPAddress.Parse("127.0.0.2");

    private readonly string _dir = Directory.CreateTempSubdirectory("sg-transfer-").FullName;
    private WebApplication _app = null!;
    private JobStore _store = null!;
    private Uri _url = null!;
    private int _cutAfter = -1;
    private string? _cutPath;
    private int _cuts;

    public async Task InitializeAsync()
    {
        _store = new JobStore(Path.Combine(_dir, "jobs"));
        var identity = new NodeIdentity("bs1", MacAddress.Parse("02-00-00-00-0B-01"), MacAddress.Parse("02-00-00-00-0D-01"));
        var node = new NodeControl(TpmEndpoint.Parse("tcp:127.0.0.1:1"), new StateDirectory(_dir), identity, "lo", NullLogger.Instance);
        var service = new JobService(_store, node, GuestHypervisors.Create(), new JobServiceOptions(), NullLogger.Instance);
        _app = JobHttpApi.Build(service, new IPEndPoint(IPAddress.Any, 0));
        _app.Use(CutOnceAsync);
        await _app.StartAsync();
        var port = new Uri(_app.Services.GetService(typeof(IServer)) is IServer server
            ? server.Features.Get<IServerAddressesFeature>()!.Addresses.First() : throw new InvalidOperationException()).Port;
        _url = new Uri($"http://127.0.0.1:{port}/");
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>The first request to <see cref="_cutPath"/> has its connection aborted after <see cref="_cutAfter"/> bytes of body.</summary>
    private async Task CutOnceAsync(HttpContext context, Func<Task> next)
    {
        if (_cutPath is null || !context.Request.Path.Value!.EndsWith(_cutPath, StringComparison.Ordinal) || Interlocked.Exchange(ref _cutPath, null) is null)
        {
            await next();
            return;
        }
        _cuts++;
        if (context.Request.Method == "PUT")
            context.Request.Body = new CuttingStream(context.Request.Body, _cutAfter, context);
        else
            context.Response.Body = new CuttingStream(context.Response.Body, _cutAfter, context);
        try
        {
            await next();
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Upload_resumes_after_a_cut_and_submit_checks_every_digest()
    {
        var kernel = WriteRandom("kernel", 3 << 20);
        using var client = new JobClient(_url, Prod) { RetryDelay = TimeSpan.FromMilliseconds(50) };
        var record = await client.CreateAsync(default);
        Assert.Equal(JobState.Receiving, record.State);
        _cutAfter = 1 << 20;
        _cutPath = "/first/kernel";
        await client.UploadAsync(record.Id, FirstImageFile.Kernel, kernel, default);
        Assert.Equal(1, _cuts);
        var job = Samples.Job() with { Kernel = JobStore.DigestOf(kernel), Initrd = null };
        var queued = await client.SubmitAsync(record.Id, job, default);
        Assert.Equal(JobState.Queued, queued.State);
        Assert.Equal(File.ReadAllBytes(kernel), File.ReadAllBytes(_store.FirstPath(record.Id, FirstImageFile.Kernel)));
    }

    [Fact]
    public async Task Submit_refuses_a_wrong_digest_a_missing_file_and_a_malformed_job_file()
    {
        var kernel = WriteRandom("kernel", 1000);
        using var client = new JobClient(_url, Prod);
        var record = await client.CreateAsync(default);
        await client.UploadAsync(record.Id, FirstImageFile.Kernel, kernel, default);
        var wrong = Samples.Job() with { Kernel = new FileDigest(1000, Samples.Hex64), Initrd = null };
        var e = await Assert.ThrowsAsync<JobTransferException>(() => client.SubmitAsync(record.Id, wrong, default));
        Assert.Equal(HttpStatusCode.BadRequest, e.Status);
        Assert.Contains("does not match", e.Message);
        var missing = Samples.Job() with { Kernel = JobStore.DigestOf(kernel) };
        Assert.Contains("first image initrd refused: missing",
            (await Assert.ThrowsAsync<JobTransferException>(() => client.SubmitAsync(record.Id, missing, default))).Message);
        using var raw = new HttpClient { BaseAddress = _url };
        var response = await raw.PostAsync($"jobs/{record.Id}/submit", new StringContent("{\"format\":\"switchgate-boot-job/1\",\"kernel\":[]}"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("'kernel' should be Object", await response.Content.ReadAsStringAsync());
        response = await raw.PostAsync($"jobs/{record.Id}/submit", new ByteArrayContent(new byte[JobLimits.JobFileBytes + 1]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(JobState.Receiving, _store.Load(record.Id).State);
    }

    [Fact]
    public async Task An_upload_past_the_files_limit_is_refused()
    {
        using var client = new JobClient(_url, Prod);
        var record = await client.CreateAsync(default);
        using var raw = new HttpClient { BaseAddress = _url };
        var response = await raw.PutAsync($"jobs/{record.Id}/first/kernel?offset=0", new StreamContent(new ZeroStream(JobLimits.KernelBytes + 1)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        response = await raw.PutAsync($"jobs/{record.Id}/first/..%2Fx?offset=0", new ByteArrayContent([1]));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        response = await raw.PutAsync($"jobs/{record.Id}/first/kernel?offset=5", new ByteArrayContent([1]));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
    }

    [Fact]
    public async Task Another_host_sees_and_fetches_nothing_of_a_job()
    {
        using var prod = new JobClient(_url, Prod);
        using var other = new JobClient(_url, Other);
        var mine = await prod.CreateAsync(default);
        var theirs = await other.CreateAsync(default);
        Assert.Equal([mine.Id], (await prod.ListAsync(default)).Select(r => r.Id));
        Assert.Equal([theirs.Id], (await other.ListAsync(default)).Select(r => r.Id));
        var e = await Assert.ThrowsAsync<JobTransferException>(() => other.StatusAsync(mine.Id, default));
        Assert.Equal(HttpStatusCode.Forbidden, e.Status);
        MakeReady(mine.Id, 1000);
        Assert.Equal(HttpStatusCode.Forbidden,
            (await Assert.ThrowsAsync<JobTransferException>(() => other.ManifestAsync(mine.Id, default))).Status);
        Assert.Equal(HttpStatusCode.Forbidden,
            (await Assert.ThrowsAsync<JobTransferException>(() => other.ConfirmDeliveryAsync(mine.Id, default))).Status);
    }

    [Fact]
    public async Task Download_resumes_with_a_range_after_a_cut_and_checks_the_digest()
    {
        using var client = new JobClient(_url, Prod) { RetryDelay = TimeSpan.FromMilliseconds(50) };
        var record = await client.CreateAsync(default);
        MakeReady(record.Id, 5 << 20);
        var manifest = await client.ManifestAsync(record.Id, default);
        var target = Path.Combine(_dir, "state.out");
        _cutAfter = 2 << 20;
        _cutPath = "/second/state";
        await client.DownloadAsync(record.Id, SecondImageFile.State, manifest.State, target, default);
        Assert.Equal(1, _cuts);
        Assert.Equal(File.ReadAllBytes(_store.SecondPath(record.Id, SecondImageFile.State)), File.ReadAllBytes(target));
        var delivered = await client.ConfirmDeliveryAsync(record.Id, default);
        Assert.Equal(JobState.Delivered, delivered.State);
        Assert.False(Directory.Exists(_store.SecondDirectory(record.Id)));
    }

    [Fact]
    public async Task A_corrupted_second_image_is_refused_by_the_host_and_not_kept()
    {
        using var client = new JobClient(_url, Prod);
        var record = await client.CreateAsync(default);
        MakeReady(record.Id, 100_000);
        var manifest = await client.ManifestAsync(record.Id, default);
        var state = _store.SecondPath(record.Id, SecondImageFile.State);
        var bytes = File.ReadAllBytes(state);
        bytes[500] ^= 0xff;
        File.WriteAllBytes(state, bytes);
        var target = Path.Combine(_dir, "state.out");
        var e = await Assert.ThrowsAsync<JobFormatException>(() => client.DownloadAsync(record.Id, SecondImageFile.State, manifest.State, target, default));
        Assert.Contains("does not match", e.Message);
        Assert.False(File.Exists(target));
        Assert.False(File.Exists(target + ".part"));
    }

    [Fact]
    public async Task A_held_status_request_is_answered_when_the_job_is_queued()
    {
        var kernel = WriteRandom("kernel", 1000);
        using var client = new JobClient(_url, Prod);
        var record = await client.CreateAsync(default);
        await client.UploadAsync(record.Id, FirstImageFile.Kernel, kernel, default);
        var held = client.WaitStatusAsync(record.Id, JobState.Receiving, TimeSpan.FromSeconds(30), default);
        await Task.Delay(300);
        Assert.False(held.IsCompleted, "answered while the job was still Receiving");
        await client.SubmitAsync(record.Id, Samples.Job() with { Kernel = JobStore.DigestOf(kernel), Initrd = null }, default);
        var answer = await held.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(JobState.Queued, answer.State);
        Assert.Equal(record.Id, answer.Id);
    }

    [Fact]
    public async Task A_held_submission_answers_after_its_wait_while_the_job_stays_queued()
    {
        var kernel = WriteRandom("kernel", 1000);
        using var client = new JobClient(_url, Prod);
        var record = await client.CreateAsync(default);
        await client.UploadAsync(record.Id, FirstImageFile.Kernel, kernel, default);
        var started = DateTimeOffset.UtcNow;
        var queued = await client.SubmitAsync(record.Id, Samples.Job() with { Kernel = JobStore.DigestOf(kernel), Initrd = null }, default, TimeSpan.FromSeconds(1));
        Assert.Equal(JobState.Queued, queued.State);
        Assert.True(DateTimeOffset.UtcNow - started >= TimeSpan.FromSeconds(0.9), "the held submission did not wait");
        using var raw = new HttpClient { BaseAddress = _url };
        var refused = await raw.PostAsync($"jobs/{record.Id}/submit?wait=61", new ByteArrayContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }

    [Fact]
    public async Task A_held_status_request_is_not_answered_in_the_dirty_phase_but_after_its_wait()
    {
        using var client = new JobClient(_url, Prod);
        var record = await client.CreateAsync(default);
        // The job goes dirty (written as the loop would): no answer until the wait is over, which gives the record as it is.
        _store.Save(record.Enter(JobState.Queued, DateTimeOffset.UtcNow).Enter(JobState.Booting, DateTimeOffset.UtcNow));
        var started = DateTimeOffset.UtcNow;
        var answer = await client.WaitStatusAsync(record.Id, JobState.Queued, TimeSpan.FromSeconds(1), default);
        Assert.Equal(JobState.Booting, answer.State);
        Assert.True(DateTimeOffset.UtcNow - started >= TimeSpan.FromSeconds(0.9), "answered before its wait in a dirty state");
        // Ready is answered at once.
        MakeReady(record.Id, 1000);
        Assert.Equal(JobState.Ready, (await client.WaitStatusAsync(record.Id, JobState.Booting, TimeSpan.FromSeconds(30), default).WaitAsync(TimeSpan.FromSeconds(10))).State);
    }

    [Theory]
    [InlineData("since=Queued")]
    [InlineData("wait=5")]
    [InlineData("since=Bogus&wait=5")]
    [InlineData("since=1&wait=5")]
    [InlineData("since=queued&wait=5")]
    [InlineData("since=Queued&wait=61")]
    [InlineData("since=Queued&wait=-1")]
    [InlineData("since=Queued&wait=1.5")]
    [InlineData("since=Queued&since=Ready&wait=5")]
    public async Task A_malformed_held_status_request_is_refused(string query)
    {
        using var client = new JobClient(_url, Prod);
        var record = await client.CreateAsync(default);
        using var raw = new HttpClient { BaseAddress = _url };
        var response = await raw.GetAsync($"jobs/{record.Id}?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(JobState.Receiving, _store.Load(record.Id).State);
    }

    [Fact]
    public async Task Another_host_cannot_hold_a_status_request_on_a_job()
    {
        using var prod = new JobClient(_url, Prod);
        using var other = new JobClient(_url, Other);
        var mine = await prod.CreateAsync(default);
        var e = await Assert.ThrowsAsync<JobTransferException>(() => other.WaitStatusAsync(mine.Id, JobState.Receiving, TimeSpan.FromSeconds(30), default));
        Assert.Equal(HttpStatusCode.Forbidden, e.Status);
    }

    [Fact]
    public async Task The_second_image_is_not_served_before_the_job_is_ready()
    {
        using var client = new JobClient(_url, Prod);
        var record = await client.CreateAsync(default);
        var e = await Assert.ThrowsAsync<JobTransferException>(() => client.ManifestAsync(record.Id, default));
        Assert.Equal(HttpStatusCode.Conflict, e.Status);
        Assert.Contains("not ready", e.Message);
    }

    private void MakeReady(string id, int stateBytes)
    {
        var record = _store.Load(id);
        Directory.CreateDirectory(_store.SecondDirectory(id));
        var state = _store.SecondPath(id, SecondImageFile.State);
        File.WriteAllBytes(state, RandomNumberGenerator.GetBytes(stateBytes));
        var manifest = Samples.Manifest(id) with { State = JobStore.DigestOf(state) };
        File.WriteAllBytes(_store.SecondPath(id, SecondImageFile.Manifest), JobCodec.Write(manifest));
        _store.Save(record.Enter(JobState.Ready, DateTimeOffset.UtcNow));
    }

    private string WriteRandom(string name, int size)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(size));
        return path;
    }

    /// <summary>Passes bytes through until the limit, then aborts the connection (a cable pulled mid-transfer).</summary>
    private sealed class CuttingStream(Stream inner, long limit, HttpContext context) : Stream
    {
        private long _count;

        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _count; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            if (_count >= limit) Cut();
            var n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, limit - _count)], ct);
            _count += n;
            return n;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            var room = (int)Math.Min(buffer.Length, limit - _count);
            await inner.WriteAsync(buffer[..room], ct);
            await inner.FlushAsync(ct);
            _count += room;
            if (room < buffer.Length) Cut();
        }

        private void Cut()
        {
            context.Abort();
            throw new IOException("cut by the test");
        }
    }

    private sealed class ZeroStream(long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            Array.Clear(buffer, offset, n);
            _position += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
