using System.CommandLine;
using SwitchGate.Tpm.Verification;

namespace SwitchGate.Cli;

/// <summary>`switchgate tpm ...`: TPM 2.0 tools (quote verification).</summary>
internal static class TpmCommands
{
    public static Command Create()
    {
        var tpm = new Command("tpm", "TPM 2.0 tools");
        tpm.Subcommands.Add(CheckQuote());
        return tpm;
    }

    /// <summary>
    /// `switchgate tpm checkquote`: like tpm2_checkquote, but also checks magic, attestation type and the exact PCR
    /// selection. Exit 0 valid, 1 a check failed, 2 unusable input. Options are optional at parse level so that a
    /// missing one is reported by the tool with exit 2 rather than as a parser error.
    /// </summary>
    private static Command CheckQuote()
    {
        Option<string> Opt(string name, string description) =>
            new(name) { Description = description, Arity = ArgumentArity.ZeroOrOne };

        var ak = Opt("--ak", "attestation key: PEM SubjectPublicKeyInfo or TPM2B_PUBLIC file");
        var message = Opt("--message", "the quoted TPMS_ATTEST (tpm2_quote -m)");
        var signature = Opt("--signature", "the TPMT_SIGNATURE (tpm2_quote -s)");
        var pcrs = Opt("--pcrs", "PCR values concatenated in selection order (tpm2_quote -o FILE -F values)");
        var selection = Opt("--selection", "expected PCR selection, e.g. sha256:16,23");
        var nonce = Opt("--nonce", "expected qualifying data (nonce) as hex");

        var command = new Command("checkquote", "Verify a TPM 2.0 quote strictly (exit 0 valid, 1 check failed, 2 unusable input)")
        {
            ak, message, signature, pcrs, selection, nonce,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parseResult =>
        {
            if (parseResult.UnmatchedTokens.Count > 0)
            {
                Console.Error.WriteLine($"unusable input: unexpected argument '{parseResult.UnmatchedTokens[0]}'");
                return CheckQuoteTool.UnusableInput;
            }
            var outcome = CheckQuoteTool.Run(parseResult.GetValue(ak), parseResult.GetValue(message), parseResult.GetValue(signature),
                parseResult.GetValue(pcrs), parseResult.GetValue(selection), parseResult.GetValue(nonce));
            (outcome.ExitCode == CheckQuoteTool.Valid ? Console.Out : Console.Error).WriteLine(outcome.Message);
            return outcome.ExitCode;
        });
        return command;
    }
}
