using System.Buffers;
using System.Buffers.Binary;

namespace SwitchGate.OpenFlow;

/// <summary>Options for encoding.</summary>
public sealed record OfpEncodeOptions
{
    /// <summary>Check match prerequisites (§7.2.3.6) before writing; on by default.</summary>
    public bool CheckMatchPrerequisites { get; init; } = true;

    public static OfpEncodeOptions Default { get; } = new();

    /// <summary>
    /// Writes matches as they are, without the prerequisite check: for re-emitting decoded messages byte for byte
    /// (a decoded match is what the peer sent, valid or not; e.g. the conformance corpus has such matches).
    /// </summary>
    public static OfpEncodeOptions Verbatim { get; } = new() { CheckMatchPrerequisites = false };
}

/// <summary>Stateless encoder/decoder of whole OpenFlow 1.3 messages (header included).</summary>
public static class OfpCodec
{
    /// <summary>The spec name of a message type, e.g. "OFPT_FLOW_MOD".</summary>
    public static string TypeName(OfpType type) => type switch
    {
        OfpType.Hello => "OFPT_HELLO",
        OfpType.Error => "OFPT_ERROR",
        OfpType.EchoRequest => "OFPT_ECHO_REQUEST",
        OfpType.EchoReply => "OFPT_ECHO_REPLY",
        OfpType.Experimenter => "OFPT_EXPERIMENTER",
        OfpType.FeaturesRequest => "OFPT_FEATURES_REQUEST",
        OfpType.FeaturesReply => "OFPT_FEATURES_REPLY",
        OfpType.GetConfigRequest => "OFPT_GET_CONFIG_REQUEST",
        OfpType.GetConfigReply => "OFPT_GET_CONFIG_REPLY",
        OfpType.SetConfig => "OFPT_SET_CONFIG",
        OfpType.PacketIn => "OFPT_PACKET_IN",
        OfpType.FlowRemoved => "OFPT_FLOW_REMOVED",
        OfpType.PortStatus => "OFPT_PORT_STATUS",
        OfpType.PacketOut => "OFPT_PACKET_OUT",
        OfpType.FlowMod => "OFPT_FLOW_MOD",
        OfpType.GroupMod => "OFPT_GROUP_MOD",
        OfpType.PortMod => "OFPT_PORT_MOD",
        OfpType.TableMod => "OFPT_TABLE_MOD",
        OfpType.MultipartRequest => "OFPT_MULTIPART_REQUEST",
        OfpType.MultipartReply => "OFPT_MULTIPART_REPLY",
        OfpType.BarrierRequest => "OFPT_BARRIER_REQUEST",
        OfpType.BarrierReply => "OFPT_BARRIER_REPLY",
        OfpType.QueueGetConfigRequest => "OFPT_QUEUE_GET_CONFIG_REQUEST",
        OfpType.QueueGetConfigReply => "OFPT_QUEUE_GET_CONFIG_REPLY",
        OfpType.RoleRequest => "OFPT_ROLE_REQUEST",
        OfpType.RoleReply => "OFPT_ROLE_REPLY",
        OfpType.GetAsyncRequest => "OFPT_GET_ASYNC_REQUEST",
        OfpType.GetAsyncReply => "OFPT_GET_ASYNC_REPLY",
        OfpType.SetAsync => "OFPT_SET_ASYNC",
        OfpType.MeterMod => "OFPT_METER_MOD",
        _ => $"type {(byte)type}",
    };

    internal static bool IsKnownType(byte type) => type <= (byte)OfpType.MeterMod;

    /// <summary>The encoded length, header included. Throws ArgumentException if it exceeds 65535.</summary>
    public static int GetLength(OfpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var length = OfpConstants.HeaderLength + message.BodyLength;
        if (length > OfpFrameReader.MaxMessageLength)
        {
            throw new ArgumentException($"{TypeName(message.Type)} would be {length} bytes, more than the 65535 an ofp_header length can say", nameof(message));
        }

        return length;
    }

    /// <summary>Encodes into <paramref name="destination"/>; returns the bytes written. ArgumentException if it is too small.</summary>
    public static int Encode(OfpMessage message, Span<byte> destination) => Encode(message, destination, OfpEncodeOptions.Default);

