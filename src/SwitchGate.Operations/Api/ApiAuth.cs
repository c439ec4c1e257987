using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using SwitchGate.Operations.Configuration;

namespace SwitchGate.Operations.Api;

/// <summary>Endpoint metadata: the role a request needs (absent: anonymous).</summary>
public sealed record RequireRole(ApiRole Role, bool AllowQueryToken = false);

/// <summary>The outcome of checking a request's bearer token.</summary>
public enum AuthOutcome
{
    Allowed,
    /// <summary>No Authorization: Bearer header (401).</summary>
    Missing,
    /// <summary>A token that matches no configured hash (401).</summary>
    Unknown,
    /// <summary>A valid token whose role is too low (403).</summary>
    Forbidden,
}

/// <summary>
/// Bearer tokens (docs/operations.md "Authentication"). Only SHA-256 digests are configured: a token is 32
/// random bytes, so a fast hash is enough (there is nothing to brute-force), and a leaked configuration does
/// not leak a usable token. The comparison runs over every configured digest in constant time.
/// </summary>
public sealed class ApiTokens(IReadOnlyList<ApiTokenConfig> tokens)
{
    public const string Scheme = "Bearer";

    /// <summary>A new token (32 random bytes, base64url) and the SHA-256 hex digest to put in the configuration.</summary>
    public static (string Token, string Sha256) Generate()
    {
        var token = "sg_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return (token, Digest(token));
    }

    public static string Digest(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public ApiTokenConfig? Find(string token)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        ApiTokenConfig? found = null;
        foreach (var candidate in tokens)
            if (CryptographicOperations.FixedTimeEquals(candidate.Sha256, digest))
                found = candidate;
        return found;
    }

    /// <summary>Pure decision for one request: the token presented (or null) against the role needed.</summary>
    public (AuthOutcome Outcome, ApiTokenConfig? Token) Check(string? presented, ApiRole needed)
    {
        if (string.IsNullOrEmpty(presented))
            return (AuthOutcome.Missing, null);
        var token = Find(presented);
        if (token is null)
            return (AuthOutcome.Unknown, null);
        return token.Role >= needed ? (AuthOutcome.Allowed, token) : (AuthOutcome.Forbidden, token);
    }

    /// <summary>The token of <c>Authorization: Bearer TOKEN</c>, or of <c>?access_token=</c> where allowed (EventSource cannot send headers).</summary>
    public static string? Presented(HttpRequest request, bool allowQuery)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith(Scheme + " ", StringComparison.OrdinalIgnoreCase))
            return header[(Scheme.Length + 1)..].Trim();
        if (allowQuery && request.Query.TryGetValue("access_token", out var query))
            return query.ToString();
        return null;
    }
}
