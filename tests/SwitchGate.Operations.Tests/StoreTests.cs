using Microsoft.Data.Sqlite;
using SwitchGate.Attestation;
using SwitchGate.Gate.Policy;
using SwitchGate.Operations.Events;
using SwitchGate.Operations.Store;

namespace SwitchGate.Operations.Tests;

public sealed class StoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    internal static AuditEntry Verdict(string node, int minute, VerdictKind kind = VerdictKind.Admitted, ReasonCode reason = ReasonCode.Admitted) => new()
    {
        Time = T0.AddMinutes(minute), Event = "verdict", Node = node, DatapathId = 0xa1, Port = 2, Session = 0x1234,
        Verdict = kind, Reason = reason, Detail = $"{node} at {minute}",
    };

    [Fact]
    public void A_missing_database_is_an_error_never_a_new_store()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<StoreException>(() => OperationsStore.Open(dir.File("none.db")));
        Assert.Contains("does not exist; create it with 'switchgate controller store init", e.Message);
        Assert.False(File.Exists(dir.File("none.db")));
    }

    [Fact]
    public void A_corrupt_file_is_an_error_and_is_left_as_it_was()
    {
        using var dir = new TempDir();
        var garbage = new byte[8192];
        new Random(1).NextBytes(garbage);
        File.WriteAllBytes(dir.File("bad.db"), garbage);
        var e = Assert.Throws<StoreException>(() => OperationsStore.Open(dir.File("bad.db")));
        Assert.StartsWith("store.database: ", e.Message);
        Assert.Equal(garbage, File.ReadAllBytes(dir.File("bad.db")));
    }

    [Fact]
    public async Task A_damaged_page_is_reported_as_corrupt()
    {
        using var dir = new TempDir();
        var path = dir.File("s.db");
        OperationsStore.Create(path);
        await using (var store = OperationsStore.Open(path))
            for (int i = 0; i < 200; i++)
                await store.WriteAsync([Verdict("bs" + i, i)]);
        SqliteConnection.ClearAllPools();
        // Fold the WAL into the main file, then overwrite a page in the middle.
        using (var c = new SqliteConnection($"Data Source={path}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;";
            cmd.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 4096 * 4);
        Array.Fill(bytes, (byte)0x5A, 4096 * 2, 4096);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<StoreException>(() => OperationsStore.Open(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Another_programs_database_and_a_newer_schema_are_refused()
    {
        using var dir = new TempDir();
        using (var c = new SqliteConnection($"Data Source={dir.File("other.db")}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "CREATE TABLE t(x)";
            cmd.ExecuteNonQuery();
        }
        Assert.Contains("is not a SwitchGate store", Assert.Throws<StoreException>(() => OperationsStore.Open(dir.File("other.db"))).Message);

        OperationsStore.Create(dir.File("new.db"));
        using (var c = new SqliteConnection($"Data Source={dir.File("new.db")}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"PRAGMA user_version={OperationsStore.SchemaVersion + 1}";
            cmd.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();
        Assert.Contains("newer than this controller's", Assert.Throws<StoreException>(() => OperationsStore.Open(dir.File("new.db"))).Message);
        Assert.Contains("already exists", Assert.Throws<StoreException>(() => OperationsStore.Create(dir.File("new.db"))).Message);
    }

    [Fact]
    public async Task Audit_is_filtered_by_node_and_time_and_paged_and_survives_a_reopen()
    {
        using var dir = new TempDir();
        var path = dir.File("s.db");
        OperationsStore.Create(path);
        await using (var store = OperationsStore.Open(path))
        {
            for (int i = 0; i < 10; i++)
                await store.WriteAsync([Verdict(i % 2 == 0 ? "bs1" : "bs2", i)]);
            await store.WriteAsync([Verdict("bs1", 20, VerdictKind.Revoked, ReasonCode.PortDown)]);
        }
        await using (var store = OperationsStore.Open(path))
        {
            Assert.Equal(6, store.Audit(node: "bs1").Count);
            var since = store.Audit(node: "bs1", since: T0.AddMinutes(4), until: T0.AddMinutes(20));
            Assert.Equal(["bs1 at 4", "bs1 at 6", "bs1 at 8"], since.Select(r => System.Text.Json.JsonDocument.Parse(r.Json).RootElement.GetProperty("detail").GetString()));
            var first = store.Audit(limit: 4);
            var second = store.Audit(afterId: first[^1].Id, limit: 4);
            var third = store.Audit(afterId: second[^1].Id, limit: 4);
            Assert.Equal(11, first.Concat(second).Concat(third).Select(r => r.Id).Distinct().Count());
            Assert.Equal("revoked", store.LastVerdicts()["bs1"].Verdict);
            Assert.Equal(11, store.LastSequence);
            Assert.Equal(Enumerable.Range(1, 11).Select(i => (long)i), store.EventsAfter(0).Select(e => e.Sequence));
            Assert.Equal("revocation", store.EventsAfter(10).Single().Type);
        }
    }

    [Fact]
    public async Task Concurrent_writers_are_grouped_into_fewer_commits_in_order()
    {
        using var dir = new TempDir();
        OperationsStore.Create(dir.File("s.db"));
        await using var store = OperationsStore.Open(dir.File("s.db"), TimeSpan.FromMilliseconds(2));
        var committed = new List<long>();
        store.Committed += events => { lock (committed) committed.AddRange(events.Select(e => e.Sequence)); };
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => store.WriteAsync([Verdict("bs" + i, i)]).AsTask()));
        var (commits, records) = store.WriterStats;
        Assert.Equal(200, records);
        Assert.True(commits < 200, $"{commits} commits for 200 records");
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), committed);
    }

    [Fact]
    public async Task A_write_after_close_fails_instead_of_being_acknowledged()
    {
        using var dir = new TempDir();
        OperationsStore.Create(dir.File("s.db"));
        var store = OperationsStore.Open(dir.File("s.db"));
        await store.DisposeAsync();
        await Assert.ThrowsAsync<StoreException>(async () => await store.WriteAsync([Verdict("bs1", 0)]));
    }
}

public sealed class EventHubTests
{
    private static StoredEvent E(long seq) => new(seq, DateTimeOffset.UnixEpoch, "t", $"{{\"n\":{seq}}}");

    private static async Task<List<long>> Take(EventHub hub, long after, int count)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var seen = new List<long>();
        await foreach (var e in hub.Read(after, cancel.Token))
        {
            seen.Add(e.Sequence);
            if (seen.Count == count)
                break;
        }
        return seen;
    }

    [Fact]
    public async Task Resumes_from_the_ring_then_goes_live_without_gaps_or_duplicates()
    {
        var hub = new EventHub(16, null);
        hub.Publish(Enumerable.Range(1, 10).Select(i => E(i)).ToList());
        var reader = Take(hub, 4, 26);
        var writer = Task.Run(() =>
        {
            for (int i = 11; i <= 30; i++)
                hub.Publish([E(i)]);
        });
        await writer;
        Assert.Equal(Enumerable.Range(5, 26).Select(i => (long)i), await reader);
    }

    [Fact]
    public async Task A_position_older_than_the_ring_is_read_from_the_store()
    {
        using var dir = new TempDir();
        OperationsStore.Create(dir.File("s.db"));
        await using var store = OperationsStore.Open(dir.File("s.db"));
        var hub = new EventHub(16, store);
        for (int i = 0; i < 100; i++)
            await store.WriteAsync([StoreTests.Verdict("bs" + i, i)]);
        var reader = Take(hub, 3, 117);
        for (int i = 100; i < 120; i++)
            await store.WriteAsync([StoreTests.Verdict("bs" + i, i)]);
        Assert.Equal(Enumerable.Range(4, 117).Select(i => (long)i), await reader);
    }

    [Fact]
    public async Task Without_a_store_a_position_that_left_the_ring_is_an_explicit_gap()
    {
        var hub = new EventHub(16, null);
        hub.Publish(Enumerable.Range(1, 40).Select(i => E(i)).ToList());
        await Assert.ThrowsAsync<EventGapException>(() => Take(hub, 2, 1));
    }
}
