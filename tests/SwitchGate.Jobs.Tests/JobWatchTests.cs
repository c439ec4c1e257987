using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SwitchGate.Jobs.Codec;
using SwitchGate.Jobs.Model;
using SwitchGate.Jobs.Pipeline;
using SwitchGate.Jobs.Transfer;

namespace SwitchGate.Jobs.Tests;

/// <summary>
/// When a held status request is answered (<see cref="JobWatch"/>), and what the host's client does with an agent
/// that answers it falsely or not at all (a boot server is untrusted while dirty).
/// </summary>
public sealed class JobWatchTests
{
    [Theory]
    [InlineData(JobState.Receiving, JobState.Queued, true)]
    [InlineData(JobState.Queued, JobState.Queued, false)]
    [InlineData(JobState.Queued, JobState.Departing, false)]
    [InlineData(JobState.Queued, JobState.Booting, false)]
    [InlineData(JobState.Queued, JobState.Saving, false)]
    [InlineData(JobState.Queued, JobState.Rebooting, false)]
    [InlineData(JobState.Queued, JobState.Attesting, false)]
    [InlineData(JobState.Queued, JobState.Verifying, false)]
    [InlineData(JobState.Queued, JobState.Ready, true)]
    [InlineData(JobState.Booting, JobState.Failed, true)]
    [InlineData(JobState.Ready, JobState.Delivered, true)]
    [InlineData(JobState.Ready, JobState.Ready, false)]
    public void Answers_a_change_only_in_a_state_the_switch_lets_through(JobState since, JobState now, bool answers) =>
        Assert.Equal(answers, JobWatch.Answers(since, now));

    [Fact]
    public void Every_state_the_job_owns_the_node_in_is_held()
    {
        foreach (var state in Enum.GetValues<JobState>())
            Assert.Equal(!(Samples.Record(state).OwnsNode), JobWatch.IsVisible(state));
    }

    [Fact]
    public async Task A_record_of_another_job_is_refused()
    {
        await using var agent = await FakeAgent.StartAsync(_ => Task.FromResult(JobCodec.Write(Samples.Record(JobState.Ready, id: "jother"))));
        using var client = new JobClient(agent.Url);
        var e = await Assert.ThrowsAsync<JobFormatException>(() => client.WaitStatusAsync("jmine", JobState.Queued, TimeSpan.FromSeconds(5), default));
        Assert.Contains("'jother', not the 'jmine'", e.Message);
    }

    [Fact]
    public async Task A_malformed_or_oversized_answer_is_refused()
    {
        await using var garbage = await FakeAgent.StartAsync(_ => Task.FromResult(Encoding.UTF8.GetBytes("{\"state\":\"Ready\"}")));
        using var client = new JobClient(garbage.Url);
        await Assert.ThrowsAsync<JobFormatException>(() => client.WaitStatusAsync("jmine", JobState.Queued, TimeSpan.FromSeconds(5), default));
        await using var huge = await FakeAgent.StartAsync(_ => Task.FromResult(new byte[JobLimits.RecordBytes * 9]));
        using var other = new JobClient(huge.Url);
        await Assert.ThrowsAsync<JobFormatException>(() => other.WaitStatusAsync("jmine", JobState.Queued, TimeSpan.FromSeconds(5), default));
    }

    [Fact]
    public async Task An_agent_that_never_answers_is_given_up_after_the_wait_and_its_grace()
    {
        await using var agent = await FakeAgent.StartAsync(async c =>
        {
            await Task.Delay(Timeout.Infinite, c.RequestAborted);
            return [];
        });
        using var client = new JobClient(agent.Url);
        var started = DateTimeOffset.UtcNow;
        var e = await Assert.ThrowsAsync<JobTransferException>(() => client.WaitStatusAsync("jmine", JobState.Queued, TimeSpan.Zero, default));
        Assert.Null(e.Status);
        Assert.True(DateTimeOffset.UtcNow - started >= JobWatch.AnswerGrace - TimeSpan.FromMilliseconds(100));
        Assert.Contains("no answer within 5 s", e.Message);
    }

    [Fact]
    public async Task A_wait_past_the_maximum_is_not_sent()
    {
        using var client = new JobClient(new Uri("http://127.0.0.1:1/"));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.WaitStatusAsync("jmine", JobState.Queued, JobWatch.MaxWait + TimeSpan.FromSeconds(1), default));
    }

    /// <summary>A job API that answers every status request with what the test says (a hostile or broken boot server).</summary>
    private sealed class FakeAgent : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private FakeAgent(WebApplication app, Uri url)
        {
            _app = app;
            Url = url;
        }

        public Uri Url { get; }

        public static async Task<FakeAgent> StartAsync(Func<HttpContext, Task<byte[]>> answer)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            app.MapGet("/jobs/{id}", async c =>
            {
                var body = await answer(c);
                c.Response.ContentType = "application/json";
                await c.Response.Body.WriteAsync(body, c.RequestAborted);
            });
            await app.StartAsync();
            var address = app.Services.GetService(typeof(IServer)) is IServer server
                ? server.Features.Get<IServerAddressesFeature>()!.Addresses.First() : throw new InvalidOperationException();
            return new FakeAgent(app, new Uri(address + "/"));
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
