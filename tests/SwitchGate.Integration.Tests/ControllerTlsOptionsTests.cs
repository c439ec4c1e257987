using SwitchGate.Controller.Tls;
using SwitchGate.Topology;

namespace SwitchGate.Integration.Tests;

/// <summary>`switchgate controller run`'s channel choice: none, both, TLS without switch bindings, or unusable TLS files are one line on stderr and exit 2.</summary>
public sealed class ControllerTlsOptionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sg-tls-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static Task<CommandResult> Run(params string[] args) =>
        CommandRunner.TryRunAsync("dotnet", new[] { RepoPaths.CliDll, "controller", "run", "--port", "0" }.Concat(args), TimeSpan.FromSeconds(60));

    [Fact]
    public async Task The_channel_must_be_chosen_and_tls_files_must_load()
    {
        using var ca = CertificateAuthority.Create("t", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var (cert, key, caPath, otherKey) = (P("c.pem"), P("k.pem"), P("ca.pem"), P("other-k.pem"));
        ca.WriteCertificate(caPath);
        using (var c = ca.Issue("controller", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)))
            CertificateAuthority.WritePem(c, cert, key);
        using (var o = ca.Issue("other", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)))
            CertificateAuthority.WritePem(o, P("other-c.pem"), otherKey);

        var (bindings, badBindings) = (P("bindings"), P("bad-bindings"));
        File.WriteAllText(bindings, $"0x1 {new string('a', 64)}\n");
        File.WriteAllText(badBindings, $"# switches\n0x1 {new string('a', 63)}\n");

        (string[] Args, string Problem)[] cases =
        [
            ([], "no channel security chosen"),
            (["--plaintext", "--tls-cert", cert], "excludes openflow.tls_cert"),
            (["--tls-cert", cert, "--tls-key", key], "needs all of"),
            (["--tls-cert", cert, "--tls-key", key, "--tls-switch-ca", caPath], "openflow.tls_switch_bindings: TLS needs all of"),
            (["--tls-cert", cert, "--tls-key", otherKey, "--tls-switch-ca", caPath, "--tls-switch-bindings", bindings], "does not load with the certificate"),
            (["--tls-cert", cert, "--tls-key", key, "--tls-switch-ca", P("missing.pem"), "--tls-switch-bindings", bindings], "does not exist"),
            (["--tls-cert", cert, "--tls-key", key, "--tls-switch-ca", caPath, "--tls-switch-bindings", badBindings], "line 2: '" + new string('a', 63) + "' is not a SHA-256 digest"),
        ];
        foreach (var (args, problem) in cases)
        {
            var result = await Run(args);
            Assert.True(result.ExitCode == 2, $"{string.Join(' ', args)}: exit {result.ExitCode}");
            Assert.Contains(problem, result.StandardError);
            Assert.Single(result.StandardError.Trim().Split('\n'));
            Assert.DoesNotContain("listening on", result.StandardOutput);
        }
    }

    private string P(string name) => Path.Combine(_dir, name);
}
