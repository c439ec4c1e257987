namespace SwitchGate.BootAgent.Jobs;

/// <summary>A job API request refused with an HTTP status and a one-line reason (docs/jobs.md "Transfer").</summary>
public sealed class JobRequestException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
