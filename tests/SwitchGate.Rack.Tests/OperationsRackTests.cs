using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SwitchGate.Operations.Tests;
using SwitchGate.Topology;

namespace SwitchGate.Rack.Tests;

/// <summary>
/// A rack whose controller runs with the durable store and the REST API (docs/operations.md): an admin and a
/// read token, the API's address taken from the controller's "api listening on" line.
/// </summary>
public sealed partial class OpsRack : IAsyncDisposable
{
    private readonly string _work;

    private OpsRack(string work, RackFixture rack, string adminToken, string readToken)
    {
        _work = work;
        Rack = rack;
        AdminToken = adminToken;
        ReadToken = readToken;
    }

    public RackFixture Rack { get; }

    /// <summary>The store's database (with its WAL and shared-memory files) and the controller's configuration.</summary>
    public string WorkDirectory => _work;

    public string AdminToken { get; }

    public string ReadToken { get; }

    public Uri Api => new(Rack.Controller.Process.Lines.Select(l => ApiLine().Match(l)).Last(m => m.Success).Groups[1].Value);


    private static string NewToken() => "sg_test_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    private static string Digest(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public static async Task<OpsRack> StartAsync(int leaseSeconds = 20)
    {
        var work = Directory.CreateTempSubdirectory("sg-ops-rack-").FullName;
        string adminToken = NewToken(), readToken = NewToken();
        var database = Path.Combine(work, "switchgate.db");
        var init = await CommandRunner.TryRunAsync("dotnet", [Paths.CliDll, "controller", "store", "init", "--database", database], TimeSpan.FromSeconds(60));
        Assert.True(init.ExitCode == 0, init.StandardError);
        var config = Path.Combine(work, "controller.json");
        File.WriteAllText(config, $$"""
            {
              "store": { "database": "{{database}}" },
              "api": { "port": 0, "rate_limit": 1000, "tokens": [
                { "name": "test-admin", "role": "admin", "sha256": "{{Digest(adminToken)}}" },
                { "name": "test-reader", "role": "read", "sha256": "{{Digest(readToken)}}" } ] }
            }
            """);
        try
        {
            var rack = await RackFixture.StartAsync(leaseSeconds, extraControllerArgs: ["--config", config, "--audit-sync", "background"]);
            return new OpsRack(work, rack, adminToken, readToken);
        }
        catch
        {
            Directory.Delete(work, recursive: true);
            throw;
        }
    }

