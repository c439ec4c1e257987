namespace SwitchGate.OpenFlow.Tests;

/// <summary>
/// Finds the OpenFlow 1.3 conformance corpus kept in the repository: &lt;repo&gt;/tests/data/openflow13
/// (Apache-2.0 data from the Ryu project, see its README.md and LICENSE), where &lt;repo&gt; holds SwitchGate.sln.
/// </summary>
public static class Corpus
{
    private static readonly Lazy<string> LazyDirectory = new(Locate);

    public static string Directory => LazyDirectory.Value;

    public static string PacketPath(string name) => Path.Combine(Directory, "packet", name + ".packet");

    public static string JsonPath(string name) => Path.Combine(Directory, "json", name + ".packet.json");

    public static byte[] Packet(string name) => File.ReadAllBytes(PacketPath(name));

    /// <summary>All corpus entries by name (file name without ".packet").</summary>
    public static IEnumerable<string> Names() =>
        System.IO.Directory.GetFiles(Path.Combine(Directory, "packet"), "*.packet")
            .Select(p => Path.GetFileNameWithoutExtension(p))
            .OrderBy(n => n, StringComparer.Ordinal);

    public static TheoryData<string> All()
    {
        var data = new TheoryData<string>();
        foreach (var n in Names())
        {
            data.Add(n);
        }

        return data;
    }

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SwitchGate.sln")))
            {
                var corpus = Path.Combine(dir.FullName, "tests", "data", "openflow13");
                if (System.IO.Directory.Exists(Path.Combine(corpus, "packet")))
                {
                    return corpus;
                }

                throw new InvalidOperationException($"OpenFlow conformance corpus not found at {corpus} (expected in the repository {dir.FullName} as tests/data/openflow13)");
            }
        }

        throw new InvalidOperationException($"repository root (SwitchGate.sln) not found above {AppContext.BaseDirectory}");
    }
}
