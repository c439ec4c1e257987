-- SwitchGate layer-2 attestation protocol (EtherType 0x88B5), version 2.
-- Specification: docs/protocol.md. Every rule the reference codec
-- (src/SwitchGate.Attestation) enforces is checked here too; a violation is
-- reported as expert info in the "malformed" group with severity "error".
--
-- Use: tshark -X lua_script:tools/wireshark/switchgate.lua -r capture.pcap
--      or copy this file into ~/.local/lib/wireshark/plugins/

local sg = Proto("switchgate", "SwitchGate Attestation Protocol")

-- docs/protocol.md §3
local MAGIC = 0x5347
local VERSION = 2
local HEADER_LENGTH = 16
local MAX_MESSAGE_LENGTH = 1500
local MIN_FRAME_LENGTH = 60
local ETHERNET_HEADER_LENGTH = 14

local message_types = {
    [1] = "HELLO",
    [2] = "CHALLENGE",
    [3] = "EVIDENCE",
    [4] = "VERDICT",
    [5] = "DEPART",
    [6] = "ROTATE",
    [7] = "ROTATED",
}

-- docs/protocol.md §4: name and inclusive value-length range per TLV type
local tlv_specs = {
    [0x0001] = { name = "NODE_NAME", min = 1, max = 64 },
    [0x0002] = { name = "CLEAN_MAC", min = 6, max = 6 },
    [0x0003] = { name = "NONCE", min = 32, max = 32 },
    [0x0004] = { name = "PCR_SELECTION", min = 4, max = 132 },
    [0x0005] = { name = "ATTEST", min = 1, max = 1024 },
    [0x0006] = { name = "SIGNATURE", min = 1, max = 1024 },
    [0x0007] = { name = "PCR_VALUES", min = 2, max = 1480 },
    [0x0008] = { name = "PROOF", min = 64, max = 64 },
    [0x0009] = { name = "VERDICT", min = 1, max = 1 },
    [0x000A] = { name = "REASON", min = 2, max = 2 },
    [0x000B] = { name = "LEASE_SECONDS", min = 2, max = 2 },
    [0x000C] = { name = "CAUSE", min = 2, max = 2 },
    [0x000D] = { name = "GENERATION", min = 4, max = 4 },
    [0x000E] = { name = "CREDENTIAL", min = 4, max = 256 },
    [0x000F] = { name = "ENCRYPTED_SECRET", min = 1, max = 512 },
}

local tlv_names = {}
for t, spec in pairs(tlv_specs) do tlv_names[t] = spec.name end

-- docs/protocol.md §5: required and optional TLVs per message type
local allowed = {
    [1] = { required = { 0x0001, 0x0002 }, optional = {} },
    [2] = { required = { 0x0003, 0x0004 }, optional = {} },
    [3] = { required = { 0x0005, 0x0006, 0x0007, 0x0008 }, optional = {} },
    [4] = { required = { 0x0009, 0x000A }, optional = { 0x000B, 0x000C } },
    [5] = { required = { 0x0008 }, optional = {} },
    [6] = { required = { 0x000D, 0x000E, 0x000F }, optional = {} },
    [7] = { required = { 0x000D, 0x0008 }, optional = {} },
}

local verdicts = { [1] = "Admitted", [2] = "Denied", [3] = "Revoked" }