    [GeneratedRegex(@"api listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ApiLine();

    public HttpClient Client(string? token)
    {
        var client = new HttpClient { BaseAddress = Api, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task<JsonNode> GetAsync(string path, string? token = null)
    {
        using var client = Client(token ?? ReadToken);
        var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    public async Task<JsonNode> WaitForAsync(string path, Func<JsonNode, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var node = await GetAsync(path);
            if (condition(node))
                return node;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"waited for {what}; last {path}: {node.ToJsonString()}\n{Rack.ControllerOutput()}");
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Rack is not null)
            await Rack.DisposeAsync();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }
}

/// <summary>The REST API, metrics and events against a running controller on the OVS rack with real agents.</summary>
[Trait("Requires", "root")]
[Trait("Requires", "ovs")]
[Trait("Requires", "swtpm")]
public sealed class OperationsRackTests
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Api_shows_the_rack_and_steers_it_and_metrics_move()
    {
        await using var ops = await OpsRack.StartAsync();
        var rack = ops.Rack;
        var metricsBefore = await MetricsAsync(ops);

        var switches = (await ops.GetAsync("/api/v1/switches")).AsArray();
        var s1 = Assert.Single(switches)!;
        Assert.Equal($"0x{rack.DatapathId:x16}", (string?)s1["datapath_id"]);
        Assert.Equal("Ready", (string?)s1["state"]);
        Assert.True(s1["ports"]!.AsArray().Count >= 3);
        Assert.True((int)s1["flows"]! > 5, s1.ToJsonString());
        Assert.True((int)s1["meters"]! >= 2, s1.ToJsonString());

        var nodes = (await ops.GetAsync("/api/v1/nodes")).AsArray();
        Assert.Equal(["bs1", "bs2"], nodes.Select(n => (string?)n!["node"]));
        Assert.All(nodes, n => Assert.Equal("idle", (string?)n!["state"]));
        Assert.Null(nodes[0]!["secret"]);

        var attest = await rack.AttestOnceAsync("bs1");
        Assert.True(attest.Succeeded, attest + rack.ControllerOutput());
        var bs1 = await ops.GetAsync("/api/v1/nodes/bs1");
        Assert.Equal("admitted", (string?)bs1["state"]);
        Assert.True((double)bs1["lease_left_seconds"]! > 10);
        Assert.Equal("admitted", (string?)bs1["last_verdict"]!["verdict"]);
        Assert.Equal(rack.BootServer("bs1").CleanMac.ToString().ToLowerInvariant(), (string?)bs1["clean_mac"]);

        var audit = await ops.GetAsync("/api/v1/audit?node=bs1");
        Assert.Contains(audit["items"]!.AsArray(), i => (string?)i!["verdict"] == "admitted" && (string?)i["node"] == "bs1");
        Assert.DoesNotContain(audit["items"]!.AsArray(), i => (string?)i!["node"] is not (null or "bs1"));
        var future = await ops.GetAsync($"/api/v1/audit?since={DateTime.UtcNow.AddHours(1):O}");
        Assert.Empty(future["items"]!.AsArray());

        // A read token cannot revoke; the admin token can, and the node loses its flows at once.
        using (var reader = ops.Client(ops.ReadToken))
            Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsync("/api/v1/nodes/bs1/revoke", null)).StatusCode);
        using (var admin = ops.Client(ops.AdminToken))
        {
            var revoke = await admin.PostAsync("/api/v1/nodes/bs1/revoke", null);
            Assert.Equal(HttpStatusCode.Accepted, revoke.StatusCode);
            Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsync("/api/v1/nodes/bs2/revoke", null)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/api/v1/nodes/nobody/revoke", null)).StatusCode);
        }
        await rack.WaitForFlowsAsync(f => !f.Any(x => x.Table == 0 && x.Priority == 800), TimeSpan.FromSeconds(15), "the admission flows to go");
        var history = await ops.WaitForAsync("/api/v1/admissions?node=bs1", n => n["items"]!.AsArray().Count == 2, "the revocation in the history");
        var revoked = history["items"]!.AsArray()[1]!;
        Assert.Equal("revoked", (string?)revoked["verdict"]);
        Assert.Contains("revoked by the operator (API token 'test-admin')", (string?)revoked["detail"]);
        Assert.Equal("idle", (string?)(await ops.GetAsync("/api/v1/nodes/bs1"))["state"]);

        var metrics = await MetricsAsync(ops);
        Assert.Equal(1, PrometheusSum(metrics, "switchgate_connected_switches"));
        Assert.True(Delta(metricsBefore, metrics, "switchgate_attestations_total", l => l.GetValueOrDefault("verdict") == "admitted" && l.GetValueOrDefault("reason") == "Admitted") >= 1);
        Assert.True(Delta(metricsBefore, metrics, "switchgate_revocations_total", l => l.GetValueOrDefault("cause") == "LeaseExpired") >= 1);
        Assert.True(Delta(metricsBefore, metrics, "switchgate_packet_ins_total") >= 2);
        Assert.True(Delta(metricsBefore, metrics, "switchgate_flow_mods_total") >= 4);
        Assert.True(Delta(metricsBefore, metrics, "switchgate_attestation_latency_seconds_count") >= 1);
        Assert.True(Delta(metricsBefore, metrics, "switchgate_barrier_rtt_seconds_count") >= 2);
        Assert.True(Delta(metricsBefore, metrics, "switchgate_audit_write_seconds_count") >= 2);
    }

