using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SwitchGate.Ethernet;

namespace SwitchGate.Controller.Tls;

/// <summary>A switch bindings file that does not parse: <see cref="Line"/> (1-based, 0 for the whole file) and why.</summary>
public sealed class SwitchBindingsFormatException(int line, string reason)
    : Exception(line > 0 ? $"line {line}: {reason}" : reason)
{
    public int Line { get; } = line;
    public string Reason { get; } = reason;
}

/// <summary>
/// Which switch keys may speak for which datapath ids: each datapath id maps to the SHA-256 digests of the
/// SubjectPublicKeyInfo of the certificates allowed to claim it (docs/decisions.md, "Switch certificates are bound to
/// datapath ids"). Many-to-many on purpose: ovs-vswitchd presents one certificate for all its bridges (<c>set-ssl</c>
/// is global), and a key rotation lists the old and the new key for the same datapath id until the switch has moved.
/// </summary>
public sealed class SwitchCertificateBindings
{
    /// <summary>Hex digits of a SHA-256 digest.</summary>
    private const int PinHexLength = 64;

    private readonly Dictionary<ulong, HashSet<string>> _pins;

    private SwitchCertificateBindings(Dictionary<ulong, HashSet<string>> pins) => _pins = pins;

    /// <summary>Datapath ids with at least one bound key.</summary>
    public int Count => _pins.Count;

    /// <summary>Every binding, by datapath id then pin (ordinal), as the file would list them.</summary>
    public IEnumerable<(ulong DatapathId, string Pin)> Pairs =>
        _pins.OrderBy(p => p.Key).SelectMany(p => p.Value.Order(StringComparer.Ordinal).Select(pin => (p.Key, pin)));

    /// <summary>The pins bound to <paramref name="datapathId"/> (empty when none).</summary>
    public IReadOnlyCollection<string> PinsOf(ulong datapathId) =>
        _pins.TryGetValue(datapathId, out var pins) ? pins : [];

    /// <summary>The datapath ids <paramref name="pin"/> may claim, ascending.</summary>
    public IReadOnlyList<ulong> DatapathIdsOf(string pin) =>
        [.. _pins.Where(p => p.Value.Contains(pin)).Select(p => p.Key).Order()];

    /// <summary>
    /// The pin of a certificate: lowercase hex SHA-256 of its DER SubjectPublicKeyInfo, what
    /// <c>openssl x509 -in CERT -pubkey -noout | openssl pkey -pubin -outform der | sha256sum</c> prints. The key,
    /// not the certificate: a certificate renewed for the same key keeps its binding.
    /// </summary>
    public static string PinOf(X509Certificate2 certificate) =>
        Convert.ToHexStringLower(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));

    /// <summary>
    /// Null when the certificate with <paramref name="pin"/> may claim <paramref name="datapathId"/>; otherwise the
    /// reason for refusing the session. Pure: the caller supplies the bindings in force and the peer's pin.
    /// </summary>
    public string? Check(ulong datapathId, string pin)
    {
        if (_pins.TryGetValue(datapathId, out var pins) && pins.Contains(pin))
            return null;
        var dpid = $"0x{datapathId:x16}";
        var own = DatapathIdsOf(pin);
        var ownText = own.Count == 0
            ? "is bound to no datapath id"
            : $"is bound to {string.Join(", ", own.Select(d => $"0x{d:x16}"))} only";
        return pins is null
            ? $"datapath id {dpid} has no switch certificate bound to it; the switch key (SPKI SHA-256 {pin}) {ownText}"
            : $"the switch key (SPKI SHA-256 {pin}) may not claim datapath id {dpid}: it {ownText}";
    }

    /// <summary>
    /// Parses the bindings file: one binding per line, <c>DATAPATH-ID PIN</c> separated by blanks; <c>#</c> starts a
    /// comment. DATAPATH-ID is 1–16 hex digits with an optional <c>0x</c> (what <c>ovs-vsctl get bridge BR
    /// datapath-id</c> and <c>ovs-ofctl show</c> print); PIN is the 64 hex digits of <see cref="PinOf"/>, optionally
    /// colon-separated in pairs. Several lines may name the same datapath id (rotation) or the same pin (one
    /// ovs-vswitchd, several bridges). Throws <see cref="SwitchBindingsFormatException"/> naming the line.
    /// </summary>
    public static SwitchCertificateBindings Parse(string text)
    {
        var pins = new Dictionary<ulong, HashSet<string>>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0)
                line = line[..hash];
            var fields = line.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0)
                continue;
            if (fields.Length != 2)
                throw new SwitchBindingsFormatException(i + 1, $"expected 'DATAPATH-ID SPKI-SHA256', got {fields.Length} field(s)");
            if (!DatapathId.TryParse(fields[0], out var dpid))
                throw new SwitchBindingsFormatException(i + 1, $"'{Shorten(fields[0])}' is not a datapath id (1 to 16 hex digits, optionally after 0x)");
            var pin = ParsePin(fields[1]) ?? throw new SwitchBindingsFormatException(i + 1,
                $"'{Shorten(fields[1])}' is not a SHA-256 digest ({PinHexLength} hex digits, optionally colon-separated pairs)");
            if (!pins.TryGetValue(dpid, out var set))
                pins[dpid] = set = new HashSet<string>(StringComparer.Ordinal);
            set.Add(pin);
        }
        return new SwitchCertificateBindings(pins);
    }

    private static string? ParsePin(string text)
    {
        var digits = text.Length == PinHexLength + PinHexLength / 2 - 1 ? Uncolon(text) : text;
        if (digits is null || digits.Length != PinHexLength || !digits.All(char.IsAsciiHexDigit))
            return null;
        return digits.ToLowerInvariant();
    }

    /// <summary>"AB:CD:…" to "ABCD…", or null when the colons are not exactly between pairs.</summary>
    private static string? Uncolon(string text)
    {
        for (var i = 2; i < text.Length; i += 3)
        {
            if (text[i] != ':')
                return null;
        }
        return text.Replace(":", "", StringComparison.Ordinal);
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