-- docs/protocol.md §6
local reasons = {
    [0x0000] = "Admitted",
    [0x0001] = "Renewed",
    [0x0101] = "NonceUnknown",
    [0x0102] = "NonceUsed",
    [0x0103] = "NonceExpired",
    [0x0104] = "UnknownSession",
    [0x0105] = "WrongPort",
    [0x0106] = "NotEnrolled",
    [0x0107] = "CleanMacMismatch",
    [0x0108] = "EvidenceMalformed",
    [0x0109] = "BadSignature",
    [0x010A] = "BadMagic",
    [0x010B] = "NotAQuote",
    [0x010C] = "ExtraDataMismatch",
    [0x010D] = "PcrSelectionMismatch",
    [0x010E] = "PcrDigestMismatch",
    [0x010F] = "PcrValuesNotGolden",
    [0x0110] = "ClockUnsafe",
    [0x0111] = "CountersWentBackwards",
    [0x0112] = "BadSecretProof",
    [0x0201] = "Departed",
    [0x0202] = "PortDown",
    [0x0203] = "PortChanged",
    [0x0204] = "LeaseExpired",
    [0x0205] = "ReattestationFailed",
    [0x0206] = "RebootDetected",
    [0x0207] = "EnrolmentRemoved",
    [0x0208] = "EnrolmentChanged",
}

-- TPM 2.0 Library Part 2, §6.3 (TPM_ALG_ID) — only for display of the PCR selection
local tpm_algs = {
    [0x0004] = "SHA1", [0x000B] = "SHA256", [0x000C] = "SHA384", [0x000D] = "SHA512", [0x0012] = "SM3_256",
    [0x0014] = "RSASSA", [0x0016] = "RSAPSS", [0x0018] = "ECDSA", [0x001A] = "ECSCHNORR", [0x001B] = "SM2", [0x0010] = "NULL",
}
-- TPM 2.0 Library Part 2, §6.9 (TPM_ST) — attestation structure tags
local tpm_st_attest = {
    [0x8014] = "ATTEST_NV", [0x8015] = "ATTEST_COMMAND_AUDIT", [0x8016] = "ATTEST_SESSION_AUDIT",
    [0x8017] = "ATTEST_CERTIFY", [0x8018] = "ATTEST_QUOTE", [0x8019] = "ATTEST_TIME", [0x801A] = "ATTEST_CREATION",
    [0x801C] = "ATTEST_NV_DIGEST",
}

local f = sg.fields
f.magic = ProtoField.uint16("switchgate.magic", "Magic", base.HEX)
f.version = ProtoField.uint8("switchgate.version", "Version", base.DEC)
f.type = ProtoField.uint8("switchgate.type", "Message type", base.DEC, message_types)
f.length = ProtoField.uint16("switchgate.length", "Length", base.DEC)
f.flags = ProtoField.uint16("switchgate.flags", "Flags", base.HEX)
f.session = ProtoField.uint64("switchgate.session", "Session id", base.HEX)
f.tlv = ProtoField.none("switchgate.tlv", "TLV")
f.tlv_type = ProtoField.uint16("switchgate.tlv.type", "Type", base.HEX, tlv_names)
f.tlv_skip = ProtoField.bool("switchgate.tlv.skip_if_unknown", "Skip if unknown", 16, nil, 0x8000)
f.tlv_length = ProtoField.uint16("switchgate.tlv.length", "Length", base.DEC)
f.tlv_value = ProtoField.bytes("switchgate.tlv.value", "Value")
f.node_name = ProtoField.string("switchgate.node_name", "Node name", base.UNICODE)
f.clean_mac = ProtoField.ether("switchgate.clean_mac", "Clean MAC")
f.nonce = ProtoField.bytes("switchgate.nonce", "Nonce")
f.pcr_selection = ProtoField.bytes("switchgate.pcr_selection", "PCR selection (TPML_PCR_SELECTION)")
f.pcr_bank = ProtoField.uint16("switchgate.pcr_selection.hash", "Bank", base.HEX, tpm_algs)
f.pcr_bitmap = ProtoField.bytes("switchgate.pcr_selection.select", "Selected PCRs bitmap")
f.attest = ProtoField.bytes("switchgate.attest", "TPMS_ATTEST")
f.attest_magic = ProtoField.uint32("switchgate.attest.magic", "TPMS_ATTEST magic", base.HEX)
f.attest_type = ProtoField.uint16("switchgate.attest.type", "TPMS_ATTEST type", base.HEX, tpm_st_attest)
f.signature = ProtoField.bytes("switchgate.signature", "TPMT_SIGNATURE")
f.signature_alg = ProtoField.uint16("switchgate.signature.alg", "Signature algorithm", base.HEX, tpm_algs)
f.pcr_value = ProtoField.bytes("switchgate.pcr_value", "PCR value")
f.proof = ProtoField.bytes("switchgate.proof", "Proof (ECDSA P-256 signature, r || s)")
f.verdict = ProtoField.uint8("switchgate.verdict", "Verdict", base.DEC, verdicts)
f.reason = ProtoField.uint16("switchgate.reason", "Reason", base.HEX, reasons)
f.lease = ProtoField.uint16("switchgate.lease", "Lease (s)", base.DEC)
f.cause = ProtoField.uint16("switchgate.cause", "Cause", base.HEX, reasons)
f.generation = ProtoField.uint32("switchgate.generation", "Secret generation", base.DEC)
f.credential = ProtoField.bytes("switchgate.credential", "Credential (TPM2B_ID_OBJECT contents)")
f.encrypted_secret = ProtoField.bytes("switchgate.encrypted_secret", "Encrypted seed (TPM2B_ENCRYPTED_SECRET contents)")
f.padding = ProtoField.bytes("switchgate.padding", "Ethernet padding")

