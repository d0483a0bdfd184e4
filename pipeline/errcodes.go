// Code generated from Open vSwitch 3.1 include/openvswitch/ofp-errors.h; DO NOT EDIT.

package pipeline

// The OpenFlow errors Open vSwitch knows, named as in its ofp-errors.h
// without the OFPERR_ prefix, in that file's order.
const (
	OFPHFC_INCOMPATIBLE ErrorCode = iota
	OFPHFC_EPERM
	OFPBRC_BAD_VERSION
	OFPBRC_BAD_TYPE
	OFPBRC_BAD_STAT
	OFPBRC_BAD_VENDOR
	OFPBRC_BAD_SUBTYPE
	OFPBRC_EPERM
	OFPBRC_BAD_LEN
	OFPBRC_BUFFER_EMPTY
	OFPBRC_BUFFER_UNKNOWN
	OFPBRC_BAD_TABLE_ID
	OFPBRC_IS_SECONDARY
	OFPBRC_BAD_PORT
	OFPBRC_BAD_PACKET
	OFPBRC_MULTIPART_BUFFER_OVERFLOW
	OFPBRC_MULTIPART_REQUEST_TIMEOUT
	OFPBRC_MULTIPART_REPLY_TIMEOUT
	OFPBRC_MULTIPART_BAD_SCHED
	OFPBRC_PIPELINE_FIELDS_ONLY
	OFPBRC_UNKNOWN
	NXBRC_NXM_INVALID
	NXBRC_NXM_BAD_TYPE
	NXBRC_MUST_BE_ZERO
	NXBRC_BAD_REASON
	NXBRC_FM_BAD_EVENT
	NXBRC_UNENCODABLE_ERROR
	OFPBAC_BAD_TYPE
	OFPBAC_BAD_LEN
	OFPBAC_BAD_VENDOR
	OFPBAC_BAD_VENDOR_TYPE
	OFPBAC_BAD_OUT_PORT
	OFPBAC_BAD_ARGUMENT
	OFPBAC_EPERM
	OFPBAC_TOO_MANY
	OFPBAC_BAD_QUEUE
	OFPBAC_BAD_OUT_GROUP
	OFPBAC_MATCH_INCONSISTENT
	OFPBAC_UNSUPPORTED_ORDER
	OFPBAC_BAD_TAG
	OFPBAC_BAD_SET_TYPE
	OFPBAC_BAD_SET_LEN
	OFPBAC_BAD_SET_ARGUMENT
	OFPBAC_BAD_SET_MASK
	OFPBAC_BAD_METER
	NXBAC_MUST_BE_ZERO
	NXBAC_BAD_CONJUNCTION
	NXBAC_BAD_HEADER_TYPE
	NXBAC_UNKNOWN_ED_PROP
	NXBAC_BAD_ED_PROP
	NXBAC_CT_DATAPATH_SUPPORT
	OFPBIC_UNKNOWN_INST
	OFPBIC_UNSUP_INST
	OFPBIC_BAD_TABLE_ID
	OFPBIC_UNSUP_METADATA
	OFPBIC_UNSUP_METADATA_MASK
	OFPBIC_BAD_EXPERIMENTER
	OFPBIC_BAD_EXP_TYPE
	OFPBIC_BAD_LEN
	OFPBIC_EPERM
	OFPBIC_DUP_INST
	OFPBMC_BAD_TYPE
	OFPBMC_BAD_LEN
	OFPBMC_BAD_TAG
	OFPBMC_BAD_DL_ADDR_MASK
	OFPBMC_BAD_NW_ADDR_MASK
	OFPBMC_BAD_WILDCARDS
	OFPBMC_BAD_FIELD
	OFPBMC_BAD_VALUE
	OFPBMC_BAD_MASK
	OFPBMC_BAD_PREREQ
	OFPBMC_DUP_FIELD
	OFPBMC_EPERM
	NXBMC_CT_DATAPATH_SUPPORT
	OFPFMFC_UNKNOWN
	OFPFMFC_TABLE_FULL
	OFPFMFC_BAD_TABLE_ID
	OFPFMFC_OVERLAP
	OFPFMFC_EPERM
	OFPFMFC_BAD_TIMEOUT
	OFPFMFC_BAD_EMERG_TIMEOUT
	OFPFMFC_BAD_COMMAND
	OFPFMFC_BAD_FLAGS
	OFPFMFC_CANT_SYNC
	OFPFMFC_BAD_PRIORITY
	OFPFMFC_IS_SYNC
	OFPFMFC_UNSUPPORTED
	NXFMFC_HARDWARE
	NXFMFC_BAD_TABLE_ID
	NXFMFC_INVALID_TLV_FIELD
	OFPGMFC_GROUP_EXISTS
	OFPGMFC_INVALID_GROUP
	OFPGMFC_WEIGHT_UNSUPPORTED
	OFPGMFC_OUT_OF_GROUPS
	OFPGMFC_OUT_OF_BUCKETS
	OFPGMFC_CHAINING_UNSUPPORTED
	OFPGMFC_WATCH_UNSUPPORTED
	OFPGMFC_LOOP
	OFPGMFC_UNKNOWN_GROUP
	OFPGMFC_CHAINED_GROUP
	OFPGMFC_BAD_TYPE
	OFPGMFC_BAD_COMMAND
	OFPGMFC_BAD_BUCKET
	OFPGMFC_BAD_WATCH
	OFPGMFC_EPERM
	OFPGMFC_UNKNOWN_BUCKET
	OFPGMFC_BUCKET_EXISTS
	OFPPMFC_BAD_PORT
	OFPPMFC_BAD_HW_ADDR
	OFPPMFC_BAD_CONFIG
	OFPPMFC_BAD_ADVERTISE
	OFPPMFC_EPERM
	OFPTMFC_BAD_TABLE
	OFPTMFC_BAD_CONFIG
	OFPTMFC_EPERM
	OFPQOFC_BAD_PORT
	OFPQOFC_BAD_QUEUE
	OFPQOFC_EPERM
	NXQOFC_QUEUE_ERROR
	OFPSCFC_BAD_FLAGS
	OFPSCFC_BAD_LEN
	OFPSCFC_EPERM
	OFPRRFC_STALE
	OFPRRFC_UNSUP
	OFPRRFC_BAD_ROLE
	OFPRRFC_ID_UNSUP
	OFPRRFC_ID_IN_USE
	OFPMMFC_UNKNOWN
	OFPMMFC_METER_EXISTS
	OFPMMFC_INVALID_METER
	OFPMMFC_UNKNOWN_METER
	OFPMMFC_BAD_COMMAND
	OFPMMFC_BAD_FLAGS
	OFPMMFC_BAD_RATE
	OFPMMFC_BAD_BURST
	OFPMMFC_BAD_BAND
	OFPMMFC_BAD_BAND_VALUE
	OFPMMFC_OUT_OF_METERS
	OFPMMFC_OUT_OF_BANDS
	OFPTFFC_BAD_TABLE
	OFPTFFC_BAD_METADATA
	OFPTFFC_EPERM
	OFPTFFC_BAD_CAPA
	OFPTFFC_BAD_MAX_ENT
	OFPTFFC_BAD_FEATURES
	OFPTFFC_BAD_COMMAND
	OFPTFFC_TOO_MANY
	NXTFFC_DUP_TABLE
	OFPBPC_BAD_TYPE
	OFPBPC_BAD_LEN
	OFPBPC_BAD_VALUE
	OFPBPC_TOO_MANY
	OFPBPC_DUP_TYPE
	OFPBPC_BAD_EXPERIMENTER
	OFPBPC_BAD_EXP_TYPE
	OFPBPC_BAD_EXP_VALUE
	OFPBPC_EPERM
	OFPACFC_INVALID
	OFPACFC_UNSUPPORTED
	OFPACFC_EPERM
	OFPBFC_UNKNOWN
	OFPBFC_EPERM
	OFPBFC_BAD_ID
	OFPBFC_BUNDLE_EXIST
	OFPBFC_BUNDLE_CLOSED
	OFPBFC_OUT_OF_BUNDLES
	OFPBFC_BAD_TYPE
	OFPBFC_BAD_FLAGS
	OFPBFC_MSG_BAD_LEN
	OFPBFC_MSG_BAD_XID
	OFPBFC_MSG_UNSUP
	OFPBFC_MSG_CONFLICT
	OFPBFC_MSG_TOO_MANY
	OFPBFC_MSG_FAILED
	OFPBFC_TIMEOUT
	OFPBFC_BUNDLE_IN_PROGRESS
	OFPBFC_SCHED_NOT_SUPPORTED
	OFPBFC_SCHED_FUTURE
	OFPBFC_SCHED_PAST
	OFPBFC_BAD_VERSION
	OFPMOFC_UNKNOWN
	OFPMOFC_MONITOR_EXISTS
	OFPMOFC_INVALID_MONITOR
	OFPMOFC_UNKNOWN_MONITOR
	OFPMOFC_BAD_COMMAND
	OFPMOFC_BAD_FLAGS
	OFPMOFC_BAD_TABLE_ID
	OFPMOFC_BAD_OUT
	NXTTMFC_BAD_COMMAND
	NXTTMFC_BAD_OPT_LEN
	NXTTMFC_BAD_FIELD_IDX
	NXTTMFC_TABLE_FULL
	NXTTMFC_ALREADY_MAPPED
	NXTTMFC_DUP_ENTRY
	NXTTMFC_INVALID_TLV_DEL
	NXR_NOT_SUPPORTED
	NXR_STALE
	NXST_NOT_CONFIGURED

	numErrorCodes
)

