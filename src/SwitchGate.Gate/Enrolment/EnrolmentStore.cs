using SwitchGate.Attestation;
using SwitchGate.Attestation.Enrolment;
using SwitchGate.Gate.Policy;

namespace SwitchGate.Gate.Enrolment;

/// <summary>The usable records of an enrolment directory and the files that were refused, each with its reason.</summary>
public sealed record EnrolmentSnapshot(IReadOnlyList<EnrolmentRecord> Records, IReadOnlyList<string> Rejected)
{
    /// <summary>Each node's verifier state after rotations (<c>&lt;node&gt;.proofkey</c>), when there is one.</summary>
    public IReadOnlyDictionary<string, ProofKeyState> ProofKeys { get; init; } = new Dictionary<string, ProofKeyState>();
}

/// <summary>
/// File-based enrolments: a directory of <c>&lt;node&gt;.json</c> files, each one EnrolmentRecord JSON.
/// A bad file is refused with an error naming the file and the defect, and the others load anyway
/// (decision in docs/gate.md: one typo must not lock every boot server out; a refused node is simply not
/// enrolled, which fails closed). Writes are durable: temp file, fsync, rename, fsync of the directory.
/// </summary>
public sealed class EnrolmentStore
{
    public const string Extension = ".json";

    private readonly IReadOnlyCollection<System.Security.Cryptography.X509Certificates.X509Certificate2>? _ekCa;

    /// <param name="ekCa">When given, a record is loaded only if its AK is bound to an EK certified by this CA (<see cref="EkBinding"/>).</param>
    public EnrolmentStore(string directory, IReadOnlyCollection<System.Security.Cryptography.X509Certificates.X509Certificate2>? ekCa = null)
    {
        _ekCa = ekCa;
        if (string.IsNullOrWhiteSpace(directory))
            throw new ArgumentException("the enrolment directory is not set", nameof(directory));
        Directory = Path.GetFullPath(directory);
    }

    public string Directory { get; }

    /// <summary>
    /// Reads every <c>*.json</c> file. Refused: a file that does not parse or validate, a file whose name is not
    /// its node name, an AK the TPM library cannot import, and every record that shares a (datapath, port), a
    /// clean MAC or a dirty MAC (anywhere) with another one — all of them, since which one is right is unknown.
    /// A missing directory is an error (<see cref="DirectoryNotFoundException"/>): a mistyped path must not look
    /// like "nobody is enrolled".
    /// </summary>
    public EnrolmentSnapshot Load()
    {
        if (!System.IO.Directory.Exists(Directory))
            throw new DirectoryNotFoundException($"enrolment directory {Directory} does not exist");
        var rejected = new List<string>();
        var loaded = new List<(string File, EnrolmentRecord Record)>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*" + Extension).Order(StringComparer.Ordinal))
        {
            var file = Path.GetFileName(path);
            try
            {
                var record = EnrolmentRecord.FromJson(File.ReadAllBytes(path));
                if (file != record.Node + Extension)
                    throw new EnrolmentFormatException($"the file of node '{record.Node}' must be named {record.Node}{Extension}");
                NodeEnrolment.From(record).Dispose(); // the AK (and the EK, if any) must import
                if (_ekCa is not null)
                {
                    if (EkBinding.Check(record, _ekCa, DateTime.UtcNow) is { } problem)
                        throw new EnrolmentFormatException(problem);
                    if (!record.AkBoundToEk)
                        throw new EnrolmentFormatException("the secret was not issued through the EK (ak_bound_to_ek): run 'switchgate enrolment bind' and 'switchgate-agent activate'");
                }
                loaded.Add((file, record));
            }
            catch (Exception e) when (e is EnrolmentFormatException or IOException or UnauthorizedAccessException)
            {
                rejected.Add($"{file}: {e.Message}");
            }
        }

        var clashes = new HashSet<string>();
        void FindClashes<TKey>(Func<EnrolmentRecord, TKey> key, string what) where TKey : notnull
        {
            foreach (var group in loaded.GroupBy(l => key(l.Record)).Where(g => g.Count() > 1))
                foreach (var (file, _) in group)
                    if (clashes.Add(file))
                        rejected.Add($"{file}: invalid enrolment: {what} is also enrolled in {string.Join(", ", group.Select(g => g.File).Where(f => f != file))}");
        }
        FindClashes(r => (r.DatapathId, r.Port), "its datapath and port");
        var macs = loaded.SelectMany(l => new[] { (l.File, Mac: l.Record.CleanMac.ToString()), (l.File, Mac: l.Record.DirtyMac.ToString()) })
            .GroupBy(x => x.Mac).Where(g => g.Select(x => x.File).Distinct().Count() > 1);
        foreach (var group in macs)
            foreach (var file in group.Select(x => x.File).Distinct())
                if (clashes.Add(file))
                    rejected.Add($"{file}: invalid enrolment: MAC {group.Key} is also enrolled in {string.Join(", ", group.Select(x => x.File).Where(f => f != file).Distinct())}");

        // A node's rotation state: a damaged file refuses the node (which key is in use is unknown: fail closed).
        var records = new List<EnrolmentRecord>();
        var proofKeys = new Dictionary<string, ProofKeyState>(StringComparer.Ordinal);
        foreach (var (file, record) in loaded.Where(l => !clashes.Contains(l.File)))
        {
            var path = Path.Combine(Directory, record.Node + ProofKeyState.Extension);
            try
            {
                if (File.Exists(path))
                    proofKeys[record.Node] = ProofKeyState.FromJson(File.ReadAllBytes(path));
                records.Add(record);
            }
            catch (Exception e) when (e is EnrolmentFormatException or IOException or UnauthorizedAccessException)
            {
                rejected.Add($"{record.Node}{ProofKeyState.Extension}: {e.Message}");
            }
        }
        return new EnrolmentSnapshot(records, rejected) { ProofKeys = proofKeys };
    }

    /// <summary>Writes (or replaces) a node's record durably; the record is validated first.</summary>
    public void Save(EnrolmentRecord record)
    {
        record.Validated();
        DurableFile.WriteAllBytes(Path.Combine(Directory, record.Node + Extension), record.ToJson());
    }

    /// <summary>Writes a node's verifier state after a rotation step, durably (public points and ciphertext only).</summary>
    public void SaveProofKeys(ProofKeyState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        DurableFile.WriteAllBytes(Path.Combine(Directory, state.Node + ProofKeyState.Extension), state.ToJson(),
            UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>Removes a node's record (durably: the directory is synced). False when there was none.</summary>
    public bool Delete(string node)
    {
        var path = Path.Combine(Directory, node + Extension);
        if (!File.Exists(path) || Path.GetDirectoryName(Path.GetFullPath(path)) != Directory)
            return false;
        File.Delete(path);
        DurableFile.SyncDirectory(Directory);
        return true;
    }

    /// <summary>A cheap fingerprint of the directory (names, sizes, write times) for polling.</summary>
    public string Fingerprint()
    {
        if (!System.IO.Directory.Exists(Directory))
            return "";
        return string.Join('|', new DirectoryInfo(Directory).EnumerateFiles("*" + Extension)
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => $"{f.Name}:{f.Length}:{f.LastWriteTimeUtc.Ticks}"));
    }
}
