using System.CommandLine;
using SwitchGate.OpenFlow;

namespace SwitchGate.Cli;

/// <summary>
/// `switchgate openflow ...`: decode and round-trip OpenFlow 1.3 messages. The logic is <see cref="OfpTool"/>; this
/// file only reads the file and prints. Exit codes: 0 ok, 1 re-encoding differs, 2 unreadable or malformed input
/// (one line on stderr, never a stack trace).
/// </summary>
internal static class OpenFlowCommands
{
    public static Command Create()
    {
        var openflow = new Command("openflow", "OpenFlow 1.3 message tools");
        openflow.Subcommands.Add(Decode());
        openflow.Subcommands.Add(Roundtrip());
        return openflow;
    }

    private static Command Decode()
    {
        var file = new Argument<FileInfo>("file") { Description = "a file holding one binary OpenFlow 1.3 message" };
        var json = new Option<bool>("--json") { Description = "print JSON with the message type name and spec field names" };
        var command = new Command("decode", "Print one OpenFlow message (exit 2 if it is malformed)") { file, json };
        command.SetAction(parseResult => Run(parseResult, parseResult.GetRequiredValue(file), bytes => OfpTool.Decode(bytes, parseResult.GetValue(json), parseResult.GetRequiredValue(file).Name)));
        return command;
    }

    private static Command Roundtrip()
    {
        var file = new Argument<FileInfo>("file") { Description = "a file holding one binary OpenFlow 1.3 message" };
        var command = new Command("roundtrip", "Decode and re-encode; exit 0 only if the bytes are reproduced exactly") { file };
        command.SetAction(parseResult => Run(parseResult, parseResult.GetRequiredValue(file), bytes => OfpTool.Roundtrip(bytes, parseResult.GetRequiredValue(file).Name)));
        return command;
    }

    private static int Run(ParseResult parseResult, FileInfo file, Func<byte[], ToolOutcome> tool)
    {
        var output = parseResult.InvocationConfiguration.Output;
        var error = parseResult.InvocationConfiguration.Error;
        byte[] bytes;
        try
        {
            // One message is at most 65535 bytes (16-bit ofp_header.length); do not read a huge file to find that out.
            var length = new FileInfo(file.FullName).Length;
            if (length > OfpFrameReader.MaxMessageLength)
            {
                error.WriteLine($"{file.Name}: malformed OpenFlow message: file has {length} bytes, one message is at most {OfpFrameReader.MaxMessageLength}");
                return ToolOutcome.Malformed;
            }

            bytes = File.ReadAllBytes(file.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"{file.Name}: cannot read: {e.Message.ReplaceLineEndings(" ")}");
            return ToolOutcome.Malformed;
        }

        var outcome = tool(bytes);
        output.Write(outcome.Output);
        error.Write(outcome.Error);
        return outcome.ExitCode;
    }
}
