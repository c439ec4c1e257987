using System.CommandLine;
using System.Security.Cryptography;
using SwitchGate.Attestation;
using SwitchGate.Attestation.Enrolment;
using SwitchGate.Gate.Enrolment;
using SwitchGate.Tpm.Credentials;

namespace SwitchGate.Cli;

/// <summary>
/// `switchgate enrolment bind`: the controller's half of binding a node's AK to its TPM (docs/enrolment.md, "AK bound
/// to the EK"). Reads the record the agent's `enrol` wrote, checks its EK certificate against the EK CA and its AK,
/// and writes the record for the enrolment directory (a new secret, ak_bound_to_ek) and the credential the agent's
/// `activate` opens. Exit 0 done, 1 refused (the reason on stderr), 2 unusable input.
/// </summary>
internal static class EnrolmentCommands
{
    public static Command Create()
    {
        var record = new Option<string>("--record") { Description = "The enrolment record written by 'switchgate-agent enrol'", Required = true };
        var ekCa = new Option<string>("--ek-ca") { Description = "EK CA bundle (PEM): the roots (and intermediates) EK certificates must chain to", Required = true };
        var outRecord = new Option<string>("--out-record") { Description = "Where to write the bound record (the enrolment directory's <node>.json)", Required = true };
        var outCredential = new Option<string>("--out-credential") { Description = "Where to write the credential for 'switchgate-agent activate'", Required = true };
        var bind = new Command("bind", "Check a record's EK certificate and AK; issue its secret encrypted to the EK and bound to the AK")
        {
            record, ekCa, outRecord, outCredential,
        };
        bind.SetAction(parse =>
        {
            EnrolmentRecord input;
            IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2> ca;
            try
            {
                input = EnrolmentRecord.FromJson(File.ReadAllBytes(parse.GetValue(record)!));
                ca = EkBinding.LoadCaBundle(parse.GetValue(ekCa)!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or EnrolmentFormatException or CryptographicException)
            {
                Console.Error.WriteLine($"switchgate enrolment bind: {e.Message}");
                return 2;
            }
            EnrolmentRecord bound;
            CredentialChallenge credential;
            try
            {
                (bound, credential) = EkBinding.Bind(input, ca, DateTime.UtcNow);
            }
            catch (EnrolmentFormatException e)
            {
                Console.Error.WriteLine($"switchgate enrolment bind: refused: {e.Message}");
                return 1;
            }
            // Neither file holds the secret in clear (the record: its proof key's public point; the credential: the secret
            // encrypted to the EK); owner-only from creation anyway, durable.
            DurableFile.WriteAllBytes(parse.GetValue(outRecord)!, bound.ToJson(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            DurableFile.WriteAllBytes(parse.GetValue(outCredential)!, CredentialFile.ToJson(bound.Node, credential), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Console.WriteLine($"bound {bound.Node}: EK certificate verified, credential {parse.GetValue(outCredential)}");
            return 0;
        });
        var command = new Command("enrolment", "Enrolment records");
        command.Subcommands.Add(bind);
        return command;
    }
}
