using System.Text;
using SwitchGate.Jobs.Codec;
using SwitchGate.Jobs.Model;

namespace SwitchGate.Jobs.Tests;

public sealed class JobCodecTests
{
    [Fact]
    public void Job_round_trips()
    {
        var job = Samples.Job();
        var parsed = JobCodec.ParseJob(JobCodec.Write(job));
        Assert.Equal(job with { }, parsed with { });
        Assert.Null(parsed.Disk);
    }

    [Fact]
    public void Manifest_and_record_round_trip()
    {
        var manifest = Samples.Manifest();
        Assert.Equal(manifest, JobCodec.ParseManifest(JobCodec.Write(manifest)));
        var record = Samples.Record().Enter(JobState.Departing, Samples.T0.AddSeconds(1)) with { Failure = "x", BootAttempts = 1 };
        var back = JobCodec.ParseRecord(JobCodec.Write(record));
        Assert.Equal(record.Phases, back.Phases);
        Assert.Equal(record with { Phases = back.Phases }, back);
    }

    public static TheoryData<string, string> BadJobs => new()
    {
        { "", "empty" },
        { "[]", "expected a JSON object" },
        { "{", "not valid JSON" },
        { "{\"format\":\"switchgate-boot-job/1\"}", "'kernel' is missing" },
        { Job(j => j.Replace("\"memory_mib\": 128", "\"memory_mib\": 1")), "'memory_mib' = 1 is outside" },
        { Job(j => j.Replace("\"memory_mib\": 128", "\"memory_mib\": 99999999999")), "outside" },
        { Job(j => j.Replace("\"memory_mib\": 128", "\"memory_mib\": 1.5")), "not an integer" },
        { Job(j => j.Replace("\"memory_mib\": 128", "\"memory_mib\": \"128\"")), "should be Number" },
        { Job(j => j.Replace("\"deadline_seconds\": 60", "\"deadline_seconds\": 0")), "'deadline_seconds' = 0" },
        { Job(j => j.Replace("switchgate-boot-job/1", "switchgate-boot-job/2")), "expected 'switchgate-boot-job/1'" },
        { Job(j => j.Replace(Samples.Hex64, Samples.Hex64.ToUpperInvariant())), "lowercase hex" },
        { Job(j => j.Replace(Samples.Hex64, Samples.Hex64[..62])), "lowercase hex" },
        { Job(j => j.Replace("\"size\": 1234", "\"size\": -1")), "outside" },
        { Job(j => j.Replace("\"size\": 1234", "\"size\": 9999999999999")), "outside" },
        { Job(j => j.Replace("{", "{\"extra\": 1,")), "unknown member 'extra'" },
        { Job(j => j.Replace("\"cmdline\"", "\"memory_mib\": 64, \"cmdline\"")), "appears twice" },
        { Job(j => j.Replace("console=ttyS0 quiet", "console=ttyS0\\u0000")), "printable ASCII" },
        { Job(j => j.Replace("SWITCHGATE-GUEST-BOOTED", "")), "'booted_marker' is empty" },
        { Job(j => j.Replace("console=ttyS0 quiet", new string('x', 3000))), "longer than 2048" },
        { Job(j => j.Replace("\"cmdline\": \"console=ttyS0 quiet\"", "\"cmdline\": {\"a\": {\"b\": {\"c\": {\"d\": 1}}}}")), "not valid JSON" },
        { Job(j => j + "x"), "not valid JSON" },
        { Job(j => j.Replace("}", "},", StringComparison.Ordinal)), "not valid JSON" },
        { Job(j => "/*c*/" + j), "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadJobs))]
    public void Malformed_job_files_are_refused_with_the_reason(string text, string reason)
    {
        var e = Assert.Throws<JobFormatException>(() => JobCodec.ParseJob(Encoding.UTF8.GetBytes(text)));
        Assert.Contains(reason, e.Message);
        Assert.StartsWith("job file", e.Message);
    }

    [Fact]
    public void Oversized_job_file_is_refused_before_parsing()
    {
        var big = Encoding.UTF8.GetBytes(Job(j => j.Replace("console=ttyS0 quiet", new string(' ', JobLimits.JobFileBytes))));
        var e = Assert.Throws<JobFormatException>(() => JobCodec.ParseJob(big));
        Assert.Contains("more than the limit of 16384", e.Message);
    }

    [Fact]
    public void Invalid_utf8_is_refused()
    {
        var bytes = JobCodec.Write(Samples.Job());
        var i = Array.IndexOf(bytes, (byte)'q'); // inside "quiet"
        bytes[i] = 0xC3;
        Assert.Throws<JobFormatException>(() => JobCodec.ParseJob(bytes));
    }

    [Fact]
    public void Every_truncation_of_every_document_is_refused()
    {
        var documents = new (byte[] Bytes, Action<byte[]> Parse)[]
        {
            (JobCodec.Write(Samples.Job()), b => JobCodec.ParseJob(b)),
            (JobCodec.Write(Samples.Manifest()), b => JobCodec.ParseManifest(b)),
            (JobCodec.Write(Samples.Record()), b => JobCodec.ParseRecord(b)),
        };
        foreach (var (bytes, parse) in documents)
        {
            parse(bytes);
            for (var n = 0; n < bytes.Length - 1; n++)
            {
                var cut = bytes[..n];
                // Whitespace at the end may be cut without changing the document.
                if (Encoding.UTF8.GetString(bytes, n, bytes.Length - n).Trim().Length == 0) continue;
                Assert.Throws<JobFormatException>(() => parse(cut));
            }
        }
    }

    [Fact]
    public void Random_mutations_only_ever_raise_JobFormatException()
    {
        var random = new Random(9);
        var originals = new (byte[] Bytes, Action<byte[]> Parse)[]
        {
            (JobCodec.Write(Samples.Job()), b => JobCodec.ParseJob(b)),
            (JobCodec.Write(Samples.Manifest()), b => JobCodec.ParseManifest(b)),
            (JobCodec.Write(Samples.Record()), b => JobCodec.ParseRecord(b)),
        };
        foreach (var (original, parse) in originals)
        {
            for (var i = 0; i < 3000; i++)
            {
                var bytes = (byte[])original.Clone();
                for (var k = random.Next(1, 4); k > 0; k--)
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                try
                {
                    parse(bytes);
                }
                catch (JobFormatException)
                {
                }
            }
        }
    }

    [Fact]
    public void Manifest_state_larger_than_memory_allows_is_refused()
    {
        var manifest = Samples.Manifest() with { State = new FileDigest(JobLimits.StateBytes(128) + 1, Samples.Hex64) };
        var e = Assert.Throws<JobFormatException>(() => JobCodec.ParseManifest(JobCodec.Write(manifest)));
        Assert.Contains("second image manifest.state", e.Message);
    }

    [Fact]
    public void Manifest_with_path_like_job_id_is_refused()
    {
        var text = Encoding.UTF8.GetString(JobCodec.Write(Samples.Manifest())).Replace("j1-abcd", "../../etc");
        var e = Assert.Throws<JobFormatException>(() => JobCodec.ParseManifest(Encoding.UTF8.GetBytes(text)));
        Assert.Contains("not a job id", e.Message);
    }

    [Fact]
    public void Record_whose_last_phase_disagrees_with_its_state_is_refused()
    {
        var record = Samples.Record() with { State = JobState.Ready };
        var e = Assert.Throws<JobFormatException>(() => JobCodec.ParseRecord(JobCodec.Write(record)));
        Assert.Contains("the last phase is Queued", e.Message);
    }

    [Fact]
    public void Record_with_unknown_state_or_bad_submitter_is_refused()
    {
        var text = Encoding.UTF8.GetString(JobCodec.Write(Samples.Record()));
        Assert.Contains("is not one of", Assert.Throws<JobFormatException>(() =>
            JobCodec.ParseRecord(Encoding.UTF8.GetBytes(text.Replace("\"Queued\"", "\"Admitted\"")))).Message);
        Assert.Contains("is not one of", Assert.Throws<JobFormatException>(() =>
            JobCodec.ParseRecord(Encoding.UTF8.GetBytes(text.Replace("\"Queued\"", "\"3\"")))).Message);
        Assert.Contains("not an IP address", Assert.Throws<JobFormatException>(() =>
            JobCodec.ParseRecord(Encoding.UTF8.GetBytes(text.Replace("10.0.0.100", "prod")))).Message);
    }

    [Fact]
    public void Writing_an_invalid_job_is_refused_too()
    {
        Assert.Throws<JobFormatException>(() => JobCodec.Write(Samples.Job() with { MemoryMiB = 1 }));
    }

    private static string Job(Func<string, string> edit) => edit(Encoding.UTF8.GetString(JobCodec.Write(Samples.Job())));
}
