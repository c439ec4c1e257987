using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SwitchGate.Cli;

/// <summary>
/// The operator's commands against a running controller's REST API (docs/operations.md "CLI"):
/// <c>switches</c>, <c>nodes</c>, <c>node show NAME</c>, <c>enrol --file</c>, <c>revoke NAME</c>,
/// <c>audit [--node] [--since]</c>, <c>events [--follow]</c>. Tables for people, <c>--json</c> for scripts,
/// one line on stderr for an error, and exit codes scripts can rely on (<see cref="Exit"/>).
/// </summary>
internal static class ApiCommands
{
    private static readonly string[] NodeFields =
        ["node", "datapath_id", "port", "clean_mac", "dirty_mac", "pcr_selection", "state", "session", "lease_left_seconds", "pending_session"];

    /// <summary>Exit codes of the API commands.</summary>
    internal static class Exit
    {
        public const int Ok = 0;
        /// <summary>The controller answered with an error not listed below (5xx, 400 …).</summary>
        public const int Failed = 1;
        /// <summary>Bad usage or a local problem (unreadable file, bad --since).</summary>
        public const int Usage = 2;
        /// <summary>The controller cannot be reached.</summary>
        public const int Unreachable = 3;
        /// <summary>401 or 403: no token, a wrong token, or a read token for an admin command.</summary>
        public const int Unauthorized = 4;
        /// <summary>404: no such node.</summary>
        public const int NotFound = 5;
        /// <summary>409 or 422: already enrolled, nothing to revoke, refused record.</summary>
        public const int Conflict = 6;
    }

