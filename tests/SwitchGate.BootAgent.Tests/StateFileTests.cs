using SwitchGate.BootAgent.Tpm;

namespace SwitchGate.BootAgent.Tests;

/// <summary>Damaged state files: a clear error naming the field (node.json), or "no admission" (admission.json); never a crash.</summary>
public sealed class StateFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sg-agent-state-").FullName;
    private readonly StateDirectory _state;

    public StateFileTests() => _state = new StateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("[]", "a JSON object expected")]
    [InlineData("{", "not JSON")]
    [InlineData("{\"clean_mac\":\"02:00:00:00:00:01\",\"dirty_mac\":\"02:00:00:00:00:02\"}", "'node' must be a string")]
    [InlineData("{\"node\":null,\"clean_mac\":\"02:00:00:00:00:01\",\"dirty_mac\":\"02:00:00:00:00:02\"}", "'node' must be a string")]
    [InlineData("{\"node\":\"bs1\",\"clean_mac\":5,\"dirty_mac\":\"02:00:00:00:00:02\"}", "'clean_mac' must be a string")]
    [InlineData("{\"node\":\"bs1\",\"clean_mac\":\"02:00:00:00:00:01\",\"dirty_mac\":\"zz\"}", "dirty_mac")]
    public void A_damaged_node_file_is_a_configuration_error_naming_the_defect(string json, string expected)
    {
        File.WriteAllText(Path.Combine(_dir, "node.json"), json);
        var e = Assert.Throws<AgentConfigurationException>(() => _state.LoadIdentity());
        Assert.Contains("node.json is damaged", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("{}")]
    [InlineData("{\"session\":\"xyz\",\"nonce\":\"00\",\"since\":\"2026-12-04T00:00:00Z\",\"lease_seconds\":30}")]
    [InlineData("{\"session\":\"1\",\"nonce\":\"0\",\"since\":\"2026-12-04T00:00:00Z\",\"lease_seconds\":30}")]
    [InlineData("{\"session\":\"1\",\"nonce\":\"00\",\"since\":\"yesterday\",\"lease_seconds\":30}")]
    [InlineData("{\"session\":\"1\",\"nonce\":\"00\",\"since\":\"2026-12-04T00:00:00Z\",\"lease_seconds\":1e300}")]
    [InlineData("{\"session\":\"1\",\"nonce\":\"00\",\"since\":\"2026-12-04T00:00:00Z\",\"lease_seconds\":\"30\"}")]
    [InlineData("{\"session\":\"12345678123456789\",\"nonce\":\"00\",\"since\":\"2026-12-04T00:00:00Z\",\"lease_seconds\":30}")]
    public void A_damaged_admission_file_means_no_admission(string json)
    {
        File.WriteAllText(Path.Combine(_dir, "admission.json"), json);
        Assert.Null(_state.LoadAdmission());
    }

    [Fact]
    public void What_the_agent_writes_it_reads_back()
    {
        var admission = new Core.Admission(0x9F1C0A4D2E6B7788, [1, 2, 3], new DateTimeOffset(2026, 12, 4, 15, 0, 0, TimeSpan.Zero), TimeSpan.FromSeconds(30));
        _state.SaveAdmission(admission);
        var back = _state.LoadAdmission()!;
        Assert.Equal(admission.Session, back.Session);
        Assert.Equal(admission.Nonce, back.Nonce);
        Assert.Equal(admission.Since, back.Since);
        Assert.Equal(admission.Lease, back.Lease);
    }
}
