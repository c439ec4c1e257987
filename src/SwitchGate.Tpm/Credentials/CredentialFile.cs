using System.Text.Json;
using SwitchGate.Tpm.Marshalling;

namespace SwitchGate.Tpm.Credentials;

/// <summary>
/// The file that carries a <see cref="CredentialChallenge"/> from the controller to the agent (<c>switchgate enrolment
/// bind</c> writes it, <c>switchgate-agent activate</c> reads it): JSON with the node name and the two TPM2B contents
/// in base64. It is safe in transit: only the TPM it was made for can open it.
/// </summary>
public static class CredentialFile
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static byte[] ToJson(string node, CredentialChallenge challenge) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
    {
        ["node"] = node,
        ["credential_blob"] = Convert.ToBase64String(challenge.CredentialBlob),
        ["encrypted_secret"] = Convert.ToBase64String(challenge.Secret),
    }, Indented);

    /// <summary>Parses the file; any defect is a <see cref="TpmFormatException"/> naming it.</summary>
    public static (string Node, CredentialChallenge Challenge) FromJson(ReadOnlySpan<byte> json)
    {
        try
        {
            var fields = JsonSerializer.Deserialize<Dictionary<string, string>>(json)
                ?? throw new TpmFormatException("credential file: not a JSON object");
            string Field(string key) => fields.TryGetValue(key, out var v) && v is not null ? v : throw new TpmFormatException($"credential file: missing '{key}'");
            if (fields.Keys.Except(["node", "credential_blob", "encrypted_secret"]).FirstOrDefault() is { } unknown)
                throw new TpmFormatException($"credential file: unknown key '{unknown}'");
            return (Field("node"), new CredentialChallenge(Convert.FromBase64String(Field("credential_blob")), Convert.FromBase64String(Field("encrypted_secret"))));
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new TpmFormatException($"credential file: {e.Message}");
        }
    }
}
