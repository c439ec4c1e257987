using System.CommandLine;
using SwitchGate.Tpm.Marshalling;
using SwitchGate.Tpm.Structures;
using SwitchGate.Tpm.Verification;

namespace SwitchGate.Cli;

/// <summary>`switchgate tpm ...`: TPM 2.0 tools (quote verification).</summary>
internal static class TpmCommands
{
    public const int Valid = 0;
    public const int CheckFailed = 1;
    public const int UnusableInput = 2;

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
                return UnusableInput;
            }
            var outcome = RunCheckQuote(parseResult.GetValue(ak), parseResult.GetValue(message), parseResult.GetValue(signature),
                parseResult.GetValue(pcrs), parseResult.GetValue(selection), parseResult.GetValue(nonce));
            (outcome.ExitCode == Valid ? Console.Out : Console.Error).WriteLine(outcome.Message);
            return outcome.ExitCode;
        });
        return command;
    }

    /// <summary>
    /// The logic behind <c>switchgate tpm checkquote</c>, mirroring tpm2_checkquote's inputs: reads the files and
    /// runs <see cref="QuoteVerifier"/>; exit 0 for a valid quote, 1 for a quote that fails a check (one line naming
    /// the check), 2 for input that cannot be used at all.
    /// </summary>
    internal static CheckQuoteOutcome RunCheckQuote(string? akPath, string? messagePath, string? signaturePath, string? pcrsPath,
        string? selectionText, string? nonceHex)
    {
        if (Missing(("--ak", akPath), ("--message", messagePath), ("--signature", signaturePath), ("--pcrs", pcrsPath),
                ("--selection", selectionText), ("--nonce", nonceHex)) is { } missing)
            return Unusable($"missing option {missing}");

        byte[] akBytes, message, signature, pcrs;
        try
        {
            akBytes = File.ReadAllBytes(akPath!);
            message = File.ReadAllBytes(messagePath!);
            signature = File.ReadAllBytes(signaturePath!);
            pcrs = File.ReadAllBytes(pcrsPath!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return Unusable($"cannot read input: {e.Message}");
        }

        TpmlPcrSelection selection;
        try
        {
            selection = TpmlPcrSelection.Parse(selectionText!);
        }
        catch (TpmFormatException e)
        {
            return Unusable($"--selection: {e.Message}");
        }

        byte[] nonce;
        try
        {
            var hex = nonceHex!.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? nonceHex[2..] : nonceHex;
            nonce = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return Unusable("--nonce is not a hex string");
        }

        AttestationKey ak;
        try
        {
            ak = AttestationKey.FromFileBytes(akBytes);
        }
        catch (TpmFormatException e)
        {
            return Unusable($"--ak: {e.Message}");
        }

        using var verifier = new QuoteVerifier(ak);
        var verdict = verifier.Verify(message, signature, nonce, selection, pcrs);
        if (!verdict.IsValid) return new CheckQuoteOutcome(CheckFailed, $"quote rejected: {verdict.FailedCheck}: {verdict.Reason}");
        var c = verdict.ClockInfo!.Value;
        return new CheckQuoteOutcome(Valid,
            $"quote valid: clock={c.Clock} resetCount={c.ResetCount} restartCount={c.RestartCount} safe={(c.Safe ? 1 : 0)} firmwareVersion=0x{verdict.FirmwareVersion:X16}");
    }

    private static string? Missing(params (string Name, string? Value)[] options) =>
        options.FirstOrDefault(o => string.IsNullOrEmpty(o.Value)).Name;

    private static CheckQuoteOutcome Unusable(string message) => new(UnusableInput, $"unusable input: {message}");
}

/// <summary>What <c>switchgate tpm checkquote</c> prints and returns.</summary>
internal sealed record CheckQuoteOutcome(int ExitCode, string Message);
