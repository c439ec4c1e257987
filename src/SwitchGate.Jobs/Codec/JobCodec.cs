using System.Globalization;
using System.Net;
using System.Text.Json;
using SwitchGate.Jobs.Model;

namespace SwitchGate.Jobs.Codec;

/// <summary>
/// Stateless codecs for job.json, manifest.json and record.json (docs/jobs.md "Files"). Parsing is strict
/// (<see cref="StrictJson"/>): every document read back by the clean-mode agent may have been written during the
/// dirty phase and is treated as hostile. Every refusal is a <see cref="JobFormatException"/>.
/// </summary>
public static class JobCodec
{
    public const string JobFormat = "switchgate-boot-job/1";
    public const string ManifestFormat = "switchgate-second-image/1";
    public const string RecordFormat = "switchgate-job-record/1";

    // ---- job.json ----

    /// <summary>job.json for <paramref name="job"/>, which must pass the same checks as a parsed one.</summary>
    public static byte[] Write(BootJob job)
    {
        var bytes = JsonUnchecked(job);
        ParseJob(bytes);
        return bytes;
    }

    public static BootJob ParseJob(ReadOnlySpan<byte> bytes)
    {
        var o = StrictJson.Parse("job file", bytes, JobLimits.JobFileBytes);
        o.Require("format", JobFormat);
        var kernel = Digest(o.Object("kernel"), JobLimits.KernelBytes);
        var initrd = o.OptionalObject("initrd") is { } i ? Digest(i, JobLimits.InitrdBytes) : null;
        var disk = o.OptionalObject("disk") is { } d ? Digest(d, JobLimits.DiskBytes) : null;
        var job = new BootJob(kernel, initrd, disk,
            o.String("cmdline", JobLimits.CommandLineBytes),
            (int)o.Integer("memory_mib", JobLimits.MinMemoryMiB, JobLimits.MaxMemoryMiB),
            o.String("booted_marker", JobLimits.MarkerBytes),
            TimeSpan.FromSeconds(o.Integer("deadline_seconds", (long)JobLimits.MinDeadline.TotalSeconds, (long)JobLimits.MaxDeadline.TotalSeconds)));
        o.End();
        if (job.BootedMarker.Length == 0)
            throw o.Fail("'booted_marker' is empty");
        return job;
    }

    // ---- manifest.json ----

    public static byte[] Write(SecondImage image) => Json(w =>
    {
        w.WriteString("format", ManifestFormat);
        w.WriteString("job", image.JobId);
        WriteDigest(w, "state", image.State);
        if (image.Disk is { } disk) WriteDigest(w, "disk", disk);
        w.WriteString("kernel_sha256", image.KernelSha256);
        if (image.InitrdSha256 is { } initrd) w.WriteString("initrd_sha256", initrd);
        w.WriteString("cmdline", image.KernelCommandLine);
        w.WriteNumber("memory_mib", image.MemoryMiB);
        w.WriteString("booted_line", image.BootedLine);
        w.WriteString("accelerator", image.Accelerator);
        w.WriteString("saved_at", image.SavedAt.ToString("O", CultureInfo.InvariantCulture));
        if (image.LastSerialLine is { } last) w.WriteString("last_serial_line", last);
    });

    public static SecondImage ParseManifest(ReadOnlySpan<byte> bytes)
    {
        var o = StrictJson.Parse("second image manifest", bytes, JobLimits.ManifestBytes);
        o.Require("format", ManifestFormat);
        var id = JobId(o, "job");
        var stateObject = o.Object("state");
        var disk = o.OptionalObject("disk") is { } d ? Digest(d, JobLimits.DiskBytes) : null;
        var kernel = o.Hex("kernel_sha256", 32);
        var initrd = o.OptionalString("initrd_sha256", 64) is not null ? o.Hex("initrd_sha256", 32) : null;
        var cmdline = o.String("cmdline", JobLimits.CommandLineBytes);
        var memory = (int)o.Integer("memory_mib", JobLimits.MinMemoryMiB, JobLimits.MaxMemoryMiB);
        var state = Digest(stateObject, JobLimits.StateBytes(memory));
        var image = new SecondImage(id, state, disk, kernel, initrd, cmdline, memory,
            o.String("booted_line", JobLimits.BootedLineBytes),
            Accelerator(o),
            o.Time("saved_at"),
            o.OptionalString("last_serial_line", JobLimits.BootedLineBytes));
        o.End();
        return image;
    }

    // ---- record.json ----

