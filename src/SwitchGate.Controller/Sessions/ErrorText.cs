using System.Text;
using SwitchGate.OpenFlow;

namespace SwitchGate.Controller.Sessions;

/// <summary>Readable text for an OFPT_ERROR: type and code by their spec names (§7.4.4), plus ASCII data if any.</summary>
public static class ErrorText
{
    public static string Describe(ErrorMsg error)
    {
        string code = error.KnownErrorType switch
        {
            ErrorType.HelloFailed => Name<HelloFailedCode>(error.Code),
            ErrorType.BadRequest => Name<BadRequestCode>(error.Code),
            ErrorType.BadAction => Name<BadActionCode>(error.Code),
            ErrorType.BadInstruction => Name<BadInstructionCode>(error.Code),
            ErrorType.BadMatch => Name<BadMatchCode>(error.Code),
            ErrorType.FlowModFailed => Name<FlowModFailedCode>(error.Code),
            ErrorType.GroupModFailed => Name<GroupModFailedCode>(error.Code),
            ErrorType.PortModFailed => Name<PortModFailedCode>(error.Code),
            ErrorType.SwitchConfigFailed => Name<SwitchConfigFailedCode>(error.Code),
            ErrorType.RoleRequestFailed => Name<RoleRequestFailedCode>(error.Code),
            ErrorType.MeterModFailed => Name<MeterModFailedCode>(error.Code),
            _ => error.Code.ToString(),
        };
        string type = Enum.IsDefined(error.KnownErrorType) ? error.KnownErrorType.ToString() : error.ErrorType.ToString();
        string text = $"{type}/{code}";
        // HELLO_FAILED and some switches put an ASCII explanation in data (§7.4.4); other types echo the request.
        if (error.KnownErrorType == ErrorType.HelloFailed && error.Data.Length > 0 && error.Data.All(b => b is >= 0x20 and < 0x7f))
            text += $" \"{Encoding.ASCII.GetString(error.Data)}\"";
        return text;
    }

    private static string Name<T>(ushort code) where T : struct, Enum
    {
        var value = (T)Enum.ToObject(typeof(T), code);
        return Enum.IsDefined(value) ? value.ToString() : code.ToString();
    }
}