    public static int Encode(OfpMessage message, Span<byte> destination, OfpEncodeOptions options)
    {
        var length = GetLength(message);
        if (destination.Length < length)
        {
            throw new ArgumentException($"destination has {destination.Length} bytes, {TypeName(message.Type)} needs {length}", nameof(destination));
        }

        if (options.CheckMatchPrerequisites)
        {
            CheckMatches(message);
        }

        var w = new WireWriter(destination[..length]);
        w.U8(message.HeaderVersion);
        w.U8((byte)message.Type);
        w.U16((ushort)length);
        w.U32(message.Xid);
        message.WriteBody(ref w);
        if (w.Position != length)
        {
            throw new InvalidOperationException($"codec bug: {TypeName(message.Type)} wrote {w.Position} bytes, computed {length}");
        }

        return length;
    }

    public static byte[] Encode(OfpMessage message) => Encode(message, OfpEncodeOptions.Default);

    public static byte[] Encode(OfpMessage message, OfpEncodeOptions options)
    {
        var bytes = new byte[GetLength(message)];
        Encode(message, bytes, options);
        return bytes;
    }

    public static void Encode(OfpMessage message, IBufferWriter<byte> writer) => Encode(message, writer, OfpEncodeOptions.Default);

    public static void Encode(OfpMessage message, IBufferWriter<byte> writer, OfpEncodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var length = GetLength(message);
        var span = writer.GetSpan(length);
        Encode(message, span, options);
        writer.Advance(length);
    }

    /// <summary>
    /// Value equality of any two messages by their encoding (records holding byte arrays or lists compare those by
    /// reference; this compares what goes on the wire, xid included).
    /// </summary>
    public static bool WireEquals(OfpMessage? a, OfpMessage? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null && a.Type == b.Type
            && Encode(a, OfpEncodeOptions.Verbatim).AsSpan().SequenceEqual(Encode(b, OfpEncodeOptions.Verbatim)));

    private static void CheckMatches(OfpMessage message)
    {
        switch (message)
        {
            case FlowMod m:
                m.Match.CheckPrerequisites();
                break;
            case PacketIn p:
                p.Match.CheckPrerequisites();
                break;
            case FlowRemoved f:
                f.Match.CheckPrerequisites();
                break;
            case MultipartRequest { Body: FlowFilterRequest r }:
                r.Match.CheckPrerequisites();
                break;
            case MultipartReply { Body: FlowStatsReply s }:
                foreach (var stats in s.Stats)
                {
                    stats.Match.CheckPrerequisites();
                }

                break;
        }
    }

    /// <summary>
    /// Decodes exactly one whole message. Throws <see cref="OpenFlowFormatException"/> if it is truncated, has
    /// trailing bytes, is not version 0x04 (except HELLO), or is malformed anywhere inside.
    /// </summary>
    public static OfpMessage Decode(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < OfpConstants.HeaderLength)
        {
            throw new OpenFlowFormatException($"truncated ofp_header: {frame.Length} bytes, need {OfpConstants.HeaderLength}");
        }

        var version = frame[0];
        var typeByte = frame[1];
        var length = BinaryPrimitives.ReadUInt16BigEndian(frame[2..]);
        var xid = BinaryPrimitives.ReadUInt32BigEndian(frame[4..]);
        CheckHeader(version, typeByte);
        var name = TypeName((OfpType)typeByte);
        if (length < OfpConstants.HeaderLength)
        {
            throw new OpenFlowFormatException($"{name}: header length {length} is less than the 8-byte header");
        }

        if (frame.Length < length)
        {
            throw new OpenFlowFormatException($"{name}: truncated: header length {length}, only {frame.Length} bytes");
        }

        if (frame.Length > length)
        {
            throw new OpenFlowFormatException($"{name}: {frame.Length - length} trailing bytes after the {length}-byte message");
        }

