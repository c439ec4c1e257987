using System.Diagnostics;
using System.Security.Cryptography;
using SwitchGate.Ethernet;

namespace SwitchGate.Attestation.Tests;

/// <summary>
/// Runs the real tshark with tools/wireshark/switchgate.lua over a capture written with the codec:
/// a full exchange must decode field by field with no malformed or expert-error items, and
/// deliberately broken frames must be flagged.
/// </summary>
[Trait("Requires", "tshark")]
public sealed class DissectorTests : IDisposable
{
    private static readonly MacAddress Controller = AttestationFrame.DefaultControllerSource;
    private static readonly MacAddress Agent = Samples.CleanMac;
    private static readonly ECDsa ProofKey = AttestationProof.DeriveKey(RandomNumberGenerator.GetBytes(32));

    private readonly string _directory = Directory.CreateTempSubdirectory("switchgate-dissector-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Dissector
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "tools", "wireshark", "switchgate.lua");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new FileNotFoundException("tools/wireshark/switchgate.lua above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>A quote over 24 SHA-256 PCRs as a TPM produces it: TPM2_Quote with an RSA-2048 RSASSA key (145 + 262 octets).</summary>
    private static Evidence RealisticEvidence(ulong session, byte[] nonce)
    {
        var attest = Samples.Hex(
            "FF544347 8018" +
            "0022 000B" + new string('A', 64) +
            "0020" + Convert.ToHexString(nonce) +
            "0000000000123456 00000002 00000000 01" +
            "2010061900120003" +
            "00000001 000B 03 FFFFFF" +
            "0020" + new string('C', 64));
        Assert.Equal(145, attest.Length);
        var signature = Samples.Hex("0014 000B 0100" + new string('5', 512));
        var pcrs = Enumerable.Range(0, 24).Select(i => (ReadOnlyMemory<byte>)SHA256.HashData([(byte)i])).ToArray();
        var proof = AttestationProof.SignEvidence(ProofKey, nonce, session, Agent);
        return new Evidence(session, attest, signature, pcrs, proof);
    }

    private static List<byte[]> Exchange()
    {
        const ulong session = 0x5EC0_0000_0000_0042;
        var nonce = RandomNumberGenerator.GetBytes(32);
        var toController = AttestationFrame.ControllerDestination;
        return
        [
            AttestationFrame.Build(toController, Agent, new Hello(0, "bs1", Agent)),
            AttestationFrame.Build(Agent, Controller, new Challenge(session, nonce, Samples.PcrSelection)),
            AttestationFrame.Build(toController, Agent, RealisticEvidence(session, nonce)),
            AttestationFrame.Build(Agent, Controller, Verdict.Admit(session, 30)),
            AttestationFrame.Build(toController, Agent, new Depart(session, AttestationProof.SignDepart(ProofKey, nonce, session, Agent))),
            AttestationFrame.Build(Agent, Controller, Verdict.Revoke(session, ReasonCode.Departed)),
        ];
    }

    private static byte[] Frame(byte[] payload)
    {
        byte[] frame = [.. Samples.Hex("0180C200000E 020000000101 88B5"), .. payload];
        return frame.Length >= 60 ? frame : [.. frame, .. new byte[60 - frame.Length]];
    }

    /// <summary>One broken frame per kind of check, each of which the codec refuses too.</summary>
    private static List<(string Why, byte[] Frame)> Malformed()
    {
        var name = Samples.Tlv(TlvType.NodeName, "627331");
        var mac = Samples.Tlv(TlvType.CleanMac, "020000000101");
        var truncated = Samples.Raw(MessageType.Depart, 1, Samples.Tlv(TlvType.Proof, new byte[64]));
        truncated[19] = 65;
        var version = AttestationCodec.Encode(Samples.Hello);
        version[2] = 1;
        var evidence = AttestationFrame.Build(AttestationFrame.ControllerDestination, Agent, Samples.Evidence);
        return
        [
            ("duplicate TLV", Frame(Samples.Raw(MessageType.Hello, 0, name, mac, mac))),
            ("truncated TLV", Frame(truncated)),
            ("unsupported version", Frame(version)),
            ("missing TLV", Frame(Samples.Raw(MessageType.Hello, 0, name))),
            ("unknown critical TLV", Frame(Samples.Raw(MessageType.Hello, 0, name, mac, (0x0042, [1])))),
            ("reason not matching verdict", Frame(Samples.Raw(MessageType.Verdict, 1, Samples.Tlv(TlvType.Verdict, "01"), Samples.Tlv(TlvType.Reason, "0109"), Samples.Tlv(TlvType.LeaseSeconds, "001E")))),
            ("bad nonce length", Frame(Samples.Raw(MessageType.Challenge, 1, Samples.Tlv(TlvType.Nonce, new byte[31]), Samples.Tlv(TlvType.PcrSelection, Samples.PcrSelection)))),
            ("invalid UTF-8 name", Frame(Samples.Raw(MessageType.Hello, 0, Samples.Tlv(TlvType.NodeName, "62C328"), mac))),
            ("trailing octets", [.. evidence, 0, 0, 0, 0]),
        ];
    }

    private static string Tshark(string pcap, params string[] extra)
    {
        var start = new ProcessStartInfo("tshark")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])["-n", "-X", "lua_script:" + Dissector, "-r", pcap, .. extra])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "tshark did not finish within 60 s");
        Assert.Equal(0, process.ExitCode);
        var errors = stderr.Result.Split('\n').Where(l => l.Length > 0 && !l.Contains("Running as user \"root\"")).ToList();
        Assert.True(errors.Count == 0, "tshark stderr: " + string.Join("\n", errors));
        return stdout.Result;
    }

    private static List<string[]> Fields(string pcap, params string[] fields) =>
        Tshark(pcap, ["-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,", .. fields.SelectMany(f => new[] { "-e", f })])
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('|'))
            .ToList();

    [Fact]
    public void A_full_exchange_decodes_with_every_field_and_nothing_malformed()
    {
        var pcap = Path.Combine(_directory, "exchange.pcap");
        PcapWriter.Write(pcap, Exchange());

        var rows = Fields(pcap, "switchgate.type", "switchgate.session", "switchgate.length", "switchgate.node_name",
            "switchgate.clean_mac", "switchgate.pcr_value", "switchgate.verdict", "switchgate.reason", "switchgate.lease",
            "_ws.malformed", "_ws.expert.severity", "switchgate.malformed");

        Assert.Equal(6, rows.Count);
        Assert.Equal(["1", "2", "3", "4", "5", "4"], rows.Select(r => r[0]));
        Assert.Equal("0x0000000000000000", rows[0][1]);
        Assert.All(rows.Skip(1), r => Assert.Equal("0x5ec0000000000042", r[1]));
        Assert.Equal("bs1", rows[0][3]);
        Assert.Equal("02:00:00:00:01:01", rows[0][4]);
        Assert.Equal(24, rows[2][5].Split(',').Length);
        Assert.Equal(Convert.ToHexString(SHA256.HashData([23])).ToLowerInvariant(), rows[2][5].Split(',')[23]);
        Assert.Equal(("1", "0x0000", "30"), (rows[3][6], rows[3][7], rows[3][8]));
        Assert.Equal(("3", "0x0201"), (rows[5][6], rows[5][7]));
        Assert.All(rows, r => Assert.Equal(["", "", ""], r[^3..]));
        Assert.True(rows[2][2] == "1295", "EVIDENCE with an RSA-2048 quote over 24 SHA-256 PCRs is 1295 octets, got " + rows[2][2]);

        var verbose = Tshark(pcap, "-V");
        Assert.DoesNotContain("Lua Error", verbose);
        Assert.Contains("Message type: EVIDENCE (3)", verbose);
        Assert.Contains("Reason: Departed (0x0201)", verbose);
        Assert.Contains("Ethernet padding", verbose);
    }

    [Fact]
    public void Each_broken_frame_is_flagged_as_malformed_and_refused_by_the_codec()
    {
        var malformed = Malformed();
        foreach (var (why, frame) in malformed)
        {
            Assert.True(
                Record.Exception(() => AttestationFrame.Parse(frame)) is AttestationFormatException,
                $"the codec accepts the frame with {why}");
        }

        var pcap = Path.Combine(_directory, "malformed.pcap");
        PcapWriter.Write(pcap, [.. Exchange().Take(1), .. malformed.Select(m => m.Frame)]);

        var rows = Fields(pcap, "frame.number", "switchgate.malformed", "_ws.expert.severity", "_ws.malformed");

        Assert.Equal(1 + malformed.Count, rows.Count);
        Assert.Equal("", rows[0][1]);
        for (var i = 0; i < malformed.Count; i++)
        {
            Assert.True(rows[i + 1][1] != "", $"the dissector does not flag the frame with {malformed[i].Why}");
            Assert.Contains("8388608", rows[i + 1][2]);
        }
    }

    [Fact]
    public void Codec_and_dissector_agree_on_which_mutated_frames_are_malformed()
    {
        var random = new Random(4242);
        var originals = Exchange().Concat(Samples.All.Select(m => AttestationFrame.Build(AttestationFrame.ControllerDestination, Agent, m))).ToList();
        var frames = new List<byte[]>();
        foreach (var original in originals)
        {
            for (var i = 0; i < 60; i++)
            {
                var frame = original.ToArray();
                switch (random.Next(4))
                {
                    case 0:
                        frame = frame[..random.Next(14, frame.Length)];
                        break;
                    case 1:
                        frame = [.. frame, .. new byte[random.Next(1, 8)]];
                        break;
                    default:
                        for (var flips = random.Next(1, 4); flips > 0; flips--)
                        {
                            var position = random.Next(14, frame.Length);
                            frame[position] = random.Next(3) == 0 ? (byte)random.Next(256) : (byte)(frame[position] ^ (1 << random.Next(8)));
                        }

                        break;
                }

                frames.Add(frame);
            }
        }

        var pcap = Path.Combine(_directory, "mutated.pcap");
        PcapWriter.Write(pcap, frames);
        var rows = Fields(pcap, "frame.number", "switchgate.malformed", "_ws.malformed");

        Assert.Equal(frames.Count, rows.Count);
        var refusedByCodec = 0;
        for (var i = 0; i < frames.Count; i++)
        {
            var codecRefuses = Record.Exception(() => AttestationFrame.Parse(frames[i])) is AttestationFormatException;
            var dissectorFlags = rows[i][1] != "" || rows[i][2] != "";
            refusedByCodec += codecRefuses ? 1 : 0;
            Assert.True(
                codecRefuses == dissectorFlags,
                $"frame {i + 1} ({Convert.ToHexString(frames[i])}): codec {(codecRefuses ? "refuses" : "accepts")}, dissector {(dissectorFlags ? "flags" : "accepts")}");
        }

        Assert.InRange(refusedByCodec, frames.Count / 4, frames.Count - (frames.Count / 10));
        Assert.DoesNotContain("Lua Error", Tshark(pcap, "-V"));
    }
}
