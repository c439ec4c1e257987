using SwitchGate.Topology;

namespace SwitchGate.Integration.Tests;

/// <summary>Pure validation of topology files (no system access).</summary>
public class TopologyLoaderTests
{
    private const string Valid = """
        name: t
        switches:
          - name: s1
            dpid: "0000000000000001"
        hosts:
          - name: h1
            mac: "02:00:00:00:00:01"
            ip: 10.0.0.1/24
          - name: h2
            role: host
            mac: "02:00:00:00:00:02"
            ip: 10.0.0.2/24
        links:
          - { host: h1, switch: s1, port: 1 }
          - { host: h2, switch: s1, port: 2 }
        """;

    private static TopologyFileException Rejects(string yaml) =>
        Assert.Throws<TopologyFileException>(() => TopologyLoader.Load(yaml, "t.yaml"));

    [Fact]
    public void Loads_a_valid_file_with_defaults()
    {
        var t = TopologyLoader.Load(Valid, "t.yaml");
        var s1 = Assert.Single(t.Switches);
        Assert.Equal(("s1", 1UL, "0000000000000001", 6653), (s1.Name, s1.DatapathId, s1.DatapathIdHex, s1.ControllerPort));
        Assert.Equal("127.0.0.1", s1.ControllerAddress.ToString());
        Assert.Equal(["h1", "h2"], t.Hosts.Select(h => h.Name));
        Assert.All(t.Hosts, h => Assert.Equal(HostRole.Host, h.Role));
        Assert.Equal("02:00:00:00:00:02", t.Host("h2").Mac.ToString());
        Assert.Equal("10.0.0.2/24", t.Host("h2").Cidr);
        Assert.Equal(new LinkSpec("h2", "s1", 2), t.LinkOf("h2"));
    }

    [Fact]
    public void Loads_the_repository_default_topology()
    {
        var t = TopologyLoader.LoadFile(Path.Combine(RepoPaths.Root, "topology", "default.yaml"));
        Assert.Single(t.Switches);
        Assert.Equal(2, t.Hosts.Count);
    }

    [Fact]
    public void Boot_servers_have_clean_and_dirty_macs_and_start_clean()
    {
        var yaml = Valid.Replace("""
              - name: h2
                role: host
                mac: "02:00:00:00:00:02"
            """, """
              - name: bs1
                role: boot-server
                clean_mac: "02:00:00:00:0b:01"
                dirty_mac: "02:00:00:00:0d:01"
            """).Replace("host: h2", "host: bs1");
        var bs = TopologyLoader.Load(yaml, "t.yaml").Host("bs1");
        Assert.Equal(HostRole.BootServer, bs.Role);
        Assert.Equal(bs.CleanMac, bs.Mac);
        Assert.Equal("02:00:00:00:0d:01", bs.DirtyMac.ToString());
    }

    [Theory]
    [InlineData("mac: \"02:00:00:00:00:02\"", "macc: \"02:00:00:00:00:02\"", 11, "unknown key 'macc' in a host")]
    [InlineData("name: t", "name: t\nextra: 1", 2, "unknown key 'extra' in the topology")]
    [InlineData("name: h2", "name: h1", 9, "duplicate name 'h1'")]
    [InlineData("name: h2", "name: s1", 9, "duplicate name 's1'")]
    [InlineData("\"02:00:00:00:00:02\"", "\"02:00:00:00:00:01\"", 11, "duplicate MAC 02:00:00:00:00:01")]
    [InlineData("\"02:00:00:00:00:02\"", "\"02:00:00:00:0:02\"", 11, "bad MAC")]
    [InlineData("\"02:00:00:00:00:02\"", "\"03:00:00:00:00:02\"", 11, "group address")]
    [InlineData("10.0.0.2/24", "10.0.0.1/24", 12, "duplicate address 10.0.0.1")]
    [InlineData("10.0.0.2/24", "10.0.0.256/24", 12, "bad address")]
    [InlineData("10.0.0.2/24", "10.0.0.2", 12, "bad address")]
    [InlineData("10.0.0.2/24", "fe80::1/64", 12, "bad address")]
    [InlineData("{ host: h2, switch: s1, port: 2 }", "{ host: h2, switch: s1, port: 1 }", 15, "port 1 of switch 's1' is already linked")]
    [InlineData("{ host: h2, switch: s1, port: 2 }", "{ host: h3, switch: s1, port: 2 }", 15, "unknown host 'h3'")]
    [InlineData("{ host: h2, switch: s1, port: 2 }", "{ host: h2, switch: s9, port: 2 }", 15, "unknown switch 's9'")]
    [InlineData("{ host: h2, switch: s1, port: 2 }", "{ host: h1, switch: s1, port: 2 }", 15, "already has a link")]
    [InlineData("{ host: h2, switch: s1, port: 2 }", "{ host: h2, switch: s1, port: 0 }", 15, "bad port '0'")]
    [InlineData("{ host: h2, switch: s1, port: 2 }", "{ host: h2, switch: s1, port: 65280 }", 15, "bad port")]
    [InlineData("{ host: h2, switch: s1, port: 2 }", "{ host: h2, switch: s1 }", 15, "missing key 'port'")]
    [InlineData("dpid: \"0000000000000001\"", "dpid: \"00000000000000001\"", 4, "bad datapath id")]
    [InlineData("dpid: \"0000000000000001\"", "dpid: \"0\"", 4, "datapath id 0")]
    [InlineData("dpid: \"0000000000000001\"", "dpid: xyz", 4, "bad datapath id")]
    [InlineData("dpid: \"0000000000000001\"", "dpid: \"1\"\n    controller: tcp:10.0.0.9:6653", 5, "not a loopback address")]
    [InlineData("dpid: \"0000000000000001\"", "dpid: \"1\"\n    controller: 127.0.0.1:6653", 5, "bad controller")]
    [InlineData("role: host", "role: router", 10, "unknown role 'router'")]
    [InlineData("name: h2", "name: H2", 9, "bad name 'H2'")]
    [InlineData("name: h2", "name: host12345", 9, "bad name")]
    [InlineData("role: host", "role: boot-server", 11, "key 'mac' not allowed here")]
    public void Rejects_bad_files_with_line_and_reason(string find, string replace, int line, string reason)
    {
        Assert.Contains(find, Valid);
        var e = Rejects(Valid.Replace(find, replace));
        Assert.Contains(reason, e.Reason);
        Assert.Equal(line, e.Line);
        Assert.StartsWith($"t.yaml:{line}:", e.Message);
    }

