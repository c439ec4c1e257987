using System.Net;
using SwitchGate.Ethernet;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging.Abstractions;
using SwitchGate.BootAgent;
using SwitchGate.BootAgent.Jobs;
using SwitchGate.BootAgent.Tpm;
using SwitchGate.Attestation;
using SwitchGate.Jobs.Model;
using SwitchGate.Jobs.Pipeline;
using SwitchGate.Jobs.Storage;
using SwitchGate.Jobs.Transfer;

namespace SwitchGate.Jobs.Tests;

/// <summary>A job stuck in Receiving is aborted after the upload window: Failed with the reason, its files gone.</summary>
public sealed class UploadExpiryTests : IDisposable
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(10);
    private readonly string _dir = Directory.CreateTempSubdirectory("sg-expiry-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Only_a_receiving_job_past_its_window_expires()
    {
        var receiving = Samples.Record(JobState.Receiving);
        Assert.False(JobPipeline.TryExpireUpload(receiving, Samples.T0 + Window - TimeSpan.FromTicks(1), Window, out var same));
        Assert.Same(receiving, same);
        Assert.True(JobPipeline.TryExpireUpload(receiving, Samples.T0 + Window, Window, out var expired));
        Assert.Equal(JobState.Failed, expired.State);
        Assert.Contains("upload not submitted within 600 s", expired.Failure);
        Assert.Equal(Samples.T0 + Window, expired.Since);
        foreach (var state in Enum.GetValues<JobState>().Where(s => s != JobState.Receiving))
            Assert.False(JobPipeline.TryExpireUpload(Samples.Record(state), Samples.T0 + TimeSpan.FromDays(1), Window, out _));
    }

    [Fact]
    public async Task The_service_aborts_an_expired_upload_and_deletes_its_files_with_a_fake_clock()
    {
        var clock = new ManualClock(Samples.T0);
        var (service, store) = Service(clock, Window);
        var stuck = await service.CreateAsync(IPAddress.Loopback, default);
        File.WriteAllBytes(store.PartPath(stuck.Id, FirstImageFile.Kernel), new byte[1000]);
        clock.Now = Samples.T0 + TimeSpan.FromMinutes(5);
        var fresh = await service.CreateAsync(IPAddress.Loopback, default);

        clock.Now = Samples.T0 + Window - TimeSpan.FromSeconds(1);
        Assert.Empty(await service.ExpireUploadsAsync(default));
        Assert.Equal(JobState.Receiving, store.Load(stuck.Id).State);

        clock.Now = Samples.T0 + Window;
        Assert.Equal([stuck.Id], await service.ExpireUploadsAsync(default));
        var record = store.Load(stuck.Id);
        Assert.Equal(JobState.Failed, record.State);
        Assert.Contains("aborted", record.Failure);
        Assert.False(Directory.Exists(Path.Combine(store.JobDirectory(stuck.Id), "first")));
        Assert.Equal(JobState.Receiving, store.Load(fresh.Id).State);
        // Further uploads and the submission are refused.
        Assert.Equal(409, Assert.Throws<JobRequestException>(() => service.Received(stuck.Id, IPAddress.Loopback, FirstImageFile.Kernel)).Status);
        Assert.Equal(409, (await Assert.ThrowsAsync<JobRequestException>(() =>
            service.AppendAsync(stuck.Id, IPAddress.Loopback, FirstImageFile.Kernel, 0, new MemoryStream([1]), default))).Status);
        Assert.Equal(409, (await Assert.ThrowsAsync<JobRequestException>(() => service.SubmitAsync(stuck.Id, IPAddress.Loopback, [], default))).Status);
    }

    [Fact]
    public async Task A_partial_upload_over_http_is_aborted_after_a_real_window()
    {
        var (service, store) = Service(null, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100));
        await using var app = JobHttpApi.Build(service, new IPEndPoint(IPAddress.Loopback, 0));
        await app.StartAsync();
        var url = new Uri(app.Services.GetService(typeof(IServer)) is IServer server
            ? server.Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/" : throw new InvalidOperationException());
        using var expiry = new CancellationTokenSource();
        var running = service.RunExpiryAsync(expiry.Token);
        using var client = new JobClient(url);
        var record = await client.CreateAsync(default);
        using var raw = new HttpClient { BaseAddress = url };
        Assert.True((await raw.PutAsync($"jobs/{record.Id}/first/kernel?offset=0", new ByteArrayContent(new byte[4096]))).IsSuccessStatusCode);
        // The held status request is answered when the job is Failed.
        var failed = await client.WaitStatusAsync(record.Id, JobState.Receiving, TimeSpan.FromSeconds(30), default).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Contains("upload not submitted within 1 s", failed.Failure);
        Assert.False(File.Exists(store.PartPath(record.Id, FirstImageFile.Kernel)));
        Assert.Equal(HttpStatusCode.Conflict, (await raw.PutAsync($"jobs/{record.Id}/first/kernel?offset=0", new ByteArrayContent([1]))).StatusCode);
        await expiry.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    private (JobService, JobStore) Service(TimeProvider? clock, TimeSpan window, TimeSpan? interval = null)
    {
        var store = new JobStore(Path.Combine(_dir, "jobs"));
        var identity = new NodeIdentity("bs1", MacAddress.Parse("02-00-00-00-0B-01"), MacAddress.Parse("02-00-00-00-0D-01"));
        var node = new NodeControl(TpmEndpoint.Parse("tcp:127.0.0.1:1"), new StateDirectory(_dir), identity, "lo", NullLogger.Instance);
        var options = new JobServiceOptions { UploadWindow = window, ExpiryInterval = interval ?? TimeSpan.FromSeconds(10) };
        return (new JobService(store, node, GuestHypervisors.Create(), options, NullLogger.Instance, clock), store);
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
