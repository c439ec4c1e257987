using System.Text;

namespace SwitchGate.Rack.Tests;

/// <summary>
/// Looks for a secret in files and texts in every form a program might write it: raw octets, hex (either case),
/// base64 and base64url. A base64 text of a longer value holds the secret at any of three alignments, so each
/// alignment's characters that depend on the secret alone are searched for too.
/// </summary>
internal sealed class SecretScanner
{
    private readonly List<(string Form, byte[] Needle)> _needles = [];

    public SecretScanner(byte[] secret)
    {
        _needles.Add(("raw", secret));
        _needles.Add(("hex", Encoding.ASCII.GetBytes(Convert.ToHexStringLower(secret))));
        _needles.Add(("HEX", Encoding.ASCII.GetBytes(Convert.ToHexString(secret))));
        for (var shift = 0; shift < 3; shift++)
        {
            var base64 = Base64Core(secret, shift);
            _needles.Add(($"base64 (alignment {shift})", Encoding.ASCII.GetBytes(base64)));
            _needles.Add(($"base64url (alignment {shift})", Encoding.ASCII.GetBytes(base64.Replace('+', '-').Replace('/', '_'))));
        }
    }

    /// <summary>The characters of base64(<paramref name="shift"/> other octets ‖ secret ‖ …) that only the secret determines.</summary>
    private static string Base64Core(byte[] secret, int shift)
    {
        var text = Convert.ToBase64String([.. new byte[shift], .. secret]);
        // Character i encodes input bits [6i, 6i + 6); the secret's bits are [8·shift, 8·(shift + length)).
        var first = (8 * shift + 5) / 6;
        var end = 8 * (shift + secret.Length) / 6;
        return text[first..end];
    }

    /// <summary>Where the secret shows up in <paramref name="content"/>: the forms found.</summary>
    public IReadOnlyList<string> Find(ReadOnlySpan<byte> content)
    {
        var found = new List<string>();
        foreach (var (form, needle) in _needles)
            if (content.IndexOf(needle) >= 0)
                found.Add(form);
        return found;
    }

    /// <summary>Every file under the directories (recursively, following no links), as "path: forms" for each hit, and the files read.</summary>
    public (IReadOnlyList<string> Hits, IReadOnlyList<string> Files) ScanDirectories(params string[] roots)
    {
        var hits = new List<string>();
        var files = new List<string>();
        foreach (var root in roots.Where(Directory.Exists))
        {
            foreach (var file in Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            {
                var info = new FileInfo(file);
                if (info.UnixFileMode == 0 || (info.Attributes & FileAttributes.Device) != 0)
                    continue;
                byte[] content;
                try
                {
                    // The store and the audit log are open in the running controller: share everything.
                    using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    using var memory = new MemoryStream();
                    stream.CopyTo(memory);
                    content = memory.ToArray();
                }
                catch (IOException)
                {
                    continue; // a socket or a file deleted meanwhile
                }
                files.Add(file);
                var forms = Find(content);
                if (forms.Count > 0)
                    hits.Add($"{file}: {string.Join(", ", forms)}");
            }
        }
        return (hits, files);
    }
}
