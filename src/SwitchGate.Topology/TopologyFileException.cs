namespace SwitchGate.Topology;

/// <summary>A topology file that cannot be used, with where the problem is.</summary>
public sealed class TopologyFileException : Exception
{
    public TopologyFileException(string source, long line, long column, string reason, Exception? inner = null)
        : base(line > 0 ? $"{source}:{line}:{column}: {reason}" : $"{source}: {reason}", inner)
    {
        FileName = source;
        Line = line;
        Column = column;
        Reason = reason;
    }

    /// <summary>The file name (or the name given to an in-memory text).</summary>
    public string FileName { get; }

    /// <summary>1-based line, or 0 when the problem has no single place.</summary>
    public long Line { get; }

    public long Column { get; }

    public string Reason { get; }
}
