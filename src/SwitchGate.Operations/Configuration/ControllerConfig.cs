using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SwitchGate.Controller;
using SwitchGate.Controller.Tls;
using SwitchGate.Gate;

namespace SwitchGate.Operations.Configuration;

/// <summary>What kind of value a configuration key holds (and how a flag's text is read into it).</summary>
public enum ConfigKind
{
    Text,
    /// <summary>A number (seconds, rates): JSON number or, from a flag, its invariant-culture text.</summary>
    Number,
    Integer,
    Boolean,
    /// <summary>The API's bearer tokens: an array of {name, role, sha256}.</summary>
    Tokens,
}

/// <summary>One documented key of the configuration file (docs/operations.md "Configuration").</summary>
public sealed record ConfigKey(string Name, ConfigKind Kind, string Description, string[]? Allowed = null);

/// <summary>A bearer token of the REST API as configured: only its SHA-256 is kept.</summary>
public sealed record ApiTokenConfig(string Name, ApiRole Role, byte[] Sha256);

/// <summary>What a token may do: <see cref="Read"/> every GET; <see cref="Admin"/> also enrol, change, remove and revoke.</summary>
public enum ApiRole
{
    Read,
    Admin,
}

public sealed class StoreOptions
{
    /// <summary>The SQLite database (created only by <c>switchgate controller store init</c>, never implicitly).</summary>
    public required string DatabasePath { get; init; }

    /// <summary>How long the writer waits for more records to join a commit (group commit); zero: commit what is queued at once.</summary>
    public TimeSpan GroupCommitWindow { get; init; } = TimeSpan.Zero;
}

public sealed class ApiOptions
{
    public IPAddress ListenAddress { get; init; } = IPAddress.Loopback;
    public int Port { get; init; } = 6680;
    public IReadOnlyList<ApiTokenConfig> Tokens { get; init; } = [];
    /// <summary>Requests per second per client (token, or address without one), fixed one-second windows.</summary>
    public int RateLimitPerSecond { get; init; } = 100;
    /// <summary>Serve /metrics without a token (Prometheus scrapers on loopback).</summary>
    public bool AnonymousMetrics { get; init; } = true;
    /// <summary>Events kept in memory for resuming clients; older ones are read from the store.</summary>
    public int EventRingSize { get; init; } = 4096;
}

/// <summary>Everything <c>switchgate controller run</c> needs, once validated.</summary>
public sealed class ControllerSettings
{
    public required ControllerOptions Controller { get; init; }
    public GateOptions? Gate { get; init; }
    /// <summary>gate.topology: the topology file whose boot-server and production-host ports the gate closes and locks (docs/gate.md "Port roles").</summary>
    public string? TopologyFile { get; init; }
    public StoreOptions? Store { get; init; }
    public ApiOptions? Api { get; init; }
    public LogLevel LogLevel { get; init; } = LogLevel.Information;
    /// <summary><c>simple</c> (one line per record) or <c>json</c> (one JSON object per line).</summary>
    public string LogFormat { get; init; } = "simple";
}

