using SwitchGate.OpenFlow;

namespace SwitchGate.Controller.Pipeline;

/// <summary>
/// Table 0 until the attestation gate exists (issue 4): one priority-0 flow sending everything to
/// the forwarding tables. The gate replaces this factory and keeps table 0 for itself.
/// </summary>
public sealed class OpenGateFactory : ISwitchAppFactory
{
    public const byte GateTable = 0;
    public const byte FirstForwardingTable = 1;

    public string Name => "open-gate";
    public IReadOnlyList<byte> Tables { get; } = [GateTable];
    public ISwitchApp Create(ISwitchView sw) => new OpenGate();

    private sealed class OpenGate : ISwitchApp
    {
        public void ColdStart(DateTimeOffset now, List<OfpMessage> output) =>
            output.Add(new FlowMod
            {
                Cookie = 0x4741_0000_0000_0000, // "GA"
                TableId = GateTable,
                Command = FlowModCommand.Add,
                Priority = 0,
                BufferId = OfpBuffer.NoBuffer,
                OutPort = OfpPort.Any,
                OutGroup = OfpGroup.Any,
                Match = Match.Empty,
                Instructions = [new InstructionGotoTable(FirstForwardingTable)],
            });

        public void PacketIn(PacketIn message, DateTimeOffset now, List<OfpMessage> output) { }
        public void FlowRemoved(FlowRemoved message, DateTimeOffset now, List<OfpMessage> output) { }
        public void PortStatus(PortStatus message, DateTimeOffset now, List<OfpMessage> output) { }
    }
}
