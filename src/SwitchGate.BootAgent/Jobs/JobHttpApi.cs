using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SwitchGate.Jobs.Codec;
using SwitchGate.Jobs.Model;
using SwitchGate.Jobs.Pipeline;

namespace SwitchGate.BootAgent.Jobs;

/// <summary>
/// The job API on the boot server's rack address (docs/jobs.md "Transfer"), Kestrel:
/// <code>
/// POST /jobs                              create a job (201, its record)
/// GET  /jobs                              the caller's jobs
/// GET  /jobs/ID                           one job's record (state, failure, phases)
/// GET  /jobs/ID?since=STATE&amp;wait=S       the same, held until the job leaves STATE for a state the host can hear (JobWatch), at most S s
/// GET  /jobs/ID/first/NAME                bytes of kernel|initrd|disk the agent holds (resume point)
/// PUT  /jobs/ID/first/NAME?offset=N       append to it from N
/// POST /jobs/ID/submit                    job.json: checked, files verified, job queued
/// POST /jobs/ID/submit?wait=S             the same, then held like GET /jobs/ID?since=Queued&amp;wait=S
/// GET  /jobs/ID/second/NAME               manifest|state|disk of the second image, with Range (Ready only)
/// POST /jobs/ID/delivered                 the host holds the image: Delivered, files deleted
/// </code>
/// A job is visible only to the address that created it. Errors are one line of text with the status.
/// </summary>
public static class JobHttpApi
{
    public static WebApplication Build(JobService service, IPEndPoint listen)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // The agent's command line owns SIGTERM (its token stops the service, then this app); the host's console
        // lifetime would hold the process open waiting for a shutdown it does not drive.
        builder.Services.AddSingleton<IHostLifetime, ExternalLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(listen);
            // Uploads are bounded per file by the job service, not by one global body size.
            k.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        app.MapPost("/jobs", Handler(async c => Record(await service.CreateAsync(Caller(c), c.RequestAborted), 201)));
        app.MapGet("/jobs", Handler(c =>
        {
            using var buffer = new MemoryStream();
            buffer.WriteByte((byte)'[');
            var first = true;
            foreach (var record in service.List(Caller(c)))
            {
                if (!first) buffer.WriteByte((byte)',');
                buffer.Write(JobCodec.Write(record));
                first = false;
            }
            buffer.WriteByte((byte)']');
            return Task.FromResult(Results.Bytes(buffer.ToArray(), "application/json"));
        }));
        app.MapGet("/jobs/{id}", Handler(async c => Record(Watch(c) is var (since, wait)
            ? await service.WaitAsync(Route(c, "id"), Caller(c), since, wait, c.RequestAborted)
            : service.Status(Route(c, "id"), Caller(c)))));
        app.MapGet("/jobs/{id}/first/{name}", Handler(c =>
            Task.FromResult(Results.Text(Number(service.Received(Route(c, "id"), Caller(c), First(Route(c, "name"))))))));
        app.MapPut("/jobs/{id}/first/{name}", Handler(async c =>
            Results.Text(Number(await service.AppendAsync(Route(c, "id"), Caller(c), First(Route(c, "name")), Offset(c), c.Request.Body, c.RequestAborted)))));
        app.MapPost("/jobs/{id}/submit", Handler(async c =>
        {
            var wait = Wait(c);
            var queued = await service.SubmitAsync(Route(c, "id"), Caller(c), await ReadBoundedAsync(c, JobLimits.JobFileBytes), c.RequestAborted);
            // Held like a status request: it is at the agent before the job can depart, so no request of the host
            // has to cross the moment the switch cuts the node off.
            return Record(wait is { } w ? await service.WaitAsync(queued.Id, Caller(c), JobState.Queued, w, c.RequestAborted) : queued);
        }));
        app.MapGet("/jobs/{id}/second/{name}", Handler(c =>
        {
            var name = Route(c, "name");
            var file = JobCodec.TryParseSecond(name, out var f) ? f : throw new JobRequestException(404, $"no second-image file '{Clip(name)}'");
            return Task.FromResult(Results.File(service.SecondFile(Route(c, "id"), Caller(c), file),
                file == SecondImageFile.Manifest ? "application/json" : "application/octet-stream", enableRangeProcessing: true));
        }));
        app.MapPost("/jobs/{id}/delivered", Handler(async c => Record(await service.DeliveredAsync(Route(c, "id"), Caller(c), c.RequestAborted))));
        return app;
    }

    private static RequestDelegate Handler(Func<HttpContext, Task<IResult>> body) => c => Handle(c, body);

    private static string Route(HttpContext c, string key) => c.Request.RouteValues[key] as string ?? "";

    private static string Number(long n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static long Offset(HttpContext c) =>
        long.TryParse(c.Request.Query["offset"], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var offset)
            ? offset : throw new JobRequestException(400, "offset=N (a non-negative integer) is required");

    /// <summary><c>?since=STATE&amp;wait=SECONDS</c> of a held status request (both or neither), strictly: a state name and 0 … 60.</summary>
    private static (JobState Since, TimeSpan Wait)? Watch(HttpContext c)
    {
        var since = c.Request.Query["since"];
        var wait = Wait(c);
        if (since.Count == 0 && wait is null)
            return null;
        var name = since.Count == 1 ? since[0] : null;
        if (name is null || !Enum.GetNames<JobState>().Contains(name, StringComparer.Ordinal))
            throw new JobRequestException(400, $"since=STATE (one of {string.Join('|', Enum.GetNames<JobState>())}) is required with wait");
        return (Enum.Parse<JobState>(name), wait ?? throw new JobRequestException(400, $"wait=SECONDS (0 to {JobWatch.MaxWait.TotalSeconds:0}) is required with since"));
    }

    /// <summary>The optional <c>?wait=SECONDS</c> of a submission (0 … 60).</summary>
    private static TimeSpan? Wait(HttpContext c)
    {
        var wait = c.Request.Query["wait"];
        if (wait.Count == 0)
            return null;
        if (wait.Count != 1 || !int.TryParse(wait[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            || seconds > JobWatch.MaxWait.TotalSeconds)
            throw new JobRequestException(400, $"wait=SECONDS must be 0 to {JobWatch.MaxWait.TotalSeconds:0}");
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>Runs a handler and writes its result, or the refusal as one line with its status.</summary>
    private static async Task Handle(HttpContext context, Func<HttpContext, Task<IResult>> body)
    {
        IResult result;
        try
        {
            result = await body(context).ConfigureAwait(false);
        }
        catch (JobRequestException e)
        {
            result = Results.Text(e.Message + "\n", statusCode: e.Status);
        }
        catch (JobFormatException e)
        {
            result = Results.Text(e.Message + "\n", statusCode: 422);
        }
        catch (Exception e) when (e is IOException or BadHttpRequestException && !context.RequestAborted.IsCancellationRequested)
        {
            result = Results.Text($"transfer failed: {e.Message}\n", statusCode: 400);
        }
        await result.ExecuteAsync(context).ConfigureAwait(false);
    }

    private static IResult Record(JobRecord record, int status = 200) =>
        new StatusBytes(JobCodec.Write(record), status);

    private static FirstImageFile First(string name) =>
        JobCodec.TryParseFirst(name, out var file) ? file : throw new JobRequestException(404, $"no first-image file '{Clip(name)}'");

    private static IPAddress Caller(HttpContext context) => context.Connection.RemoteIpAddress ?? IPAddress.None;

    private static async Task<byte[]> ReadBoundedAsync(HttpContext context, int max)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int n;
        while ((n = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > max)
                throw new JobRequestException(413, $"job file refused: more than the limit of {max} bytes");
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    private static string Clip(string s) => s.Length <= 32 ? s : s[..32];

    private sealed class ExternalLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>A JSON body with a status (Results.Bytes has no status parameter).</summary>
    private sealed class StatusBytes(byte[] body, int status) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        }
    }
}
