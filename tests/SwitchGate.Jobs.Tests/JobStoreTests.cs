using System.Security.Cryptography;
using SwitchGate.Jobs.Codec;
using SwitchGate.Jobs.Model;
using SwitchGate.Jobs.Storage;

namespace SwitchGate.Jobs.Tests;

public sealed class JobStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sg-jobstore-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Created_jobs_get_increasing_sequences_and_reload()
    {
        var store = new JobStore(_dir);
        var a = store.Create("10.0.0.100", Samples.T0);
        var b = store.Create("10.0.0.1", Samples.T0);
        Assert.True(b.Sequence > a.Sequence);
        Assert.True(JobCodec.IsJobId(a.Id));
        Assert.Equal([a.Id, b.Id], store.LoadAll().Select(j => j.Id));
        Assert.Equal(a.Submitter, store.Load(a.Id).Submitter);
    }

    [Fact]
    public void Damaged_or_oversized_records_are_listed_with_their_error()
    {
        var store = new JobStore(_dir);
        var a = store.Create("10.0.0.100", Samples.T0);
        var b = store.Create("10.0.0.100", Samples.T0);
        File.WriteAllText(store.RecordPath(a.Id), "{\"format\": 1");
        File.WriteAllBytes(store.RecordPath(b.Id), new byte[JobLimits.RecordBytes + 1]);
        var all = store.LoadAll();
        Assert.All(all, j => Assert.Null(j.Record));
        Assert.Contains("not valid JSON", all.Single(j => j.Id == a.Id).Error);
        Assert.Contains("more than the limit", all.Single(j => j.Id == b.Id).Error);
    }

    [Fact]
    public void A_record_moved_to_another_job_directory_is_refused()
    {
        var store = new JobStore(_dir);
        var a = store.Create("10.0.0.100", Samples.T0);
        var b = store.Create("10.0.0.1", Samples.T0);
        File.Copy(store.RecordPath(a.Id), store.RecordPath(b.Id), overwrite: true);
        Assert.Contains("lives in", Assert.Throws<JobFormatException>(() => store.Load(b.Id)).Message);
    }

    [Fact]
    public void Check_refuses_truncated_padded_and_corrupted_files()
    {
        var path = Path.Combine(_dir, "state");
        var content = RandomNumberGenerator.GetBytes(10000);
        File.WriteAllBytes(path, content);
        var digest = JobStore.DigestOf(path);
        JobStore.Check(path, digest, "state");
        File.WriteAllBytes(path, content[..5000]);
        Assert.Contains("5000 bytes, expected 10000", Assert.Throws<JobFormatException>(() => JobStore.Check(path, digest, "state")).Message);
        File.WriteAllBytes(path, [.. content, 0]);
        Assert.Contains("truncated or padded", Assert.Throws<JobFormatException>(() => JobStore.Check(path, digest, "state")).Message);
        content[1234] ^= 1;
        File.WriteAllBytes(path, content);
        Assert.Contains("does not match", Assert.Throws<JobFormatException>(() => JobStore.Check(path, digest, "state")).Message);
        File.Delete(path);
        Assert.Contains("missing", Assert.Throws<JobFormatException>(() => JobStore.Check(path, digest, "state")).Message);
    }

    [Fact]
    public void Job_ids_cannot_name_other_paths()
    {
        var store = new JobStore(_dir);
        foreach (var bad in new[] { "..", "j/../x", "J1", "j1\0", "", "x1", new string('j', 65) })
        {
            Assert.False(JobCodec.IsJobId(bad));
            Assert.Throws<ArgumentException>(() => store.JobDirectory(bad));
        }
    }
}
