namespace SwitchGate.OpenFlow;

// Constants of the OpenFlow 1.3.5 specification (ONF TS-023), named after the spec's OFP* names in PascalCase.

/// <summary>ofp_type (§7.1).</summary>
public enum OfpType : byte
{
    Hello = 0,
    Error = 1,
    EchoRequest = 2,
    EchoReply = 3,
    Experimenter = 4,
    FeaturesRequest = 5,
    FeaturesReply = 6,
    GetConfigRequest = 7,
    GetConfigReply = 8,
    SetConfig = 9,
    PacketIn = 10,
    FlowRemoved = 11,
    PortStatus = 12,
    PacketOut = 13,
    FlowMod = 14,
    GroupMod = 15,
    PortMod = 16,
    TableMod = 17,
    MultipartRequest = 18,
    MultipartReply = 19,
    BarrierRequest = 20,
    BarrierReply = 21,
    QueueGetConfigRequest = 22,
    QueueGetConfigReply = 23,
    RoleRequest = 24,
    RoleReply = 25,
    GetAsyncRequest = 26,
    GetAsyncReply = 27,
    SetAsync = 28,
    MeterMod = 29,
}

/// <summary>Protocol-level constants (§7.1).</summary>
public static class OfpConstants
{
    /// <summary>OFP_VERSION for OpenFlow 1.3.</summary>
    public const byte Version = 0x04;

    /// <summary>sizeof(ofp_header).</summary>
    public const int HeaderLength = 8;

    /// <summary>The IANA-assigned OpenFlow TCP port.</summary>
    public const int TcpPort = 6653;
}

/// <summary>ofp_port_no reserved values (§7.2.1).</summary>
public static class OfpPort
{
    public const uint Max = 0xffffff00;
    public const uint InPort = 0xfffffff8;
    public const uint Table = 0xfffffff9;
    public const uint Normal = 0xfffffffa;
    public const uint Flood = 0xfffffffb;
    public const uint All = 0xfffffffc;
    public const uint Controller = 0xfffffffd;
    public const uint Local = 0xfffffffe;
    public const uint Any = 0xffffffff;
}

/// <summary>OFP_NO_BUFFER (§7.3.4.2).</summary>
public static class OfpBuffer
{
    public const uint NoBuffer = 0xffffffff;
}

/// <summary>ofp_group reserved values (§7.3.4.2).</summary>
public static class OfpGroup
{
    public const uint Max = 0xffffff00;
    public const uint All = 0xfffffffc;
    public const uint Any = 0xffffffff;
}

/// <summary>ofp_table reserved values (§7.2.3).</summary>
public static class OfpTable
{
    public const byte Max = 0xfe;
    public const byte All = 0xff;
}

/// <summary>ofp_controller_max_len (§7.2.5).</summary>
public static class OfpControllerMaxLen
{
    public const ushort Max = 0xffe5;
    public const ushort NoBuffer = 0xffff;
}

/// <summary>ofp_meter reserved values (§7.3.4.4).</summary>
public static class OfpMeter
{
    public const uint Max = 0xffff0000;
    public const uint SlowPath = 0xfffffffd;
    public const uint Controller = 0xfffffffe;
    public const uint All = 0xffffffff;
}

/// <summary>ofp_vlan_id (§7.2.3.8).</summary>
public static class OfpVlanId
{
    /// <summary>OFPVID_PRESENT: bit set in vlan_vid when a VLAN tag is present.</summary>
    public const ushort Present = 0x1000;

    /// <summary>OFPVID_NONE: no VLAN tag.</summary>
    public const ushort None = 0x0000;
}

/// <summary>ofp_config_flags (§7.3.2).</summary>
[Flags]
public enum ConfigFlags : ushort
{
    FragNormal = 0,
    FragDrop = 1,
    FragReasm = 2,
    FragMask = 3,
}

/// <summary>ofp_capabilities (§7.3.1).</summary>
[Flags]
public enum Capabilities : uint
{
    None = 0,
    FlowStats = 1 << 0,
    TableStats = 1 << 1,
    PortStats = 1 << 2,
    GroupStats = 1 << 3,
    IpReasm = 1 << 5,
    QueueStats = 1 << 6,
    PortBlocked = 1 << 8,
}

/// <summary>ofp_port_config (§7.2.1).</summary>
[Flags]
public enum PortConfig : uint
{
    None = 0,
    PortDown = 1 << 0,
    NoRecv = 1 << 2,
    NoFwd = 1 << 5,
    NoPacketIn = 1 << 6,
}

/// <summary>ofp_port_state (§7.2.1).</summary>
[Flags]
public enum PortState : uint
{
    None = 0,
    LinkDown = 1 << 0,
    Blocked = 1 << 1,
    Live = 1 << 2,
}

