using SwitchGate.Tpm.Marshalling;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.Tpm.Verification;

/// <summary>What <c>switchgate tpm checkquote</c> prints and returns.</summary>
public sealed record CheckQuoteOutcome(int ExitCode, string Message);

/// <summary>
/// The logic behind <c>switchgate tpm checkquote</c>, mirroring tpm2_checkquote's inputs: exit 0 for a valid quote,
/// 1 for a quote that fails a check (one line naming the check), 2 for input that cannot be used at all.
/// </summary>
public static class CheckQuoteTool
{
    public const int Valid = 0;
    public const int CheckFailed = 1;
    public const int UnusableInput = 2;

    public static CheckQuoteOutcome Run(string? akPath, string? messagePath, string? signaturePath, string? pcrsPath,
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