/// <summary>
/// The controller's configuration file (JSON, comments and trailing commas allowed; example in
/// config/controller.example.json) and the command line on top of it. Every value is addressed by a dotted key
/// (<c>gate.lease</c>); a flag sets the same key and wins over the file. <see cref="Build"/> reports every problem
/// as "KEY: PROBLEM" — unknown keys, wrong types, values out of range — and yields nothing until there is none.
/// </summary>
public sealed class ControllerConfig
{
    public static readonly IReadOnlyList<ConfigKey> Keys =
    [
        new("openflow.listen", ConfigKind.Text, "Address the OpenFlow listener binds to"),
        new("openflow.port", ConfigKind.Integer, "OpenFlow TCP port (0: pick a free one and print it)"),
        new("openflow.echo_interval", ConfigKind.Number, "Seconds of switch silence before an ECHO_REQUEST"),
        new("openflow.echo_timeout", ConfigKind.Number, "Seconds of switch silence before the session is closed as dead"),
        new("openflow.hello_timeout", ConfigKind.Number, "Seconds allowed for the switch's HELLO after connecting"),
        new("openflow.max_macs", ConfigKind.Integer, "MAC addresses learned per switch (oldest evicted)"),
        new("openflow.mac_idle_timeout", ConfigKind.Integer, "Idle timeout of learned forwarding flows, seconds (1-65535)"),
        new("openflow.tls_cert", ConfigKind.Text, "Controller certificate (PEM, optionally followed by intermediates): OpenFlow over TLS, switch certificates required"),
        new("openflow.tls_key", ConfigKind.Text, "Controller private key (PEM)"),
        new("openflow.tls_switch_ca", ConfigKind.Text, "CA certificate(s) (PEM bundle) that switch certificates must chain to"),
        new("openflow.tls_switch_bindings", ConfigKind.Text, "Which switch keys may claim which datapath ids: lines 'DATAPATH-ID SPKI-SHA256' (required with TLS; re-read on change)"),
        new("openflow.plaintext", ConfigKind.Boolean, "Accept switches over plaintext TCP instead of TLS (unauthenticated, datapath ids unbound; logged as a warning)"),
        new("gate.enrolments", ConfigKind.Text, "Directory of <node>.json enrolment records: turns the attestation gate on"),
        new("gate.audit_log", ConfigKind.Text, "Append-only JSON-lines audit log (required with gate.enrolments)"),
        new("gate.audit_sync", ConfigKind.Text, "When the audit log file is fsynced: 'entry' or 'background'", ["entry", "background"]),
        new("gate.lease", ConfigKind.Integer, "Admission lease, whole seconds"),
        new("gate.nonce_lifetime", ConfigKind.Number, "Seconds a CHALLENGE may be answered (default min(5, lease/2))"),
        new("gate.meter_rate", ConfigKind.Integer, "Attestation frames per second per port let through to the controller"),
        new("gate.meter_burst", ConfigKind.Integer, "Burst of the per-port meter, packets"),
        new("gate.enrolment_poll", ConfigKind.Number, "Seconds between checks of the enrolment directory (0: never)"),
        new("gate.topology", ConfigKind.Text, "Topology file whose boot-server ports stay closed until enrolled and whose production hosts are locked"),
        new("gate.audit_denial_window", ConfigKind.Number, "Seconds in which repeated denials of a node for one reason are audited once, then counted"),
        new("gate.ek_ca", ConfigKind.Text, "EK CA bundle (PEM): load only enrolments whose AK is bound to an EK certified by it"),
        new("store.database", ConfigKind.Text, "SQLite database of verdicts, audit trail and events (create it with 'switchgate controller store init')"),
        new("store.group_commit_ms", ConfigKind.Number, "Milliseconds the store writer waits for more records to join one commit"),
        new("api.listen", ConfigKind.Text, "Address of the REST API, metrics, events and dashboard (loopback by default)"),
        new("api.port", ConfigKind.Integer, "TCP port of the REST API (0: pick a free one and print it)"),
        new("api.tokens", ConfigKind.Tokens, "Bearer tokens: [{\"name\", \"role\": \"read\"|\"admin\", \"sha256\": hex of the token}]"),
        new("api.rate_limit", ConfigKind.Integer, "Requests per second per client"),
        new("api.anonymous_metrics", ConfigKind.Boolean, "Serve /metrics without a token"),
        new("api.event_ring", ConfigKind.Integer, "Events kept in memory for resuming clients"),
        new("log.level", ConfigKind.Text, "Minimum log level", ["Trace", "Debug", "Information", "Warning", "Error", "Critical"]),
        new("log.format", ConfigKind.Text, "Console log format", ["simple", "json"]),
    ];

    private static readonly Dictionary<string, ConfigKey> ByName = Keys.ToDictionary(k => k.Name);

    private readonly Dictionary<string, JsonElement> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _source = new(StringComparer.Ordinal);
    private readonly List<string> _problems = [];

    /// <summary>Problems found while reading the file or the flags (more are added by <see cref="Build"/>).</summary>
    public IReadOnlyList<string> Problems => _problems;

