using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SwitchGate.Attestation;
using SwitchGate.Attestation.Enrolment;
using SwitchGate.BootAgent.Core;
using SwitchGate.BootAgent.Hosting;
using SwitchGate.BootAgent.Jobs;
using SwitchGate.Ethernet;
using SwitchGate.Jobs.Pipeline;
using SwitchGate.Jobs.Storage;
using SwitchGate.BootAgent.Network;
using SwitchGate.BootAgent.Tpm;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Credentials;
using SwitchGate.Tpm.Marshalling;
using SwitchGate.Tpm.Transport;

namespace SwitchGate.BootAgent;

/// <summary>The command line (docs/agent.md "Commands"): one command per step, exit codes in <see cref="ExitCodes"/>.</summary>
public static class AgentCommands
{
    private static readonly Option<string> TpmOption = new("--tpm")
    {
        Description = "TPM: tcp:HOST:PORT (swtpm, control channel on PORT+1) or device:PATH (e.g. device:/dev/tpmrm0)",
        DefaultValueFactory = _ => TpmEndpoint.Default,
        Recursive = true,
    };

    private static readonly Option<string> InterfaceOption = new("--interface")
    {
        Description = "The NIC the agent attests on and whose MAC it switches",
        DefaultValueFactory = _ => "eth0",
        Recursive = true,
    };

    private static readonly Option<string> StateDirOption = new("--state-dir")
    {
        Description = "Directory for the AK and sealed-secret blobs, node identity and admission",
        DefaultValueFactory = _ => "/var/lib/switchgate-agent",
        Recursive = true,
    };

    private static readonly Option<string?> NodeOption = new("--node")
    {
        Description = "Node name (enrol: required; other commands: overrides the enrolled name)",
        Recursive = true,
    };

    private static readonly Option<bool> VerboseOption = new("--verbose") { Description = "Log every frame sent", Recursive = true };

    public static RootCommand Build()
    {
        var root = new RootCommand("SwitchGate boot server agent: measured launch, enrolment, attestation and departure over EtherType 0x88B5")
        {
            TpmOption, InterfaceOption, StateDirOption, NodeOption, VerboseOption,
        };
        root.Subcommands.Add(MeasureCommand());
        root.Subcommands.Add(EnrolCommand());
        root.Subcommands.Add(ActivateCommand());
        root.Subcommands.Add(AttestCommand());
        root.Subcommands.Add(DepartCommand());
        root.Subcommands.Add(RebootCommand());
        root.Subcommands.Add(StatusCommand());
        root.Subcommands.Add(ServeCommand());
        root.Subcommands.Add(JobsCommand());
        return root;
    }

