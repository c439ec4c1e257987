using System.Security.Cryptography;
using SwitchGate.Tpm.Marshalling;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.Tpm.Sessions;

/// <summary>
/// An authorization in a command's authorization area: TPMS_AUTH_COMMAND out, TPMS_AUTH_RESPONSE back
/// (Part 2, §10.13; Part 1, §19 "Authorizations and Acknowledgments").
/// </summary>
public abstract class AuthSession
{
    public abstract uint Handle { get; }

    internal abstract void WriteCommandAuth(TpmWriter w);

    internal virtual void ReadResponseAuth(ref TpmReader r)
    {
        r.Read2B("TPMS_AUTH_RESPONSE.nonce", 64);
        r.ReadByte("TPMS_AUTH_RESPONSE.sessionAttributes");
        r.Read2B("TPMS_AUTH_RESPONSE.hmac", 64);
    }
}

/// <summary>
/// A password authorization (TPM_RS_PW, Part 1, §19.6.4): the authValue travels in the hmac field in the
/// clear. Fine on a local TPM; the empty password is what owner/endorsement hierarchies and our keys use.
/// </summary>
public sealed class PasswordSession : AuthSession
{
    public static readonly PasswordSession Empty = new([]);

    private readonly byte[] _password;

    public PasswordSession(byte[] password) => _password = password;

    public override uint Handle => TpmRh.Password;

    internal override void WriteCommandAuth(TpmWriter w) =>
        w.WriteUInt32(TpmRh.Password).Write2B([]).WriteByte((byte)TpmaSession.ContinueSession).Write2B(_password);
}

/// <summary>
/// A policy session started by TPM2_StartAuthSession (unbound, unsalted, no parameter encryption). It is
/// used only with policies that need neither PolicyAuthValue nor PolicyPassword, for which the TPM does not
/// check the session HMAC (Part 1, §19.7.1: isAuthValueNeeded and isPasswordNeeded are CLEAR), so the hmac
/// field is sent empty. The session is kept alive (continueSession) and the caller flushes it.
/// </summary>
public sealed class PolicySession : AuthSession
{
    internal PolicySession(uint handle, TpmAlgId hashAlg, byte[] nonceTpm)
    {
        Handle = handle;
        HashAlg = hashAlg;
        NonceTpm = nonceTpm;
    }

    public override uint Handle { get; }
    public TpmAlgId HashAlg { get; }
    /// <summary>The TPM's latest nonce for this session (needed for PolicySigned/PolicySecret expiration).</summary>
    public byte[] NonceTpm { get; private set; }

    internal override void WriteCommandAuth(TpmWriter w)
    {
        // nonceCaller: fresh, digest-sized (Part 1, §19.6.2 requires 16 bytes up to the digest size).
        w.WriteUInt32(Handle).Write2B(RandomNumberGenerator.GetBytes(TpmHash.DigestSize(HashAlg)))
            .WriteByte((byte)TpmaSession.ContinueSession).Write2B([]);
    }

    internal override void ReadResponseAuth(ref TpmReader r)
    {
        NonceTpm = r.Read2B("TPMS_AUTH_RESPONSE.nonce", 64);
        r.ReadByte("TPMS_AUTH_RESPONSE.sessionAttributes");
        r.Read2B("TPMS_AUTH_RESPONSE.hmac", 64);
    }
}
