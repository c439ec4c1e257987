using System.Text.Json;
using SwitchGate.Ethernet;

namespace SwitchGate.OpenFlow;

/// <summary>
/// JSON view of a message for tools and tests: {"type":"OFPT_FLOW_MOD","xid":1, then the fields under their
/// spec names (buffer_id, hard_timeout, match: {oxm_fields: [...]}, ...)}. Byte strings are base64; OXM values are
/// numbers, "aa:bb:.." MAC or IP address strings as the field kind says. Opaque parts are base64.
/// Where a spec name would clash with the message "type" it is qualified (error_type, group_type, multipart_type).
/// </summary>
public static class OfpJson
{
    /// <summary>NX_VENDOR_ID, Nicira's experimenter id.</summary>
    public const uint NiciraExperimenterId = 0x00002320;

    public static string Serialize(OfpMessage message, bool indented = true)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            Write(writer, message);
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    public static void Write(Utf8JsonWriter w, OfpMessage message)
    {
        w.WriteStartObject();
        w.WriteString("type", OfpCodec.TypeName(message.Type));
        w.WriteNumber("xid", message.Xid);
        switch (message)
        {
            case Hello m:
                w.WriteNumber("version", m.Version);
                w.WriteStartArray("elements");
                foreach (var e in m.Elements)
                {
                    w.WriteStartObject();
                    w.WriteNumber("type", e.ElementType);
                    w.WriteNumber("length", e.Length);
                    if (e is HelloElemVersionBitmap b)
                    {
                        Numbers(w, "bitmaps", b.Bitmaps.Select(x => (ulong)x));
                        Numbers(w, "versions", b.Versions.Select(x => (ulong)x));
                    }
                    else if (e is HelloElemUnknown u)
                    {
                        w.WriteBase64String("data", u.Data);
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
            case ErrorMsg m:
                w.WriteNumber("error_type", m.ErrorType);
                w.WriteString("error_type_name", m.KnownErrorType.ToString());
                w.WriteNumber("code", m.Code);
                w.WriteBase64String("data", m.Data);
                break;
            case ErrorExperimenterMsg m:
                w.WriteNumber("error_type", (ushort)ErrorType.Experimenter);
                w.WriteNumber("exp_type", m.ExpType);
                w.WriteNumber("experimenter", m.Experimenter);
                w.WriteBase64String("data", m.Data);
                break;
            case EchoRequest m:
                w.WriteBase64String("data", m.Data);
                break;
            case EchoReply m:
                w.WriteBase64String("data", m.Data);
                break;
            case ExperimenterMsg m:
                w.WriteNumber("experimenter", m.Experimenter);
                w.WriteNumber("exp_type", m.ExpType);
                w.WriteBase64String("data", m.Data);
                break;
            case FeaturesReply m:
                w.WriteNumber("datapath_id", m.DatapathId);
                w.WriteNumber("n_buffers", m.NBuffers);
                w.WriteNumber("n_tables", m.NTables);
                w.WriteNumber("auxiliary_id", m.AuxiliaryId);
                w.WriteNumber("capabilities", (uint)m.Capabilities);
                w.WriteNumber("reserved", m.Reserved);
                break;
            case SwitchConfigMessage m:
                w.WriteNumber("flags", m.Flags);
                w.WriteNumber("miss_send_len", m.MissSendLen);
                break;
            case PacketIn m:
                w.WriteNumber("buffer_id", m.BufferId);
                w.WriteNumber("total_len", m.TotalLen);
                w.WriteNumber("reason", (byte)m.Reason);
                w.WriteNumber("table_id", m.TableId);
                w.WriteNumber("cookie", m.Cookie);
                WriteMatch(w, m.Match);
                w.WriteBase64String("data", m.Data);
                break;
            case FlowRemoved m:
                w.WriteNumber("cookie", m.Cookie);
                w.WriteNumber("priority", m.Priority);
                w.WriteNumber("reason", (byte)m.Reason);
                w.WriteNumber("table_id", m.TableId);
                w.WriteNumber("duration_sec", m.DurationSec);
                w.WriteNumber("duration_nsec", m.DurationNsec);
                w.WriteNumber("idle_timeout", m.IdleTimeout);
                w.WriteNumber("hard_timeout", m.HardTimeout);
                w.WriteNumber("packet_count", m.PacketCount);
                w.WriteNumber("byte_count", m.ByteCount);
                WriteMatch(w, m.Match);
                break;
            case PortStatus m:
                w.WriteNumber("reason", (byte)m.Reason);
                w.WritePropertyName("desc");
                WritePort(w, m.Desc);
                break;
            case PacketOut m:
                w.WriteNumber("buffer_id", m.BufferId);
                w.WriteNumber("in_port", m.InPort);
                w.WriteNumber("actions_len", OfpAction.ListLength(m.Actions));
                WriteActions(w, m.Actions);
                w.WriteBase64String("data", m.Data);
                break;
            case FlowMod m:
                w.WriteNumber("cookie", m.Cookie);
                w.WriteNumber("cookie_mask", m.CookieMask);
                w.WriteNumber("table_id", m.TableId);
                w.WriteNumber("command", (byte)m.Command);
                w.WriteNumber("idle_timeout", m.IdleTimeout);
                w.WriteNumber("hard_timeout", m.HardTimeout);
                w.WriteNumber("priority", m.Priority);
                w.WriteNumber("buffer_id", m.BufferId);
                w.WriteNumber("out_port", m.OutPort);
                w.WriteNumber("out_group", m.OutGroup);
                w.WriteNumber("flags", (ushort)m.Flags);
                WriteMatch(w, m.Match);
                WriteInstructions(w, m.Instructions);
                break;
            case GroupMod m:
                w.WriteNumber("command", (ushort)m.Command);
                w.WriteNumber("group_type", (byte)m.GroupType);
                w.WriteNumber("group_id", m.GroupId);
                WriteBuckets(w, m.Buckets);
                break;
            case PortMod m:
                w.WriteNumber("port_no", m.PortNo);
                w.WriteString("hw_addr", m.HwAddr.ToString());
                w.WriteNumber("config", (uint)m.Config);
                w.WriteNumber("mask", (uint)m.Mask);
                w.WriteNumber("advertise", m.Advertise);
                break;
            case TableMod m:
                w.WriteNumber("table_id", m.TableId);
                w.WriteNumber("config", (uint)m.Config);
                break;
            case MeterMod m:
                w.WriteNumber("command", (ushort)m.Command);
                w.WriteNumber("flags", (ushort)m.Flags);
                w.WriteNumber("meter_id", m.MeterId);
                WriteBands(w, m.Bands);
                break;
            case MultipartRequest m:
                w.WriteNumber("multipart_type", (ushort)m.MultipartType);
                w.WriteNumber("flags", (ushort)m.Flags);
                w.WritePropertyName("body");
                WriteRequestBody(w, m.Body);
                break;
            case MultipartReply m:
                w.WriteNumber("multipart_type", (ushort)m.MultipartType);
                w.WriteNumber("flags", (ushort)m.Flags);
                w.WritePropertyName("body");
                WriteReplyBody(w, m.Body);
                break;
            case QueueGetConfigRequest m:
                w.WriteNumber("port", m.Port);
                break;
            case QueueGetConfigReply m:
                w.WriteNumber("port", m.Port);
                w.WriteBase64String("queues", m.Queues);
                break;
            case RoleMessage m:
                w.WriteNumber("role", (uint)m.Role);
                w.WriteNumber("generation_id", m.GenerationId);
                break;
            case AsyncConfigMessage m:
                Numbers(w, "packet_in_mask", [m.PacketInMaskMaster, m.PacketInMaskSlave]);
                Numbers(w, "port_status_mask", [m.PortStatusMaskMaster, m.PortStatusMaskSlave]);
                Numbers(w, "flow_removed_mask", [m.FlowRemovedMaskMaster, m.FlowRemovedMaskSlave]);
                break;
        }

        w.WriteEndObject();
    }

    private static void Numbers(Utf8JsonWriter w, string name, IEnumerable<ulong> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteNumberValue(v);
        }

        w.WriteEndArray();
    }

    public static void WriteMatch(Utf8JsonWriter w, Match match)
    {
        w.WriteStartObject("match");
        w.WriteNumber("type", Match.TypeOxm);
        w.WriteNumber("length", match.Length);
        w.WriteStartArray("oxm_fields");
        foreach (var f in match.Fields)
        {
            WriteOxm(w, f);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteOxm(Utf8JsonWriter w, OxmField f)
    {
        w.WriteStartObject();
        w.WriteString("field", f.Name);
        if (!f.IsBasic)
        {
            w.WriteNumber("oxm_class", f.OxmClass);
            w.WriteNumber("oxm_field", f.Field);
            if (f.Experimenter is { } e)
            {
                w.WriteNumber("experimenter", e);
            }
        }

        w.WritePropertyName("value");
        OxmValue(w, f, f.ValueSpan);
        w.WritePropertyName("mask");
        if (f.HasMask)
        {
            OxmValue(w, f, f.MaskSpan);
        }
        else
        {
            w.WriteNullValue();
        }

        w.WriteEndObject();
    }

    private static void OxmValue(Utf8JsonWriter w, OxmField f, ReadOnlySpan<byte> bytes)
    {
        var kind = f.Info?.Kind ?? Oxm.ExtensionKind(f);
        if (kind == OxmValueKind.Integer && bytes.Length <= 8)
        {
            w.WriteNumberValue(OxmField.ToUInt64(bytes));
        }
        else if (kind == OxmValueKind.Mac && bytes.Length == 6)
        {
            w.WriteStringValue(MacAddress.Read(bytes).ToString());
        }
        else if ((kind == OxmValueKind.Ipv4 && bytes.Length == 4) || (kind == OxmValueKind.Ipv6 && bytes.Length == 16))
        {
            w.WriteStringValue(new System.Net.IPAddress(bytes).ToString());
        }
        else
        {
            w.WriteStringValue("0x" + Convert.ToHexStringLower(bytes));
        }
    }

    private static void WriteActions(Utf8JsonWriter w, IReadOnlyList<OfpAction> actions)
    {
        w.WriteStartArray("actions");
        foreach (var a in actions)
        {
            w.WriteStartObject();
            w.WriteNumber("type", (ushort)a.ActionType);
            w.WriteNumber("len", a.Length);
            switch (a)
            {
                case ActionOutput o:
                    w.WriteNumber("port", o.Port);
                    w.WriteNumber("max_len", o.MaxLen);
                    break;
                case ActionSetMplsTtl t:
                    w.WriteNumber("mpls_ttl", t.MplsTtl);
                    break;
                case ActionSetNwTtl t:
                    w.WriteNumber("nw_ttl", t.NwTtl);
                    break;
                case OfpActionEthertype e:
                    w.WriteNumber("ethertype", e.Ethertype);
                    break;
                case ActionSetQueue q:
                    w.WriteNumber("queue_id", q.QueueId);
                    break;
                case ActionGroup g:
                    w.WriteNumber("group_id", g.GroupId);
                    break;
                case ActionSetField s:
                    w.WritePropertyName("field");
                    WriteOxm(w, s.Field);
                    break;
                case ActionExperimenter { Experimenter: NiciraExperimenterId, Data.Length: >= 2 } x:
                    // Nicira extension actions (nx_action_header) start with a 16-bit subtype.
                    w.WriteNumber("experimenter", x.Experimenter);
                    w.WriteNumber("subtype", System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(x.Data));
                    w.WriteBase64String("data", x.Data.AsSpan(2));
                    break;
                case ActionExperimenter x:
                    w.WriteNumber("experimenter", x.Experimenter);
                    w.WriteBase64String("data", x.Data);
                    break;
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteInstructions(Utf8JsonWriter w, IReadOnlyList<OfpInstruction> instructions)
    {
        w.WriteStartArray("instructions");
        foreach (var i in instructions)
        {
            w.WriteStartObject();
            w.WriteNumber("type", (ushort)i.InstructionType);
            w.WriteNumber("len", i.Length);
            switch (i)
            {
                case InstructionGotoTable g:
                    w.WriteNumber("table_id", g.TableId);
                    break;
                case InstructionWriteMetadata m:
                    w.WriteNumber("metadata", m.Metadata);
                    w.WriteNumber("metadata_mask", m.MetadataMask);
                    break;
                case InstructionActions a:
                    WriteActions(w, a.Actions);
                    break;
                case InstructionMeter m:
                    w.WriteNumber("meter_id", m.MeterId);
                    break;
                case InstructionExperimenter x:
                    w.WriteNumber("experimenter", x.Experimenter);
                    w.WriteBase64String("data", x.Data);
                    break;
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteBuckets(Utf8JsonWriter w, IReadOnlyList<Bucket> buckets)
    {
        w.WriteStartArray("buckets");
        foreach (var b in buckets)
        {
            w.WriteStartObject();
            w.WriteNumber("len", b.Length);
            w.WriteNumber("weight", b.Weight);
            w.WriteNumber("watch_port", b.WatchPort);
            w.WriteNumber("watch_group", b.WatchGroup);
            WriteActions(w, b.Actions);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteBands(Utf8JsonWriter w, IReadOnlyList<MeterBand> bands)
    {
        w.WriteStartArray("bands");
        foreach (var b in bands)
        {
            w.WriteStartObject();
            w.WriteNumber("type", (ushort)b.BandType);
            w.WriteNumber("len", b.Length);
            w.WriteNumber("rate", b.Rate);
            w.WriteNumber("burst_size", b.BurstSize);
            switch (b)
            {
                case MeterBandDscpRemark d:
                    w.WriteNumber("prec_level", d.PrecLevel);
                    break;
                case MeterBandExperimenter x:
                    w.WriteNumber("experimenter", x.Experimenter);
                    w.WriteBase64String("data", x.Data);
                    break;
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WritePort(Utf8JsonWriter w, PortDesc p)
    {
        w.WriteStartObject();
        w.WriteNumber("port_no", p.PortNo);
        w.WriteString("hw_addr", p.HwAddr.ToString());
        w.WriteString("name", p.Name);
        w.WriteNumber("config", (uint)p.Config);
        w.WriteNumber("state", (uint)p.State);
        w.WriteNumber("curr", p.Curr);
        w.WriteNumber("advertised", p.Advertised);
        w.WriteNumber("supported", p.Supported);
        w.WriteNumber("peer", p.Peer);
        w.WriteNumber("curr_speed", p.CurrSpeed);
        w.WriteNumber("max_speed", p.MaxSpeed);
        w.WriteEndObject();
    }

    private static void WriteRequestBody(Utf8JsonWriter w, MultipartRequestBody body)
    {
        if (body is RawMultipartRequest raw)
        {
            w.WriteBase64StringValue(raw.Body);
            return;
        }

        w.WriteStartObject();
        switch (body)
        {
            case FlowFilterRequest f:
                w.WriteNumber("table_id", f.TableId);
                w.WriteNumber("out_port", f.OutPort);
                w.WriteNumber("out_group", f.OutGroup);
                w.WriteNumber("cookie", f.Cookie);
                w.WriteNumber("cookie_mask", f.CookieMask);
                WriteMatch(w, f.Match);
                break;
            case PortStatsRequest p:
                w.WriteNumber("port_no", p.PortNo);
                break;
            case MeterConfigRequest m:
                w.WriteNumber("meter_id", m.MeterId);
                break;
            case MeterStatsRequest m:
                w.WriteNumber("meter_id", m.MeterId);
                break;
            case GroupStatsRequest g:
                w.WriteNumber("group_id", g.GroupId);
                break;
            case QueueStatsRequest q:
                w.WriteNumber("port_no", q.PortNo);
                w.WriteNumber("queue_id", q.QueueId);
                break;
            case ExperimenterMultipartRequest x:
                w.WriteNumber("experimenter", x.Experimenter);
                w.WriteNumber("exp_type", x.ExpType);
                w.WriteBase64String("data", x.Data);
                break;
        }

        w.WriteEndObject();
    }

    private static void WriteReplyBody(Utf8JsonWriter w, MultipartReplyBody body)
    {
        switch (body)
        {
            case RawMultipartReply raw:
                w.WriteBase64StringValue(raw.Body);
                break;
            case DescReply d:
                w.WriteStartObject();
                w.WriteString("mfr_desc", d.MfrDesc);
                w.WriteString("hw_desc", d.HwDesc);
                w.WriteString("sw_desc", d.SwDesc);
                w.WriteString("serial_num", d.SerialNum);
                w.WriteString("dp_desc", d.DpDesc);
                w.WriteEndObject();
                break;
            case AggregateStatsReply a:
                w.WriteStartObject();
                w.WriteNumber("packet_count", a.PacketCount);
                w.WriteNumber("byte_count", a.ByteCount);
                w.WriteNumber("flow_count", a.FlowCount);
                w.WriteEndObject();
                break;
            case ExperimenterMultipartReply x:
                w.WriteStartObject();
                w.WriteNumber("experimenter", x.Experimenter);
                w.WriteNumber("exp_type", x.ExpType);
                w.WriteBase64String("data", x.Data);
                w.WriteEndObject();
                break;
            case FlowStatsReply f:
                w.WriteStartArray();
                foreach (var s in f.Stats)
                {
                    w.WriteStartObject();
                    w.WriteNumber("length", s.Length);
                    w.WriteNumber("table_id", s.TableId);
                    w.WriteNumber("duration_sec", s.DurationSec);
                    w.WriteNumber("duration_nsec", s.DurationNsec);
                    w.WriteNumber("priority", s.Priority);
                    w.WriteNumber("idle_timeout", s.IdleTimeout);
                    w.WriteNumber("hard_timeout", s.HardTimeout);
                    w.WriteNumber("flags", (ushort)s.Flags);
                    w.WriteNumber("cookie", s.Cookie);
                    w.WriteNumber("packet_count", s.PacketCount);
                    w.WriteNumber("byte_count", s.ByteCount);
                    WriteMatch(w, s.Match);
                    WriteInstructions(w, s.Instructions);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
            case TableStatsReply t:
                w.WriteStartArray();
                foreach (var s in t.Stats)
                {
                    w.WriteStartObject();
                    w.WriteNumber("table_id", s.TableId);
                    w.WriteNumber("active_count", s.ActiveCount);
                    w.WriteNumber("lookup_count", s.LookupCount);
                    w.WriteNumber("matched_count", s.MatchedCount);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
            case PortStatsReply p:
                w.WriteStartArray();
                foreach (var s in p.Stats)
                {
                    w.WriteStartObject();
                    w.WriteNumber("port_no", s.PortNo);
                    w.WriteNumber("rx_packets", s.RxPackets);
                    w.WriteNumber("tx_packets", s.TxPackets);
                    w.WriteNumber("rx_bytes", s.RxBytes);
                    w.WriteNumber("tx_bytes", s.TxBytes);
                    w.WriteNumber("rx_dropped", s.RxDropped);
                    w.WriteNumber("tx_dropped", s.TxDropped);
                    w.WriteNumber("rx_errors", s.RxErrors);
                    w.WriteNumber("tx_errors", s.TxErrors);
                    w.WriteNumber("rx_frame_err", s.RxFrameErr);
                    w.WriteNumber("rx_over_err", s.RxOverErr);
                    w.WriteNumber("rx_crc_err", s.RxCrcErr);
                    w.WriteNumber("collisions", s.Collisions);
                    w.WriteNumber("duration_sec", s.DurationSec);
                    w.WriteNumber("duration_nsec", s.DurationNsec);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
            case PortDescReply p:
                w.WriteStartArray();
                foreach (var port in p.Ports)
                {
                    WritePort(w, port);
                }

                w.WriteEndArray();
                break;
            case GroupDescReply g:
                w.WriteStartArray();
                foreach (var d in g.Groups)
                {
                    w.WriteStartObject();
                    w.WriteNumber("length", d.Length);
                    w.WriteNumber("type", (byte)d.GroupType);
                    w.WriteNumber("group_id", d.GroupId);
                    WriteBuckets(w, d.Buckets);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
            case QueueStatsReply q:
                w.WriteStartArray();
                foreach (var s in q.Stats)
                {
                    w.WriteStartObject();
                    w.WriteNumber("port_no", s.PortNo);
                    w.WriteNumber("queue_id", s.QueueId);
                    w.WriteNumber("tx_bytes", s.TxBytes);
                    w.WriteNumber("tx_packets", s.TxPackets);
                    w.WriteNumber("tx_errors", s.TxErrors);
                    w.WriteNumber("duration_sec", s.DurationSec);
                    w.WriteNumber("duration_nsec", s.DurationNsec);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
            case GroupStatsReply g:
                w.WriteStartArray();
                foreach (var s in g.Stats)
                {
                    w.WriteStartObject();
                    w.WriteNumber("length", s.Length);
                    w.WriteNumber("group_id", s.GroupId);
                    w.WriteNumber("ref_count", s.RefCount);
                    w.WriteNumber("packet_count", s.PacketCount);
                    w.WriteNumber("byte_count", s.ByteCount);
                    w.WriteNumber("duration_sec", s.DurationSec);
                    w.WriteNumber("duration_nsec", s.DurationNsec);
                    w.WriteStartArray("bucket_stats");
                    foreach (var b in s.BucketStats)
                    {
                        w.WriteStartObject();
                        w.WriteNumber("packet_count", b.PacketCount);
                        w.WriteNumber("byte_count", b.ByteCount);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
            case MeterStatsReply m:
                w.WriteStartArray();
                foreach (var s in m.Stats)
                {
                    w.WriteStartObject();
                    w.WriteNumber("meter_id", s.MeterId);
                    w.WriteNumber("len", s.Length);
                    w.WriteNumber("flow_count", s.FlowCount);
                    w.WriteNumber("packet_in_count", s.PacketInCount);
                    w.WriteNumber("byte_in_count", s.ByteInCount);
                    w.WriteNumber("duration_sec", s.DurationSec);
                    w.WriteNumber("duration_nsec", s.DurationNsec);
                    w.WriteStartArray("band_stats");
                    foreach (var b in s.BandStats)
                    {
                        w.WriteStartObject();
                        w.WriteNumber("packet_band_count", b.PacketBandCount);
                        w.WriteNumber("byte_band_count", b.ByteBandCount);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
            case GroupFeaturesReply g:
                w.WriteStartObject();
                w.WriteNumber("types", g.Types);
                w.WriteNumber("capabilities", g.Capabilities);
                Numbers(w, "max_groups", g.MaxGroups.Select(x => (ulong)x));
                Numbers(w, "actions", g.Actions.Select(x => (ulong)x));
                w.WriteEndObject();
                break;
            case MeterFeaturesReply m:
                w.WriteStartObject();
                w.WriteNumber("max_meter", m.MaxMeter);
                w.WriteNumber("band_types", m.BandTypes);
                w.WriteNumber("capabilities", m.Capabilities);
                w.WriteNumber("max_bands", m.MaxBands);
                w.WriteNumber("max_color", m.MaxColor);
                w.WriteEndObject();
                break;
            case MeterConfigReply m:
                w.WriteStartArray();
                foreach (var c in m.Meters)
                {
                    w.WriteStartObject();
                    w.WriteNumber("length", c.Length);
                    w.WriteNumber("flags", (ushort)c.Flags);
                    w.WriteNumber("meter_id", c.MeterId);
                    WriteBands(w, c.Bands);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
            default:
                w.WriteNullValue();
                break;
        }
    }
}
