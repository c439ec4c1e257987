namespace SwitchGate.Tpm.Structures;

/// <summary>TPM_ALG_ID (TPM 2.0 Part 2, §6.3; values from the TCG Algorithm Registry).</summary>
public enum TpmAlgId : ushort
{
    Error = 0x0000,
    Rsa = 0x0001,
    Sha1 = 0x0004,
    Hmac = 0x0005,
    Aes = 0x0006,
    Mgf1 = 0x0007,
    KeyedHash = 0x0008,
    Xor = 0x000A,
    Sha256 = 0x000B,
    Sha384 = 0x000C,
    Sha512 = 0x000D,
    Null = 0x0010,
    Sm3_256 = 0x0012,
    Sm4 = 0x0013,
    RsaSsa = 0x0014,
    RsaEs = 0x0015,
    RsaPss = 0x0016,
    Oaep = 0x0017,
    EcDsa = 0x0018,
    EcDh = 0x0019,
    EcDaa = 0x001A,
    Sm2 = 0x001B,
    EcSchnorr = 0x001C,
    EcMqv = 0x001D,
    Kdf1Sp800_56A = 0x0020,
    Kdf2 = 0x0021,
    Kdf1Sp800_108 = 0x0022,
    Ecc = 0x0023,
    SymCipher = 0x0025,
    Camellia = 0x0026,
    Sha3_256 = 0x0027,
    Sha3_384 = 0x0028,
    Sha3_512 = 0x0029,
    Ctr = 0x0040,
    Ofb = 0x0041,
    Cbc = 0x0042,
    Cfb = 0x0043,
    Ecb = 0x0044,
}

/// <summary>TPM_ECC_CURVE (Part 2, §6.4).</summary>
public enum TpmEccCurve : ushort
{
    None = 0x0000,
    NistP192 = 0x0001,
    NistP224 = 0x0002,
    NistP256 = 0x0003,
    NistP384 = 0x0004,
    NistP521 = 0x0005,
}

/// <summary>TPM_CC command codes (Part 2, §6.5.2) for the commands this client sends.</summary>
public enum TpmCc : uint
{
    EvictControl = 0x0000_0120,
    CreatePrimary = 0x0000_0131,
    DictionaryAttackLockReset = 0x0000_0139,
    Startup = 0x0000_0144,
    Shutdown = 0x0000_0145,
    ActivateCredential = 0x0000_0147,
    NvRead = 0x0000_014E,
    Certify = 0x0000_0148,
    PolicySecret = 0x0000_0151,
    Create = 0x0000_0153,
    Load = 0x0000_0157,
    Quote = 0x0000_0158,
    Sign = 0x0000_015D,
    Unseal = 0x0000_015E,
    FlushContext = 0x0000_0165,
    MakeCredential = 0x0000_0168,
    NvReadPublic = 0x0000_0169,
    ReadPublic = 0x0000_0173,
    StartAuthSession = 0x0000_0176,
    GetCapability = 0x0000_017A,
    GetRandom = 0x0000_017B,
    Hash = 0x0000_017D,
    PcrRead = 0x0000_017E,
    PolicyPcr = 0x0000_017F,
    PolicyRestart = 0x0000_0180,
    PcrExtend = 0x0000_0182,
    PolicyGetDigest = 0x0000_0189,
}

/// <summary>TPM_ST structure tags (Part 2, §6.9).</summary>
public enum TpmSt : ushort
{
    RspCommand = 0x00C4,
    Null = 0x8000,
    NoSessions = 0x8001,
    Sessions = 0x8002,
    AttestNv = 0x8014,
    AttestCommandAudit = 0x8015,
    AttestSessionAudit = 0x8016,
    AttestCertify = 0x8017,
    AttestQuote = 0x8018,
    AttestTime = 0x8019,
    AttestCreation = 0x801A,
    AttestNvDigest = 0x801C,
    Creation = 0x8021,
    Verified = 0x8022,
    AuthSecret = 0x8023,
    HashCheck = 0x8024,
    AuthSigned = 0x8025,
}

/// <summary>TPM_SU startup/shutdown types (Part 2, §6.11).</summary>
public enum TpmSu : ushort
{
    Clear = 0x0000,
    State = 0x0001,
}

/// <summary>TPM_SE session types (Part 2, §6.12).</summary>
public enum TpmSe : byte
{
    Hmac = 0x00,
    Policy = 0x01,
    Trial = 0x03,
}

/// <summary>TPM_CAP capability selectors (Part 2, §6.12).</summary>
public enum TpmCap : uint
{
    Algs = 0,
    Handles = 1,
    Commands = 2,
    PpCommands = 3,
    AuditCommands = 4,
    Pcrs = 5,
    TpmProperties = 6,
    PcrProperties = 7,
    EccCurves = 8,
}

/// <summary>Permanent and reserved handles TPM_RH / TPM_RS (Part 2, §7.4) and handle ranges (§7.2).</summary>
public static class TpmRh
{
    public const uint Owner = 0x4000_0001;
    public const uint Null = 0x4000_0007;
    public const uint Password = 0x4000_0009; // TPM_RS_PW
    public const uint Lockout = 0x4000_000A;
    public const uint Endorsement = 0x4000_000B;
    public const uint Platform = 0x4000_000C;

    public const uint PcrFirst = 0x0000_0000;
    public const uint TransientFirst = 0x8000_0000;
    public const uint PersistentFirst = 0x8100_0000;
}

/// <summary>TPMA_OBJECT (Part 2, §8.3).</summary>
[Flags]
public enum TpmaObject : uint
{
    None = 0,
    FixedTpm = 1u << 1,
    StClear = 1u << 2,
    FixedParent = 1u << 4,
    SensitiveDataOrigin = 1u << 5,
    UserWithAuth = 1u << 6,
    AdminWithPolicy = 1u << 7,
    NoDa = 1u << 10,
    EncryptedDuplication = 1u << 11,
    Restricted = 1u << 16,
    Decrypt = 1u << 17,
    Sign = 1u << 18,
}

/// <summary>TPMA_SESSION (Part 2, §8.4).</summary>
[Flags]
public enum TpmaSession : byte
{
    None = 0,
    ContinueSession = 0x01,
    AuditExclusive = 0x02,
    AuditReset = 0x04,
    Decrypt = 0x20,
    Encrypt = 0x40,
    Audit = 0x80,
}

/// <summary>TPM_GENERATED_VALUE (Part 2, §6.2): the magic that starts every TPMS_ATTEST the TPM signs.</summary>
public static class TpmGenerated
{
    public const uint Value = 0xFF54_4347;
}
