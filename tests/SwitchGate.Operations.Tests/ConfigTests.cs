using System.Net;
using SwitchGate.Controller.Tls;
using SwitchGate.Operations.Configuration;

namespace SwitchGate.Operations.Tests;

/// <summary>The configuration file and the flags on top of it: every problem names its key.</summary>
public sealed class ConfigTests
{
    private static IReadOnlyList<string> Problems(string json, params (string Key, string Value)[] flags)
    {
        var config = ControllerConfig.FromJson(json);
        foreach (var (key, value) in flags)
            config.Override(key, value);
        Assert.Null(config.Build(out var problems));
        return problems;
    }

    [Fact]
    public void The_example_file_is_valid_once_its_directories_exist()
    {
        using var dir = new TempDir();
        var config = ControllerConfig.FromFile(Path.Combine(Paths.Root, "config", "controller.example.json"));
        config.Override("gate.enrolments", dir.Path);
        config.Override("gate.audit_log", dir.File("audit.jsonl"));
        config.Override("store.database", dir.File("sg.db"));
        using (var ca = CertificateAuthority.Create("example CA", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)))
        using (var cert = ca.Issue("controller", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)))
        {
            ca.WriteCertificate(dir.File("switch-ca.pem"));
            CertificateAuthority.WritePem(cert, dir.File("cert.pem"), dir.File("key.pem"));
        }
        config.Override("openflow.tls_cert", dir.File("cert.pem"));
        config.Override("openflow.tls_key", dir.File("key.pem"));
        config.Override("openflow.tls_switch_ca", dir.File("switch-ca.pem"));
        File.WriteAllText(dir.File("switch-bindings"), $"0x1 {new string('a', 64)}\n");
        config.Override("openflow.tls_switch_bindings", dir.File("switch-bindings"));
        var settings = config.Build(out var problems);
        Assert.Empty(problems);
        Assert.NotNull(settings);
        Assert.Equal(6653, settings.Controller.Port);
        Assert.Equal(dir.File("cert.pem"), settings.Controller.Tls!.CertificatePath);
        Assert.Equal(dir.File("switch-bindings"), settings.Controller.Tls.SwitchBindingsPath);
        Assert.Equal(30, settings.Gate!.LeaseSeconds);
        Assert.Equal(TimeSpan.FromSeconds(2), settings.Gate.EnrolmentPollInterval);
    }

    [Fact]
    public void Flags_override_the_file()
    {
        using var dir = new TempDir();
        var config = ControllerConfig.FromJson($$$"""{"openflow": {"port": 7000, "listen": "127.0.0.1", "plaintext": true}, "gate": {"enrolments": "{{{dir.Path}}}", "audit_log": "{{{dir.File("a")}}}", "lease": 30}}""");
        config.Override("openflow.port", "0");
        config.Override("gate.lease", "8");
        var settings = config.Build(out var problems)!;
        Assert.Empty(problems);
        Assert.Equal(0, settings.Controller.Port);
        Assert.Equal(IPAddress.Loopback, settings.Controller.ListenAddress);
        Assert.Equal(8, settings.Gate!.LeaseSeconds);
        Assert.Equal(TimeSpan.FromSeconds(4), settings.Gate.NonceLifetime); // min(5, lease / 2)
    }

    [Theory]
    [InlineData("""{"openflow": {"port": "6653"}}""", "openflow.port: expected an integer, got string")]
    [InlineData("""{"openflow": {"port": 70000}}""", "openflow.port: 70000 is outside 0..65535")]
    [InlineData("""{"openflow": {"port": 1.5}}""", "openflow.port: expected an integer")]
    [InlineData("""{"openflow": {"listen": "localhost"}}""", "openflow.listen: 'localhost' is not an IP address")]
    [InlineData("""{"openflow": {"echo_intervall": 3}}""", "openflow.echo_intervall: unknown key (did you mean openflow.echo_interval?)")]
    [InlineData("""{"openflow": {"echo_interval": 10, "echo_timeout": 5}}""", "openflow.echo_timeout: 5s must be longer than openflow.echo_interval")]
    [InlineData("""{"openflow": {"echo_interval": -1}}""", "openflow.echo_interval: -1 is outside")]
    [InlineData("""{"openflw": {}}""", "openflw: unknown section")]
    [InlineData("""{"gate": 3}""", "gate: must be an object of keys")]
    [InlineData("""[1, 2]""", "must hold a JSON object")]
    [InlineData("""{"openflow": {""", "is not valid JSON")]
    [InlineData("""{"gate": {"lease": 10}}""", "gate.lease: needs gate.enrolments")]
    [InlineData("""{"gate": {"enrolments": "/tmp"}}""", "gate.audit_log: required when gate.enrolments is set")]
    [InlineData("""{"gate": {"enrolments": "/nonexistent/sg", "audit_log": "/tmp/a"}}""", "gate.enrolments: directory '/nonexistent/sg' does not exist")]
    [InlineData("""{"gate": {"enrolments": "/tmp", "audit_log": "/tmp/a", "audit_sync": "never"}}""", "gate.audit_sync: 'never' is not one of entry, background")]
    [InlineData("""{"gate": {"enrolments": "/tmp", "audit_log": "/tmp/a", "lease": 4, "nonce_lifetime": 4}}""", "gate.nonce_lifetime: 4s must be shorter than gate.lease")]
    [InlineData("""{"gate": {"enrolments": "/tmp", "audit_log": "/tmp/a", "meter_rate": 0}}""", "gate.meter_rate: 0 is outside")]
    [InlineData("""{"log": {"level": "Loud"}}""", "log.level: 'Loud' is not one of")]
    [InlineData("""{"log": {"format": "xml"}}""", "log.format: 'xml' is not one of simple, json")]
    [InlineData("""{}""", "openflow.tls_cert: no channel security chosen")]
    [InlineData("""{"openflow": {"plaintext": true, "tls_cert": "/tmp/c.pem"}}""", "openflow.plaintext: excludes openflow.tls_cert")]
    [InlineData("""{"openflow": {"tls_cert": "/tmp/c.pem", "tls_key": "/tmp/k.pem"}}""", "openflow.tls_switch_ca: TLS needs all of")]
    [InlineData("""{"openflow": {"tls_cert": "/tmp/c.pem", "tls_key": "/tmp/k.pem", "tls_switch_ca": "/tmp/ca.pem"}}""", "openflow.tls_switch_bindings: TLS needs all of")]
    [InlineData("""{"openflow": {"tls_cert": "/nonexistent/c.pem", "tls_key": "/tmp/k.pem", "tls_switch_ca": "/tmp/ca.pem", "tls_switch_bindings": "/tmp/b"}}""", "openflow.tls: TLS certificate: '/nonexistent/c.pem' does not exist")]
    public void A_bad_value_is_refused_naming_its_key(string json, string expected)
    {
        var problems = Problems(json);
        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_bad_flag_is_refused_naming_the_key_it_overrides()
    {
        var problems = Problems("{}", ("openflow.port", "many"), ("openflow.mac_idle_timeout", "0"));
        Assert.Contains("openflow.port: expected an integer, got string", problems);
        Assert.Contains(problems, p => p.StartsWith("openflow.mac_idle_timeout: 0 is outside 1..65535", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var problems = Problems("""{"openflow": {"port": -1, "max_macs": 0, "bogus": 1, "plaintext": true}, "log": {"format": "xml"}}""");
        Assert.Equal(4, problems.Count);
    }

    [Fact]
    public void A_missing_file_is_one_clear_problem()
    {
        var config = ControllerConfig.FromFile("/nonexistent/switchgate.json");
        Assert.Null(config.Build(out var problems));
        Assert.Contains(problems, p => p.StartsWith("config: cannot read '/nonexistent/switchgate.json'", StringComparison.Ordinal));
    }
}