    [Fact]
    public async Task Auth_and_malformed_requests_are_refused_with_problem_details_and_change_nothing()
    {
        await using var ops = await OpsRack.StartAsync();
        var auditBefore = (await ops.GetAsync("/api/v1/audit?limit=1000"))["items"]!.AsArray().Count;

        async Task Expect(HttpStatusCode status, string? token, HttpMethod method, string path, HttpContent? body = null, string? detail = null)
        {
            using var client = ops.Client(token);
            var response = await client.SendAsync(new HttpRequestMessage(method, path) { Content = body });
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(status == response.StatusCode, $"{method} {path}: expected {status}, got {(int)response.StatusCode} {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonNode.Parse(text)!;
            Assert.Equal((int)status, (int)problem["status"]!);
            if (detail is not null)
                Assert.Contains(detail, (string?)problem["detail"]);
        }

        await Expect(HttpStatusCode.Unauthorized, null, HttpMethod.Get, "/api/v1/nodes", detail: "bearer token is required");
        await Expect(HttpStatusCode.Unauthorized, "sg_wrong", HttpMethod.Get, "/api/v1/nodes", detail: "not valid");
        await Expect(HttpStatusCode.Unauthorized, null, HttpMethod.Delete, "/api/v1/nodes/bs1");
        await Expect(HttpStatusCode.Forbidden, ops.ReadToken, HttpMethod.Delete, "/api/v1/nodes/bs1", detail: "needs admin");
        await Expect(HttpStatusCode.Forbidden, ops.ReadToken, HttpMethod.Post, "/api/v1/nodes", Json("{}"));
        await Expect(HttpStatusCode.BadRequest, ops.AdminToken, HttpMethod.Post, "/api/v1/nodes", Json("{\"node\": "), "not valid JSON");
        await Expect(HttpStatusCode.BadRequest, ops.AdminToken, HttpMethod.Post, "/api/v1/nodes", Json("{\"node\": \"x\"}"), "invalid enrolment");
        await Expect(HttpStatusCode.UnsupportedMediaType, ops.AdminToken, HttpMethod.Post, "/api/v1/nodes", new StringContent("node=x"));
        var bs1 = File.ReadAllText(Path.Combine(ops.Rack.EnrolmentDirectory, "bs1.json"));
        await Expect(HttpStatusCode.Conflict, ops.AdminToken, HttpMethod.Post, "/api/v1/nodes", Json(bs1), "already enrolled");
        await Expect(HttpStatusCode.BadRequest, ops.AdminToken, HttpMethod.Put, "/api/v1/nodes/bs2", Json(bs1), "not 'bs2'");
        // Another node on bs1's port and MACs: refused by the gate, and nothing is left behind.
        var clash = JsonNode.Parse(bs1)!;
        clash["node"] = "clash";
        await Expect(HttpStatusCode.UnprocessableEntity, ops.AdminToken, HttpMethod.Post, "/api/v1/nodes", Json(clash.ToJsonString()), "also enrolled");
        Assert.False(File.Exists(Path.Combine(ops.Rack.EnrolmentDirectory, "clash.json")));
        await Expect(HttpStatusCode.NotFound, ops.AdminToken, HttpMethod.Delete, "/api/v1/nodes/..%2Fbs1");
        await Expect(HttpStatusCode.BadRequest, ops.ReadToken, HttpMethod.Get, "/api/v1/audit?since=yesterday", detail: "'since' must be an ISO 8601 time");
        await Expect(HttpStatusCode.BadRequest, ops.ReadToken, HttpMethod.Get, "/api/v1/audit?limit=5000", detail: "'limit'");
        await Expect(HttpStatusCode.BadRequest, ops.ReadToken, HttpMethod.Get, "/api/v1/audit?after=-1", detail: "'after'");
        await Expect(HttpStatusCode.BadRequest, ops.ReadToken, HttpMethod.Get, "/api/v1/audit?nod=bs1", detail: "unknown query parameter 'nod'");
        await Expect(HttpStatusCode.NotFound, ops.ReadToken, HttpMethod.Get, "/api/v1/nodes/nobody");

        Assert.Equal(["bs1", "bs2"], (await ops.GetAsync("/api/v1/nodes")).AsArray().Select(n => (string?)n!["node"]));
        Assert.Equal(auditBefore, (await ops.GetAsync("/api/v1/audit?limit=1000"))["items"]!.AsArray().Count);

        // The OpenAPI description is served and lists the API.
        using var anonymous = ops.Client(null);
        var openapi = JsonNode.Parse(await anonymous.GetStringAsync("/openapi/v1.json"))!;
        Assert.NotNull(openapi["paths"]!["/api/v1/nodes/{name}/revoke"]);
    }

    [Fact]
    public async Task The_event_stream_resumes_after_a_disconnect_without_gaps()
    {
        await using var ops = await OpsRack.StartAsync();
        var rack = ops.Rack;
        var first = new List<(long Id, string Type, string Data)>();
        using (var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            var reading = ReadEventsAsync(ops, 0, first, e => e.Type == "admission", cancel.Token);
            var attest = await rack.AttestOnceAsync("bs1");
            Assert.True(attest.Succeeded, attest.ToString());
            await reading;
        }
        Assert.Contains(first, e => e.Type == "switch_connected");
        Assert.Contains(first, e => e.Type == "enrolment_added");
        // Disconnected: more happens (bs2 admitted, bs1 revoked by its departure).
        Assert.True((await rack.AttestOnceAsync("bs2")).Succeeded);
        Assert.True((await rack.DepartAsync("bs1")).Succeeded);
        var resumed = new List<(long Id, string Type, string Data)>();
        using (var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            await ReadEventsAsync(ops, first[^1].Id, resumed, e => e.Type == "revocation", cancel.Token);
        var all = first.Concat(resumed).Select(e => e.Id).ToList();
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all);
        Assert.Contains(resumed, e => e.Type == "admission" && e.Data.Contains("\"node\":\"bs2\""));
        Assert.Contains(resumed, e => e.Type == "revocation" && e.Data.Contains("\"reason\":\"Departed\""));
    }

    [Fact]
    public async Task The_cli_prints_tables_and_json_and_exits_with_reliable_codes()
    {
        await using var ops = await OpsRack.StartAsync();
        var rack = ops.Rack;
        Task<CommandResult> Cli(string? token, params string[] args) => CommandRunner.TryRunAsync("dotnet",
            new[] { Paths.CliDll }.Concat(args).Concat(new[] { "--url", ops.Api.ToString() }).Concat(token is null ? [] : new[] { "--token", token }),
            TimeSpan.FromSeconds(60));
        void Ok(CommandResult r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.StandardError}{r.StandardOutput}");
        void Refused(CommandResult r, int code, string text)
        {
            Assert.True(r.ExitCode == code, $"expected exit {code}, got {r.ExitCode}: {r.StandardError}");
            Assert.Single(r.StandardError.Trim().Split('\n'));
            Assert.StartsWith("switchgate: ", r.StandardError);
            Assert.Contains(text, r.StandardError);
        }

        await using var follow = ManagedProcess.Start("dotnet", [Paths.CliDll, "events", "--follow", "--url", ops.Api.ToString(), "--token", ops.ReadToken]);
        var switches = await Cli(ops.ReadToken, "switches");
        Ok(switches);
        Assert.Matches(@"^DATAPATH\s+STATE\s+REMOTE\s+PORTS\s+FLOWS\s+METERS", switches.StandardOutput);
        Assert.Contains($"0x{rack.DatapathId:x16}  Ready", switches.StandardOutput);

        var attest = await rack.AttestOnceAsync("bs1");
        Assert.True(attest.Succeeded, attest.ToString());
        var nodes = await Cli(ops.ReadToken, "nodes");
        Ok(nodes);
        Assert.Matches(@"(?m)^bs1\s+0x[0-9a-f]{16}\s+\d+\s+admitted\s+\d+s\s+admitted Admitted$", nodes.StandardOutput);
        var json = await Cli(ops.ReadToken, "nodes", "--json");
        Ok(json);
        Assert.Equal("admitted", (string?)JsonNode.Parse(json.StandardOutput)!.AsArray().Single(n => (string?)n!["node"] == "bs1")!["state"]);
        var show = await Cli(ops.ReadToken, "node", "show", "bs1");
        Ok(show);
        Assert.Contains("state               admitted", show.StandardOutput);
        Assert.Contains("last_verdict", show.StandardOutput);

        Refused(await Cli(ops.ReadToken, "revoke", "bs1"), 4, "needs admin");
        Refused(await Cli(null, "nodes"), 4, "401");
        Refused(await Cli("sg_wrong", "nodes"), 4, "not valid");
        Refused(await Cli(ops.ReadToken, "node", "show", "nobody"), 5, "not enrolled");
        Refused(await Cli(ops.AdminToken, "enrol", "--file", Path.Combine(rack.EnrolmentDirectory, "bs1.json")), 6, "already enrolled");
        Refused(await Cli(ops.AdminToken, "enrol", "--file", "/nonexistent/sg.json"), 2, "cannot read");
        Refused(await Cli(ops.ReadToken, "audit", "--since", "yesterday"), 2, "--since");
        Refused(await CommandRunner.TryRunAsync("dotnet", [Paths.CliDll, "nodes", "--url", "http://127.0.0.1:9", "--token", ops.ReadToken], TimeSpan.FromSeconds(60)), 3, "cannot reach");
        Ok(await Cli(ops.AdminToken, "revoke", "bs1"));
        Refused(await Cli(ops.AdminToken, "revoke", "bs2"), 6, "holds no admission");
        await ops.WaitForAsync("/api/v1/nodes/bs1", n => (string?)n["state"] == "idle", "bs1 revoked");

        var audit = await Cli(ops.ReadToken, "audit", "--node", "bs1", "--since", "1h");
        Ok(audit);
        Assert.Matches(@"(?m)^\d+\s+\S+\s+verdict\s+bs1\s+admitted\s+Admitted", audit.StandardOutput);
        Assert.Contains("revoked by the operator (API token 'test-admin')", audit.StandardOutput);
        var auditJson = JsonNode.Parse((await Cli(ops.ReadToken, "audit", "--node", "bs1", "--json")).StandardOutput)!.AsArray();
        Assert.All(auditJson, a => Assert.Equal("bs1", (string?)a!["node"]));
        var events = await Cli(ops.ReadToken, "events");
        Ok(events);
        Assert.Contains("revocation", events.StandardOutput);

        await follow.WaitForLineAsync(new Regex(@"admission\s+bs1 admitted Admitted"), TimeSpan.FromSeconds(20));
        await follow.WaitForLineAsync(new Regex(@"revocation\s+bs1 revoked LeaseExpired"), TimeSpan.FromSeconds(20));
        Assert.False(follow.HasExited);
    }

    /// <summary>Reads the SSE stream from <paramref name="after"/> (as Last-Event-ID) until <paramref name="until"/> matched an event.</summary>
    private static async Task ReadEventsAsync(OpsRack ops, long after, List<(long Id, string Type, string Data)> into,
        Func<(long Id, string Type, string Data), bool> until, CancellationToken cancel)
    {
        using var client = ops.Client(ops.ReadToken);
        client.Timeout = Timeout.InfiniteTimeSpan;
        // Without a position the stream starts now; ?after=0 asks for everything.
        var request = new HttpRequestMessage(HttpMethod.Get, after > 0 ? "/api/v1/events" : "/api/v1/events?after=0");
        if (after > 0)
            request.Headers.Add("Last-Event-ID", after.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel));
        long id = 0;
        string type = "", data = "";
        while (await reader.ReadLineAsync(cancel) is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal)) id = long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
            else if (line.StartsWith("event: ", StringComparison.Ordinal)) type = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
            else if (line.Length == 0 && id > 0)
            {
                var e = (id, type, data);
                into.Add(e);
                id = 0;
                if (until(e))
                    return;
            }
        }
    }

    /// <summary>
    /// SIGKILL in the middle of a burst of API enrolments and agent verdicts; after a restart on the same database
    /// every acknowledged enrolment (a 201) and every acknowledged verdict (an agent that got its VERDICT) is there.
    /// </summary>
    [Fact]
    public async Task Kill_9_during_a_burst_loses_no_acknowledged_record()
    {
        await using var ops = await OpsRack.StartAsync(leaseSeconds: 30);
        var rack = ops.Rack;
        var template = JsonNode.Parse(File.ReadAllText(Path.Combine(rack.EnrolmentDirectory, "bs1.json")))!;
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();
        var admittedSessions = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var enrolling = Task.Run(async () =>
        {
            using var admin = ops.Client(ops.AdminToken);
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                var record = template.DeepClone();
                record["node"] = $"burst{i}";
                record["port"] = 1000 + i;
                record["clean_mac"] = $"02:42:00:00:{i / 256:x2}:{i % 256:x2}";
                record["dirty_mac"] = $"02:43:00:00:{i / 256:x2}:{i % 256:x2}";
                try
                {
                    var response = await admin.PostAsync("/api/v1/nodes", Json(record.ToJsonString()));
                    if (response.StatusCode == HttpStatusCode.Created)
                        acknowledged.Add($"burst{i}");
                }
                catch (HttpRequestException)
                {
                    return; // the controller is gone
                }
            }
        });
        var attesting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
                foreach (var node in new[] { "bs1", "bs2" })
                {
                    var result = await rack.AttestOnceAsync(node, 5);
                    if (Regex.Match(result.Output, "admitted session=([0-9A-Fa-f]+)") is { Success: true } m)
                        admittedSessions.Add(m.Groups[1].Value.ToUpperInvariant());
                }
        });
        await Task.Delay(TimeSpan.FromSeconds(6));
        Assert.True(!acknowledged.IsEmpty && !admittedSessions.IsEmpty, $"{acknowledged.Count} enrolments, {admittedSessions.Count} verdicts before the kill");
        await rack.KillControllerAsync();
        stop.Cancel();
        await enrolling;
        await attesting;

        await rack.RestartControllerAsync();
        var audit = new List<JsonNode>();
        for (long after = 0; ;)
        {
            var page = await ops.GetAsync($"/api/v1/audit?after={after}&limit=1000");
            audit.AddRange(page["items"]!.AsArray().Select(i => i!));
            if (page["next_after"] is null) break;
            after = (long)page["next_after"]!;
        }
        var sessions = audit.Where(a => (string?)a["verdict"] == "admitted").Select(a => (string?)a["session"]).ToHashSet();
        Assert.All(admittedSessions, s => Assert.Contains(s, sessions));
        var enrolled = audit.Where(a => (string?)a["event"] == "enrolment_added").Select(a => (string?)a["node"]).ToHashSet();
        Assert.All(acknowledged, n => Assert.Contains(n, enrolled));
        var nodes = (await ops.GetAsync("/api/v1/nodes")).AsArray().Select(n => (string?)n!["node"]).ToHashSet();
        Assert.All(acknowledged, n => Assert.Contains(n, nodes));
    }

    private static async Task<IReadOnlyList<PromSample>> MetricsAsync(OpsRack ops)
    {
        using var client = ops.Client(null);
        var response = await client.GetAsync("/metrics");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    private static double PrometheusSum(IReadOnlyList<PromSample> samples, string name) => PrometheusText.Sum(samples, name);

    private static double Delta(IReadOnlyList<PromSample> before, IReadOnlyList<PromSample> after, string name,
        Func<IReadOnlyDictionary<string, string>, bool>? where = null) =>
        PrometheusText.Sum(after, name, where) - PrometheusText.Sum(before, name, where);
}
