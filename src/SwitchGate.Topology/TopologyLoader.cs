using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using SwitchGate.Ethernet;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SwitchGate.Topology;

/// <summary>
/// Reads a topology file (YAML) strictly: unknown keys, missing keys, duplicates, bad MACs or
/// addresses and dangling links are all <see cref="TopologyFileException"/>s naming file and line.
/// The YAML is walked node by node (not deserialized) so every error can point at its line.
/// </summary>
public static partial class TopologyLoader
{
    /// <summary>Port numbers OVS accepts in <c>ofport_request</c> (1 .. 0xfeff).</summary>
    public const int MaxPort = 0xfeff;

    /// <summary>Default controller when a switch names none: IANA's OpenFlow port on loopback.</summary>
    public const string DefaultController = "tcp:127.0.0.1:6653";

    /// <summary>
    /// Names become parts of interface names (at most 15 characters, see <see cref="TopologyNames"/>),
    /// so they are short and plain.
    /// </summary>
    [GeneratedRegex("^[a-z][a-z0-9]{0,7}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^(0x)?[0-9a-fA-F]{1,16}$")]
    private static partial Regex DatapathIdPattern();

    private static readonly string[] TopKeys = ["name", "switches", "hosts", "links"];
    private static readonly string[] SwitchKeys = ["name", "dpid", "controller"];
    private static readonly string[] HostKeys = ["name", "role", "mac", "clean_mac", "dirty_mac", "ip"];
    private static readonly string[] LinkKeys = ["host", "switch", "port"];