local ef_malformed = ProtoExpert.new("switchgate.malformed", "Malformed SwitchGate message",
    expert.group.MALFORMED, expert.severity.ERROR)
local ef_skipped = ProtoExpert.new("switchgate.tlv.skipped", "Unknown TLV skipped (skip-if-unknown bit set)",
    expert.group.UNDECODED, expert.severity.NOTE)
sg.experts = { ef_malformed, ef_skipped }

local function reason_class(code)
    return ({ [0x00] = 1, [0x01] = 2, [0x02] = 3 })[bit.rshift(code, 8)]
end

-- RFC 3629 §4: well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF)
local function valid_utf8(raw)
    local i, n = 1, #raw
    while i <= n do
        local c = raw:byte(i)
        local need, min
        if c < 0x80 then
            need, min = 0, 0
        elseif c >= 0xC2 and c <= 0xDF then
            need, min = 1, 0x80
        elseif c >= 0xE0 and c <= 0xEF then
            need, min = 2, 0x800
        elseif c >= 0xF0 and c <= 0xF4 then
            need, min = 3, 0x10000
        else
            return false
        end
        if i + need > n then return false end
        local cp = need == 0 and c or bit.band(c, bit.rshift(0x3F, need))
        for k = 1, need do
            local b = raw:byte(i + k)
            if bit.band(b, 0xC0) ~= 0x80 then return false end
            cp = cp * 64 + bit.band(b, 0x3F)
        end
        if cp < min or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then return false end
        i = i + need + 1
    end
    return true
end

local function contains(list, value)
    for _, v in ipairs(list) do
        if v == value then return true end
    end
    return false
end

