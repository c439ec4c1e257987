using SwitchGate.Gate.Policy;

namespace SwitchGate.Gate.Audit;

/// <summary>
/// A durable home for audit entries besides the JSON-lines file, e.g. the operations store (SQLite). The gate
/// sends a step's VERDICTs and other messages only once <see cref="WriteAsync"/> completed for that step's
/// entries, so a completion means "durable". Completions must follow the order of calls (one ordered writer);
/// an implementation that groups several calls into one commit completes them together. A fault means "not
/// durable": the gate then withholds what the entries describe (fail-secure) and logs why.
/// </summary>
public interface IAuditSink
{
    ValueTask WriteAsync(IReadOnlyList<AuditEntry> entries);
}
