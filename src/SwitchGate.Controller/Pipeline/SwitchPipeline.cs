using SwitchGate.OpenFlow;

namespace SwitchGate.Controller.Pipeline;

/// <summary>
/// The apps of the controller in pipeline order, each owning distinct tables. Table 0 belongs to the
/// gate; forwarding uses tables 1 and 2 (see docs/controller.md, "Pipeline").
/// </summary>
public sealed class SwitchPipeline
{
    private readonly ISwitchAppFactory[] _factories;
    private readonly int[] _ownerOfTable = new int[256];

    public SwitchPipeline(IEnumerable<ISwitchAppFactory> factories)
    {
        _factories = factories.ToArray();
        Array.Fill(_ownerOfTable, -1);
        for (int i = 0; i < _factories.Length; i++)
        {
            foreach (byte t in _factories[i].Tables)
            {
                // 0xff is OFPTT_ALL (OpenFlow 1.3.5 §7.3.4.1), not a real table.
                if (t == 0xff)
                    throw new ArgumentException($"app {_factories[i].Name} claims table 255 (OFPTT_ALL)");
                if (_ownerOfTable[t] >= 0)
                    throw new ArgumentException($"table {t} is claimed by both {_factories[_ownerOfTable[t]].Name} and {_factories[i].Name}");
                _ownerOfTable[t] = i;
            }
        }
    }

    public IReadOnlyList<ISwitchAppFactory> Apps => _factories;

    /// <summary>Name of the app owning <paramref name="table"/>, or null.</summary>
    public string? OwnerOf(byte table) => _ownerOfTable[table] < 0 ? null : _factories[_ownerOfTable[table]].Name;

    /// <summary>Creates the per-switch app instances for a new session.</summary>
    public Instance Attach(ISwitchView sw) => new(this, _factories.Select(f => f.Create(sw)).ToArray());

    /// <summary>Per-switch dispatcher: routes each event to the app that owns the table it came from.</summary>
    public sealed class Instance
    {
        private readonly SwitchPipeline _pipeline;
        private readonly ISwitchApp[] _apps;

        internal Instance(SwitchPipeline pipeline, ISwitchApp[] apps)
        {
            _pipeline = pipeline;
            _apps = apps;
        }

        public void ColdStart(DateTimeOffset now, List<OfpMessage> output)
        {
            foreach (var app in _apps)
                app.ColdStart(now, output);
        }

        /// <summary>False when no app owns the table the packet came from (ignored).</summary>
        public bool PacketIn(PacketIn message, DateTimeOffset now, List<OfpMessage> output)
        {
            int owner = _pipeline._ownerOfTable[message.TableId];
            if (owner < 0)
                return false;
            _apps[owner].PacketIn(message, now, output);
            return true;
        }

        public bool FlowRemoved(FlowRemoved message, DateTimeOffset now, List<OfpMessage> output)
        {
            int owner = _pipeline._ownerOfTable[message.TableId];
            if (owner < 0)
                return false;
            _apps[owner].FlowRemoved(message, now, output);
            return true;
        }

        public void PortStatus(PortStatus message, DateTimeOffset now, List<OfpMessage> output)
        {
            foreach (var app in _apps)
                app.PortStatus(message, now, output);
        }
    }
}