-- Adds a display of the TLV value; returns an error string when the value is invalid.
local function dissect_value(t, value, vtree, seen)
    local len = value:len()
    if t == 0x0001 then
        local raw = value:raw()
        vtree:add(f.node_name, value, value:string(ENC_UTF_8))
        if not valid_utf8(raw) then return "NODE_NAME is not valid UTF-8" end
        if raw:find("[%z\1-\31\127]") or raw:find("\194[\128-\159]") then
            return "NODE_NAME contains a control character"
        end
    elseif t == 0x0002 then
        vtree:add(f.clean_mac, value)
        local first = value:range(0, 1):uint()
        local zero = value:range(0, 4):uint() == 0 and value:range(4, 2):uint() == 0
        if bit.band(first, 1) == 1 or zero then return "CLEAN_MAC must be unicast and not zero" end
    elseif t == 0x0003 then
        vtree:add(f.nonce, value)
    elseif t == 0x0004 then
        local st = vtree:add(f.pcr_selection, value)
        local count = value:range(0, 4):uint()
        local off = 4
        for _ = 1, math.min(count, 16) do
            if off + 3 > len then break end
            local size = value:range(off + 2, 1):uint()
            if off + 3 + size > len then break end
            st:add(f.pcr_bank, value:range(off, 2))
            if size > 0 then st:add(f.pcr_bitmap, value:range(off + 3, size)) end
            off = off + 3 + size
        end
    elseif t == 0x0005 then
        local at = vtree:add(f.attest, value)
        if len >= 6 then
            at:add(f.attest_magic, value:range(0, 4))
            at:add(f.attest_type, value:range(4, 2))
        end
    elseif t == 0x0006 then
        local stree = vtree:add(f.signature, value)
        if len >= 2 then stree:add(f.signature_alg, value:range(0, 2)) end
    elseif t == 0x0007 then
        local off = 0
        while off < len do
            local size = value:range(off, 1):uint()
            if size < 1 or size > 64 or off + 1 + size > len then
                return string.format("PCR_VALUES entry at %d has size %d", off, size)
            end
            vtree:add(f.pcr_value, value:range(off + 1, size))
            off = off + 1 + size
        end
    elseif t == 0x0008 then
        vtree:add(f.proof, value)
    elseif t == 0x0009 then
        vtree:add(f.verdict, value)
        seen.verdict = value:uint()
        if not verdicts[seen.verdict] then return "unknown verdict" end
    elseif t == 0x000A then
        vtree:add(f.reason, value)
        seen.reason = value:uint()
        if not reasons[seen.reason] then return "unregistered reason code" end
    elseif t == 0x000B then
        vtree:add(f.lease, value)
        if value:uint() == 0 then return "LEASE_SECONDS is 0" end
    elseif t == 0x000C then
        vtree:add(f.cause, value)
        seen.cause = value:uint()
        if not reasons[seen.cause] or reason_class(seen.cause) ~= 2 then return "CAUSE is not a denial code" end
    elseif t == 0x000D then
        vtree:add(f.generation, value)
        if value:uint() == 0 then return "GENERATION 0" end
    elseif t == 0x000E then
        vtree:add(f.credential, value)
    elseif t == 0x000F then
        vtree:add(f.encrypted_secret, value)
    end
    return nil
end