// errorCodes gives each ErrorCode its name and its numbers in OpenFlow 1.0
// and 1.3 (see ErrorWire).
var errorCodes = [numErrorCodes]errorCodeInfo{
	OFPHFC_INCOMPATIBLE:              {"OFPHFC_INCOMPATIBLE", ErrorWire{0x0, 0, 0, false}, ErrorWire{0x0, 0, 0, false}},
	OFPHFC_EPERM:                     {"OFPHFC_EPERM", ErrorWire{0x0, 0, 1, false}, ErrorWire{0x0, 0, 1, false}},
	OFPBRC_BAD_VERSION:               {"OFPBRC_BAD_VERSION", ErrorWire{0x0, 1, 0, false}, ErrorWire{0x0, 1, 0, false}},
	OFPBRC_BAD_TYPE:                  {"OFPBRC_BAD_TYPE", ErrorWire{0x0, 1, 1, false}, ErrorWire{0x0, 1, 1, false}},
	OFPBRC_BAD_STAT:                  {"OFPBRC_BAD_STAT", ErrorWire{0x0, 1, 2, false}, ErrorWire{0x0, 1, 2, false}},
	OFPBRC_BAD_VENDOR:                {"OFPBRC_BAD_VENDOR", ErrorWire{0x0, 1, 3, false}, ErrorWire{0x0, 1, 3, false}},
	OFPBRC_BAD_SUBTYPE:               {"OFPBRC_BAD_SUBTYPE", ErrorWire{0x0, 1, 4, false}, ErrorWire{0x0, 1, 4, false}},
	OFPBRC_EPERM:                     {"OFPBRC_EPERM", ErrorWire{0x0, 1, 5, false}, ErrorWire{0x0, 1, 5, false}},
	OFPBRC_BAD_LEN:                   {"OFPBRC_BAD_LEN", ErrorWire{0x0, 1, 6, false}, ErrorWire{0x0, 1, 6, false}},
	OFPBRC_BUFFER_EMPTY:              {"OFPBRC_BUFFER_EMPTY", ErrorWire{0x0, 1, 7, false}, ErrorWire{0x0, 1, 7, false}},
	OFPBRC_BUFFER_UNKNOWN:            {"OFPBRC_BUFFER_UNKNOWN", ErrorWire{0x0, 1, 8, false}, ErrorWire{0x0, 1, 8, false}},
	OFPBRC_BAD_TABLE_ID:              {"OFPBRC_BAD_TABLE_ID", ErrorWire{0x2320, 1, 512, false}, ErrorWire{0x0, 1, 9, false}},
	OFPBRC_IS_SECONDARY:              {"OFPBRC_IS_SECONDARY", ErrorWire{0x0, 1, 5, false}, ErrorWire{0x0, 1, 10, false}},
	OFPBRC_BAD_PORT:                  {"OFPBRC_BAD_PORT", ErrorWire{0x2320, 1, 514, false}, ErrorWire{0x0, 1, 11, false}},
	OFPBRC_BAD_PACKET:                {"OFPBRC_BAD_PACKET", ErrorWire{None: true}, ErrorWire{0x0, 1, 12, false}},
	OFPBRC_MULTIPART_BUFFER_OVERFLOW: {"OFPBRC_MULTIPART_BUFFER_OVERFLOW", ErrorWire{None: true}, ErrorWire{0x0, 1, 13, false}},
	OFPBRC_MULTIPART_REQUEST_TIMEOUT: {"OFPBRC_MULTIPART_REQUEST_TIMEOUT", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2640, 0, false}},
	OFPBRC_MULTIPART_REPLY_TIMEOUT:   {"OFPBRC_MULTIPART_REPLY_TIMEOUT", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2641, 0, false}},
	OFPBRC_MULTIPART_BAD_SCHED:       {"OFPBRC_MULTIPART_BAD_SCHED", ErrorWire{None: true}, ErrorWire{None: true}},
	OFPBRC_PIPELINE_FIELDS_ONLY:      {"OFPBRC_PIPELINE_FIELDS_ONLY", ErrorWire{None: true}, ErrorWire{None: true}},
	OFPBRC_UNKNOWN:                   {"OFPBRC_UNKNOWN", ErrorWire{None: true}, ErrorWire{None: true}},
	NXBRC_NXM_INVALID:                {"NXBRC_NXM_INVALID", ErrorWire{0x2320, 1, 256, false}, ErrorWire{0x2320, 2, 0, false}},
	NXBRC_NXM_BAD_TYPE:               {"NXBRC_NXM_BAD_TYPE", ErrorWire{0x2320, 1, 257, false}, ErrorWire{0x2320, 3, 0, false}},
	NXBRC_MUST_BE_ZERO:               {"NXBRC_MUST_BE_ZERO", ErrorWire{0x2320, 1, 515, false}, ErrorWire{0x2320, 4, 0, false}},
	NXBRC_BAD_REASON:                 {"NXBRC_BAD_REASON", ErrorWire{0x2320, 1, 516, false}, ErrorWire{0x2320, 5, 0, false}},
	NXBRC_FM_BAD_EVENT:               {"NXBRC_FM_BAD_EVENT", ErrorWire{0x2320, 1, 520, false}, ErrorWire{0x2320, 9, 0, false}},
	NXBRC_UNENCODABLE_ERROR:          {"NXBRC_UNENCODABLE_ERROR", ErrorWire{0x2320, 1, 521, false}, ErrorWire{0x2320, 10, 0, false}},
	OFPBAC_BAD_TYPE:                  {"OFPBAC_BAD_TYPE", ErrorWire{0x0, 2, 0, false}, ErrorWire{0x0, 2, 0, false}},
	OFPBAC_BAD_LEN:                   {"OFPBAC_BAD_LEN", ErrorWire{0x0, 2, 1, false}, ErrorWire{0x0, 2, 1, false}},
	OFPBAC_BAD_VENDOR:                {"OFPBAC_BAD_VENDOR", ErrorWire{0x0, 2, 2, false}, ErrorWire{0x0, 2, 2, false}},
	OFPBAC_BAD_VENDOR_TYPE:           {"OFPBAC_BAD_VENDOR_TYPE", ErrorWire{0x0, 2, 3, false}, ErrorWire{0x0, 2, 3, false}},
	OFPBAC_BAD_OUT_PORT:              {"OFPBAC_BAD_OUT_PORT", ErrorWire{0x0, 2, 4, false}, ErrorWire{0x0, 2, 4, false}},
	OFPBAC_BAD_ARGUMENT:              {"OFPBAC_BAD_ARGUMENT", ErrorWire{0x0, 2, 5, false}, ErrorWire{0x0, 2, 5, false}},
	OFPBAC_EPERM:                     {"OFPBAC_EPERM", ErrorWire{0x0, 2, 6, false}, ErrorWire{0x0, 2, 6, false}},
	OFPBAC_TOO_MANY:                  {"OFPBAC_TOO_MANY", ErrorWire{0x0, 2, 7, false}, ErrorWire{0x0, 2, 7, false}},
	OFPBAC_BAD_QUEUE:                 {"OFPBAC_BAD_QUEUE", ErrorWire{0x0, 2, 8, false}, ErrorWire{0x0, 2, 8, false}},
	OFPBAC_BAD_OUT_GROUP:             {"OFPBAC_BAD_OUT_GROUP", ErrorWire{0x2320, 2, 9, false}, ErrorWire{0x0, 2, 9, false}},
	OFPBAC_MATCH_INCONSISTENT:        {"OFPBAC_MATCH_INCONSISTENT", ErrorWire{0x2320, 1, 522, false}, ErrorWire{0x0, 2, 10, false}},
	OFPBAC_UNSUPPORTED_ORDER:         {"OFPBAC_UNSUPPORTED_ORDER", ErrorWire{None: true}, ErrorWire{0x0, 2, 11, false}},
	OFPBAC_BAD_TAG:                   {"OFPBAC_BAD_TAG", ErrorWire{None: true}, ErrorWire{0x0, 2, 12, false}},
	OFPBAC_BAD_SET_TYPE:              {"OFPBAC_BAD_SET_TYPE", ErrorWire{0x2320, 1, 523, false}, ErrorWire{0x0, 2, 13, false}},
	OFPBAC_BAD_SET_LEN:               {"OFPBAC_BAD_SET_LEN", ErrorWire{0x2320, 1, 524, false}, ErrorWire{0x0, 2, 14, false}},
	OFPBAC_BAD_SET_ARGUMENT:          {"OFPBAC_BAD_SET_ARGUMENT", ErrorWire{0x2320, 1, 525, false}, ErrorWire{0x0, 2, 15, false}},
	OFPBAC_BAD_SET_MASK:              {"OFPBAC_BAD_SET_MASK", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 4250, 0, false}},
	OFPBAC_BAD_METER:                 {"OFPBAC_BAD_METER", ErrorWire{None: true}, ErrorWire{None: true}},
	NXBAC_MUST_BE_ZERO:               {"NXBAC_MUST_BE_ZERO", ErrorWire{0x2320, 2, 256, false}, ErrorWire{0x2320, 11, 0, false}},
	NXBAC_BAD_CONJUNCTION:            {"NXBAC_BAD_CONJUNCTION", ErrorWire{0x2320, 2, 526, false}, ErrorWire{0x2320, 15, 0, false}},
	NXBAC_BAD_HEADER_TYPE:            {"NXBAC_BAD_HEADER_TYPE", ErrorWire{None: true}, ErrorWire{0x2320, 39, 0, false}},
	NXBAC_UNKNOWN_ED_PROP:            {"NXBAC_UNKNOWN_ED_PROP", ErrorWire{None: true}, ErrorWire{0x2320, 40, 0, false}},
	NXBAC_BAD_ED_PROP:                {"NXBAC_BAD_ED_PROP", ErrorWire{None: true}, ErrorWire{0x2320, 41, 0, false}},
	NXBAC_CT_DATAPATH_SUPPORT:        {"NXBAC_CT_DATAPATH_SUPPORT", ErrorWire{0x2320, 1, 265, false}, ErrorWire{0x2320, 42, 0, false}},
	OFPBIC_UNKNOWN_INST:              {"OFPBIC_UNKNOWN_INST", ErrorWire{None: true}, ErrorWire{0x0, 3, 0, false}},
	OFPBIC_UNSUP_INST:                {"OFPBIC_UNSUP_INST", ErrorWire{0x2320, 2, 257, false}, ErrorWire{0x0, 3, 1, false}},
	OFPBIC_BAD_TABLE_ID:              {"OFPBIC_BAD_TABLE_ID", ErrorWire{None: true}, ErrorWire{0x0, 3, 2, false}},
	OFPBIC_UNSUP_METADATA:            {"OFPBIC_UNSUP_METADATA", ErrorWire{None: true}, ErrorWire{0x0, 3, 3, false}},
	OFPBIC_UNSUP_METADATA_MASK:       {"OFPBIC_UNSUP_METADATA_MASK", ErrorWire{None: true}, ErrorWire{0x0, 3, 4, false}},
	OFPBIC_BAD_EXPERIMENTER:          {"OFPBIC_BAD_EXPERIMENTER", ErrorWire{None: true}, ErrorWire{0x0, 3, 5, false}},
	OFPBIC_BAD_EXP_TYPE:              {"OFPBIC_BAD_EXP_TYPE", ErrorWire{None: true}, ErrorWire{0x0, 3, 6, false}},
	OFPBIC_BAD_LEN:                   {"OFPBIC_BAD_LEN", ErrorWire{None: true}, ErrorWire{0x0, 3, 7, false}},
	OFPBIC_EPERM:                     {"OFPBIC_EPERM", ErrorWire{None: true}, ErrorWire{0x0, 3, 8, false}},
	OFPBIC_DUP_INST:                  {"OFPBIC_DUP_INST", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2600, 0, false}},
	OFPBMC_BAD_TYPE:                  {"OFPBMC_BAD_TYPE", ErrorWire{None: true}, ErrorWire{0x0, 4, 0, false}},
	OFPBMC_BAD_LEN:                   {"OFPBMC_BAD_LEN", ErrorWire{None: true}, ErrorWire{0x0, 4, 1, false}},
	OFPBMC_BAD_TAG:                   {"OFPBMC_BAD_TAG", ErrorWire{None: true}, ErrorWire{0x0, 4, 2, false}},
	OFPBMC_BAD_DL_ADDR_MASK:          {"OFPBMC_BAD_DL_ADDR_MASK", ErrorWire{None: true}, ErrorWire{0x0, 4, 3, false}},
	OFPBMC_BAD_NW_ADDR_MASK:          {"OFPBMC_BAD_NW_ADDR_MASK", ErrorWire{None: true}, ErrorWire{0x0, 4, 4, false}},
	OFPBMC_BAD_WILDCARDS:             {"OFPBMC_BAD_WILDCARDS", ErrorWire{0x2320, 1, 262, false}, ErrorWire{0x0, 4, 5, false}},
	OFPBMC_BAD_FIELD:                 {"OFPBMC_BAD_FIELD", ErrorWire{0x2320, 0, 263, false}, ErrorWire{0x0, 4, 6, false}},
	OFPBMC_BAD_VALUE:                 {"OFPBMC_BAD_VALUE", ErrorWire{0x2320, 1, 258, false}, ErrorWire{0x0, 4, 7, false}},
	OFPBMC_BAD_MASK:                  {"OFPBMC_BAD_MASK", ErrorWire{0x2320, 1, 259, false}, ErrorWire{0x0, 4, 8, false}},
	OFPBMC_BAD_PREREQ:                {"OFPBMC_BAD_PREREQ", ErrorWire{0x2320, 1, 260, false}, ErrorWire{0x0, 4, 9, false}},
	OFPBMC_DUP_FIELD:                 {"OFPBMC_DUP_FIELD", ErrorWire{0x2320, 1, 261, false}, ErrorWire{0x0, 4, 10, false}},
	OFPBMC_EPERM:                     {"OFPBMC_EPERM", ErrorWire{None: true}, ErrorWire{0x0, 4, 11, false}},
	NXBMC_CT_DATAPATH_SUPPORT:        {"NXBMC_CT_DATAPATH_SUPPORT", ErrorWire{0x2320, 1, 264, false}, ErrorWire{0x2320, 43, 0, false}},
	OFPFMFC_UNKNOWN:                  {"OFPFMFC_UNKNOWN", ErrorWire{None: true}, ErrorWire{0x0, 5, 0, false}},
	OFPFMFC_TABLE_FULL:               {"OFPFMFC_TABLE_FULL", ErrorWire{0x0, 3, 0, false}, ErrorWire{0x0, 5, 1, false}},
	OFPFMFC_BAD_TABLE_ID:             {"OFPFMFC_BAD_TABLE_ID", ErrorWire{None: true}, ErrorWire{0x0, 5, 2, false}},
	OFPFMFC_OVERLAP:                  {"OFPFMFC_OVERLAP", ErrorWire{0x0, 3, 1, false}, ErrorWire{0x0, 5, 3, false}},
	OFPFMFC_EPERM:                    {"OFPFMFC_EPERM", ErrorWire{0x0, 3, 2, false}, ErrorWire{0x0, 5, 4, false}},
	OFPFMFC_BAD_TIMEOUT:              {"OFPFMFC_BAD_TIMEOUT", ErrorWire{None: true}, ErrorWire{0x0, 5, 5, false}},
	OFPFMFC_BAD_EMERG_TIMEOUT:        {"OFPFMFC_BAD_EMERG_TIMEOUT", ErrorWire{0x0, 3, 3, false}, ErrorWire{None: true}},
	OFPFMFC_BAD_COMMAND:              {"OFPFMFC_BAD_COMMAND", ErrorWire{0x0, 3, 4, false}, ErrorWire{0x0, 5, 6, false}},
	OFPFMFC_BAD_FLAGS:                {"OFPFMFC_BAD_FLAGS", ErrorWire{0x2320, 3, 258, false}, ErrorWire{0x0, 5, 7, false}},
	OFPFMFC_CANT_SYNC:                {"OFPFMFC_CANT_SYNC", ErrorWire{None: true}, ErrorWire{None: true}},
	OFPFMFC_BAD_PRIORITY:             {"OFPFMFC_BAD_PRIORITY", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2360, 0, false}},
	OFPFMFC_IS_SYNC:                  {"OFPFMFC_IS_SYNC", ErrorWire{None: true}, ErrorWire{None: true}},
	OFPFMFC_UNSUPPORTED:              {"OFPFMFC_UNSUPPORTED", ErrorWire{0x0, 3, 5, false}, ErrorWire{None: true}},
	NXFMFC_HARDWARE:                  {"NXFMFC_HARDWARE", ErrorWire{0x2320, 5, 256, false}, ErrorWire{0x2320, 12, 0, false}},
	NXFMFC_BAD_TABLE_ID:              {"NXFMFC_BAD_TABLE_ID", ErrorWire{0x2320, 5, 257, false}, ErrorWire{0x2320, 13, 0, false}},
	NXFMFC_INVALID_TLV_FIELD:         {"NXFMFC_INVALID_TLV_FIELD", ErrorWire{0x2320, 1, 536, false}, ErrorWire{0x2320, 37, 0, false}},
	OFPGMFC_GROUP_EXISTS:             {"OFPGMFC_GROUP_EXISTS", ErrorWire{0x2320, 6, 0, false}, ErrorWire{0x0, 6, 0, false}},
	OFPGMFC_INVALID_GROUP:            {"OFPGMFC_INVALID_GROUP", ErrorWire{0x2320, 6, 1, false}, ErrorWire{0x0, 6, 1, false}},
	OFPGMFC_WEIGHT_UNSUPPORTED:       {"OFPGMFC_WEIGHT_UNSUPPORTED", ErrorWire{0x2320, 6, 2, false}, ErrorWire{0x0, 6, 2, false}},
	OFPGMFC_OUT_OF_GROUPS:            {"OFPGMFC_OUT_OF_GROUPS", ErrorWire{0x2320, 6, 3, false}, ErrorWire{0x0, 6, 3, false}},
	OFPGMFC_OUT_OF_BUCKETS:           {"OFPGMFC_OUT_OF_BUCKETS", ErrorWire{0x2320, 6, 4, false}, ErrorWire{0x0, 6, 4, false}},
	OFPGMFC_CHAINING_UNSUPPORTED:     {"OFPGMFC_CHAINING_UNSUPPORTED", ErrorWire{0x2320, 6, 5, false}, ErrorWire{0x0, 6, 5, false}},
	OFPGMFC_WATCH_UNSUPPORTED:        {"OFPGMFC_WATCH_UNSUPPORTED", ErrorWire{0x2320, 6, 6, false}, ErrorWire{0x0, 6, 6, false}},
	OFPGMFC_LOOP:                     {"OFPGMFC_LOOP", ErrorWire{0x2320, 6, 7, false}, ErrorWire{0x0, 6, 7, false}},
	OFPGMFC_UNKNOWN_GROUP:            {"OFPGMFC_UNKNOWN_GROUP", ErrorWire{0x2320, 6, 8, false}, ErrorWire{0x0, 6, 8, false}},
	OFPGMFC_CHAINED_GROUP:            {"OFPGMFC_CHAINED_GROUP", ErrorWire{0x2320, 6, 9, false}, ErrorWire{0x0, 6, 9, false}},
	OFPGMFC_BAD_TYPE:                 {"OFPGMFC_BAD_TYPE", ErrorWire{0x2320, 6, 10, false}, ErrorWire{0x0, 6, 10, false}},
	OFPGMFC_BAD_COMMAND:              {"OFPGMFC_BAD_COMMAND", ErrorWire{0x2320, 6, 11, false}, ErrorWire{0x0, 6, 11, false}},
	OFPGMFC_BAD_BUCKET:               {"OFPGMFC_BAD_BUCKET", ErrorWire{0x2320, 6, 12, false}, ErrorWire{0x0, 6, 12, false}},
	OFPGMFC_BAD_WATCH:                {"OFPGMFC_BAD_WATCH", ErrorWire{0x2320, 6, 13, false}, ErrorWire{0x0, 6, 13, false}},
	OFPGMFC_EPERM:                    {"OFPGMFC_EPERM", ErrorWire{0x2320, 6, 14, false}, ErrorWire{0x0, 6, 14, false}},
	OFPGMFC_UNKNOWN_BUCKET:           {"OFPGMFC_UNKNOWN_BUCKET", ErrorWire{0x2320, 6, 15, false}, ErrorWire{None: true}},
	OFPGMFC_BUCKET_EXISTS:            {"OFPGMFC_BUCKET_EXISTS", ErrorWire{0x2320, 6, 16, false}, ErrorWire{None: true}},
	OFPPMFC_BAD_PORT:                 {"OFPPMFC_BAD_PORT", ErrorWire{0x0, 4, 0, false}, ErrorWire{0x0, 7, 0, false}},
	OFPPMFC_BAD_HW_ADDR:              {"OFPPMFC_BAD_HW_ADDR", ErrorWire{0x0, 4, 1, false}, ErrorWire{0x0, 7, 1, false}},
	OFPPMFC_BAD_CONFIG:               {"OFPPMFC_BAD_CONFIG", ErrorWire{None: true}, ErrorWire{0x0, 7, 2, false}},
	OFPPMFC_BAD_ADVERTISE:            {"OFPPMFC_BAD_ADVERTISE", ErrorWire{None: true}, ErrorWire{0x0, 7, 3, false}},
	OFPPMFC_EPERM:                    {"OFPPMFC_EPERM", ErrorWire{None: true}, ErrorWire{0x0, 7, 4, false}},
	OFPTMFC_BAD_TABLE:                {"OFPTMFC_BAD_TABLE", ErrorWire{None: true}, ErrorWire{0x0, 8, 0, false}},
	OFPTMFC_BAD_CONFIG:               {"OFPTMFC_BAD_CONFIG", ErrorWire{None: true}, ErrorWire{0x0, 8, 1, false}},
	OFPTMFC_EPERM:                    {"OFPTMFC_EPERM", ErrorWire{None: true}, ErrorWire{0x0, 8, 2, false}},
	OFPQOFC_BAD_PORT:                 {"OFPQOFC_BAD_PORT", ErrorWire{0x0, 5, 0, false}, ErrorWire{0x0, 9, 0, false}},
	OFPQOFC_BAD_QUEUE:                {"OFPQOFC_BAD_QUEUE", ErrorWire{0x0, 5, 1, false}, ErrorWire{0x0, 9, 1, false}},
	OFPQOFC_EPERM:                    {"OFPQOFC_EPERM", ErrorWire{0x0, 5, 2, false}, ErrorWire{0x0, 9, 2, false}},
	NXQOFC_QUEUE_ERROR:               {"NXQOFC_QUEUE_ERROR", ErrorWire{None: true}, ErrorWire{None: true}},
	OFPSCFC_BAD_FLAGS:                {"OFPSCFC_BAD_FLAGS", ErrorWire{None: true}, ErrorWire{0x0, 10, 0, false}},
	OFPSCFC_BAD_LEN:                  {"OFPSCFC_BAD_LEN", ErrorWire{None: true}, ErrorWire{0x0, 10, 1, false}},
	OFPSCFC_EPERM:                    {"OFPSCFC_EPERM", ErrorWire{None: true}, ErrorWire{0x0, 10, 2, false}},
	OFPRRFC_STALE:                    {"OFPRRFC_STALE", ErrorWire{None: true}, ErrorWire{0x0, 11, 0, false}},
	OFPRRFC_UNSUP:                    {"OFPRRFC_UNSUP", ErrorWire{None: true}, ErrorWire{0x0, 11, 1, false}},
	OFPRRFC_BAD_ROLE:                 {"OFPRRFC_BAD_ROLE", ErrorWire{0x2320, 1, 513, false}, ErrorWire{0x0, 11, 2, false}},
	OFPRRFC_ID_UNSUP:                 {"OFPRRFC_ID_UNSUP", ErrorWire{None: true}, ErrorWire{None: true}},
	OFPRRFC_ID_IN_USE:                {"OFPRRFC_ID_IN_USE", ErrorWire{None: true}, ErrorWire{None: true}},
	OFPMMFC_UNKNOWN:                  {"OFPMMFC_UNKNOWN", ErrorWire{None: true}, ErrorWire{0x0, 12, 0, false}},
	OFPMMFC_METER_EXISTS:             {"OFPMMFC_METER_EXISTS", ErrorWire{None: true}, ErrorWire{0x0, 12, 1, false}},
	OFPMMFC_INVALID_METER:            {"OFPMMFC_INVALID_METER", ErrorWire{None: true}, ErrorWire{0x0, 12, 2, false}},
	OFPMMFC_UNKNOWN_METER:            {"OFPMMFC_UNKNOWN_METER", ErrorWire{None: true}, ErrorWire{0x0, 12, 3, false}},
	OFPMMFC_BAD_COMMAND:              {"OFPMMFC_BAD_COMMAND", ErrorWire{None: true}, ErrorWire{0x0, 12, 4, false}},
	OFPMMFC_BAD_FLAGS:                {"OFPMMFC_BAD_FLAGS", ErrorWire{None: true}, ErrorWire{0x0, 12, 5, false}},
	OFPMMFC_BAD_RATE:                 {"OFPMMFC_BAD_RATE", ErrorWire{None: true}, ErrorWire{0x0, 12, 6, false}},
	OFPMMFC_BAD_BURST:                {"OFPMMFC_BAD_BURST", ErrorWire{None: true}, ErrorWire{0x0, 12, 7, false}},
	OFPMMFC_BAD_BAND:                 {"OFPMMFC_BAD_BAND", ErrorWire{None: true}, ErrorWire{0x0, 12, 8, false}},
	OFPMMFC_BAD_BAND_VALUE:           {"OFPMMFC_BAD_BAND_VALUE", ErrorWire{None: true}, ErrorWire{0x0, 12, 9, false}},
	OFPMMFC_OUT_OF_METERS:            {"OFPMMFC_OUT_OF_METERS", ErrorWire{None: true}, ErrorWire{0x0, 12, 10, false}},
	OFPMMFC_OUT_OF_BANDS:             {"OFPMMFC_OUT_OF_BANDS", ErrorWire{None: true}, ErrorWire{0x0, 12, 11, false}},
	OFPTFFC_BAD_TABLE:                {"OFPTFFC_BAD_TABLE", ErrorWire{None: true}, ErrorWire{0x0, 13, 0, false}},
	OFPTFFC_BAD_METADATA:             {"OFPTFFC_BAD_METADATA", ErrorWire{None: true}, ErrorWire{0x0, 13, 1, false}},
	OFPTFFC_EPERM:                    {"OFPTFFC_EPERM", ErrorWire{None: true}, ErrorWire{0x0, 13, 5, false}},
	OFPTFFC_BAD_CAPA:                 {"OFPTFFC_BAD_CAPA", ErrorWire{None: true}, ErrorWire{None: true}},
	OFPTFFC_BAD_MAX_ENT:              {"OFPTFFC_BAD_MAX_ENT", ErrorWire{None: true}, ErrorWire{None: true}},
	OFPTFFC_BAD_FEATURES:             {"OFPTFFC_BAD_FEATURES", ErrorWire{None: true}, ErrorWire{None: true}},
	OFPTFFC_BAD_COMMAND:              {"OFPTFFC_BAD_COMMAND", ErrorWire{None: true}, ErrorWire{None: true}},
	OFPTFFC_TOO_MANY:                 {"OFPTFFC_TOO_MANY", ErrorWire{None: true}, ErrorWire{None: true}},
	NXTFFC_DUP_TABLE:                 {"NXTFFC_DUP_TABLE", ErrorWire{None: true}, ErrorWire{0x2320, 44, 0, false}},
	OFPBPC_BAD_TYPE:                  {"OFPBPC_BAD_TYPE", ErrorWire{0x2320, 13, 2, false}, ErrorWire{0x0, 13, 2, false}},
	OFPBPC_BAD_LEN:                   {"OFPBPC_BAD_LEN", ErrorWire{0x2320, 13, 3, false}, ErrorWire{0x0, 13, 3, false}},
	OFPBPC_BAD_VALUE:                 {"OFPBPC_BAD_VALUE", ErrorWire{0x2320, 13, 4, false}, ErrorWire{0x0, 13, 4, false}},
	OFPBPC_TOO_MANY:                  {"OFPBPC_TOO_MANY", ErrorWire{0x2320, 14, 3, false}, ErrorWire{0x4f4e4600, 4443, 0, false}},
	OFPBPC_DUP_TYPE:                  {"OFPBPC_DUP_TYPE", ErrorWire{0x2320, 14, 4, false}, ErrorWire{0x4f4e4600, 4444, 0, false}},
	OFPBPC_BAD_EXPERIMENTER:          {"OFPBPC_BAD_EXPERIMENTER", ErrorWire{0x2320, 14, 5, false}, ErrorWire{0x4f4e4600, 4445, 0, false}},
	OFPBPC_BAD_EXP_TYPE:              {"OFPBPC_BAD_EXP_TYPE", ErrorWire{0x2320, 14, 6, false}, ErrorWire{0x4f4e4600, 4446, 0, false}},
	OFPBPC_BAD_EXP_VALUE:             {"OFPBPC_BAD_EXP_VALUE", ErrorWire{0x2320, 14, 7, false}, ErrorWire{0x4f4e4600, 4447, 0, false}},
	OFPBPC_EPERM:                     {"OFPBPC_EPERM", ErrorWire{0x2320, 14, 8, false}, ErrorWire{0x4f4e4600, 4448, 0, false}},
	OFPACFC_INVALID:                  {"OFPACFC_INVALID", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2370, 0, false}},
	OFPACFC_UNSUPPORTED:              {"OFPACFC_UNSUPPORTED", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2371, 0, false}},
	OFPACFC_EPERM:                    {"OFPACFC_EPERM", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2372, 0, false}},
	OFPBFC_UNKNOWN:                   {"OFPBFC_UNKNOWN", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2300, 0, false}},
	OFPBFC_EPERM:                     {"OFPBFC_EPERM", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2301, 0, false}},
	OFPBFC_BAD_ID:                    {"OFPBFC_BAD_ID", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2302, 0, false}},
	OFPBFC_BUNDLE_EXIST:              {"OFPBFC_BUNDLE_EXIST", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2303, 0, false}},
	OFPBFC_BUNDLE_CLOSED:             {"OFPBFC_BUNDLE_CLOSED", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2304, 0, false}},
	OFPBFC_OUT_OF_BUNDLES:            {"OFPBFC_OUT_OF_BUNDLES", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2305, 0, false}},
	OFPBFC_BAD_TYPE:                  {"OFPBFC_BAD_TYPE", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2306, 0, false}},
	OFPBFC_BAD_FLAGS:                 {"OFPBFC_BAD_FLAGS", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2307, 0, false}},
	OFPBFC_MSG_BAD_LEN:               {"OFPBFC_MSG_BAD_LEN", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2308, 0, false}},
	OFPBFC_MSG_BAD_XID:               {"OFPBFC_MSG_BAD_XID", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2309, 0, false}},
	OFPBFC_MSG_UNSUP:                 {"OFPBFC_MSG_UNSUP", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2310, 0, false}},
	OFPBFC_MSG_CONFLICT:              {"OFPBFC_MSG_CONFLICT", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2311, 0, false}},
	OFPBFC_MSG_TOO_MANY:              {"OFPBFC_MSG_TOO_MANY", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2312, 0, false}},
	OFPBFC_MSG_FAILED:                {"OFPBFC_MSG_FAILED", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2313, 0, false}},
	OFPBFC_TIMEOUT:                   {"OFPBFC_TIMEOUT", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2314, 0, false}},
	OFPBFC_BUNDLE_IN_PROGRESS:        {"OFPBFC_BUNDLE_IN_PROGRESS", ErrorWire{None: true}, ErrorWire{0x4f4e4600, 2315, 0, false}},
	OFPBFC_SCHED_NOT_SUPPORTED:       {"OFPBFC_SCHED_NOT_SUPPORTED", ErrorWire{None: true}, ErrorWire{None: true}},
	OFPBFC_SCHED_FUTURE:              {"OFPBFC_SCHED_FUTURE", ErrorWire{None: true}, ErrorWire{None: true}},
	OFPBFC_SCHED_PAST:                {"OFPBFC_SCHED_PAST", ErrorWire{None: true}, ErrorWire{None: true}},
	OFPBFC_BAD_VERSION:               {"OFPBFC_BAD_VERSION", ErrorWire{None: true}, ErrorWire{None: true}},
	OFPMOFC_UNKNOWN:                  {"OFPMOFC_UNKNOWN", ErrorWire{None: true}, ErrorWire{None: true}},
	OFPMOFC_MONITOR_EXISTS:           {"OFPMOFC_MONITOR_EXISTS", ErrorWire{0x2320, 1, 517, false}, ErrorWire{0x2320, 6, 0, false}},
	OFPMOFC_INVALID_MONITOR:          {"OFPMOFC_INVALID_MONITOR", ErrorWire{None: true}, ErrorWire{None: true}},
	OFPMOFC_UNKNOWN_MONITOR:          {"OFPMOFC_UNKNOWN_MONITOR", ErrorWire{0x2320, 1, 519, false}, ErrorWire{0x2320, 8, 0, false}},
	OFPMOFC_BAD_COMMAND:              {"OFPMOFC_BAD_COMMAND", ErrorWire{None: true}, ErrorWire{None: true}},
	OFPMOFC_BAD_FLAGS:                {"OFPMOFC_BAD_FLAGS", ErrorWire{0x2320, 1, 518, false}, ErrorWire{0x2320, 7, 0, false}},
	OFPMOFC_BAD_TABLE_ID:             {"OFPMOFC_BAD_TABLE_ID", ErrorWire{None: true}, ErrorWire{None: true}},
	OFPMOFC_BAD_OUT:                  {"OFPMOFC_BAD_OUT", ErrorWire{None: true}, ErrorWire{None: true}},
	NXTTMFC_BAD_COMMAND:              {"NXTTMFC_BAD_COMMAND", ErrorWire{0x2320, 1, 527, false}, ErrorWire{0x2320, 16, 0, false}},
	NXTTMFC_BAD_OPT_LEN:              {"NXTTMFC_BAD_OPT_LEN", ErrorWire{0x2320, 1, 528, false}, ErrorWire{0x2320, 17, 0, false}},
	NXTTMFC_BAD_FIELD_IDX:            {"NXTTMFC_BAD_FIELD_IDX", ErrorWire{0x2320, 1, 529, false}, ErrorWire{0x2320, 18, 0, false}},
	NXTTMFC_TABLE_FULL:               {"NXTTMFC_TABLE_FULL", ErrorWire{0x2320, 1, 530, false}, ErrorWire{0x2320, 19, 0, false}},
	NXTTMFC_ALREADY_MAPPED:           {"NXTTMFC_ALREADY_MAPPED", ErrorWire{0x2320, 1, 531, false}, ErrorWire{0x2320, 20, 0, false}},
	NXTTMFC_DUP_ENTRY:                {"NXTTMFC_DUP_ENTRY", ErrorWire{0x2320, 1, 532, false}, ErrorWire{0x2320, 21, 0, false}},
	NXTTMFC_INVALID_TLV_DEL:          {"NXTTMFC_INVALID_TLV_DEL", ErrorWire{0x2320, 1, 537, false}, ErrorWire{0x2320, 38, 0, false}},
	NXR_NOT_SUPPORTED:                {"NXR_NOT_SUPPORTED", ErrorWire{0x2320, 1, 533, false}, ErrorWire{0x2320, 34, 0, false}},
	NXR_STALE:                        {"NXR_STALE", ErrorWire{0x2320, 1, 534, false}, ErrorWire{0x2320, 35, 0, false}},
	NXST_NOT_CONFIGURED:              {"NXST_NOT_CONFIGURED", ErrorWire{0x2320, 1, 535, false}, ErrorWire{0x2320, 36, 0, false}},
}
