using System.Security.Cryptography;
using System.Text;
using SwitchGate.Attestation;
using SwitchGate.Attestation.Enrolment;

namespace SwitchGate.Rack.Tests;

/// <summary>
/// Issue 11 item 3, no secret in clear at rest: after a real enrolment and admission on the rack (OVS, swtpm, the
/// real agent, the controller with its store and audit log) the secret sealed in bs1's TPM appears in no file the
/// controller or the agent wrote, nor in their logs, in any encoding — neither the enrolled secret nor the one the
/// first rotation delivered.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "ovs")]
[Trait("Requires", "swtpm")]
public sealed class SecretAtRestTests
{
    [Fact]
    public async Task After_enrolment_and_admission_no_file_or_log_holds_the_secret()
    {
        await using var ops = await OpsRack.StartAsync(leaseSeconds: 20);
        var rack = ops.Rack;
        var bs1 = rack.BootServer("bs1");
        // The enrolled secret as only the clean TPM gives it; the record the controller holds verifies proofs made with it.
        var enrolled = TpmAttackSupport.UnsealOn(rack, bs1);
        Assert.Equal(EnrolmentRecord.SecretLength, enrolled.Length);
        var record = EnrolmentRecord.FromJson(File.ReadAllBytes(Path.Combine(rack.EnrolmentDirectory, "bs1.json")));
        Assert.Equal(AttestationProof.PublicKeyOf(enrolled), record.ProofKey);

        // Admission, and with it a rotation: the controller draws the next secret and hands it over wrapped to the EK.
        var attest = await rack.AttestOnceAsync("bs1");
        Assert.True(attest.Succeeded, attest + rack.ControllerOutput());
        Assert.Contains("rotated generation=1", attest.Output);
        var status = await rack.StatusAsync("bs1");
        await rack.WaitForVerdictAsync("bs1", "admitted/Admitted", TimeSpan.FromSeconds(30));
        var rotated = TpmAttackSupport.UnsealOn(rack, bs1);
        Assert.NotEqual(enrolled, rotated);

        foreach (var secret in new[] { enrolled, rotated })
        {
            var scanner = new SecretScanner(secret);
            var (hits, files) = scanner.ScanDirectories(ops.WorkDirectory, rack.WorkDirectory, bs1.Directory);
            Assert.Contains(files, f => f.EndsWith("switchgate.db", StringComparison.Ordinal));
            Assert.Contains(files, f => f.EndsWith("audit.jsonl", StringComparison.Ordinal));
            Assert.Contains(files, f => f.EndsWith("bs1.json", StringComparison.Ordinal));
            Assert.Contains(files, f => f.EndsWith("bs1.proofkey", StringComparison.Ordinal));
            Assert.Contains(files, f => f.EndsWith("seal-1.priv", StringComparison.Ordinal));
            Assert.True(hits.Count == 0, "a secret is at rest in clear:\n" + string.Join('\n', hits) + "\nscanned:\n" + string.Join('\n', files));
            var logs = string.Join('\n', rack.Controller.Process.Lines) + attest.Output + status.Output;
            Assert.Empty(scanner.Find(Encoding.UTF8.GetBytes(logs)));
        }

        var live = new SecretScanner(rotated);
        // The scanner is live: the same secret planted in each form in a copy of the agent's state is found.
        var planted = Directory.CreateTempSubdirectory("sg-planted-").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(planted, "raw"), [.. RandomNumberGenerator.GetBytes(7), .. rotated, 0]);
            File.WriteAllText(Path.Combine(planted, "hex"), "{\"k\":\"" + Convert.ToHexStringLower(rotated) + "\"}");
            File.WriteAllText(Path.Combine(planted, "b64"), Convert.ToBase64String([1, .. rotated, 2]));
            File.WriteAllText(Path.Combine(planted, "b64url"), Convert.ToBase64String([1, 2, .. rotated]).Replace('+', '-').Replace('/', '_'));
            var (plantedHits, _) = live.ScanDirectories(planted);
            Assert.Equal(4, plantedHits.Count);
        }
        finally
        {
            Directory.Delete(planted, recursive: true);
        }
    }
}

/// <summary>The scanner itself, on random secrets in every encoding and at every base64 alignment (no rack needed).</summary>
public sealed class SecretScannerTests
{
    [Fact]
    public void Finds_the_secret_in_every_form_and_alignment_and_nothing_in_other_data()
    {
        for (var round = 0; round < 50; round++)
        {
            var secret = RandomNumberGenerator.GetBytes(32);
            var scanner = new SecretScanner(secret);
            Assert.Empty(scanner.Find(RandomNumberGenerator.GetBytes(4096)));
            Assert.Empty(scanner.Find(Encoding.ASCII.GetBytes(Convert.ToBase64String(AttestationProof.PublicKeyOf(secret)))));
            Assert.Contains("raw", scanner.Find([.. RandomNumberGenerator.GetBytes(round), .. secret]));
            Assert.Contains("hex", scanner.Find(Encoding.ASCII.GetBytes("x" + Convert.ToHexStringLower(secret))));
            Assert.Contains("HEX", scanner.Find(Encoding.ASCII.GetBytes(Convert.ToHexString(secret) + "y")));
            for (var shift = 0; shift < 3; shift++)
            {
                byte[] wrapped = [.. RandomNumberGenerator.GetBytes(3 * round + shift), .. secret, .. RandomNumberGenerator.GetBytes(round % 5)];
                var base64 = Convert.ToBase64String(wrapped);
                Assert.NotEmpty(scanner.Find(Encoding.ASCII.GetBytes(base64)));
                Assert.NotEmpty(scanner.Find(Encoding.ASCII.GetBytes(base64.TrimEnd('=').Replace('+', '-').Replace('/', '_'))));
            }
        }
    }
}
