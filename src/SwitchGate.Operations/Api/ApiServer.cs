using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SwitchGate.Attestation.Enrolment;
using SwitchGate.Controller.Sessions;
using SwitchGate.Gate;
using SwitchGate.Operations.Configuration;
using SwitchGate.Operations.Events;
using SwitchGate.Operations.Metrics;
using SwitchGate.Operations.Store;

namespace SwitchGate.Operations.Api;

/// <summary>
/// The REST API, metrics, event stream and dashboard on their own Kestrel server inside the controller's host
/// (docs/operations.md "REST API"). Loopback by default. It reads the controller through <see cref="SwitchRegistry"/>,
/// the gate through <see cref="GateService"/> and the history through <see cref="OperationsStore"/>.
/// </summary>
public sealed class ApiServer(
    ApiOptions options,
    ApiQueries queries,
    EventHub events,
    PrometheusExporter metrics,
    ILoggerFactory loggerFactory,
    ILogger<ApiServer> log) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>The bound address (with the real port for port 0), once started.</summary>
    public Uri? Address { get; private set; }

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "SwitchGate.Operations" });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(k => k.Listen(options.ListenAddress, options.Port));
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = Json.PropertyNamingPolicy;
            o.SerializerOptions.DefaultIgnoreCondition = Json.DefaultIgnoreCondition;
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new() { Title = "SwitchGate controller API", Version = "v1", Description = "docs/operations.md" };
            return Task.CompletedTask;
        }));
        var tokens = new ApiTokens(options.Tokens);
        builder.Services.AddRateLimiter(r =>
        {
            r.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // One window per presented credential (or per address without one), so one noisy client cannot starve another.
            r.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => RateLimitPartition.GetFixedWindowLimiter(
                context.Request.Headers.Authorization.ToString() is { Length: > 0 } auth ? "t:" + ApiTokens.Digest(auth) : "a:" + context.Connection.RemoteIpAddress,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = options.RateLimitPerSecond, Window = TimeSpan.FromSeconds(1), QueueLimit = 0 }));
            r.OnRejected = async (context, cancel) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "1";
                await Problem(context.HttpContext, 429, "Too many requests", $"more than {options.RateLimitPerSecond} requests per second").ConfigureAwait(false);
            };
        });
        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRateLimiter();
        app.UseRouting();
        app.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<RequireRole>() is { } need)
            {
                var (outcome, token) = tokens.Check(ApiTokens.Presented(context.Request, need.AllowQueryToken), need.Role);
                switch (outcome)
                {
                    case AuthOutcome.Missing:
                        context.Response.Headers.WWWAuthenticate = ApiTokens.Scheme;
                        await Problem(context, 401, "Unauthorized", "a bearer token is required (Authorization: Bearer TOKEN)").ConfigureAwait(false);
                        return;
                    case AuthOutcome.Unknown:
                        context.Response.Headers.WWWAuthenticate = $"{ApiTokens.Scheme} error=\"invalid_token\"";
                        await Problem(context, 401, "Unauthorized", "the bearer token is not valid").ConfigureAwait(false);
                        return;
                    case AuthOutcome.Forbidden:
                        await Problem(context, 403, "Forbidden", $"token '{token!.Name}' has role {token.Role.ToString().ToLowerInvariant()}; this needs {need.Role.ToString().ToLowerInvariant()}").ConfigureAwait(false);
                        return;
                }
                context.Items[typeof(ApiTokenConfig)] = token;
            }
            await next(context).ConfigureAwait(false);
        });
        Map(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Address = new Uri(address);
        // Contract with scripts and tests, like the OpenFlow listener's line.
        if (log.IsEnabled(LogLevel.Information))
            log.ApiListening(Address.ToString().TrimEnd('/'));
    }

    private void Map(WebApplication app)
    {
        var read = new RequireRole(ApiRole.Read);
        var admin = new RequireRole(ApiRole.Admin);
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapGet("/", () => Results.Content(Dashboard.Html, "text/html; charset=utf-8")).ExcludeFromDescription();
        var metricsEndpoint = app.MapGet("/metrics", () => Results.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8"))
            .WithSummary("Prometheus text exposition");
        if (!options.AnonymousMetrics)
            metricsEndpoint.WithMetadata(read);

        var api = app.MapGroup("/api/v1");
        api.MapGet("/switches", queries.SwitchesAsync).WithMetadata(read).WithSummary("Connected switches: ports, state, flow and meter counts");
        api.MapGet("/nodes", () => Results.Ok(queries.Nodes())).WithMetadata(read).WithSummary("Enrolled nodes and where each stands");
        api.MapGet("/nodes/{name}", (string name) => queries.Node(name) is { } node ? Results.Ok(node) : NotFound($"node '{name}' is not enrolled"))
            .WithMetadata(read).WithSummary("One node, with its recent admissions");
        api.MapGet("/admissions", (HttpRequest request) => Paged(request, verdictsOnly: true)).WithMetadata(read)
            .WithSummary("Admissions history: admitted and revoked verdicts, paged, by node and time");
        api.MapGet("/audit", (HttpRequest request) => Paged(request, verdictsOnly: false)).WithMetadata(read)
            .WithSummary("Audit trail, paged (after, limit), filtered by node and time (since, until: ISO 8601)");
        api.MapPost("/nodes", (HttpRequest request) => EnrolAsync(request, null)).WithMetadata(admin).WithSummary("Enrol a node (EnrolmentRecord JSON)");
        api.MapPut("/nodes/{name}", (string name, HttpRequest request) => EnrolAsync(request, name)).WithMetadata(admin)
            .WithSummary("Enrol or replace a node's record");
        api.MapDelete("/nodes/{name}", (string name, HttpContext context) => queries.Remove(name, Who(context)) switch
        {
            EnrolOutcome.NotFound => NotFound($"node '{name}' is not enrolled"),
            _ => Results.NoContent(),
        }).WithMetadata(admin).WithSummary("Remove a node's enrolment (revokes its admission)");
        api.MapPost("/nodes/{name}/revoke", (string name, HttpContext context) => queries.Revoke(name, Who(context)) switch
        {
            EnrolOutcome.NotFound => NotFound($"node '{name}' is not enrolled"),
            EnrolOutcome.Conflict => Results.Problem(statusCode: 409, title: "Conflict", detail: $"node '{name}' holds no admission"),
            _ => Results.Accepted(value: new { node = name, revoking = true }),
        }).WithMetadata(admin).WithSummary("Revoke a node's admission now");
        api.MapGet("/events/last", () => Results.Ok(new { last = events.Last })).WithMetadata(read).WithSummary("Sequence number of the newest event");
        api.MapGet("/events", StreamAsync).WithMetadata(new RequireRole(ApiRole.Read, AllowQueryToken: true))
            .WithSummary("Server-sent events; resume with Last-Event-ID (or ?after=N)");
    }

    private static string Who(HttpContext context) => context.Items[typeof(ApiTokenConfig)] is ApiTokenConfig t ? t.Name : "?";

    private static IResult NotFound(string detail) => Results.Problem(statusCode: 404, title: "Not Found", detail: detail);

    private static IResult BadRequest(string detail) => Results.Problem(statusCode: 400, title: "Bad Request", detail: detail);

    private static Task Problem(HttpContext context, int status, string title, string detail) =>
        Results.Problem(statusCode: status, title: title, detail: detail).ExecuteAsync(context);

    /// <summary>Reads node, since, until, after, limit; every malformed one is a 400 naming the parameter.</summary>
    private IResult Paged(HttpRequest request, bool verdictsOnly)
    {
        var q = request.Query;
        foreach (var key in q.Keys)
            if (key is not ("node" or "since" or "until" or "after" or "limit"))
                return BadRequest($"unknown query parameter '{key}' (known: node, since, until, after, limit)");
        DateTimeOffset? Time(string name, out string? problem)
        {
            problem = null;
            if (!q.TryGetValue(name, out var text))
                return null;
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
                return t;
            problem = $"'{name}' must be an ISO 8601 time, not '{text}'";
            return null;
        }
        var since = Time("since", out var p1);
        var until = Time("until", out var p2);
        if ((p1 ?? p2) is { } timeProblem)
            return BadRequest(timeProblem);
        long after = 0;
        if (q.TryGetValue("after", out var afterText) && (!long.TryParse(afterText, NumberStyles.None, CultureInfo.InvariantCulture, out after)))
            return BadRequest($"'after' must be a non-negative integer, not '{afterText}'");
        int limit = 100;
        if (q.TryGetValue("limit", out var limitText) && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
            return BadRequest($"'limit' must be an integer in 1..1000, not '{limitText}'");
        string? node = q.TryGetValue("node", out var n) ? n.ToString() : null;
        return queries.Audit(node, since, until, after, limit, verdictsOnly) is { } page
            ? Results.Ok(page)
            : Results.Problem(statusCode: 503, title: "Service Unavailable", detail: "no store is configured (store.database)");
    }

    private async Task<IResult> EnrolAsync(HttpRequest request, string? name)
    {
        if (!(request.ContentType ?? "").StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return Results.Problem(statusCode: 415, title: "Unsupported Media Type", detail: "the body must be an enrolment record as application/json");
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body).ConfigureAwait(false);
        if (body.Length > 64 * 1024)
            return Results.Problem(statusCode: 413, title: "Payload Too Large", detail: "an enrolment record is at most 64 KiB");
        EnrolmentRecord record;
        try
        {
            record = EnrolmentRecord.FromJson(body.ToArray());
        }
        catch (EnrolmentFormatException e)
        {
            return BadRequest(e.Message);
        }
        if (name is not null && record.Node != name)
            return BadRequest($"the record is for node '{record.Node}', not '{name}'");
        var (outcome, problem) = queries.Enrol(record, replace: name is not null, Who(request.HttpContext));
        return outcome switch
        {
            EnrolOutcome.Created => Results.Created($"/api/v1/nodes/{record.Node}", queries.Node(record.Node)),
            EnrolOutcome.Replaced => Results.Ok(queries.Node(record.Node)),
            EnrolOutcome.Conflict => Results.Problem(statusCode: 409, title: "Conflict", detail: problem),
            _ => Results.Problem(statusCode: 422, title: "Unprocessable Entity", detail: problem),
        };
    }

    private async Task StreamAsync(HttpContext context)
    {
        long after = events.Last;
        var lastId = context.Request.Headers["Last-Event-ID"].ToString();
        var afterQuery = context.Request.Query["after"].ToString();
        var position = lastId.Length > 0 ? lastId : afterQuery;
        if (position.Length > 0 && !long.TryParse(position, NumberStyles.None, CultureInfo.InvariantCulture, out after))
        {
            await Problem(context, 400, "Bad Request", $"Last-Event-ID / after must be a non-negative integer, not '{position}'").ConfigureAwait(false);
            return;
        }
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        using var writeLock = new SemaphoreSlim(1, 1);
        using var streamCancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        var cancel = streamCancel.Token;
        async Task WriteAsync(string text)
        {
            await writeLock.WaitAsync(cancel).ConfigureAwait(false);
            try
            {
                await response.WriteAsync(text, cancel).ConfigureAwait(false);
                await response.Body.FlushAsync(cancel).ConfigureAwait(false);
            }
            finally
            {
                writeLock.Release();
            }
        }
        await WriteAsync("retry: 1000\n\n").ConfigureAwait(false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var heartbeat = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(15));
            while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false))
                await WriteAsync(": keepalive\n\n").ConfigureAwait(false);
        }, stop.Token);
        try
        {
            await foreach (var e in events.Read(after, cancel).ConfigureAwait(false))
                await WriteAsync($"id: {e.Sequence}\nevent: {e.Type}\ndata: {e.Data}\n\n").ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is EventStreamOverflowException or EventGapException or IOException)
        {
            try
            {
                await WriteAsync($"event: error\ndata: {JsonSerializer.Serialize(new { detail = e.Message })}\n\n").ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
            }
        }
        finally
        {
            stop.Cancel();
            try
            {
                await heartbeat.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Event streams never end by themselves: end them, or the server would wait for them until the shutdown timeout.
        _stopping.Cancel();
        if (_app is not null)
            await _app.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
            await _app.DisposeAsync().ConfigureAwait(false);
    }
}