    private static readonly Option<string> Url = new("--url")
    {
        Description = "The controller's API (env SWITCHGATE_URL)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SWITCHGATE_URL") ?? "http://127.0.0.1:6680",
    };

    private static readonly Option<string?> Token = new("--token")
    {
        Description = "Bearer token (env SWITCHGATE_TOKEN)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SWITCHGATE_TOKEN"),
    };

    private static readonly Option<bool> Json = new("--json") { Description = "Print the API's JSON instead of a table" };

    public static IEnumerable<Command> Create()
    {
        var switches = new Command("switches", "Connected switches: state, ports, flows and meters");
        switches.SetAction((parse, cancel) => RunAsync(parse, cancel, async client =>
        {
            var list = await client.GetAsync("/api/v1/switches", cancel);
            return Table(list.AsArray(), ("DATAPATH", K("datapath_id")), ("STATE", K("state")), ("REMOTE", K("remote")),
                ("PORTS", (Func<JsonNode, string>)(n => string.Join(",", n["ports"]!.AsArray().Select(p => (string?)p!["name"] + ((bool)p["link_down"]! ? "(down)" : ""))))),
                ("FLOWS", K("flows")), ("METERS", K("meters")));
        }));

        var nodes = new Command("nodes", "Enrolled nodes and where each stands");
        nodes.SetAction((parse, cancel) => RunAsync(parse, cancel, async client =>
            NodeTable((await client.GetAsync("/api/v1/nodes", cancel)).AsArray())));

        var nodeName = new Argument<string>("name") { Description = "Node name" };
        var show = new Command("show", "One node: enrolment, state, lease, last verdict, recent admissions") { nodeName };
        show.SetAction((parse, cancel) => RunAsync(parse, cancel, async client =>
        {
            var node = await client.GetAsync($"/api/v1/nodes/{Uri.EscapeDataString(parse.GetValue(nodeName)!)}", cancel);
            var text = new StringBuilder();
            foreach (var key in NodeFields)
                if (node[key] is { } value)
                    text.Append(CultureInfo.InvariantCulture, $"{key,-20}{value}\n");
            if (node["golden_sets"] is JsonArray sets)
                text.Append(CultureInfo.InvariantCulture, $"{"golden_sets",-20}{string.Join(", ", sets.Select(s => (string?)s))}\n");
            if (node["last_verdict"] is { } v)
                text.Append(CultureInfo.InvariantCulture, $"{"last_verdict",-20}{v["time"]} {v["verdict"]} {v["reason"]}{(v["cause"] is { } c ? " cause " + c : "")} ({v["detail"]})\n");
            if (node["recent_admissions"] is JsonArray recent && recent.Count > 0)
                text.Append('\n').Append(AuditTable(recent));
            return text.ToString();
        }));
        var node = new Command("node", "One node") { show };

        var file = new Option<FileInfo>("--file") { Description = "Enrolment record (EnrolmentRecord JSON, as written by switchgate-agent enrol)", Required = true };
        var replace = new Option<bool>("--replace") { Description = "Replace the node's record if it is enrolled already" };
        var enrol = new Command("enrol", "Enrol a node from its record file") { file, replace };
        enrol.SetAction((parse, cancel) => RunAsync(parse, cancel, async client =>
        {
            var path = parse.GetValue(file)!;
            byte[] body;
            try
            {
                body = File.ReadAllBytes(path.FullName);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException(Exit.Usage, $"cannot read {path.FullName}: {e.Message}");
            }
            string? name = null;
            try
            {
                name = JsonNode.Parse(body)?["node"]?.GetValue<string>();
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                // The controller says what is wrong with the record.
            }
            var result = parse.GetValue(replace) && name is not null
                ? await client.SendAsync(HttpMethod.Put, $"/api/v1/nodes/{Uri.EscapeDataString(name)}", body, cancel)
                : await client.SendAsync(HttpMethod.Post, "/api/v1/nodes", body, cancel);
            return $"enrolled {(string?)result["node"]} on {(string?)result["datapath_id"]} port {result["port"]}\n";
        }));

        var revokeName = new Argument<string>("name") { Description = "Node name" };
        var revoke = new Command("revoke", "Revoke a node's admission now") { revokeName };
        revoke.SetAction((parse, cancel) => RunAsync(parse, cancel, async client =>
        {
            var name = parse.GetValue(revokeName)!;
            await client.SendAsync(HttpMethod.Post, $"/api/v1/nodes/{Uri.EscapeDataString(name)}/revoke", null, cancel);
            return $"revoking {name}\n";
        }));

        var auditNode = new Option<string?>("--node") { Description = "Only this node" };
        var since = new Option<string?>("--since") { Description = "From this time: ISO 8601, or an age such as 30s, 15m, 2h, 7d" };
        var limit = new Option<int>("--limit") { Description = "At most this many records (newest pages are fetched until then)", DefaultValueFactory = _ => 1000 };
        var audit = new Command("audit", "The audit trail, oldest first") { auditNode, since, limit };
        audit.SetAction((parse, cancel) => RunAsync(parse, cancel, async client =>
        {
            var query = new List<string>();
            if (parse.GetValue(auditNode) is { } n)
                query.Add("node=" + Uri.EscapeDataString(n));
            if (parse.GetValue(since) is { } s)
                query.Add("since=" + Uri.EscapeDataString(ParseSince(s, DateTimeOffset.UtcNow).ToString("O", CultureInfo.InvariantCulture)));
            int max = parse.GetValue(limit);
            if (max < 1)
                throw new CliException(Exit.Usage, "--limit must be at least 1");
            var items = new JsonArray();
            long after = 0;
            while (items.Count < max)
            {
                var page = await client.GetAsync($"/api/v1/audit?{string.Join('&', query.Append($"after={after}").Append($"limit={Math.Min(1000, max - items.Count)}"))}", cancel);
                foreach (var item in page["items"]!.AsArray().ToList())
                    items.Add(item!.DeepClone());
                if (page["next_after"] is not { } next)
                    break;
                after = (long)next;
            }
            return parse.GetValue(Json) ? items.ToJsonString(Indented) + "\n" : AuditTable(items);
        }, printJson: false));

        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new events (reconnecting with Last-Event-ID) until interrupted" };
        var after = new Option<long?>("--after") { Description = "Start after this sequence number (default: the last 20 events)" };
        var events = new Command("events", "The event stream: switch connects, ports, verdicts, admissions, revocations") { follow, after };
        events.SetAction((parse, cancel) => RunAsync(parse, cancel, async client =>
        {
            long position = parse.GetValue(after) ?? Math.Max(0, (long)(await client.GetAsync("/api/v1/events/last", cancel))["last"]! - 20);
            long stopAt = parse.GetValue(follow) ? long.MaxValue : (long)(await client.GetAsync("/api/v1/events/last", cancel))["last"]!;
            bool json = parse.GetValue(Json);
            while (position < stopAt)
            {
                try
                {
                    await foreach (var (id, type, data) in client.EventsAsync(position, cancel))
                    {
                        position = id;
                        Console.WriteLine(json ? $"{{\"id\":{id},\"type\":\"{type}\",\"data\":{data}}}" : EventLine(id, type, data));
                        if (position >= stopAt)
                            break;
                    }
                }
                catch (HttpRequestException) when (parse.GetValue(follow) && !cancel.IsCancellationRequested)
                {
                    // The controller went away: resume where we were once it is back.
                }
                catch (IOException) when (parse.GetValue(follow) && !cancel.IsCancellationRequested)
                {
                }
                if (position < stopAt)
                    await Task.Delay(TimeSpan.FromSeconds(1), cancel);
            }
            return "";
        }, printJson: false));

        foreach (var command in new[] { switches, nodes, show, enrol, revoke, audit, events })
        {
            command.Options.Add(Url);
            command.Options.Add(Token);
            command.Options.Add(Json);
        }
        return [switches, nodes, node, enrol, revoke, audit, events];
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>An ISO 8601 time, or an age before <paramref name="now"/> (30s, 15m, 2h, 7d).</summary>
    internal static DateTimeOffset ParseSince(string text, DateTimeOffset now)
    {
        if (text.Length >= 2 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount >= 0)
        {
            var age = text[^1] switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => (TimeSpan?)null,
            };
            if (age is { } a)
                return now - a;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
            return time;
        throw new CliException(Exit.Usage, $"--since: '{text}' is neither an ISO 8601 time nor an age such as 15m");
    }

    private static string EventLine(long id, string type, string data)
    {
        var d = JsonNode.Parse(data)!;
        var detail = type switch
        {
            "admission" or "denial" or "revocation" => $"{d["node"]} {d["verdict"]} {d["reason"]}{(d["cause"] is { } c ? " cause " + c : "")}",
            "switch_connected" or "switch_disconnected" or "switch_refused" => $"{d["data"]?["datapath_id"]} {d["data"]?["remote"]}{(d["data"]?["reason"] is { } r ? ": " + r : "")}",
            "port_changed" => $"{d["data"]?["datapath_id"]} port {d["data"]?["port"]} {d["data"]?["name"]} {d["data"]?["reason"]}{((bool?)d["data"]?["link_down"] == true ? " link down" : "")}",
            _ => $"{d["node"]} {d["detail"]}",
        };
        return $"{id,6} {(string?)d["time"]} {type,-20} {detail}".TrimEnd();
    }

    private static string NodeTable(JsonArray nodes) => Table(nodes, ("NODE", K("node")), ("SWITCH", K("datapath_id")), ("PORT", K("port")), ("STATE", K("state")),
        ("LEASE", n => n["lease_left_seconds"] is { } l ? $"{(double)l:0}s" : ""),
        ("LAST VERDICT", n => n["last_verdict"] is { } v ? $"{v["verdict"]} {v["reason"]}" : ""));

    private static string AuditTable(JsonArray items) => Table(items, ("ID", K("id")), ("TIME", K("time")), ("EVENT", K("event")), ("NODE", K("node")),
        ("VERDICT", K("verdict")), ("REASON", n => $"{n["reason"]}{(n["cause"] is { } c ? " cause " + c : "")}"), ("DETAIL", K("detail")));

    private static Func<JsonNode, string> K(string key) => row => row[key]?.ToString() ?? "";

    private static string Table(JsonArray rows, params (string Header, Func<JsonNode, string> Column)[] columns)
    {
        var cells = rows.Select(r => columns.Select(c => c.Column(r!)).ToArray()).ToList();
        var widths = columns.Select((c, i) => Math.Max(c.Header.Length, cells.Count == 0 ? 0 : cells.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        void Line(IEnumerable<string> values) => text.Append(string.Join("  ", values.Select((v, i) => i == widths.Length - 1 ? v : v.PadRight(widths[i]))).TrimEnd()).Append('\n');
        Line(columns.Select(c => c.Header));
        foreach (var row in cells)
            Line(row);
        return text.ToString();
    }

    private sealed class CliException(int exitCode, string message) : Exception(message)
    {
        public int ExitCode { get; } = exitCode;
    }

    /// <summary>Runs one command: prints its table (or, with --json, the JSON of its last GET), maps failures to one line and an exit code.</summary>
    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancel, Func<ApiClient, Task<string>> action, bool printJson = true)
    {
        if (!Uri.TryCreate(parse.GetValue(Url), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            return Fail(Exit.Usage, $"--url: '{parse.GetValue(Url)}' is not an http(s) URL");
        using var client = new ApiClient(url, parse.GetValue(Token));
        try
        {
            var text = await action(client);
            Console.Write(parse.GetValue(Json) && printJson && client.LastJson is { } json ? json.ToJsonString(Indented) + "\n" : text);
            return Exit.Ok;
        }
        catch (CliException e)
        {
            return Fail(e.ExitCode, e.Message);
        }
        catch (HttpRequestException e) when (e.StatusCode is null)
        {
            return Fail(Exit.Unreachable, $"cannot reach the controller at {url}: {e.Message}");
        }
        catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
        {
            return Fail(Exit.Unreachable, $"the controller at {url} did not answer in time");
        }
        catch (OperationCanceledException)
        {
            return Exit.Ok; // interrupted (events --follow)
        }
    }

    private static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"switchgate: {message}");
        return code;
    }

    /// <summary>A small client of the API: problem details become a <see cref="CliException"/> with the right exit code.</summary>
    private sealed class ApiClient : IDisposable
    {
        private readonly HttpClient _http;

        public ApiClient(Uri baseAddress, string? token)
        {
            _http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
            if (!string.IsNullOrEmpty(token))
                _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        public JsonNode? LastJson { get; private set; }

        public Task<JsonNode> GetAsync(string path, CancellationToken cancel) => SendAsync(HttpMethod.Get, path, null, cancel);

        public async Task<JsonNode> SendAsync(HttpMethod method, string path, byte[]? body, CancellationToken cancel)
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
                request.Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            using var response = await _http.SendAsync(request, timeout.Token);
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            if (!response.IsSuccessStatusCode)
                throw Problem(response.StatusCode, text);
            var json = text.Length == 0 ? new JsonObject() : JsonNode.Parse(text) ?? new JsonObject();
            LastJson = json;
            return json;
        }

        public async IAsyncEnumerable<(long Id, string Type, string Data)> EventsAsync(long after,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancel)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/events?after={after}");
            request.Headers.Add("Last-Event-ID", after.ToString(CultureInfo.InvariantCulture));
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
            if (!response.IsSuccessStatusCode)
                throw Problem(response.StatusCode, await response.Content.ReadAsStringAsync(cancel));
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel));
            long id = 0;
            string type = "message", data = "";
            while (await reader.ReadLineAsync(cancel) is { } line)
            {
                if (line.StartsWith("id: ", StringComparison.Ordinal))
                    id = long.Parse(line[4..], CultureInfo.InvariantCulture);
                else if (line.StartsWith("event: ", StringComparison.Ordinal))
                    type = line[7..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                    data = line[6..];
                else if (line.Length == 0)
                {
                    if (type == "error")
                        throw new CliException(Exit.Failed, $"event stream: {JsonNode.Parse(data)?["detail"]}");
                    if (id > 0)
                        yield return (id, type, data);
                    (id, type, data) = (0, "message", "");
                }
            }
        }

        private static CliException Problem(HttpStatusCode status, string body)
        {
            string detail;
            try
            {
                detail = (string?)JsonNode.Parse(body)?["detail"] ?? body;
            }
            catch (JsonException)
            {
                detail = body.Length > 200 ? body[..200] : body;
            }
            int code = status switch
            {
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => Exit.Unauthorized,
                HttpStatusCode.NotFound => Exit.NotFound,
                HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity => Exit.Conflict,
                _ => Exit.Failed,
            };
            return new CliException(code, $"{(int)status} {status}: {detail.ReplaceLineEndings(" ")}");
        }

        public void Dispose() => _http.Dispose();
    }
}
