using System.Text;
using SwitchGate.Attestation.Enrolment;

namespace SwitchGate.Attestation.Tests;

public class EnrolmentRecordTests
{
    private static EnrolmentRecord Sample() => new()
    {
        Node = "bs1",
        DatapathId = 0x00000000000000a1,
        Port = 3,
        CleanMac = EnrolmentRecord.ParseMac("02:00:00:00:01:01", "clean_mac"),
        DirtyMac = EnrolmentRecord.ParseMac("02:00:00:00:01:02", "dirty_mac"),
        AkPublic = Enumerable.Range(0, 90).Select(i => (byte)i).ToArray(),
        PcrSelection = EnrolmentRecord.ParseSelection("sha256:0,4,14"),
        GoldenSets = [new GoldenSet("v1", new Dictionary<int, byte[]> { [0] = new byte[32], [4] = Enumerable.Repeat((byte)4, 32).ToArray(), [14] = new byte[32] })],
        ProofKey = AttestationProof.PublicKeyOf(Enumerable.Repeat((byte)0x5a, 32).ToArray()),
    };

    [Fact]
    public void Json_round_trips()
    {
        var record = Sample().Validated();
        var back = EnrolmentRecord.FromJson(record.ToJson());
        Assert.Equal(record.ToJson(), back.ToJson());
        Assert.Equal(0xa1UL, back.DatapathId);
        Assert.Equal("sha256:0,4,14", back.PcrSelection.ToString());
    }

    public static TheoryData<string, string, string> Defects => new()
    {
        { "\"port\": 3", "\"port\": 0", "port 0" },
        { "\"port\": 3", "\"port\": -1", "port must be" },
        { "02:00:00:00:01:02", "02:00:00:00:01:01", "must differ" },
        { "02:00:00:00:01:01", "01:00:5e:00:00:01", "unicast" },
        { "02:00:00:00:01:01", "02:00:00:00:01", "not a MAC" },
        { "sha256:0,4,14", "sha256:4,0,14", "ascending" },
        { "sha256:0,4,14", "sha256:0,4", "exactly the PCRs" },
        { "sha256:0,4,14", "md5:0,4,14", "unsupported PCR bank" },
        { "\"node\": \"bs1\"", "\"node\": \"bs 1\"", "node name" },
        { "\"node\": \"bs1\"", "\"node\": \"bs1\", \"extra\": 1", "unknown key 'extra'" },
        { "\"node\": \"bs1\"", "\"node\": \"bs1\", \"node\": \"bs2\"", "more than once" },
        { "\"node\": \"bs1\",", "", "missing key 'node'" },
        { "0x00000000000000a1", "0xzz", "datapath_id" },
        { "\"golden_sets\": [", "\"golden_sets\": [], \"x\": [", "unknown key" },
    };

    [Theory, MemberData(nameof(Defects))]
    public void Each_defect_is_a_specific_error(string from, string to, string expected)
    {
        var json = Encoding.UTF8.GetString(Sample().ToJson());
        Assert.Contains(from, json);
        var bad = Encoding.UTF8.GetBytes(json.Replace(from, to));
        var e = Assert.Throws<EnrolmentFormatException>(() => EnrolmentRecord.FromJson(bad));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_proof_key_off_the_curve_or_of_wrong_length_and_empty_golden_sets_are_refused()
    {
        var key = Sample().ProofKey;
        var offCurve = key.ToArray();
        offCurve[^1] ^= 1;
        Assert.Contains("proof_key", Assert.Throws<EnrolmentFormatException>(() => (Sample() with { ProofKey = offCurve }).Validated()).Message);
        Assert.Throws<EnrolmentFormatException>(() => (Sample() with { ProofKey = key[..64] }).Validated());
        // A compressed point (0x02/0x03 ‖ X) is not the documented encoding.
        Assert.Throws<EnrolmentFormatException>(() => (Sample() with { ProofKey = [0x02, .. key[1..33]] }).Validated());
        Assert.Throws<EnrolmentFormatException>(() => (Sample() with { ProofKey = new byte[65] }).Validated());
        Assert.Throws<EnrolmentFormatException>(() => (Sample() with { GoldenSets = [] }).Validated());
        Assert.Throws<EnrolmentFormatException>(() => EnrolmentRecord.FromJson("[1]"u8));
        Assert.Throws<EnrolmentFormatException>(() => EnrolmentRecord.FromJson("{"u8));
    }

    [Fact]
    public void A_version_1_record_with_the_secret_in_clear_is_refused_by_name()
    {
        var json = Encoding.UTF8.GetString(Sample().ToJson()).Replace("\"proof_key\"", "\"secret\"", StringComparison.Ordinal);
        var e = Assert.Throws<EnrolmentFormatException>(() => EnrolmentRecord.FromJson(Encoding.UTF8.GetBytes(json)));
        Assert.Contains("re-enrol", e.Message);
    }

    /// <summary>Fuzzing finding (scripts/fuzz enrolment): invalid UTF-8 inside a string escaped as InvalidOperationException.</summary>
    [Fact]
    public void Invalid_utf8_is_an_enrolment_error()
    {
        var json = Sample().ToJson();
        var at = Encoding.UTF8.GetString(json).IndexOf("bs1", StringComparison.Ordinal);
        json[at + 1] = 0xC3;
        var e = Assert.Throws<EnrolmentFormatException>(() => EnrolmentRecord.FromJson(json));
        Assert.Contains("not UTF-8", e.Message);
    }
}