function sg.dissector(tvb, pinfo, tree)
    local available = tvb:len()
    pinfo.cols.protocol = "SwitchGate"
    local root = tree:add(sg, tvb(), "SwitchGate Attestation Protocol")

    local function malformed(item, text)
        item:add_proto_expert_info(ef_malformed, text)
        pinfo.cols.info:append(" [MALFORMED: " .. text .. "]")
    end

    if available < HEADER_LENGTH then
        malformed(root, string.format("%d octets, the header alone is %d", available, HEADER_LENGTH))
        return available
    end

    local magic_item = root:add(f.magic, tvb(0, 2))
    local version = tvb(2, 1):uint()
    local version_item = root:add(f.version, tvb(2, 1))
    local mtype = tvb(3, 1):uint()
    local type_item = root:add(f.type, tvb(3, 1))
    local length = tvb(4, 2):uint()
    local length_item = root:add(f.length, tvb(4, 2))
    local flags_item = root:add(f.flags, tvb(6, 2))
    local session_item = root:add(f.session, tvb(8, 8))
    local session = tvb(8, 8):uint64()
    local name = message_types[mtype] or string.format("type 0x%02x", mtype)
    pinfo.cols.info = string.format("%s session=0x%s", name, session:tohex())

    if tvb(0, 2):uint() ~= MAGIC then
        malformed(magic_item, "bad magic")
        return available
    end
    if version ~= VERSION then
        malformed(version_item, "unsupported version " .. version)
        return available
    end
    if not message_types[mtype] then
        malformed(type_item, "unknown message type")
        return available
    end
    if length < HEADER_LENGTH or length > MAX_MESSAGE_LENGTH or length > available then
        malformed(length_item, string.format("length %d with %d octets present", length, available))
        return available
    end
    if tvb(6, 2):uint() ~= 0 then
        malformed(flags_item, "reserved flags are not zero")
    end
    if session == UInt64(0) and (mtype == 2 or mtype == 3 or mtype == 5 or mtype == 6 or mtype == 7) then
        malformed(session_item, name .. " needs a session id other than 0")
    end
    root:set_len(length)

    local rules = allowed[mtype]
    local present = {}
    local seen = {}
    local off = HEADER_LENGTH
    while off < length do
        if length - off < 4 then
            malformed(root:add(tvb(off, length - off), "Truncated TLV header"), "truncated TLV header")
            break
        end
        local t = tvb(off, 2):uint()
        local tlen = tvb(off + 2, 2):uint()
        if tlen > length - off - 4 then
            local item = root:add(f.tlv, tvb(off, length - off))
            item:add(f.tlv_type, tvb(off, 2))
            item:add(f.tlv_length, tvb(off + 2, 2))
            malformed(item, string.format("TLV 0x%04x claims %d octets, %d left", t, tlen, length - off - 4))
            break
        end
        local spec = tlv_specs[t]
        local item = root:add(f.tlv, tvb(off, 4 + tlen))
        item:set_text(string.format("TLV %s (0x%04x), %d octets", spec and spec.name or "unknown", t, tlen))
        item:add(f.tlv_type, tvb(off, 2))
        item:add(f.tlv_skip, tvb(off, 2))
        item:add(f.tlv_length, tvb(off + 2, 2))
        if present[t] then
            malformed(item, string.format("duplicate TLV 0x%04x", t))
        end
        present[t] = true
        if spec then
            if not contains(rules.required, t) and not contains(rules.optional, t) then
                malformed(item, spec.name .. " is not allowed in " .. name)
            elseif tlen < spec.min or tlen > spec.max then
                malformed(item, string.format("%s has %d octets, allowed %d..%d", spec.name, tlen, spec.min, spec.max))
            else
                local err = dissect_value(t, tvb(off + 4, tlen), item, seen)
                if err then malformed(item, err) end
            end
        else
            if tlen > 0 then item:add(f.tlv_value, tvb(off + 4, tlen)) end
            if bit.band(t, 0x8000) == 0 then
                malformed(item, string.format("unknown TLV 0x%04x without the skip-if-unknown bit", t))
            else
                item:add_proto_expert_info(ef_skipped)
            end
        end
        off = off + 4 + tlen
    end

    for _, t in ipairs(rules.required) do
        if not present[t] then malformed(root, tlv_specs[t].name .. " is required in " .. name) end
    end

    if mtype == 4 and seen.verdict and seen.reason and verdicts[seen.verdict] and reasons[seen.reason] then
        local kind = seen.verdict
        if reason_class(seen.reason) ~= kind then
            malformed(root, "reason does not go with the verdict")
        end
        if (kind == 1) ~= (present[0x000B] == true) then
            malformed(root, "LEASE_SECONDS goes with an Admitted verdict and only with one")
        end
        if present[0x000C] and seen.reason ~= 0x0205 then
            malformed(root, "CAUSE goes only with ReattestationFailed")
        end
        if session == UInt64(0) and kind ~= 2 then
            malformed(session_item, "only a Denied verdict may carry session 0")
        end
        pinfo.cols.info:append(string.format(" %s %s", verdicts[kind], reasons[seen.reason]))
    end

    if available > length then
        local pad = root:add(f.padding, tvb(length, available - length))
        if ETHERNET_HEADER_LENGTH + available > MIN_FRAME_LENGTH then
            malformed(pad, string.format("%d octets after the message in a frame above the minimum size", available - length))
        end
    end
    return available
end

DissectorTable.get("ethertype"):add(0x88B5, sg)
