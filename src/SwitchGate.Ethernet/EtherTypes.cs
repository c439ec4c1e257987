namespace SwitchGate.Ethernet;

/// <summary>EtherType and TPID values (IEEE Std 802-2014 §9.2, IEEE Std 802.1Q) the project reads or writes.</summary>
public static class EtherTypes
{
    public const ushort Ipv4 = 0x0800;

    public const ushort Arp = 0x0806;

    public const ushort Ipv6 = 0x86DD;

    /// <summary>IEEE 802.1Q customer VLAN tag (C-TAG) TPID.</summary>
    public const ushort Vlan = 0x8100;

    /// <summary>IEEE 802.1ad service VLAN tag (S-TAG) TPID.</summary>
    public const ushort ServiceVlan = 0x88A8;

    /// <summary>Pre-standard QinQ TPID that Open vSwitch also treats as a VLAN tag.</summary>
    public const ushort LegacyQinQ = 0x9100;

    /// <summary>IEEE 802 Local Experimental EtherType 1 (IEEE Std 802-2014 §9.2.4): attestation frames.</summary>
    public const ushort LocalExperimental1 = 0x88B5;

    /// <summary>IEEE 802 Local Experimental EtherType 2.</summary>
    public const ushort LocalExperimental2 = 0x88B6;

    /// <summary>Every TPID a switch here may treat as the start of a VLAN tag.</summary>
    public static IReadOnlyList<ushort> VlanTpids { get; } = [Vlan, ServiceVlan, LegacyQinQ];

    public static bool IsVlanTpid(ushort etherType) => etherType is Vlan or ServiceVlan or LegacyQinQ;
}
