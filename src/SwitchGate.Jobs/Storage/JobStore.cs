using System.Globalization;
using System.Security.Cryptography;
using SwitchGate.Attestation;
using SwitchGate.Jobs.Codec;
using SwitchGate.Jobs.Model;

namespace SwitchGate.Jobs.Storage;

/// <summary>One job directory as found on disk: its record, or why the record was refused.</summary>
public sealed record StoredJob(string Id, JobRecord? Record, string? Error);

/// <summary>
/// The agent's job directories (docs/jobs.md "Files"), <c>STATE_DIR/jobs/ID/</c>: <c>record.json</c> (state),
/// <c>job.json</c> (as submitted), <c>first/</c> (kernel, initrd, disk; <c>NAME.part</c> while uploading),
/// <c>second/</c> (manifest.json, state, disk), <c>guest/</c> (the hypervisor's work directory). Records are written
/// with <see cref="DurableFile"/>; every read is bounded and strict.
/// </summary>
public sealed class JobStore
{
    private readonly object _lock = new();

    public JobStore(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string JobDirectory(string id) =>
        JobCodec.IsJobId(id) ? Path.Combine(Root, id) : throw new ArgumentException($"'{id}' is not a job id", nameof(id));

    public string RecordPath(string id) => Path.Combine(JobDirectory(id), "record.json");

    public string JobFilePath(string id) => Path.Combine(JobDirectory(id), "job.json");

    public string FirstPath(string id, FirstImageFile file) => Path.Combine(JobDirectory(id), "first", JobCodec.FileName(file));

    public string PartPath(string id, FirstImageFile file) => FirstPath(id, file) + ".part";

    public string SecondDirectory(string id) => Path.Combine(JobDirectory(id), "second");

    public string SecondPath(string id, SecondImageFile file) =>
        Path.Combine(SecondDirectory(id), file == SecondImageFile.Manifest ? "manifest.json" : JobCodec.FileName(file));

    public string GuestDirectory(string id) => Path.Combine(JobDirectory(id), "guest");

    /// <summary>Every job directory, in submission order; damaged records are returned with their error, never thrown.</summary>
    public IReadOnlyList<StoredJob> LoadAll()
    {
        var jobs = new List<StoredJob>();
        foreach (var dir in new DirectoryInfo(Root).EnumerateDirectories())
        {
            if (!JobCodec.IsJobId(dir.Name))
                continue;
            try
            {
                jobs.Add(new StoredJob(dir.Name, Load(dir.Name), null));
            }
            catch (JobFormatException e)
            {
                jobs.Add(new StoredJob(dir.Name, null, e.Message));
            }
        }
        return jobs.OrderBy(j => j.Record?.Sequence ?? long.MaxValue).ThenBy(j => j.Id, StringComparer.Ordinal).ToList();
    }

    public JobRecord Load(string id)
    {
        var record = JobCodec.ParseRecord(ReadBounded(RecordPath(id), JobLimits.RecordBytes, "job record"));
        return record.Id == id ? record : throw new JobFormatException("job record", $"names job '{record.Id}' but lives in '{id}'");
    }

    public void Save(JobRecord record)
    {
        lock (_lock)
            DurableFile.WriteAllBytes(RecordPath(record.Id), JobCodec.Write(record));
    }

    /// <summary>A new job for <paramref name="submitter"/>: a fresh id and the next sequence number.</summary>
    public JobRecord Create(string submitter, DateTimeOffset now)
    {
        lock (_lock)
        {
            var sequence = LoadAll().Select(j => j.Record?.Sequence ?? 0).DefaultIfEmpty(0).Max() + 1;
            var id = $"j{sequence.ToString(CultureInfo.InvariantCulture)}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
            Directory.CreateDirectory(Path.Combine(JobDirectory(id), "first"));
            var record = new JobRecord(id, submitter, sequence, JobState.Receiving, JobLimits.MinDeadline, 0, null, null,
                [new PhaseEntry(JobState.Receiving, now)]);
            DurableFile.WriteAllBytes(RecordPath(id), JobCodec.Write(record));
            return record;
        }
    }

    public BootJob LoadJob(string id) => JobCodec.ParseJob(ReadBounded(JobFilePath(id), JobLimits.JobFileBytes, "job file"));

    public SecondImage LoadManifest(string id) =>
        JobCodec.ParseManifest(ReadBounded(SecondPath(id, SecondImageFile.Manifest), JobLimits.ManifestBytes, "second image manifest"));

    /// <summary>Removes the images (first and second) and the guest's work files; the record stays.</summary>
    public void DeleteImages(string id)
    {
        foreach (var sub in new[] { "first", "second", "guest" })
        {
            var path = Path.Combine(JobDirectory(id), sub);
            if (Directory.Exists(path))
                Directory.Delete(path, recursive: true);
        }
    }

    /// <summary>Reads a whole file of at most <paramref name="max"/> bytes; the size is checked before reading.</summary>
    public static byte[] ReadBounded(string path, int max, string what)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > max)
                throw new JobFormatException(what, $"{stream.Length} bytes, more than the limit of {max}");
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new JobFormatException(what, "missing");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new JobFormatException(what, $"unreadable ({e.Message})");
        }
    }

    /// <summary>
    /// Size and SHA-256 of a file, checked against <paramref name="expected"/> (size first, so a truncated or
    /// padded file is refused without hashing it).
    /// </summary>
    public static void Check(string path, FileDigest expected, string what)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new JobFormatException(what, "missing");
        if (info.Length != expected.Size)
            throw new JobFormatException(what, $"{info.Length} bytes, expected {expected.Size} (truncated or padded)");
        var actual = Sha256Hex(path);
        if (actual != expected.Sha256)
            throw new JobFormatException(what, $"SHA-256 {actual} does not match the expected {expected.Sha256}");
    }

    public static string Sha256Hex(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public static FileDigest DigestOf(string path) => new(new FileInfo(path).Length, Sha256Hex(path));
}