    public static byte[] Write(JobRecord record) => Json(w =>
    {
        w.WriteString("format", RecordFormat);
        w.WriteString("id", record.Id);
        w.WriteString("submitter", record.Submitter);
        w.WriteNumber("sequence", record.Sequence);
        w.WriteString("state", record.State.ToString());
        w.WriteNumber("deadline_seconds", (long)record.Deadline.TotalSeconds);
        w.WriteNumber("boot_attempts", record.BootAttempts);
        if (record.Failure is { } failure) w.WriteString("failure", Clip(failure, JobLimits.FailureBytes));
        if (record.LastError is { } error) w.WriteString("last_error", Clip(error, JobLimits.FailureBytes));
        w.WriteStartArray("phases");
        foreach (var phase in record.Phases.TakeLast(JobLimits.MaxPhases))
        {
            w.WriteStartObject();
            w.WriteString("state", phase.State.ToString());
            w.WriteString("at", phase.At.ToString("O", CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }
        w.WriteEndArray();
    });

    public static JobRecord ParseRecord(ReadOnlySpan<byte> bytes)
    {
        var o = StrictJson.Parse("job record", bytes, JobLimits.RecordBytes);
        o.Require("format", RecordFormat);
        var id = JobId(o, "id");
        var submitter = o.String("submitter", 45);
        if (!IPAddress.TryParse(submitter, out _))
            throw o.Fail("'submitter' is not an IP address");
        var record = new JobRecord(id, submitter,
            o.Integer("sequence", 0, long.MaxValue),
            o.Enum<JobState>("state"),
            TimeSpan.FromSeconds(o.Integer("deadline_seconds", (long)JobLimits.MinDeadline.TotalSeconds, (long)JobLimits.MaxDeadline.TotalSeconds)),
            (int)o.Integer("boot_attempts", 0, JobLimits.MaxBootAttempts + 1),
            o.OptionalString("failure", JobLimits.FailureBytes, printableAscii: false),
            o.OptionalString("last_error", JobLimits.FailureBytes, printableAscii: false),
            o.Array("phases", JobLimits.MaxPhases).Select(p =>
            {
                var entry = new PhaseEntry(p.Enum<JobState>("state"), p.Time("at"));
                p.End();
                return entry;
            }).ToList());
        o.End();
        if (record.Phases.Count == 0)
            throw o.Fail("'phases' is empty");
        if (record.Phases[^1].State != record.State)
            throw o.Fail($"the last phase is {record.Phases[^1].State}, the state is {record.State}");
        return record;
    }

    // ---- shared ----

    /// <summary>Job ids are chosen by the agent: <c>j</c>, 1–63 lowercase letters, digits or dashes. Safe as a file name.</summary>
    public static bool IsJobId(string? id) =>
        id is { Length: >= 2 and <= 64 } && id[0] == 'j' && id.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-');

    public static string FileName(FirstImageFile file) => file.ToString().ToLowerInvariant();

    public static string FileName(SecondImageFile file) => file.ToString().ToLowerInvariant();

    public static bool TryParseFirst(string name, out FirstImageFile file) =>
        TryName(name, out file);

    public static bool TryParseSecond(string name, out SecondImageFile file) =>
        TryName(name, out file);

    private static bool TryName<T>(string name, out T value) where T : struct, Enum
    {
        foreach (var v in Enum.GetValues<T>())
        {
            // Exactly the lower-case spelling: a strict codec refuses "Kernel" (no case-insensitive match).
            var spelling = v.ToString().ToLowerInvariant();
            if (spelling == name)
            {
                value = v;
                return true;
            }
        }
        value = default;
        return false;
    }

    private static string JobId(StrictJson o, string name)
    {
        var id = o.String(name, 64);
        return IsJobId(id) ? id : throw o.Fail($"'{name}' is not a job id");
    }

    private static string Accelerator(StrictJson o)
    {
        var a = o.String("accelerator", 8);
        return a is "kvm" or "tcg" ? a : throw o.Fail("'accelerator' is neither kvm nor tcg");
    }

    private static FileDigest Digest(StrictJson o, long maxSize)
    {
        var digest = new FileDigest(o.Integer("size", 0, maxSize), o.Hex("sha256", 32));
        o.End();
        return digest;
    }

    private static void WriteDigest(Utf8JsonWriter w, string name, FileDigest digest)
    {
        w.WriteStartObject(name);
        w.WriteNumber("size", digest.Size);
        w.WriteString("sha256", digest.Sha256);
        w.WriteEndObject();
    }

    private static byte[] JsonUnchecked(BootJob job) => Json(w =>
    {
        w.WriteString("format", JobFormat);
        WriteDigest(w, "kernel", job.Kernel);
        if (job.Initrd is { } initrd) WriteDigest(w, "initrd", initrd);
        if (job.Disk is { } disk) WriteDigest(w, "disk", disk);
        w.WriteString("cmdline", job.KernelCommandLine);
        w.WriteNumber("memory_mib", job.MemoryMiB);
        w.WriteString("booted_marker", job.BootedMarker);
        w.WriteNumber("deadline_seconds", (long)job.Deadline.TotalSeconds);
    });

    /// <summary>At most <paramref name="maxBytes"/> UTF-8 bytes of <paramref name="text"/>, cut between characters.</summary>
    private static string Clip(string text, int maxBytes)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(text) <= maxBytes)
            return text;
        var end = 0;
        var bytes = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (bytes + rune.Utf8SequenceLength > maxBytes)
                break;
            bytes += rune.Utf8SequenceLength;
            end += rune.Utf16SequenceLength;
        }
        return text[..end];
    }

    private static byte[] Json(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
