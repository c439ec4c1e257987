using System.Security.Cryptography;
using SwitchGate.Cli;
using SwitchGate.Tpm.Structures;
using SwitchGate.Tpm.Verification;

namespace SwitchGate.Tpm.Tests;

/// <summary>
/// The `switchgate tpm checkquote` logic on files written by tpm2-tools (tpm2_create/tpm2_quote against swtpm):
/// 0 valid, 1 failed check named in one line, 2 unusable input.
/// </summary>
[Trait("Requires", "swtpm")]
[Trait("Requires", "tpm2-tools")]
public sealed class CheckQuoteCommandTests : IClassFixture<SwtpmInstance>
{
    private readonly SwtpmInstance _swtpm;
    private readonly string _nonce;

    public CheckQuoteCommandTests(SwtpmInstance swtpm)
    {
        _swtpm = swtpm;
        _nonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        if (!File.Exists(swtpm.PathOf("ak.pub")))
        {
            swtpm.ToolOk("tpm2_createprimary", "-Q", "-C", "o", "-G", "ecc", "-c", "prim.ctx");
            swtpm.ToolOk("tpm2_create", "-Q", "-C", "prim.ctx", "-G", "rsa2048:rsassa-sha256:null",
                "-a", "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign|noda", "-u", "ak.pub", "-r", "ak.priv");
            swtpm.ToolOk("tpm2_load", "-Q", "-C", "prim.ctx", "-u", "ak.pub", "-r", "ak.priv", "-c", "ak.ctx");
            swtpm.ToolOk("tpm2_readpublic", "-Q", "-c", "ak.ctx", "-f", "pem", "-o", "ak.pem");
        }
        swtpm.ToolOk("tpm2_quote", "-Q", "-c", "ak.ctx", "-l", "sha256:16,23", "-q", _nonce,
            "-m", "q.msg", "-s", "q.sig", "-o", "q.vals", "-F", "values", "-g", "sha256");
    }

    private CheckQuoteOutcome Run(string ak = "ak.pub", string message = "q.msg", string signature = "q.sig", string pcrs = "q.vals",
        string? selection = "sha256:16,23", string? nonce = null) =>
        TpmCommands.RunCheckQuote(_swtpm.PathOf(ak), _swtpm.PathOf(message), _swtpm.PathOf(signature), _swtpm.PathOf(pcrs), selection, nonce ?? _nonce);

    private string Write(string name, byte[] bytes)
    {
        File.WriteAllBytes(_swtpm.PathOf(name), bytes);
        return name;
    }

    [Fact]
    public void Valid_quote_exits_0_with_TPM2B_PUBLIC_or_PEM()
    {
        var o = Run();
        Assert.True(o.ExitCode == 0, o.Message);
        Assert.Contains("resetCount=", o.Message);
        Assert.Equal(0, Run(ak: "ak.pem").ExitCode);
    }

    [Fact]
    public void Failed_checks_exit_1_and_name_the_check()
    {
        var wrongNonce = Run(nonce: "00" + _nonce);
        Assert.Equal((1, "quote rejected: Nonce: extraData is not the expected nonce"), (wrongNonce.ExitCode, wrongNonce.Message));

        var vals = File.ReadAllBytes(_swtpm.PathOf("q.vals"));
        vals[0] ^= 1;
        Assert.Contains("PcrDigest", Run(pcrs: Write("bad.vals", vals)).Message);
        Assert.Contains("Selection", Run(selection: "sha256:16,22").Message);
        Assert.Contains("PcrValues", Run(pcrs: Write("short.vals", vals[..40])).Message);

        var msg = File.ReadAllBytes(_swtpm.PathOf("q.msg"));
        var o = Run(message: Write("trunc.msg", msg[..^2]));
        Assert.Equal(1, o.ExitCode);
        Assert.Contains("Signature", o.Message);
        Assert.DoesNotContain('\n', o.Message);

        var sig = File.ReadAllBytes(_swtpm.PathOf("q.sig"));
        Assert.Contains("SignatureFormat", Run(signature: Write("trunc.sig", sig[..^3])).Message);
    }

    [Theory]
    [InlineData("missing-file")]
    [InlineData("bad-selection")]
    [InlineData("bad-nonce")]
    [InlineData("bad-ak")]
    [InlineData("no-selection")]
    public void Unusable_input_exits_2_with_one_line(string kind)
    {
        var o = kind switch
        {
            "missing-file" => Run(message: "does-not-exist.msg"),
            "bad-selection" => Run(selection: "sha256:99"),
            "bad-nonce" => Run(nonce: "xyz"),
            "bad-ak" => Run(ak: Write("garbage.pub", [0x00, 0x10, 0x00, 0x23])),
            _ => Run(selection: null),
        };
        Assert.Equal(2, o.ExitCode);
        Assert.StartsWith("unusable input: ", o.Message);
        Assert.DoesNotContain('\n', o.Message);
    }
}