    public static TopologySpec LoadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TopologyFileException(path, 0, 0, $"cannot read the file: {e.Message}", e);
        }
        return Load(text, path);
    }

    public static TopologySpec Load(string yaml, string source)
    {
        CheckPrintable(yaml, source);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new TopologyFileException(source, e.Start.Line, e.Start.Column, $"not valid YAML: {e.Message}", e);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // Found by fuzzing: YamlDotNet's scanner throws InvalidOperationException on some malformed plain
            // scalars, and its node loader ArgumentException on an empty implicit key ("a:\n  : b"), instead of a
            // YamlException. Only the library runs inside this try: either is a defect of the file.
            throw new TopologyFileException(source, 0, 0, $"not valid YAML: {e.Message}", e);
        }
        if (stream.Documents.Count != 1)
            throw new TopologyFileException(source, 0, 0, $"expected one YAML document, found {stream.Documents.Count}");
        return new Reader(source).Read(stream.Documents[0].RootNode);
    }

    /// <summary>
    /// YAML 1.2 §5.1: a stream holds printable characters only; C0 controls other than tab, LF and CR (and DEL,
    /// C1 controls, surrogates, U+FFFE/U+FFFF) are refused here, with their position, before the parser sees them.
    /// </summary>
    private static void CheckPrintable(string yaml, string source)
    {
        int line = 1, column = 1;
        for (var i = 0; i < yaml.Length; i++)
        {
            var c = yaml[i];
            var printable = c is '\t' or '\n' or '\r' or '\u0085' or (>= '\u0020' and <= '\u007E') or (>= '\u00A0' and <= '\uD7FF')
                or (>= '\uE000' and <= '\uFFFD')
                || (char.IsHighSurrogate(c) && i + 1 < yaml.Length && char.IsLowSurrogate(yaml[i + 1]));
            if (!printable)
            {
                throw new TopologyFileException(source, line, column, $"character U+{(int)c:X4} is not allowed in YAML");
            }
            if (char.IsHighSurrogate(c))
            {
                i++;
            }
            if (c == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }
    }

    private sealed class Reader(string source)
    {
        private TopologyFileException Error(YamlNode node, string reason) =>
            new(source, node.Start.Line, node.Start.Column, reason);

        public TopologySpec Read(YamlNode root)
        {
            var top = Mapping(root, "the topology", TopKeys);
            if (top.TryGetValue("name", out var nameNode)) Scalar(nameNode, "name");

            var switches = new List<SwitchSpec>();
            var hosts = new List<HostSpec>();
            var links = new List<LinkSpec>();
            var names = new Dictionary<string, YamlNode>();
            var dpids = new HashSet<ulong>();
            var macs = new HashSet<MacAddress>();
            var addresses = new HashSet<IPAddress>();

            foreach (var item in Sequence(Required(top, root, "switches"), "switches"))
            {
                var fields = Mapping(item, "a switch", SwitchKeys);
                var name = Name(fields, item, names);
                var dpidNode = Required(fields, item, "dpid");
                var dpid = DatapathId(dpidNode);
                if (!dpids.Add(dpid)) throw Error(dpidNode, $"duplicate datapath id {dpid:x16}");
                var (address, port) = fields.TryGetValue("controller", out var c)
                    ? Controller(c)
                    : (IPAddress.Loopback, 6653);
                switches.Add(new SwitchSpec(name, dpid, address, port));
            }

            foreach (var item in Sequence(Required(top, root, "hosts"), "hosts"))
            {
                var fields = Mapping(item, "a host", HostKeys);
                var name = Name(fields, item, names);
                var role = fields.TryGetValue("role", out var roleNode) ? Role(roleNode) : HostRole.Host;
                var ipNode = Required(fields, item, "ip");
                var (address, prefix) = Cidr(ipNode);
                if (!addresses.Add(address)) throw Error(ipNode, $"duplicate address {address}");
                if (role == HostRole.BootServer)
                {
                    Forbidden(fields, "mac", "a boot server has clean_mac and dirty_mac instead");
                    var clean = Mac(Required(fields, item, "clean_mac"), macs);
                    var dirty = Mac(Required(fields, item, "dirty_mac"), macs);
                    hosts.Add(new HostSpec(name, role, clean, address, prefix, clean, dirty));
                }
                else
                {
                    Forbidden(fields, "clean_mac", "only a boot-server has one");
                    Forbidden(fields, "dirty_mac", "only a boot-server has one");
                    hosts.Add(new HostSpec(name, role, Mac(Required(fields, item, "mac"), macs), address, prefix));
                }
            }

            var switchPorts = new HashSet<(string, int)>();
            var linkedHosts = new HashSet<string>();
            foreach (var item in Sequence(Required(top, root, "links"), "links"))
            {
                var fields = Mapping(item, "a link", LinkKeys);
                var hostNode = Required(fields, item, "host");
                var host = Scalar(hostNode, "host");
                if (hosts.All(h => h.Name != host)) throw Error(hostNode, $"link to unknown host '{host}'");
                if (!linkedHosts.Add(host)) throw Error(hostNode, $"host '{host}' already has a link (a host has one interface)");
                var switchNode = Required(fields, item, "switch");
                var sw = Scalar(switchNode, "switch");
                if (switches.All(s => s.Name != sw)) throw Error(switchNode, $"link to unknown switch '{sw}'");
                var portNode = Required(fields, item, "port");
                var port = Port(portNode);
                if (!switchPorts.Add((sw, port))) throw Error(portNode, $"port {port} of switch '{sw}' is already linked");
                links.Add(new LinkSpec(host, sw, port));
            }

            var unlinked = hosts.FirstOrDefault(h => !linkedHosts.Contains(h.Name));
            if (unlinked is not null) throw Error(names[unlinked.Name], $"host '{unlinked.Name}' has no link");
            if (switches.Count == 0) throw Error(root, "at least one switch is needed");
            return new TopologySpec(source, switches, hosts, links);
        }

        private Dictionary<string, YamlNode> Mapping(YamlNode node, string what, string[] allowed)
        {
            if (node is not YamlMappingNode map) throw Error(node, $"{what} must be a mapping");
            var result = new Dictionary<string, YamlNode>();
            foreach (var (keyNode, value) in map.Children)
            {
                var key = Scalar(keyNode, "key");
                if (!allowed.Contains(key))
                    throw Error(keyNode, $"unknown key '{key}' in {what} (expected one of: {string.Join(", ", allowed)})");
                if (!result.TryAdd(key, value)) throw Error(keyNode, $"duplicate key '{key}'");
            }
            return result;
        }

        private IEnumerable<YamlNode> Sequence(YamlNode node, string what) =>
            node as YamlSequenceNode ?? throw Error(node, $"'{what}' must be a list");

        private YamlNode Required(Dictionary<string, YamlNode> fields, YamlNode parent, string key) =>
            fields.TryGetValue(key, out var node) ? node : throw Error(parent, $"missing key '{key}'");

        private void Forbidden(Dictionary<string, YamlNode> fields, string key, string why)
        {
            if (fields.TryGetValue(key, out var node)) throw Error(node, $"key '{key}' not allowed here: {why}");
        }

        private string Scalar(YamlNode node, string what) =>
            node is YamlScalarNode { Value: { Length: > 0 } value } ? value : throw Error(node, $"'{what}' must be a non-empty scalar");

        private string Name(Dictionary<string, YamlNode> fields, YamlNode parent, Dictionary<string, YamlNode> names)
        {
            var node = Required(fields, parent, "name");
            var name = Scalar(node, "name");
            if (!NamePattern().IsMatch(name))
                throw Error(node, $"bad name '{name}': 1-8 characters, a-z then a-z/0-9 (names become parts of interface names)");
            if (!names.TryAdd(name, node))
                throw Error(node, $"duplicate name '{name}' (first at line {names[name].Start.Line}; hosts and switches share one namespace)");
            return name;
        }

        private ulong DatapathId(YamlNode node)
        {
            var text = Scalar(node, "dpid");
            if (!DatapathIdPattern().IsMatch(text))
                throw Error(node, $"bad datapath id '{text}': 1-16 hex digits, optionally 0x-prefixed");
            var value = ulong.Parse(text.StartsWith("0x") ? text[2..] : text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            return value != 0 ? value : throw Error(node, "datapath id 0 is not allowed");
        }

        private (IPAddress, int) Controller(YamlNode node)
        {
            var text = Scalar(node, "controller");
            var parts = text.Split(':');
            if (parts.Length != 3 || parts[0] != "tcp" || !IPAddress.TryParse(parts[1], out var address)
                || address.AddressFamily != AddressFamily.InterNetwork
                || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                throw Error(node, $"bad controller '{text}': expected tcp:IPv4:PORT, e.g. {DefaultController}");
            if (!IPAddress.IsLoopback(address))
                throw Error(node, $"controller {address} is not a loopback address (the test rack uses loopback only)");
            return (address, port);
        }

        private HostRole Role(YamlNode node) => Scalar(node, "role") switch
        {
            "host" => HostRole.Host,
            "boot-server" => HostRole.BootServer,
            "production-host" => HostRole.ProductionHost,
            var other => throw Error(node, $"unknown role '{other}' (expected host, boot-server or production-host)"),
        };

        private MacAddress Mac(YamlNode node, HashSet<MacAddress> seen)
        {
            var text = Scalar(node, "mac");
            if (!MacAddress.TryParse(text, out var mac)) throw Error(node, $"bad MAC '{text}': expected six hex octets like 02:00:00:00:00:01");
            if (mac.IsMulticast) throw Error(node, $"MAC {mac} is a group address; a host needs a unicast MAC");
            if (mac.Value == 0) throw Error(node, "MAC 00:00:00:00:00:00 is not allowed");
            if (!seen.Add(mac)) throw Error(node, $"duplicate MAC {mac}");
            return mac;
        }

        private (IPAddress, int) Cidr(YamlNode node)
        {
            var text = Scalar(node, "ip");
            var slash = text.IndexOf('/');
            if (slash < 0 || !IPAddress.TryParse(text[..slash], out var address) || address.AddressFamily != AddressFamily.InterNetwork
                || text[..slash].Count(ch => ch == '.') != 3
                || !int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix is < 1 or > 30)
                throw Error(node, $"bad address '{text}': expected IPv4/PREFIX with prefix 1-30, e.g. 10.0.0.1/24");
            if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.GetAddressBytes()[0] >= 224)
                throw Error(node, $"address {address} cannot be a host address");
            return (address, prefix);
        }

        private int Port(YamlNode node)
        {
            var text = Scalar(node, "port");
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > MaxPort)
                throw Error(node, $"bad port '{text}': expected an OpenFlow port number 1-{MaxPort}");
            return port;
        }
    }
}
