using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SwitchGate.BootAgent.Hosting;

/// <summary>The result of a hosted run, read by Program after the host stops.</summary>
public sealed class RunResult
{
    public int ExitCode { get; set; }
}

/// <summary>
/// <c>attest --stay</c> on the Generic Host: keeps the node admitted (renewing at half the lease) until SIGTERM
/// (the admission then simply runs out in the switch) or a <c>depart</c> through the control socket.
/// </summary>
public sealed class AttestService(
    Func<CancellationToken, ChannelReader<DepartRequest>, Task<int>> run,
    string socketPath,
    RunResult result,
    IHostApplicationLifetime lifetime,
    ILogger<AttestService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var departs = Channel.CreateUnbounded<DepartRequest>();
        using var control = ControlSocket.Listen(socketPath);
        var serving = control.ServeAsync(departs.Writer, logger, stoppingToken);
        try
        {
            result.ExitCode = await run(stoppingToken, departs.Reader).ConfigureAwait(false);
        }
        catch (Tpm.AgentConfigurationException e)
        {
            logger.ConfigurationError(e.Message);
            result.ExitCode = Core.ExitCodes.Usage;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.Failed(e.Message);
            result.ExitCode = Core.ExitCodes.Failure;
        }
        finally
        {
            control.Dispose();
            await serving.ConfigureAwait(false);
            lifetime.StopApplication();
        }
    }
}