/// <summary>ofp_port_features (§7.2.1).</summary>
[Flags]
public enum PortFeatures : uint
{
    None = 0,
    Rate10MbHd = 1 << 0,
    Rate10MbFd = 1 << 1,
    Rate100MbHd = 1 << 2,
    Rate100MbFd = 1 << 3,
    Rate1GbHd = 1 << 4,
    Rate1GbFd = 1 << 5,
    Rate10GbFd = 1 << 6,
    Rate40GbFd = 1 << 7,
    Rate100GbFd = 1 << 8,
    Rate1TbFd = 1 << 9,
    Other = 1 << 10,
    Copper = 1 << 11,
    Fiber = 1 << 12,
    Autoneg = 1 << 13,
    Pause = 1 << 14,
    PauseAsym = 1 << 15,
}

/// <summary>ofp_flow_mod_command (§7.3.4.2).</summary>
public enum FlowModCommand : byte
{
    Add = 0,
    Modify = 1,
    ModifyStrict = 2,
    Delete = 3,
    DeleteStrict = 4,
}

/// <summary>ofp_flow_mod_flags (§7.3.4.2).</summary>
[Flags]
public enum FlowModFlags : ushort
{
    None = 0,
    SendFlowRem = 1 << 0,
    CheckOverlap = 1 << 1,
    ResetCounts = 1 << 2,
    NoPktCounts = 1 << 3,
    NoBytCounts = 1 << 4,
}

/// <summary>ofp_packet_in_reason (§7.4.1).</summary>
public enum PacketInReason : byte
{
    NoMatch = 0,
    Action = 1,
    InvalidTtl = 2,
}

/// <summary>ofp_flow_removed_reason (§7.4.2).</summary>
public enum FlowRemovedReason : byte
{
    IdleTimeout = 0,
    HardTimeout = 1,
    Delete = 2,
    GroupDelete = 3,
}

/// <summary>ofp_port_reason (§7.4.3).</summary>
public enum PortStatusReason : byte
{
    Add = 0,
    Delete = 1,
    Modify = 2,
}

/// <summary>ofp_group_mod_command (§7.3.4.3).</summary>
public enum GroupModCommand : ushort
{
    Add = 0,
    Modify = 1,
    Delete = 2,
}

/// <summary>ofp_group_type (§7.3.4.3).</summary>
public enum GroupType : byte
{
    All = 0,
    Select = 1,
    Indirect = 2,
    FastFailover = 3,
}

/// <summary>ofp_meter_mod_command (§7.3.4.4).</summary>
public enum MeterModCommand : ushort
{
    Add = 0,
    Modify = 1,
    Delete = 2,
}

/// <summary>ofp_meter_flags (§7.3.4.4).</summary>
[Flags]
public enum MeterFlags : ushort
{
    None = 0,
    Kbps = 1 << 0,
    Pktps = 1 << 1,
    Burst = 1 << 2,
    Stats = 1 << 3,
}

/// <summary>ofp_meter_band_type (§7.3.4.4).</summary>
public enum MeterBandType : ushort
{
    Drop = 1,
    DscpRemark = 2,
    Experimenter = 0xffff,
}

/// <summary>ofp_table_config (§7.3.3).</summary>
[Flags]
public enum TableConfig : uint
{
    None = 0,
    DeprecatedMask = 3,
}

/// <summary>ofp_controller_role (§7.3.9).</summary>
public enum ControllerRole : uint
{
    NoChange = 0,
    Equal = 1,
    Master = 2,
    Slave = 3,
}

/// <summary>ofp_multipart_type (§7.3.5).</summary>
public enum MultipartType : ushort
{
    Desc = 0,
    Flow = 1,
    Aggregate = 2,
    Table = 3,
    PortStats = 4,
    Queue = 5,
    Group = 6,
    GroupDesc = 7,
    GroupFeatures = 8,
    Meter = 9,
    MeterConfig = 10,
    MeterFeatures = 11,
    TableFeatures = 12,
    PortDesc = 13,
    Experimenter = 0xffff,
}

/// <summary>ofp_multipart_request_flags / ofp_multipart_reply_flags (§7.3.5).</summary>
[Flags]
public enum MultipartFlags : ushort
{
    None = 0,

    /// <summary>OFPMPF_REQ_MORE / OFPMPF_REPLY_MORE: more messages follow.</summary>
    ReplyMore = 1 << 0,
    RequestMore = 1 << 0,
}

/// <summary>ofp_hello_elem_type (§7.5.1).</summary>
public enum HelloElementType : ushort
{
    VersionBitmap = 1,
}

/// <summary>ofp_action_type (§7.2.5).</summary>
public enum ActionType : ushort
{
    Output = 0,
    CopyTtlOut = 11,
    CopyTtlIn = 12,
    SetMplsTtl = 15,
    DecMplsTtl = 16,
    PushVlan = 17,
    PopVlan = 18,
    PushMpls = 19,
    PopMpls = 20,
    SetQueue = 21,
    Group = 22,
    SetNwTtl = 23,
    DecNwTtl = 24,
    SetField = 25,
    PushPbb = 26,
    PopPbb = 27,
    Experimenter = 0xffff,
}