        var r = new WireReader(frame[OfpConstants.HeaderLength..], name);
        var message = DecodeBody((OfpType)typeByte, version, ref r);
        message.SetXidFromHeader(xid);
        r.End(name);
        return message;
    }

    /// <summary>Header checks that need only the first two bytes (so the framer can reject early).</summary>
    internal static void CheckHeader(byte version, byte type)
    {
        if (!IsKnownType(type))
        {
            throw new OpenFlowFormatException($"unknown message type {type} (OpenFlow 1.3 defines 0..29)");
        }

        if (version != OfpConstants.Version && type != (byte)OfpType.Hello)
        {
            throw new OpenFlowFormatException($"{TypeName((OfpType)type)}: unsupported version 0x{version:x2} (only 0x04 is spoken; only HELLO may carry another version)");
        }
    }

    private static OfpMessage DecodeBody(OfpType type, byte version, ref WireReader r)
    {
        switch (type)
        {
            case OfpType.Hello:
                return Hello.Read(ref r, version);
            case OfpType.Error:
                {
                    var errorType = r.U16("error type");
                    if (errorType == (ushort)ErrorType.Experimenter)
                    {
                        return new ErrorExperimenterMsg(r.U16("exp_type"), r.U32("experimenter"), r.Rest().ToArray());
                    }

                    return new ErrorMsg(errorType, r.U16("error code"), r.Rest().ToArray());
                }

            case OfpType.EchoRequest:
                return new EchoRequest(r.Rest().ToArray());
            case OfpType.EchoReply:
                return new EchoReply(r.Rest().ToArray());
            case OfpType.Experimenter:
                return new ExperimenterMsg(r.U32("experimenter"), r.U32("exp_type"), r.Rest().ToArray());
            case OfpType.FeaturesRequest:
                return new FeaturesRequest();
            case OfpType.FeaturesReply:
                {
                    var dpid = r.U64("datapath_id");
                    var buffers = r.U32("n_buffers");
                    var tables = r.U8("n_tables");
                    var aux = r.U8("auxiliary_id");
                    r.Pad(2, "features padding");
                    return new FeaturesReply(dpid, buffers, tables, aux, (Capabilities)r.U32("capabilities")) { Reserved = r.U32("reserved") };
                }

            case OfpType.GetConfigRequest:
                return new GetConfigRequest();
            case OfpType.GetConfigReply:
                return new GetConfigReply(r.U16("flags"), r.U16("miss_send_len"));
            case OfpType.SetConfig:
                return new SetConfig(r.U16("flags"), r.U16("miss_send_len"));
            case OfpType.PacketIn:
                {
                    var bufferId = r.U32("buffer_id");
                    var totalLen = r.U16("total_len");
                    var reason = (PacketInReason)r.U8("reason");
                    var tableId = r.U8("table_id");
                    var cookie = r.U64("cookie");
                    var match = Match.Read(ref r);
                    r.Pad(2, "packet_in padding");
                    return new PacketIn(bufferId, totalLen, reason, tableId, cookie, match, r.Rest().ToArray());
                }

            case OfpType.FlowRemoved:
                {
                    var cookie = r.U64("cookie");
                    var priority = r.U16("priority");
                    var reason = (FlowRemovedReason)r.U8("reason");
                    var tableId = r.U8("table_id");
                    var durationSec = r.U32("duration_sec");
                    var durationNsec = r.U32("duration_nsec");
                    var idle = r.U16("idle_timeout");
                    var hard = r.U16("hard_timeout");
                    var packets = r.U64("packet_count");
                    var bytes = r.U64("byte_count");
                    return new FlowRemoved(cookie, priority, reason, tableId, durationSec, durationNsec, idle, hard, packets, bytes, Match.Read(ref r));
                }

            case OfpType.PortStatus:
                {
                    var reason = (PortStatusReason)r.U8("reason");
                    r.Pad(7, "port_status padding");
                    return new PortStatus(reason, PortDesc.Read(ref r));
                }

            case OfpType.PacketOut:
                {
                    var bufferId = r.U32("buffer_id");
                    var inPort = r.U32("in_port");
                    var actionsLen = r.U16("actions_len");
                    r.Pad(6, "packet_out padding");
                    if (actionsLen > r.Remaining)
                    {
                        throw r.Fail($"actions_len {actionsLen} exceeds the {r.Remaining} bytes left");
                    }

                    var actionsReader = r.Sub(actionsLen, "actions");
                    var actions = OfpAction.ReadList(ref actionsReader);
                    return new PacketOut(bufferId, inPort, actions, r.Rest().ToArray());
                }

            case OfpType.FlowMod:
                {
                    var cookie = r.U64("cookie");
                    var cookieMask = r.U64("cookie_mask");
                    var tableId = r.U8("table_id");
                    var command = r.U8("command");
                    var idle = r.U16("idle_timeout");
                    var hard = r.U16("hard_timeout");
                    var priority = r.U16("priority");
                    var bufferId = r.U32("buffer_id");
                    var outPort = r.U32("out_port");
                    var outGroup = r.U32("out_group");
                    var flags = r.U16("flags");
                    r.Pad(2, "flow_mod padding");
                    var match = Match.Read(ref r);
                    return new FlowMod
                    {
                        Cookie = cookie,
                        CookieMask = cookieMask,
                        TableId = tableId,
                        Command = (FlowModCommand)command,
                        IdleTimeout = idle,
                        HardTimeout = hard,
                        Priority = priority,
                        BufferId = bufferId,
                        OutPort = outPort,
                        OutGroup = outGroup,
                        Flags = (FlowModFlags)flags,
                        Match = match,
                        Instructions = OfpInstruction.ReadList(ref r),
                    };
                }

            case OfpType.GroupMod:
                {
                    var command = (GroupModCommand)r.U16("command");
                    var groupType = (GroupType)r.U8("type");
                    r.Pad(1, "group_mod padding");
                    var groupId = r.U32("group_id");
                    return new GroupMod(command, groupType, groupId, Bucket.ReadList(ref r));
                }

            case OfpType.PortMod:
                {
                    var portNo = r.U32("port_no");
                    r.Pad(4, "port_mod padding");
                    var mac = r.Mac("hw_addr");
                    r.Pad(2, "port_mod padding");
                    var message = new PortMod(portNo, mac, (PortConfig)r.U32("config"), (PortConfig)r.U32("mask"), r.U32("advertise"));
                    r.Pad(4, "port_mod padding");
                    return message;
                }

            case OfpType.TableMod:
                {
                    var tableId = r.U8("table_id");
                    r.Pad(3, "table_mod padding");
                    return new TableMod(tableId, (TableConfig)r.U32("config"));
                }

            case OfpType.MultipartRequest:
                {
                    var mpType = (MultipartType)r.U16("multipart type");
                    var flags = (MultipartFlags)r.U16("multipart flags");
                    r.Pad(4, "multipart padding");
                    return new MultipartRequest(MultipartReader.ReadRequest(mpType, ref r)) { Flags = flags };
                }

            case OfpType.MultipartReply:
                {
                    var mpType = (MultipartType)r.U16("multipart type");
                    var flags = (MultipartFlags)r.U16("multipart flags");
                    r.Pad(4, "multipart padding");
                    return new MultipartReply(MultipartReader.ReadReply(mpType, ref r)) { Flags = flags };
                }

            case OfpType.BarrierRequest:
                return new BarrierRequest();
            case OfpType.BarrierReply:
                return new BarrierReply();
            case OfpType.QueueGetConfigRequest:
                {
                    var port = r.U32("port");
                    r.Pad(4, "queue_get_config padding");
                    return new QueueGetConfigRequest(port);
                }

            case OfpType.QueueGetConfigReply:
                {
                    var port = r.U32("port");
                    r.Pad(4, "queue_get_config padding");
                    return new QueueGetConfigReply(port, r.Rest().ToArray());
                }

            case OfpType.RoleRequest:
            case OfpType.RoleReply:
                {
                    var role = (ControllerRole)r.U32("role");
                    r.Pad(4, "role padding");
                    var generation = r.U64("generation_id");
                    return type == OfpType.RoleRequest ? new RoleRequest(role, generation) : new RoleReply(role, generation);
                }

            case OfpType.GetAsyncRequest:
                return new GetAsyncRequest();
            case OfpType.GetAsyncReply:
                return ReadAsync(ref r, new GetAsyncReply());
            case OfpType.SetAsync:
                return ReadAsync(ref r, new SetAsync());
            case OfpType.MeterMod:
                {
                    var command = (MeterModCommand)r.U16("command");
                    var flags = (MeterFlags)r.U16("flags");
                    var meterId = r.U32("meter_id");
                    return new MeterMod(command, flags, meterId, MeterBand.ReadList(ref r));
                }

            default:
                throw r.Fail("unknown message type");
        }
    }

    private static T ReadAsync<T>(ref WireReader r, T empty)
        where T : AsyncConfigMessage => empty with
        {
            PacketInMaskMaster = r.U32("packet_in_mask[0]"),
            PacketInMaskSlave = r.U32("packet_in_mask[1]"),
            PortStatusMaskMaster = r.U32("port_status_mask[0]"),
            PortStatusMaskSlave = r.U32("port_status_mask[1]"),
            FlowRemovedMaskMaster = r.U32("flow_removed_mask[0]"),
            FlowRemovedMaskSlave = r.U32("flow_removed_mask[1]"),
        };
}