    /// <summary>
    /// Fuzzing finding (scripts/fuzz topology): a control character inside a plain scalar made YamlDotNet's scanner
    /// throw InvalidOperationException instead of a YAML error.
    /// </summary>
    [Fact]
    public void Rejects_control_characters_with_their_position()
    {
        var e = Rejects(Valid.Replace("ip: 10.0.0.2/24", "ip: 10.0.\u0002.2/24"));
        Assert.Contains("U+0002", e.Reason);
        Assert.Equal(12, e.Line);
        Rejects("name: t\nswitches:\n  - name: s\u0000F, port: 1\n");
    }

    /// <summary>Fuzzing finding (scripts/fuzz topology): an empty implicit key made YamlDotNet throw ArgumentException.</summary>
    [Fact]
    public void Rejects_an_empty_implicit_key_as_invalid_yaml()
    {
        Assert.Contains("not valid YAML", Rejects("name: t\nswitches:\n  : s1, port: 1 }\n").Message);
        Assert.Contains("not valid YAML", Rejects("a:\n  : b\n").Message);
    }

    [Fact]
    public void Rejects_a_host_without_a_link()
    {
        var e = Rejects(Valid.Replace("  - { host: h2, switch: s1, port: 2 }", ""));
        Assert.Contains("host 'h2' has no link", e.Message);
        Assert.Equal(9, e.Line);
    }

    [Fact]
    public void Rejects_a_duplicate_key()
    {
        var e = Rejects(Valid.Replace("ip: 10.0.0.2/24", "ip: 10.0.0.2/24\n    ip: 10.0.0.3/24"));
        Assert.Contains("ip", e.Message);
        Assert.True(e.Line > 0);
    }

    [Fact]
    public void Rejects_a_duplicate_datapath_id()
    {
        var yaml = Valid.Replace("hosts:", "  - name: s2\n    dpid: \"0x1\"\nhosts:");
        Assert.Contains("duplicate datapath id 0000000000000001", Rejects(yaml).Message);
    }

    [Theory]
    [InlineData("", "expected one YAML document")]
    [InlineData("[1, 2", "not valid YAML")]
    [InlineData("- a\n- b", "the topology must be a mapping")]
    [InlineData("switches: []\nhosts: []\nlinks: []", "at least one switch")]
    [InlineData("switches: {}\nhosts: []\nlinks: []", "'switches' must be a list")]
    [InlineData("hosts: []\nlinks: []", "missing key 'switches'")]
    public void Rejects_malformed_documents(string yaml, string reason) =>
        Assert.Contains(reason, Rejects(yaml).Message);

    [Fact]
    public void A_missing_file_is_a_topology_error()
    {
        var e = Assert.Throws<TopologyFileException>(() => TopologyLoader.LoadFile("/nonexistent/x.yaml"));
        Assert.Contains("cannot read", e.Message);
    }

    [Fact]
    public void Names_fit_the_interface_name_limit()
    {
        var names = TopologyNames.CreateUnique();
        Assert.Matches("^sg[0-9a-f]{4}$", names.Prefix);
        Assert.True(names.SwitchPort("abcdefgh").Length <= TopologyNames.MaxInterfaceName);
        Assert.True(names.Bridge("abcdefgh").Length <= TopologyNames.MaxInterfaceName);
        Assert.Throws<ArgumentException>(() => new TopologyNames("xx0000"));
    }
}
