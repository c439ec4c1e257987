namespace SwitchGate.Tpm.Client;

/// <summary>
/// Decodes a TPM_RC (Part 2, §6.6). Format-1 codes (bit 7 set) carry an error number in bits 0–5 and name
/// a parameter (bit 6 set, index in bits 8–11), a handle (index in bits 8–10) or a session (bit 11 set,
/// index in bits 8–10). Format-0 codes are errors (0x100 + n) or warnings (0x900 + n).
/// </summary>
public readonly record struct TpmResponseCode(uint Value)
{
    public const uint Success = 0;
    public const uint Initialize = 0x100;
    public const uint Retry = 0x922;
    public const uint Yielded = 0x908;
    public const uint Testing = 0x90A;
    public const uint Lockout = 0x921;
    public const uint ObjectMemory = 0x902;

    public bool IsFormat1 => (Value & 0x80) != 0;

    /// <summary>The code with parameter/handle/session numbering removed, e.g. 0x99D → 0x09D (TPM_RC_POLICY_FAIL).</summary>
    public uint BaseCode => IsFormat1 ? 0x80 | (Value & 0x3F) : Value & 0xFFF;

    public int? ParameterIndex => IsFormat1 && (Value & 0x40) != 0 ? (int)((Value >> 8) & 0xF) : null;
    public int? HandleIndex => IsFormat1 && (Value & 0x40) == 0 && (Value & 0x800) == 0 && ((Value >> 8) & 0x7) != 0 ? (int)((Value >> 8) & 0x7) : null;
    public int? SessionIndex => IsFormat1 && (Value & 0x40) == 0 && (Value & 0x800) != 0 ? (int)((Value >> 8) & 0x7) : null;

    /// <summary>True for the warnings that mean "send the same command again" (Part 2, §6.6.3).</summary>
    public bool IsRetryable => Value is Retry or Yielded or Testing;

    public string Name => Names.TryGetValue(BaseCode, out var n) ? "TPM_RC_" + n : $"TPM_RC_0x{BaseCode:X3}";

    public override string ToString()
    {
        var where = ParameterIndex is { } p ? $" (parameter {p})"
            : HandleIndex is { } h ? $" (handle {h})"
            : SessionIndex is { } s ? $" (session {s})" : "";
        return $"{Name}{where} [0x{Value:X3}]";
    }

    private static readonly Dictionary<uint, string> Names = new()
    {
        [0x000] = "SUCCESS",
        [0x01E] = "BAD_TAG",
        // Format-0 errors, Part 2 Table 16 (RC_VER1 = 0x100)
        [0x100] = "INITIALIZE", [0x101] = "FAILURE", [0x103] = "SEQUENCE", [0x10B] = "PRIVATE", [0x119] = "HMAC",
        [0x120] = "DISABLED", [0x121] = "EXCLUSIVE", [0x124] = "AUTH_TYPE", [0x125] = "AUTH_MISSING", [0x126] = "POLICY",
        [0x127] = "PCR", [0x128] = "PCR_CHANGED", [0x12D] = "UPGRADE", [0x12E] = "TOO_MANY_CONTEXTS",
        [0x12F] = "AUTH_UNAVAILABLE", [0x130] = "REBOOT", [0x131] = "UNBALANCED", [0x142] = "COMMAND_SIZE",
        [0x143] = "COMMAND_CODE", [0x144] = "AUTHSIZE", [0x145] = "AUTH_CONTEXT", [0x146] = "NV_RANGE", [0x147] = "NV_SIZE",
        [0x148] = "NV_LOCKED", [0x149] = "NV_AUTHORIZATION", [0x14A] = "NV_UNINITIALIZED", [0x14B] = "NV_SPACE",
        [0x14C] = "NV_DEFINED", [0x150] = "BAD_CONTEXT", [0x151] = "CPHASH", [0x152] = "PARENT", [0x153] = "NEEDS_TEST",
        [0x154] = "NO_RESULT", [0x155] = "SENSITIVE",
        // Format-1 errors (RC_FMT1 = 0x080)
        [0x081] = "ASYMMETRIC", [0x082] = "ATTRIBUTES", [0x083] = "HASH", [0x084] = "VALUE", [0x085] = "HIERARCHY",
        [0x087] = "KEY_SIZE", [0x088] = "MGF", [0x089] = "MODE", [0x08A] = "TYPE", [0x08B] = "HANDLE", [0x08C] = "KDF",
        [0x08D] = "RANGE", [0x08E] = "AUTH_FAIL", [0x08F] = "NONCE", [0x090] = "PP", [0x092] = "SCHEME", [0x095] = "SIZE",
        [0x096] = "SYMMETRIC", [0x097] = "TAG", [0x098] = "SELECTOR", [0x09A] = "INSUFFICIENT", [0x09B] = "SIGNATURE",
        [0x09C] = "KEY", [0x09D] = "POLICY_FAIL", [0x09F] = "INTEGRITY", [0x0A0] = "TICKET", [0x0A1] = "RESERVED_BITS",
        [0x0A2] = "BAD_AUTH", [0x0A3] = "EXPIRED", [0x0A4] = "POLICY_CC", [0x0A5] = "BINDING", [0x0A6] = "CURVE",
        [0x0A7] = "ECC_POINT",
        // Warnings (RC_WARN = 0x900)
        [0x901] = "CONTEXT_GAP", [0x902] = "OBJECT_MEMORY", [0x903] = "SESSION_MEMORY", [0x904] = "MEMORY",
        [0x905] = "SESSION_HANDLES", [0x906] = "OBJECT_HANDLES", [0x907] = "LOCALITY", [0x908] = "YIELDED",
        [0x909] = "CANCELED", [0x90A] = "TESTING", [0x910] = "REFERENCE_H0", [0x911] = "REFERENCE_H1",
        [0x912] = "REFERENCE_H2", [0x913] = "REFERENCE_H3", [0x914] = "REFERENCE_H4", [0x915] = "REFERENCE_H5",
        [0x916] = "REFERENCE_H6", [0x918] = "REFERENCE_S0", [0x919] = "REFERENCE_S1", [0x91A] = "REFERENCE_S2",
        [0x91B] = "REFERENCE_S3", [0x91C] = "REFERENCE_S4", [0x91D] = "REFERENCE_S5", [0x91E] = "REFERENCE_S6",
        [0x920] = "NV_RATE", [0x921] = "LOCKOUT", [0x922] = "RETRY", [0x923] = "NV_UNAVAILABLE",
    };
}

/// <summary>A TPM command answered with a response code other than success: names the code and the command.</summary>
public sealed class TpmException : Exception
{
    public TpmException(Structures.TpmCc command, uint responseCode)
        : base($"TPM2_{command} failed: {new TpmResponseCode(responseCode)}")
    {
        Command = command;
        ResponseCode = new TpmResponseCode(responseCode);
    }

    public Structures.TpmCc Command { get; }
    public TpmResponseCode ResponseCode { get; }
}
