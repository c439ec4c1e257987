using System.CommandLine;
using SwitchGate.OpenFlow;

namespace SwitchGate.Cli;

/// <summary>
/// `switchgate openflow ...`: decode and round-trip OpenFlow 1.3 messages with the library's codec and
/// <see cref="OfpText"/>; this file reads the file, prints and maps outcomes to exit codes: 0 ok, 1 re-encoding
/// differs, 2 unreadable or malformed input (one line on stderr, never a stack trace).
/// </summary>
internal static class OpenFlowCommands
{
    public const int Ok = 0;
    public const int Differs = 1;
    public const int Malformed = 2;

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
        command.SetAction(parseResult => Run(parseResult, parseResult.GetRequiredValue(file), bytes => Decode(bytes, parseResult.GetValue(json), parseResult.GetRequiredValue(file).Name)));
        return command;
    }

    private static Command Roundtrip()
    {
        var file = new Argument<FileInfo>("file") { Description = "a file holding one binary OpenFlow 1.3 message" };
        var command = new Command("roundtrip", "Decode and re-encode; exit 0 only if the bytes are reproduced exactly") { file };
        command.SetAction(parseResult => Run(parseResult, parseResult.GetRequiredValue(file), bytes => Roundtrip(bytes, parseResult.GetRequiredValue(file).Name)));
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
                return Malformed;
            }

            bytes = File.ReadAllBytes(file.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"{file.Name}: cannot read: {e.Message.ReplaceLineEndings(" ")}");
            return Malformed;
        }

        var outcome = tool(bytes);
        output.Write(outcome.Output);
        error.Write(outcome.Error);
        return outcome.ExitCode;
    }

    /// <summary>`decode` on the bytes of one message: the JSON view or <see cref="OfpText.Describe"/>.</summary>
    internal static ToolOutcome Decode(ReadOnlySpan<byte> bytes, bool json, string source = "input")
    {
        OfpMessage message;
        try
        {
            message = OfpCodec.Decode(bytes);
        }
        catch (OpenFlowFormatException e)
        {
            return MalformedOutcome(source, e);
        }

        var text = json ? OfpJson.Serialize(message, indented: true) : OfpText.Describe(message, bytes.Length);
        return new ToolOutcome(Ok, text + "\n", string.Empty);
    }

    /// <summary>`roundtrip` on the bytes of one message: decode, re-encode verbatim, compare.</summary>
    internal static ToolOutcome Roundtrip(ReadOnlySpan<byte> bytes, string source = "input")
    {
        OfpMessage message;
        try
        {
            message = OfpCodec.Decode(bytes);
        }
        catch (OpenFlowFormatException e)
        {
            return MalformedOutcome(source, e);
        }

        // Verbatim: re-emit what was decoded even if its match breaks prerequisites.
        var again = OfpCodec.Encode(message, OfpEncodeOptions.Verbatim);
        var difference = OfpText.FirstDifference(bytes, again);
        return difference is null
            ? new ToolOutcome(Ok, $"{source}: {OfpCodec.TypeName(message.Type)}, {bytes.Length} bytes, re-encoded identically\n", string.Empty)
            : new ToolOutcome(Differs, string.Empty, $"{source}: {OfpCodec.TypeName(message.Type)} re-encodes differently: {difference}\n");
    }

    private static ToolOutcome MalformedOutcome(string source, OpenFlowFormatException e) =>
        new(Malformed, string.Empty, $"{source}: malformed OpenFlow message: {e.Reason.ReplaceLineEndings(" ")}\n");
}

/// <summary>What a command prints on stdout and stderr, and its exit code.</summary>
internal sealed record ToolOutcome(int ExitCode, string Output, string Error);