    private static Command MeasureCommand()
    {
        var command = new Command("measure", "The test rack's emulated measured launch: extend PCRs 0, 4, 8 and 9 (once per TPM reset)");
        command.SetAction((parse, ct) => Guard(parse, async log =>
        {
            using var tpm = await Endpoint(parse).ConnectAsync(ct);
            await MeasuredLaunch.RunAsync(tpm, ct: ct);
            await LogPcrsAsync(tpm, log, ct);
            log.LogInformation("measured");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command EnrolCommand()
    {
        var datapath = new Option<string>("--datapath-id") { Description = "The switch's datapath id (hex, e.g. 0x1)", Required = true };
        var port = new Option<uint>("--port") { Description = "The OpenFlow port the node is plugged into", Required = true };
        var clean = new Option<string>("--clean-mac") { Description = "Clean MAC (admitted while attested)", Required = true };
        var dirty = new Option<string>("--dirty-mac") { Description = "Dirty MAC (always dropped by the switch)", Required = true };
        var output = new Option<string>("--out") { Description = "Where to write the enrolment record (JSON)", Required = true };
        var replace = new Option<bool>("--replace") { Description = "Replace an existing enrolment in the state directory (new AK and secret)" };
        var command = new Command("enrol", "In clean mode: create the AK, seal a fresh secret to the clean PCRs, write the enrolment record")
        {
            datapath, port, clean, dirty, output, replace,
        };
        command.SetAction((parse, ct) => Guard(parse, async log =>
        {
            var node = parse.GetValue(NodeOption) ?? throw new AgentConfigurationException("enrol needs --node");
            var state = State(parse);
            if (state.IsEnrolled && !parse.GetValue(replace))
            {
                throw new AgentConfigurationException($"{state.Path} already holds an enrolment; pass --replace to create a new AK and secret");
            }

            var identity = new NodeIdentity(node, Mac(parse.GetValue(clean)!, "--clean-mac"), Mac(parse.GetValue(dirty)!, "--dirty-mac"));
            var dpid = ParseDatapathId(parse.GetValue(datapath)!);
            using var tpm = await Endpoint(parse).ConnectAsync(ct);
            var record = await new AgentTpm(tpm, state).EnrolAsync(new EnrolRequest(identity, dpid, parse.GetValue(port), DateTimeOffset.UtcNow), ct);
            var path = parse.GetValue(output)!;
            // The record holds no secret (only public values), but it is the node's identity for the gate: owner-only anyway.
            DurableFile.WriteAllBytes(path, record.ToJson(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            log.LogInformation("enrolled node={Node} golden={Golden} record={Path}", record.Node, record.GoldenSets[0].Name, path);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>
    /// `activate --credential FILE`: the agent's half of binding the AK to the EK (docs/enrolment.md). Opens the
    /// controller's credential with TPM2_ActivateCredential (only this TPM, with the enrolled AK, can) and seals the
    /// secret in it under the clean PCR policy; the secret never touches the disk in clear.
    /// </summary>
    private static Command ActivateCommand()
    {
        var credential = new Option<string>("--credential") { Description = "The credential file written by 'switchgate enrolment bind'", Required = true };
        var command = new Command("activate", "In clean mode: open the controller's credential in the TPM and seal the secret it carries") { credential };
        command.SetAction((parse, ct) => Guard(parse, async log =>
        {
            var state = State(parse);
            if (!state.IsEnrolled)
            {
                throw new AgentConfigurationException($"{state.Path} holds no enrolment: run 'enrol' first");
            }
            var (node, challenge) = CredentialFile.FromJson(File.ReadAllBytes(parse.GetValue(credential)!));
            if (node != state.LoadIdentity().Node)
            {
                throw new AgentConfigurationException($"the credential is for node '{node}', this state directory is '{state.LoadIdentity().Node}'");
            }
            using var tpm = await Endpoint(parse).ConnectAsync(ct);
            try
            {
                await new AgentTpm(tpm, state).ActivateSecretAsync(challenge, ct);
            }
            catch (CredentialActivationException e)
            {
                log.LogError("activation refused reason=\"{Message}\"", e.Message);
                return ExitCodes.Failure;
            }
            log.LogInformation("activated node={Node}: the secret from the controller is sealed to the clean PCRs", node);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command AttestCommand()
    {
        var once = new Option<bool>("--once") { Description = "Exit after the first verdict (0 admitted, 2 denied, 3 revoked); the default" };
        var stay = new Option<bool>("--stay") { Description = "Run as a service: keep renewing until SIGTERM or 'depart'" };
        var timeout = new Option<double>("--timeout") { Description = "--once: give up after this many seconds without a verdict (exit 5)", DefaultValueFactory = _ => 30 };
        var command = new Command("attest", "Attest over the NIC: HELLO, CHALLENGE, EVIDENCE, VERDICT") { once, stay, timeout };
        command.Validators.Add(r =>
        {
            if (r.GetValue(once) && r.GetValue(stay))
            {
                r.AddError("--once and --stay exclude each other");
            }
        });
        command.SetAction((parse, ct) =>
        {
            if (parse.GetValue(stay))
            {
                return StayAsync(parse, ct);
            }

            return Guard(parse, async log =>
            {
                var (state, identity, core) = Prepare(parse, once: true, restore: false);
                using var link = OpenLink(parse, identity);
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
                limit.CancelAfter(TimeSpan.FromSeconds(parse.GetValue(timeout)));
                var runner = new AgentRunner(core, link, Endpoint(parse), state, identity, log);
                var code = await runner.RunAsync(core.Start(DateTimeOffset.UtcNow), null, limit.Token);
                if (limit.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    log.LogWarning("no-answer timeout={Timeout}s", parse.GetValue(timeout));
                    return ExitCodes.NoAnswer;
                }

                return code;
            });
        });
        return command;
    }

    private static async Task<int> StayAsync(ParseResult parse, CancellationToken ct)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        ConfigureLogging(builder.Logging, parse);
        var result = new RunResult();
        StateDirectory state;
        NodeIdentity identity;
        AgentCore core;
        try
        {
            (state, identity, core) = Prepare(parse, once: false, restore: true);
        }
        catch (AgentConfigurationException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.Usage;
        }

        builder.Services.AddSingleton(result);
        builder.Services.AddHostedService(sp => new AttestService(
            async (ct, departs) =>
            {
                var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger("switchgate-agent");
                using var link = OpenLink(parse, identity);
                var runner = new AgentRunner(core, link, Endpoint(parse), state, identity, log);
                return await runner.RunAsync(core.Start(DateTimeOffset.UtcNow), departs, ct);
            },
            state.SocketPath,
            result,
            sp.GetRequiredService<IHostApplicationLifetime>(),
            sp.GetRequiredService<ILogger<AttestService>>()));
        using var host = builder.Build();
        // The command line's SIGTERM handler cancels ct and waits for the command to finish before any other handler
        // (the host's console lifetime) runs: the host must stop on ct itself.
        await host.RunAsync(ct);
        return result.ExitCode;
    }

    private static Command DepartCommand()
    {
        var force = new Option<bool>("--force") { Description = "Do not wait for the revocation (UNSAFE while the lease runs: see docs/agent.md)" };
        var command = new Command("depart", "Leave clean mode: DEPART, wait for the revocation, extend PCR 14, switch to the dirty MAC") { force };
        command.SetAction((parse, ct) => Guard(parse, async log =>
        {
            var state = State(parse);
            var answer = await ControlSocket.RequestAsync(state.SocketPath, parse.GetValue(force) ? "depart force" : "depart", ct);
            if (answer is not null)
            {
                log.LogInformation("service answered {Answer}", answer);
                return answer.StartsWith("exit=", StringComparison.Ordinal) && int.TryParse(answer[5..], out var c) ? c : ExitCodes.Failure;
            }

            var (_, identity, core) = Prepare(parse, once: true, restore: true);
            using var link = OpenLink(parse, identity);
            var runner = new AgentRunner(core, link, Endpoint(parse), state, identity, log);
            return await runner.RunAsync(core.RequestDepart(DateTimeOffset.UtcNow, parse.GetValue(force)), null, ct);
        }));
        return command;
    }

    private static Command RebootCommand()
    {
        var command = new Command("reboot", "Test rack: emulated reboot (TPM Shutdown + power cycle + Startup(CLEAR)), measured launch, clean MAC");
        command.SetAction((parse, ct) => Guard(parse, async log =>
        {
            var state = State(parse);
            await RebootAsync(Endpoint(parse), state, Identity(parse, state), parse.GetValue(InterfaceOption)!, log, ct);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command StatusCommand()
    {
        var command = new Command("status", "Show mode (clean/dirty), PCRs, admission and whether a service is running");
        command.SetAction((parse, ct) => Guard(parse, async log =>
        {
            var state = State(parse);
            using (var tpm = await Endpoint(parse).ConnectAsync(ct))
            {
                var (_, values) = await tpm.PcrReadAsync(MeasuredLaunch.Selection, ct);
                var mode = values[^1].Any(b => b != 0) ? "dirty" : values[0].All(b => b == 0) ? "unmeasured" : "clean";
                log.LogInformation("mode={Mode}", mode);
                await LogPcrsAsync(tpm, log, ct);
            }

            if (state.IsEnrolled)
            {
                var identity = state.LoadIdentity();
                var iface = parse.GetValue(InterfaceOption)!;
                var mac = NicAddress.Find(iface);
                log.LogInformation("node={Node} clean_mac={Clean} dirty_mac={Dirty} nic={Nic} nic_mac={NicMac}", identity.Node,
                    identity.CleanMac.ToString(), identity.DirtyMac.ToString(), iface,
                    mac?.ToString() ?? "absent");
            }
            else
            {
                log.LogInformation("enrolled=false");
            }

            var admission = state.LoadAdmission();
            if (admission is null || admission.LeaseEnd <= DateTimeOffset.UtcNow)
                log.LogInformation("admission=none");
            else
                log.LogInformation("admission session={Session} lease-end={LeaseEnd:O}", AgentCore.Hex(admission.Session), admission.LeaseEnd);
            log.LogInformation("service={Service}", File.Exists(state.SocketPath) && ControlSocket.IsServing(state.SocketPath) ? "running" : "stopped");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>
    /// The test rack's emulated reboot into clean mode: TPM power cycle (PCRs reset, resetCount + 1), the measured
    /// launch, the old admission forgotten, the clean MAC on the NIC. Also the job pipeline's reboot step.
    /// </summary>
    internal static async Task RebootAsync(TpmEndpoint endpoint, StateDirectory state, NodeIdentity identity, string iface, ILogger log, CancellationToken ct)
    {
        // Each part is timed for the boot job benchmark (docs/BENCHMARKS.md "Boot jobs (issue 9)").
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await endpoint.PowerCycleAsync(ct);
        var powerCycle = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        TimeSpan launch;
        using (var tpm = await endpoint.ConnectAsync(ct))
        {
            await MeasuredLaunch.RunAsync(tpm, ct: ct);
            launch = System.Diagnostics.Stopwatch.GetElapsedTime(started) - powerCycle;
            await LogPcrsAsync(tpm, log, ct);
        }

        // After a reboot the agent must start from HELLO(0) (docs/protocol.md §7.1).
        state.SaveAdmission(null);
        var macStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        await NicAddress.SetAsync(iface, identity.CleanMac, ct);
        var mac = System.Diagnostics.Stopwatch.GetElapsedTime(macStarted);
        log.LogInformation("rebooted mac={Mac} power_cycle_ms={PowerCycle} launch_ms={Launch} mac_ms={MacChange}", identity.CleanMac.ToString(),
            Ms(powerCycle), Ms(launch), Ms(mac));
    }

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("F1", CultureInfo.InvariantCulture);

    private static Command ServeCommand()
    {
        var listen = new Option<string>("--listen")
        {
            Description = "Address:port of the job API (the boot server's rack address; docs/jobs.md)",
            DefaultValueFactory = _ => "0.0.0.0:8470",
        };
        var window = new Option<double>("--delivery-window")
        {
            Description = "Seconds a Ready job keeps the node clean for its host before the next job may start",
            DefaultValueFactory = _ => JobQueue.DefaultDeliveryWindow.TotalSeconds,
        };
        var uploadWindow = new Option<double>("--upload-window")
        {
            Description = "Seconds a job may take from its creation to its submission; after that the upload is aborted and its files deleted",
            DefaultValueFactory = _ => JobServiceOptions.DefaultUploadWindow.TotalSeconds,
        };
        var command = new Command("serve", "The boot job service: job API over HTTP, queue, and the persisted pipeline (depart, boot, save, reboot, attest, hand back)")
        {
            listen, window, uploadWindow,
        };
        command.SetAction((parse, ct) => Guard(parse, async log =>
        {
            if (!IPEndPoint.TryParse(parse.GetValue(listen)!, out var endpoint) || endpoint.Port == 0)
                throw new AgentConfigurationException($"--listen '{parse.GetValue(listen)}' is not ADDRESS:PORT");
            if (parse.GetValue(uploadWindow) is not (>= 1 and <= 7 * 24 * 3600))
                throw new AgentConfigurationException($"--upload-window {parse.GetValue(uploadWindow)} is not 1 to 604800 seconds");
            var state = State(parse);
            var identity = Identity(parse, state);
            await using var node = new NodeControl(Endpoint(parse), state, identity, parse.GetValue(InterfaceOption)!, log);
            var store = new JobStore(Path.Combine(state.Path, "jobs"));
            var service = new JobService(store, node, GuestHypervisors.Create(),
                new JobServiceOptions { DeliveryWindow = TimeSpan.FromSeconds(parse.GetValue(window)), UploadWindow = TimeSpan.FromSeconds(parse.GetValue(uploadWindow)) }, log);
            await using var api = JobHttpApi.Build(service, endpoint);
            await api.StartAsync(ct);
            log.LogInformation("serving jobs on http://{Endpoint}/jobs", endpoint);
            try
            {
                await service.RunAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                log.LogInformation("stopping");
            }
            await api.StopAsync(CancellationToken.None);
            await node.StopAttestingAsync();
            log.LogInformation("stopped");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command JobsCommand()
    {
        var id = new Argument<string?>("id") { Description = "Show one job with its phases", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("jobs", "List the jobs in the state directory (operator view, no network)") { id };
        command.SetAction((parse, ct) => Guard(parse, log =>
        {
            var store = new JobStore(Path.Combine(State(parse).Path, "jobs"));
            foreach (var job in store.LoadAll().Where(j => parse.GetValue(id) is not { } one || j.Id == one))
            {
                if (job.Record is not { } r)
                {
                    log.LogInformation("job id={Id} refused=\"{Error}\"", job.Id, job.Error);
                    continue;
                }
                log.LogInformation("job id={Id} state={State} submitter={Submitter} since={Since:O}{Failure}", r.Id, r.State, r.Submitter, r.Since,
                    r.Failure is null ? "" : $" failure=\"{r.Failure}\"");
                if (parse.GetValue(id) is not null)
                    foreach (var phase in r.Phases)
                        log.LogInformation("  phase {State} at={At:O}", phase.State, phase.At);
            }
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }

    // ---- helpers ----

    private static (StateDirectory State, NodeIdentity Identity, AgentCore Core) Prepare(ParseResult parse, bool once, bool restore)
    {
        var state = State(parse);
        var identity = Identity(parse, state);
        var admission = restore ? state.LoadAdmission() : null;
        var core = new AgentCore(new AgentOptions(identity.Node, identity.CleanMac) { Once = once }, admission, state.SecretGeneration);
        return (state, identity, core);
    }

    private static PcapLink OpenLink(ParseResult parse, NodeIdentity identity)
    {
        var iface = parse.GetValue(InterfaceOption)!;
        if (!NicAddress.Current(iface).Equals(identity.CleanMac))
        {
            throw new AgentConfigurationException(
                $"{iface} has MAC {NicAddress.Current(iface)}, not the clean MAC {identity.CleanMac}: the node is not in clean mode (run 'reboot')");
        }

        return PcapLink.Open(iface);
    }

    private static StateDirectory State(ParseResult parse) => new(parse.GetValue(StateDirOption)!);

    private static TpmEndpoint Endpoint(ParseResult parse) => TpmEndpoint.Parse(parse.GetValue(TpmOption)!);

    private static NodeIdentity Identity(ParseResult parse, StateDirectory state)
    {
        var identity = state.LoadIdentity();
        return parse.GetValue(NodeOption) is { } node ? identity with { Node = node } : identity;
    }

    private static MacAddress Mac(string text, string option)
    {
        try
        {
            return EnrolmentRecord.ParseMac(text, option);
        }
        catch (EnrolmentFormatException e)
        {
            throw new AgentConfigurationException(e.Reason);
        }
    }

    private static ulong ParseDatapathId(string text) =>
        DatapathId.TryParse(text, out var v) ? v : throw new AgentConfigurationException($"--datapath-id '{text}' is not a 64-bit hex number");

    private static async Task LogPcrsAsync(Tpm2 tpm, ILogger log, CancellationToken ct)
    {
        var selection = MeasuredLaunch.Selection;
        var (_, values) = await tpm.PcrReadAsync(selection, ct);
        foreach (var ((_, pcr), value) in selection.InOrder().Zip(values))
        {
            log.LogInformation("pcr sha256:{Pcr}={Value}", pcr, Convert.ToHexStringLower(value));
        }
    }

    private static void ConfigureLogging(ILoggingBuilder logging, ParseResult parse)
    {
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
            o.UseUtcTimestamp = true;
        });
        logging.SetMinimumLevel(parse.GetValue(VerboseOption) ? LogLevel.Debug : LogLevel.Information);
        logging.AddFilter("Microsoft", LogLevel.Warning);
    }

    /// <summary>Runs a command with a console logger; known errors become one line and their exit code, never a stack trace.</summary>
    private static async Task<int> Guard(ParseResult parse, Func<ILogger, Task<int>> body)
    {
        using var factory = LoggerFactory.Create(b => ConfigureLogging(b, parse));
        var log = factory.CreateLogger("switchgate-agent");
        try
        {
            return await body(log);
        }
        catch (AgentConfigurationException e)
        {
            log.LogError("error: {Message}", e.Message);
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is NotCleanException or AlreadyMeasuredException)
        {
            log.LogError("not-clean reason=\"{Message}\"", e.Message);
            return ExitCodes.NotClean;
        }
        catch (Exception e) when (e is TpmException or TpmTransportException or LinkException or IOException or UnauthorizedAccessException
                                      or EnrolmentFormatException or TpmFormatException)
        {
            log.LogError("failed reason=\"{Message}\"", e.Message);
            return ExitCodes.Failure;
        }
    }
}
