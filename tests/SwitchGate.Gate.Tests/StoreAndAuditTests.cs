using System.Text.Json;
using SwitchGate.Attestation;
using SwitchGate.Gate.Audit;
using SwitchGate.Gate.Enrolment;
using SwitchGate.Gate.Policy;

namespace SwitchGate.Gate.Tests;

public sealed class StoreAndAuditTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sg-store-").FullName;
    private readonly TestNode _a = new("bs1", 0xA1, 3, 1);
    private readonly TestNode _b = new("bs2", 0xA1, 4, 2);

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private void Write(string file, byte[] content) => File.WriteAllBytes(Path.Combine(_dir, file), content);

    [Fact]
    public void A_bad_file_is_refused_by_name_and_the_others_still_load()
    {
        Write("bs1.json", _a.Record.ToJson());
        Write("bs2.json", "{ not json"u8.ToArray());
        Write("bs3.json", _b.Record.ToJson()); // bs2's record under another name
        Write("notes.txt", "ignored"u8.ToArray());
        var snapshot = new EnrolmentStore(_dir).Load();
        Assert.Equal(["bs1"], snapshot.Records.Select(r => r.Node));
        Assert.Equal(2, snapshot.Rejected.Count);
        Assert.StartsWith("bs2.json: invalid enrolment: not valid JSON", snapshot.Rejected[0]);
        Assert.StartsWith("bs3.json: invalid enrolment: the file of node 'bs2' must be named bs2.json", snapshot.Rejected[1]);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Rotation_state_is_written_owner_only_loaded_with_its_node_and_a_damaged_one_refuses_the_node()
    {
        Write("bs1.json", _a.Record.ToJson());
        Write("bs2.json", _b.Record.ToJson());
        var store = new EnrolmentStore(_dir);
        var next = AttestationProof.PublicKeyOf(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var state = new ProofKeyState("bs1", _a.Record.ProofKey, 0, _a.Record.ProofKey, new PendingRotation(1, next, new byte[70], new byte[256]));
        store.SaveProofKeys(state);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, "bs1.proofkey")));
        var snapshot = store.Load();
        Assert.Equal(["bs1", "bs2"], snapshot.Records.Select(r => r.Node));
        Assert.Equal(state.ToJson(), Assert.Single(snapshot.ProofKeys).Value.ToJson());

        // Which key is in use is unknown: the node is refused (fail closed), with the file and the defect named.
        foreach (var (damage, expected) in new (string, string)[]
        {
            ("{ not json", "not valid JSON"),
            (System.Text.Encoding.UTF8.GetString(state.ToJson()).Replace("\"generation\": 1", "\"generation\": 7"), "pending generation 7 is not 0 + 1"),
            (System.Text.Encoding.UTF8.GetString(state.ToJson()).Replace("\"node\"", "\"extra\": 1, \"node\""), "unknown key 'extra'"),
        })
        {
            Write("bs1.proofkey", System.Text.Encoding.UTF8.GetBytes(damage));
            snapshot = store.Load();
            Assert.Equal(["bs2"], snapshot.Records.Select(r => r.Node));
            var rejected = Assert.Single(snapshot.Rejected);
            Assert.StartsWith("bs1.proofkey: ", rejected);
            Assert.Contains(expected, rejected);
        }
    }

    [Fact]
    public void Records_sharing_a_port_or_a_mac_are_all_refused()
    {
        Write("bs1.json", _a.Record.ToJson());
        Write("bs2.json", (_b.Record with { Port = _a.Port }).ToJson());
        var snapshot = new EnrolmentStore(_dir).Load();
        Assert.Empty(snapshot.Records);
        Assert.All(snapshot.Rejected, r => Assert.Contains("datapath and port", r));

        Write("bs2.json", (_b.Record with { DirtyMac = _a.CleanMac }).ToJson());
        snapshot = new EnrolmentStore(_dir).Load();
        Assert.Empty(snapshot.Records);
        Assert.Contains(snapshot.Rejected, r => r.StartsWith("bs2.json") && r.Contains("02:00:00:00:01:01"));
    }

    [Fact]
    public void An_ak_that_is_not_a_restricted_signing_key_is_refused()
    {
        var bad = _a.Record with { AkPublic = [0, 2, 0, 0] };
        Write("bs1.json", bad.ToJson());
        var snapshot = new EnrolmentStore(_dir).Load();
        Assert.Empty(snapshot.Records);
        Assert.Contains("ak_public", Assert.Single(snapshot.Rejected));
    }

    [Fact]
    public void A_missing_directory_is_an_error_not_an_empty_enrolment()
    {
        Assert.Throws<DirectoryNotFoundException>(() => new EnrolmentStore(Path.Combine(_dir, "typo")).Load());
    }

    [Fact]
    public void Save_is_atomic_leaves_no_temp_files_and_round_trips()
    {
        var store = new EnrolmentStore(_dir);
        store.Save(_a.Record);
        store.Save(_a.Record with { Port = 9 });
        Assert.Equal(["bs1.json"], Directory.GetFiles(_dir).Select(Path.GetFileName));
        var loaded = Assert.Single(store.Load().Records);
        Assert.Equal(9u, loaded.Port);
        Assert.True(NodeEnrolment.SameRecord(_a.Record with { Port = 9 }, loaded));
        Assert.True(store.Delete("bs1"));
        Assert.False(store.Delete("bs1"));
        Assert.False(store.Delete("../" + Path.GetFileName(_dir) + "/x"));
    }

    [Fact]
    public void Fingerprint_changes_when_a_file_changes()
    {
        var store = new EnrolmentStore(_dir);
        var empty = store.Fingerprint();
        store.Save(_a.Record);
        var one = store.Fingerprint();
        Assert.NotEqual(empty, one);
        store.Save(_b.Record);
        Assert.NotEqual(one, store.Fingerprint());
    }

    [Fact]
    public void Audit_log_appends_json_lines_that_are_on_disk_before_append_returns()
    {
        var path = Path.Combine(_dir, "logs", "audit.jsonl");
        var time = new DateTimeOffset(2026, 11, 27, 13, 0, 0, TimeSpan.Zero);
        using (var log = new AuditLog(path))
        {
            log.Append(new AuditEntry
            {
                Time = time, Event = "verdict", Node = "bs1", DatapathId = 0xA1, Port = 3, Session = 0x0123456789ABCDEF,
                Verdict = VerdictKind.Revoked, Reason = ReasonCode.ReattestationFailed, Cause = ReasonCode.PcrValuesNotGolden,
                Confirmed = true, Detail = "PCR values match none of the golden sets",
            });
            // Read by another handle while the writer is still open (a killed controller never closes it).
            var line = JsonDocument.Parse(File.ReadAllLines(path).Single()).RootElement;
            Assert.Equal("2026-11-27T13:00:00.000000Z", line.GetProperty("time").GetString());
            Assert.Equal("revoked", line.GetProperty("verdict").GetString());
            Assert.Equal("ReattestationFailed", line.GetProperty("reason").GetString());
            Assert.Equal("0x0205", line.GetProperty("reason_code").GetString());
            Assert.Equal("0x010F", line.GetProperty("cause_code").GetString());
            Assert.Equal("0x00000000000000a1", line.GetProperty("datapath_id").GetString());
            Assert.Equal("0123456789ABCDEF", line.GetProperty("session").GetString());
            Assert.True(line.GetProperty("confirmed").GetBoolean());
            Assert.False(line.TryGetProperty("lease_seconds", out _));
        }
        using (var log = new AuditLog(path))
            log.Append([new AuditEntry { Time = time, Event = "enrolment_added", Node = "bs2" }, new AuditEntry { Time = time, Event = "enrolment_removed", Node = "bs2" }]);
        Assert.Equal(3, File.ReadAllLines(path).Length); // reopened: appended, never truncated
        using (var log = new AuditLog(path, syncEveryAppend: false))
        {
            log.Append(new AuditEntry { Time = time, Event = "enrolment_added", Node = "bs3" });
            Assert.Equal(4, File.ReadAllLines(path).Length); // written before Append returns, fsync in the background
        }
    }
}
