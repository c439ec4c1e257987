using System.Text.Json;

namespace SwitchGate.Hypervisor.Qmp;

/// <summary>One message from QEMU's QMP server (QEMU's docs/interop/qmp-spec: greeting, success, error, event).</summary>
public abstract record QmpMessage;

/// <summary>The first message on a connection: <c>{"QMP": {"version": ..., "capabilities": [...]}}</c>.</summary>
public sealed record QmpGreeting(string Version, IReadOnlyList<string> Capabilities) : QmpMessage;

/// <summary>A successful command's reply: <c>{"return": VALUE, "id": ID}</c>. <see cref="Value"/> is detached from any document.</summary>
public sealed record QmpReturn(JsonElement Value, string? Id) : QmpMessage;

/// <summary>A failed command's reply: <c>{"error": {"class": C, "desc": D}, "id": ID}</c>.</summary>
public sealed record QmpError(string Class, string Description, string? Id) : QmpMessage;

/// <summary>An asynchronous event: <c>{"event": NAME, "data": {...}, "timestamp": {...}}</c>; it can arrive between a command and its reply.</summary>
public sealed record QmpEvent(string Name, JsonElement Data, DateTimeOffset? Timestamp) : QmpMessage
{
    /// <summary>A string member of <see cref="Data"/>, or null (e.g. <c>device</c> of DEVICE_DELETED).</summary>
    public string? DataString(string member) =>
        Data.ValueKind == JsonValueKind.Object && Data.TryGetProperty(member, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : null;
}