    /// <summary>Reads a configuration file: a JSON object of sections of keys. Problems are collected, not thrown.</summary>
    public static ControllerConfig FromFile(string path)
    {
        var config = new ControllerConfig();
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            config._problems.Add($"config: cannot read '{path}': {e.Message}");
            return config;
        }
        config.ReadJson(bytes, path);
        return config;
    }

    public static ControllerConfig FromJson(string json, string origin = "config")
    {
        var config = new ControllerConfig();
        config.ReadJson(System.Text.Encoding.UTF8.GetBytes(json), origin);
        return config;
    }

    public static ControllerConfig Empty() => new();

    private void ReadJson(byte[] bytes, string origin)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            _problems.Add($"config: '{origin}' is not valid JSON: {e.Message}");
            return;
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                _problems.Add($"config: '{origin}' must hold a JSON object of sections (openflow, gate, store, api, log)");
                return;
            }
            foreach (var section in document.RootElement.EnumerateObject())
            {
                if (!Keys.Any(k => k.Name.StartsWith(section.Name + ".", StringComparison.Ordinal)))
                {
                    _problems.Add($"{section.Name}: unknown section (known: openflow, gate, store, api, log)");
                    continue;
                }
                if (section.Value.ValueKind != JsonValueKind.Object)
                {
                    _problems.Add($"{section.Name}: must be an object of keys");
                    continue;
                }
                foreach (var item in section.Value.EnumerateObject())
                    Set($"{section.Name}.{item.Name}", item.Value.Clone(), origin);
            }
        }
    }

    /// <summary>Sets a key from JSON (the file); an unknown key or a value of the wrong type is a problem.</summary>
    private void Set(string key, JsonElement value, string origin)
    {
        if (!ByName.TryGetValue(key, out var spec))
        {
            var near = Keys.Select(k => k.Name).Where(k => Distance(k, key) <= 2).FirstOrDefault();
            _problems.Add($"{key}: unknown key{(near is null ? "" : $" (did you mean {near}?)")}");
            return;
        }
        bool ok = spec.Kind switch
        {
            ConfigKind.Text => value.ValueKind is JsonValueKind.String or JsonValueKind.Null,
            ConfigKind.Number or ConfigKind.Integer => value.ValueKind == JsonValueKind.Number,
            ConfigKind.Boolean => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            ConfigKind.Tokens => value.ValueKind == JsonValueKind.Array,
            _ => false,
        };
        if (!ok)
        {
            _problems.Add($"{key}: expected {KindText(spec.Kind)}, got {value.ValueKind.ToString().ToLowerInvariant()}");
            return;
        }
        _values[key] = value;
        _source[key] = origin;
    }

    /// <summary>A command-line override of <paramref name="key"/> (the flag's text, read as the key's kind).</summary>
    public void Override(string key, string text)
    {
        var spec = ByName[key];
        string json = spec.Kind switch
        {
            ConfigKind.Text => JsonSerializer.Serialize(text),
            ConfigKind.Boolean => text.Trim().ToLowerInvariant() is "true" or "false" ? text.Trim().ToLowerInvariant() : JsonSerializer.Serialize(text),
            _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                ? d.ToString("R", CultureInfo.InvariantCulture)
                : JsonSerializer.Serialize(text),
        };
        using var document = JsonDocument.Parse(json);
        Set(key, document.RootElement.Clone(), "command line");
    }

    /// <summary>Levenshtein distance, to suggest the key a typo meant.</summary>
    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }

    public bool Has(string key) => _values.ContainsKey(key) && _values[key].ValueKind != JsonValueKind.Null;

    private static string KindText(ConfigKind kind) => kind switch
    {
        ConfigKind.Text => "a string",
        ConfigKind.Number => "a number",
        ConfigKind.Integer => "an integer",
        ConfigKind.Boolean => "true or false",
        ConfigKind.Tokens => "an array of tokens",
        _ => kind.ToString(),
    };

    /// <summary>Validates everything and builds the settings; null with <paramref name="problems"/> listing each "key: problem".</summary>
    public ControllerSettings? Build(out IReadOnlyList<string> problems)
    {
        var list = new List<string>(_problems);
        var reader = new Reader(this, list);
        var defaults = new ControllerOptions();
        var gateDefaults = new GateOptions();

        var listen = reader.Address("openflow.listen", defaults.ListenAddress);
        var controller = new ControllerOptions
        {
            ListenAddress = listen,
            Port = reader.Integer("openflow.port", defaults.Port, 0, 65535),
            EchoInterval = reader.Seconds("openflow.echo_interval", defaults.EchoInterval),
            EchoTimeout = reader.Seconds("openflow.echo_timeout", defaults.EchoTimeout),
            HelloTimeout = reader.Seconds("openflow.hello_timeout", defaults.HelloTimeout),
            MaxMacsPerSwitch = reader.Integer("openflow.max_macs", defaults.MaxMacsPerSwitch, 1, int.MaxValue),
            MacIdleTimeoutSeconds = (ushort)reader.Integer("openflow.mac_idle_timeout", defaults.MacIdleTimeoutSeconds, 1, ushort.MaxValue),
        };
        ReadChannel(reader, controller, list);
        if (controller.EchoTimeout <= controller.EchoInterval && controller.EchoInterval > TimeSpan.Zero)
            list.Add($"openflow.echo_timeout: {controller.EchoTimeout.TotalSeconds}s must be longer than openflow.echo_interval ({controller.EchoInterval.TotalSeconds}s)");

        GateOptions? gate = null;
        if (reader.Text("gate.enrolments") is { } enrolments)
        {
            int lease = reader.Integer("gate.lease", gateDefaults.LeaseSeconds, 1, ushort.MaxValue);
            gate = new GateOptions
            {
                EnrolmentDirectory = enrolments,
                AuditLogPath = reader.Text("gate.audit_log") ?? "",
                Lease = TimeSpan.FromSeconds(lease),
                NonceLifetime = Has("gate.nonce_lifetime")
                    ? reader.Seconds("gate.nonce_lifetime", gateDefaults.NonceLifetime)
                    : TimeSpan.FromSeconds(Math.Min(gateDefaults.NonceLifetime.TotalSeconds, lease / 2.0)),
                MeterRatePps = (uint)reader.Integer("gate.meter_rate", (int)gateDefaults.MeterRatePps, 1, int.MaxValue),
                MeterBurstPackets = (uint)reader.Integer("gate.meter_burst", (int)gateDefaults.MeterBurstPackets, 0, int.MaxValue),
                EnrolmentPollInterval = reader.Seconds("gate.enrolment_poll", TimeSpan.Zero, allowZero: true),
                AuditSyncEveryAppend = (reader.Text("gate.audit_sync") ?? "entry") == "entry",
                AuditDenialWindow = reader.Seconds("gate.audit_denial_window", gateDefaults.AuditDenialWindow, allowZero: true),
                EkCaPath = reader.Text("gate.ek_ca"),
            };
            if (gate.EkCaPath is { } ekCa)
            {
                try
                {
                    SwitchGate.Gate.Enrolment.EkBinding.LoadCaBundle(ekCa);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
                {
                    list.Add($"gate.ek_ca: '{ekCa}': {e.Message}");
                }
            }
            if (gate.AuditLogPath.Length == 0)
                list.Add("gate.audit_log: required when gate.enrolments is set");
            else if (!Directory.Exists(enrolments))
                list.Add($"gate.enrolments: directory '{enrolments}' does not exist");
            if (gate.NonceLifetime >= gate.Lease)
                list.Add($"gate.nonce_lifetime: {gate.NonceLifetime.TotalSeconds}s must be shorter than gate.lease ({lease}s)");
        }
        else
        {
            foreach (var key in Keys.Where(k => k.Name.StartsWith("gate.", StringComparison.Ordinal) && Has(k.Name)))
                list.Add($"{key.Name}: needs gate.enrolments (the gate is off without enrolments)");
        }

        StoreOptions? store = null;
        if (reader.Text("store.database") is { } database)
            store = new StoreOptions
            {
                DatabasePath = database,
                GroupCommitWindow = TimeSpan.FromMilliseconds(reader.Number("store.group_commit_ms", 0, 0, 1000)),
            };
        if (store is not null && gate is null)
            list.Add("store.database: needs gate.enrolments (the store keeps the gate's verdicts and audit trail)");

        ApiOptions? api = null;
        bool anyApi = Keys.Any(k => k.Name.StartsWith("api.", StringComparison.Ordinal) && Has(k.Name));
        if (anyApi)
        {
            api = new ApiOptions
            {
                ListenAddress = reader.Address("api.listen", IPAddress.Loopback),
                Port = reader.Integer("api.port", 6680, 0, 65535),
                Tokens = reader.Tokens("api.tokens"),
                RateLimitPerSecond = reader.Integer("api.rate_limit", 100, 1, 1_000_000),
                AnonymousMetrics = reader.Boolean("api.anonymous_metrics", true),
                EventRingSize = reader.Integer("api.event_ring", 4096, 16, 1_000_000),
            };
            if (api.Tokens.Count == 0)
                list.Add("api.tokens: at least one token is needed (make one with 'switchgate controller token')");
            if (gate is not null && store is null)
                list.Add("store.database: required with the API when the gate is on (audit, admissions and event resume are read from it)");
        }

        var level = Enum.Parse<LogLevel>(reader.Text("log.level") ?? "Information");
        var format = reader.Text("log.format") ?? "simple";
        problems = list;
        if (list.Count > 0)
            return null;
        return new ControllerSettings
        {
            Controller = controller, Gate = gate, TopologyFile = gate is null ? null : reader.Text("gate.topology"), Store = store, Api = api,
            LogLevel = level, LogFormat = format,
        };
    }

    /// <summary>
    /// The OpenFlow channel must be chosen: TLS (the three files and the switch certificate bindings, which must load)
    /// or openflow.plaintext = true. An unauthenticated channel, or switches that may claim any datapath id, are
    /// never a default (docs/controller.md, "TLS").
    /// </summary>
    private static void ReadChannel(Reader reader, ControllerOptions controller, List<string> problems)
    {
        var (cert, key, ca) = (reader.Text("openflow.tls_cert"), reader.Text("openflow.tls_key"), reader.Text("openflow.tls_switch_ca"));
        var bindings = reader.Text("openflow.tls_switch_bindings");
        var plaintext = reader.Boolean("openflow.plaintext", false);
        if (cert is null && key is null && ca is null && bindings is null)
        {
            if (!plaintext)
                problems.Add("openflow.tls_cert: no channel security chosen: set openflow.tls_cert, openflow.tls_key, openflow.tls_switch_ca and openflow.tls_switch_bindings (--tls-cert, --tls-key, --tls-switch-ca, --tls-switch-bindings), or openflow.plaintext (--plaintext)");
            return;
        }
        if (plaintext)
        {
            problems.Add("openflow.plaintext: excludes openflow.tls_cert, openflow.tls_key, openflow.tls_switch_ca and openflow.tls_switch_bindings");
            return;
        }
        if (cert is null || key is null || ca is null || bindings is null)
        {
            var first = cert is null ? "tls_cert" : key is null ? "tls_key" : ca is null ? "tls_switch_ca" : "tls_switch_bindings";
            problems.Add($"openflow.{first}: TLS needs all of openflow.tls_cert, openflow.tls_key, openflow.tls_switch_ca and openflow.tls_switch_bindings");
            return;
        }
        var tls = new ControllerTlsOptions { CertificatePath = cert, PrivateKeyPath = key, SwitchCaPath = ca, SwitchBindingsPath = bindings };
        var missing = tls.Validate().ToList();
        if (missing.Count > 0)
        {
            problems.AddRange(missing.Select(m => "openflow.tls: " + m));
            return;
        }
        try
        {
            ControllerTls.CheckFiles(tls);
            controller.Tls = tls;
        }
        catch (InvalidDataException e)
        {
            problems.Add("openflow.tls: " + e.Message);
        }
    }

    /// <summary>Typed reads that record "key: problem" instead of throwing.</summary>
    private sealed class Reader(ControllerConfig config, List<string> problems)
    {
        private bool TryGet(string key, out JsonElement value) =>
            config._values.TryGetValue(key, out value) && value.ValueKind != JsonValueKind.Null;

        public string? Text(string key)
        {
            if (!TryGet(key, out var v))
                return null;
            var text = v.GetString()!;
            var spec = ByName[key];
            if (spec.Allowed is { } allowed && !allowed.Contains(text, StringComparer.Ordinal))
            {
                problems.Add($"{key}: '{text}' is not one of {string.Join(", ", allowed)}");
                return allowed[0] == "Trace" ? "Information" : allowed[0];
            }
            if (text.Trim().Length == 0)
                problems.Add($"{key}: must not be empty");
            return text;
        }

        public IPAddress Address(string key, IPAddress fallback)
        {
            var text = Text(key);
            if (text is null)
                return fallback;
            if (IPAddress.TryParse(text, out var address))
                return address;
            problems.Add($"{key}: '{text}' is not an IP address");
            return fallback;
        }

        public double Number(string key, double fallback, double min, double max)
        {
            if (!TryGet(key, out var v))
                return fallback;
            if (v.ValueKind != JsonValueKind.Number)
            {
                problems.Add($"{key}: expected a number, got '{v}'");
                return fallback;
            }
            var d = v.GetDouble();
            if (d < min || d > max)
            {
                problems.Add($"{key}: {d.ToString(CultureInfo.InvariantCulture)} is outside {min.ToString(CultureInfo.InvariantCulture)}..{max.ToString(CultureInfo.InvariantCulture)}");
                return fallback;
            }
            return d;
        }

        public int Integer(string key, int fallback, int min, int max)
        {
            if (!TryGet(key, out var v))
                return fallback;
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var n))
            {
                problems.Add($"{key}: expected an integer, got '{v}'");
                return fallback;
            }
            if (n < min || n > max)
            {
                problems.Add($"{key}: {n} is outside {min}..{max}");
                return fallback;
            }
            return (int)n;
        }

        public TimeSpan Seconds(string key, TimeSpan fallback, bool allowZero = false)
        {
            double s = Number(key, fallback.TotalSeconds, allowZero ? 0 : double.Epsilon, 86_400);
            return TimeSpan.FromSeconds(s);
        }

        public bool Boolean(string key, bool fallback)
        {
            if (!TryGet(key, out var v))
                return fallback;
            if (v.ValueKind is JsonValueKind.True or JsonValueKind.False)
                return v.GetBoolean();
            problems.Add($"{key}: expected true or false, got '{v}'");
            return fallback;
        }

        public IReadOnlyList<ApiTokenConfig> Tokens(string key)
        {
            if (!TryGet(key, out var v))
                return [];
            var tokens = new List<ApiTokenConfig>();
            int i = 0;
            foreach (var item in v.EnumerateArray())
            {
                var at = $"{key}[{i++}]";
                if (item.ValueKind != JsonValueKind.Object)
                {
                    problems.Add($"{at}: expected an object {{name, role, sha256}}");
                    continue;
                }
                string? Field(string name) => item.TryGetProperty(name, out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
                foreach (var property in item.EnumerateObject())
                    if (property.Name is not ("name" or "role" or "sha256"))
                        problems.Add($"{at}.{property.Name}: unknown key (a token has name, role, sha256)");
                var name = Field("name");
                var role = Field("role");
                var hash = Field("sha256");
                if (string.IsNullOrWhiteSpace(name))
                    problems.Add($"{at}.name: required");
                ApiRole parsedRole = ApiRole.Read;
                if (role is not ("read" or "admin"))
                    problems.Add($"{at}.role: '{role}' is not one of read, admin");
                else
                    parsedRole = role == "admin" ? ApiRole.Admin : ApiRole.Read;
                byte[]? digest = null;
                if (hash is null || hash.Length != 64)
                    problems.Add($"{at}.sha256: must be 64 hex digits (the SHA-256 of the token; 'switchgate controller token' prints one)");
                else
                {
                    try
                    {
                        digest = Convert.FromHexString(hash);
                    }
                    catch (FormatException)
                    {
                        problems.Add($"{at}.sha256: '{hash}' is not hexadecimal");
                    }
                }
                if (name is not null && digest is not null && role is "read" or "admin")
                    tokens.Add(new ApiTokenConfig(name, parsedRole, digest));
            }
            foreach (var dup in tokens.GroupBy(t => Convert.ToHexString(t.Sha256)).Where(g => g.Count() > 1))
                problems.Add($"{key}: tokens {string.Join(", ", dup.Select(t => t.Name))} have the same hash");
            return tokens;
        }
    }
}