/// <summary>ofp_instruction_type (§7.2.4).</summary>
public enum InstructionType : ushort
{
    GotoTable = 1,
    WriteMetadata = 2,
    WriteActions = 3,
    ApplyActions = 4,
    ClearActions = 5,
    Meter = 6,
    Experimenter = 0xffff,
}

/// <summary>ofp_error_type (§7.4.4).</summary>
public enum ErrorType : ushort
{
    HelloFailed = 0,
    BadRequest = 1,
    BadAction = 2,
    BadInstruction = 3,
    BadMatch = 4,
    FlowModFailed = 5,
    GroupModFailed = 6,
    PortModFailed = 7,
    TableModFailed = 8,
    QueueOpFailed = 9,
    SwitchConfigFailed = 10,
    RoleRequestFailed = 11,
    MeterModFailed = 12,
    TableFeaturesFailed = 13,
    Experimenter = 0xffff,
}

/// <summary>ofp_hello_failed_code.</summary>
public enum HelloFailedCode : ushort
{
    Incompatible = 0,
    EPerm = 1,
}

/// <summary>ofp_bad_request_code.</summary>
public enum BadRequestCode : ushort
{
    BadVersion = 0,
    BadType = 1,
    BadMultipart = 2,
    BadExperimenter = 3,
    BadExpType = 4,
    EPerm = 5,
    BadLen = 6,
    BufferEmpty = 7,
    BufferUnknown = 8,
    BadTableId = 9,
    IsSlave = 10,
    BadPort = 11,
    BadPacket = 12,
    MultipartBufferOverflow = 13,
}

/// <summary>ofp_bad_action_code.</summary>
public enum BadActionCode : ushort
{
    BadType = 0,
    BadLen = 1,
    BadExperimenter = 2,
    BadExpType = 3,
    BadOutPort = 4,
    BadArgument = 5,
    EPerm = 6,
    TooMany = 7,
    BadQueue = 8,
    BadOutGroup = 9,
    MatchInconsistent = 10,
    UnsupportedOrder = 11,
    BadTag = 12,
    BadSetType = 13,
    BadSetLen = 14,
    BadSetArgument = 15,
}

/// <summary>ofp_bad_instruction_code.</summary>
public enum BadInstructionCode : ushort
{
    UnknownInst = 0,
    UnsupInst = 1,
    BadTableId = 2,
    UnsupMetadata = 3,
    UnsupMetadataMask = 4,
    BadExperimenter = 5,
    BadExpType = 6,
    BadLen = 7,
    EPerm = 8,
}

/// <summary>ofp_bad_match_code.</summary>
public enum BadMatchCode : ushort
{
    BadType = 0,
    BadLen = 1,
    BadTag = 2,
    BadDlAddrMask = 3,
    BadNwAddrMask = 4,
    BadWildcards = 5,
    BadField = 6,
    BadValue = 7,
    BadMask = 8,
    BadPrereq = 9,
    DupField = 10,
    EPerm = 11,
}

/// <summary>ofp_flow_mod_failed_code.</summary>
public enum FlowModFailedCode : ushort
{
    Unknown = 0,
    TableFull = 1,
    BadTableId = 2,
    Overlap = 3,
    EPerm = 4,
    BadTimeout = 5,
    BadCommand = 6,
    BadFlags = 7,
}

/// <summary>ofp_group_mod_failed_code.</summary>
public enum GroupModFailedCode : ushort
{
    GroupExists = 0,
    InvalidGroup = 1,
    WeightUnsupported = 2,
    OutOfGroups = 3,
    OutOfBuckets = 4,
    ChainingUnsupported = 5,
    WatchUnsupported = 6,
    Loop = 7,
    UnknownGroup = 8,
    ChainedGroup = 9,
    BadType = 10,
    BadCommand = 11,
    BadBucket = 12,
    BadWatch = 13,
    EPerm = 14,
}

/// <summary>ofp_port_mod_failed_code.</summary>
public enum PortModFailedCode : ushort
{
    BadPort = 0,
    BadHwAddr = 1,
    BadConfig = 2,
    BadAdvertise = 3,
    EPerm = 4,
}

/// <summary>ofp_switch_config_failed_code.</summary>
public enum SwitchConfigFailedCode : ushort
{
    BadFlags = 0,
    BadLen = 1,
    EPerm = 2,
}

/// <summary>ofp_role_request_failed_code.</summary>
public enum RoleRequestFailedCode : ushort
{
    Stale = 0,
    Unsup = 1,
    BadRole = 2,
}

/// <summary>ofp_meter_mod_failed_code.</summary>
public enum MeterModFailedCode : ushort
{
    Unknown = 0,
    MeterExists = 1,
    InvalidMeter = 2,
    UnknownMeter = 3,
    BadCommand = 4,
    BadFlags = 5,
    BadRate = 6,
    BadBurst = 7,
    BadBand = 8,
    BadBandValue = 9,
    OutOfMeters = 10,
    OutOfBands = 11,
}
