package xlat

import "sync/atomic"

// Counter identifies one statistic. The names are Jool's JSTAT_* counter names
// (see `jool_siit stats display --all`), so existing dashboards keep working;
// siit-specific counters come after Jool's and use the same naming style.
// Drop verdicts carry the Counter that explains them.
type Counter uint16

// Jool's counters, in Jool's order. NAT64-only counters are kept (always zero in
// siit) so that `stats display --all` lists what Jool lists.
const (
	StatReceived6 Counter = iota
	StatReceived4
	StatSuccess
	StatBIBEntries
	StatSessions
	StatENOMEM
	StatXlatorDisabled
	StatPool6Unset
	StatSKBShared
	StatL3HdrOffset
	StatSKBTruncated
	StatHdr6
	StatHdr4
	StatUnknownL4Proto
	StatUnknownICMP6Type
	StatUnknownICMP4Type
	StatDoubleICMP6Error
	StatDoubleICMP4Error
	StatUnknownProtoInner
	StatHairpinLoop
	StatPool6Mismatch
	StatPool4Mismatch
	StatICMP6Filter
	StatUntranslatableDst6
	StatUntranslatableDst4
	Stat6056F
	StatMaskDomainNotFound
	StatBIB6NotFound
	StatBIB4NotFound
	StatSessionNotFound
	StatADF
	StatV4SYN
	StatSYN6Expected
	StatSYN4Expected
	StatType1Pkt
	StatType2Pkt
	StatSOExists
	StatSOFull
	Stat64Src
	Stat64Dst
	Stat64PskbCopy
	Stat64RFC6791ENOENT
	Stat64ICMPCsum
	Stat64UntranslatableParamProbPtr
	Stat64TTL
	Stat64FragmentedICMP
	Stat64DoubleFrag
	Stat64FragThenExt
	Stat64SegmentsLeft
	Stat46Src
	Stat46Dst
	Stat46PskbCopy
	Stat46RFC6791ENOENT
	Stat46ICMPCsum
	Stat46UntranslatableParamProblemPtr
	Stat46TTL
	Stat46FragmentedICMP
	Stat46SrcRoute
	Stat46FragmentedZeroCsum
	Stat46BadMTU
	StatFailedRoutes
	StatPktTooBig
	StatDstOutput
	StatICMP6ErrSuccess
	StatICMP6ErrFailure
	StatICMP4ErrSuccess
	StatICMP4ErrFailure
	StatICMPExtBig
	StatUnknown

	// siit-specific counters (not in Jool).

	// StatHdr6Chain: the IPv6 extension header chain was too long, looped or
	// was truncated.
	StatHdr6Chain
	// StatUntranslatableAddr6: an address that must never be translated
	// (unspecified, loopback, link-local, multicast) appeared in an IPv6 packet.
	StatUntranslatableAddr6
	// StatUntranslatableAddr4: likewise for IPv4 (0/8, 127/8, 169.254/16,
	// 224/4, 255.255.255.255).
	StatUntranslatableAddr4
	// StatFragmentsOut: extra fragments the translator produced.
	StatFragmentsOut
	// StatICMPExtSmall: an incoming ICMP error's RFC 4884 length was
	// below the 128-byte minimum (Jool 4.1 calls it JSTAT_ICMPEXT_SMALL).
	StatICMPExtSmall

	NumCounters
)

// counterInfo holds each counter's Jool name and a one-line explanation in
// siit's own words (for `stats display --explain`).
var counterInfo = [NumCounters]struct{ name, doc string }{
	StatReceived6:                       {"JSTAT_RECEIVED6", "IPv6 packets received."},
	StatReceived4:                       {"JSTAT_RECEIVED4", "IPv4 packets received."},
	StatSuccess:                         {"JSTAT_SUCCESS", "Packets translated (translated does not mean delivered)."},
	StatBIBEntries:                      {"JSTAT_BIB_ENTRIES", "BIB entries (NAT64 only; always 0 in SIIT)."},
	StatSessions:                        {"JSTAT_SESSIONS", "Session entries (NAT64 only; always 0 in SIIT)."},
	StatENOMEM:                          {"JSTAT_ENOMEM", "Dropped: no free buffer for an output packet."},
	StatXlatorDisabled:                  {"JSTAT_XLATOR_DISABLED", "Dropped: the instance is disabled (manually-enabled is false)."},
	StatPool6Unset:                      {"JSTAT_POOL6_UNSET", "Dropped: pool6 was needed but is unset."},
	StatSKBShared:                       {"JSTAT_SKB_SHARED", "Dropped: shared packet buffer (kernel-only condition; always 0)."},
	StatL3HdrOffset:                     {"JSTAT_L3HDR_OFFSET", "Dropped: bad network header offset."},
	StatSKBTruncated:                    {"JSTAT_SKB_TRUNCATED", "Dropped: the packet ended in the middle of a header."},
	StatHdr6:                            {"JSTAT_HDR6", "Dropped: an IPv6 header field was invalid (version, payload length, ...)."},
	StatHdr4:                            {"JSTAT_HDR4", "Dropped: an IPv4 header field was invalid (version, IHL, total length, header checksum, ...)."},
	StatUnknownL4Proto:                  {"JSTAT_UNKNOWN_L4_PROTO", "Dropped: unknown transport protocol."},
	StatUnknownICMP6Type:                {"JSTAT_UNKNOWN_ICMP6_TYPE", "Dropped: ICMPv6 type/code without an ICMPv4 counterpart."},
	StatUnknownICMP4Type:                {"JSTAT_UNKNOWN_ICMP4_TYPE", "Dropped: ICMPv4 type/code without an ICMPv6 counterpart."},
	StatDoubleICMP6Error:                {"JSTAT_DOUBLE_ICMP6_ERROR", "Dropped: ICMPv6 error inside an ICMPv6 error."},
	StatDoubleICMP4Error:                {"JSTAT_DOUBLE_ICMP4_ERROR", "Dropped: ICMPv4 error inside an ICMPv4 error."},
	StatUnknownProtoInner:               {"JSTAT_UNKNOWN_PROTO_INNER", "Dropped: unknown transport protocol inside an ICMP error."},
	StatHairpinLoop:                     {"JSTAT_HAIRPIN_LOOP", "Dropped: IPv6 source address inside pool6 (would loop)."},
	StatPool6Mismatch:                   {"JSTAT_POOL6_MISMATCH", "Not translated: IPv6 destination does not match pool6 or the EAMT."},
	StatPool4Mismatch:                   {"JSTAT_POOL4_MISMATCH", "Not translated: IPv4 destination not served (NAT64 name kept for compatibility)."},
	StatICMP6Filter:                     {"JSTAT_ICMP6_FILTER", "Filtered by drop-icmpv6-info (NAT64 only; always 0)."},
	StatUntranslatableDst6:              {"JSTAT_UNTRANSLATABLE_DST6", "Dropped: IPv6 destination could not be translated."},
	StatUntranslatableDst4:              {"JSTAT_UNTRANSLATABLE_DST4", "Dropped: IPv4 destination could not be translated."},
	Stat6056F:                           {"JSTAT_6056_F", "NAT64 only; always 0."},
	StatMaskDomainNotFound:              {"JSTAT_MASK_DOMAIN_NOT_FOUND", "NAT64 only; always 0."},
	StatBIB6NotFound:                    {"JSTAT_BIB6_NOT_FOUND", "NAT64 only; always 0."},
	StatBIB4NotFound:                    {"JSTAT_BIB4_NOT_FOUND", "NAT64 only; always 0."},
	StatSessionNotFound:                 {"JSTAT_SESSION_NOT_FOUND", "NAT64 only; always 0."},
	StatADF:                             {"JSTAT_ADF", "NAT64 only; always 0."},
	StatV4SYN:                           {"JSTAT_V4_SYN", "NAT64 only; always 0."},
	StatSYN6Expected:                    {"JSTAT_SYN6_EXPECTED", "NAT64 only; always 0."},
	StatSYN4Expected:                    {"JSTAT_SYN4_EXPECTED", "NAT64 only; always 0."},
	StatType1Pkt:                        {"JSTAT_TYPE1PKT", "NAT64 only; always 0."},
	StatType2Pkt:                        {"JSTAT_TYPE2PKT", "NAT64 only; always 0."},
	StatSOExists:                        {"JSTAT_SO_EXISTS", "NAT64 only; always 0."},
	StatSOFull:                          {"JSTAT_SO_FULL", "NAT64 only; always 0."},
	Stat64Src:                           {"JSTAT64_SRC", "Dropped: IPv6 source matched neither pool6 nor the EAMT, or translated into denylist4."},
	Stat64Dst:                           {"JSTAT64_DST", "Dropped: IPv6 destination matched neither pool6 nor the EAMT, or translated into denylist4."},
	Stat64PskbCopy:                      {"JSTAT64_PSKB_COPY", "Dropped: no room to build the IPv4 packet."},
	Stat64RFC6791ENOENT:                 {"JSTAT64_6791_ENOENT", "Dropped: an RFC 6791 IPv4 source was needed and none is available."},
	Stat64ICMPCsum:                      {"JSTAT64_ICMP_CSUM", "Dropped: incoming ICMPv6 error had a bad checksum."},
	Stat64UntranslatableParamProbPtr:    {"JSTAT64_UNTRANSLATABLE_PARAM_PROB_PTR", "Dropped: ICMPv6 Parameter Problem pointer has no IPv4 counterpart."},
	Stat64TTL:                           {"JSTAT64_TTL", "Dropped (Time Exceeded sent): IPv6 hop limit was 0 or 1."},
	Stat64FragmentedICMP:                {"JSTAT64_FRAGMENTED_ICMP", "Dropped: fragmented ICMPv6 (checksum cannot be translated)."},
	Stat64DoubleFrag:                    {"JSTAT64_2XFRAG", "Dropped: IPv6 packet with two fragment headers."},
	Stat64FragThenExt:                   {"JSTAT64_FRAG_THEN_EXT", "Dropped: hop-by-hop, destination or routing header after the fragment header."},
	Stat64SegmentsLeft:                  {"JSTAT64_SEGMENTS_LEFT", "Dropped (Parameter Problem sent): routing header with segments left not zero."},
	Stat46Src:                           {"JSTAT46_SRC", "Dropped: IPv4 source denylisted or matched neither pool6 nor the EAMT."},
	Stat46Dst:                           {"JSTAT46_DST", "Dropped: IPv4 destination denylisted or matched neither pool6 nor the EAMT."},
	Stat46PskbCopy:                      {"JSTAT46_PSKB_COPY", "Dropped: no room (headroom) to build the IPv6 packet."},
	Stat46RFC6791ENOENT:                 {"JSTAT46_6791_ENOENT", "Dropped: an RFC 6791 IPv6 source was needed and none is available."},
	Stat46ICMPCsum:                      {"JSTAT46_ICMP_CSUM", "Dropped: incoming ICMPv4 error had a bad checksum."},
	Stat46UntranslatableParamProblemPtr: {"JSTAT46_UNTRANSLATABLE_PARAM_PROBLEM_PTR", "Dropped: ICMPv4 Parameter Problem pointer has no IPv6 counterpart."},
	Stat46TTL:                           {"JSTAT46_TTL", "Dropped (Time Exceeded sent): IPv4 TTL was 0 or 1."},
	Stat46FragmentedICMP:                {"JSTAT46_FRAGMENTED_ICMP", "Dropped: fragmented ICMPv4 (checksum cannot be translated)."},
	Stat46SrcRoute:                      {"JSTAT46_SRC_ROUTE", "Dropped: IPv4 packet with an unexpired source route option."},
	Stat46FragmentedZeroCsum:            {"JSTAT46_FRAGMENTED_ZERO_CSUM", "Dropped: IPv4 UDP with zero checksum that could not be amended (fragment, or amend-udp-checksum-zero off)."},
	Stat46BadMTU:                        {"JSTAT46_BAD_MTU", "Dropped: IPv6 egress MTU below 1280."},
	StatFailedRoutes:                    {"JSTAT_FAILED_ROUTES", "Dropped: the translated packet had no route."},
	StatPktTooBig:                       {"JSTAT_PKT_TOO_BIG", "Dropped (Packet Too Big / Fragmentation Needed sent): packet larger than the egress MTU."},
	StatDstOutput:                       {"JSTAT_DST_OUTPUT", "Dropped: translated but could not be transmitted."},
	StatICMP6ErrSuccess:                 {"JSTAT_ICMP6ERR_SUCCESS", "ICMPv6 errors generated by the translator and sent."},
	StatICMP6ErrFailure:                 {"JSTAT_ICMP6ERR_FAILURE", "ICMPv6 errors generated by the translator that could not be sent."},
	StatICMP4ErrSuccess:                 {"JSTAT_ICMP4ERR_SUCCESS", "ICMPv4 errors generated by the translator and sent."},
	StatICMP4ErrFailure:                 {"JSTAT_ICMP4ERR_FAILURE", "ICMPv4 errors generated by the translator that could not be sent."},
	StatICMPExtBig:                      {"JSTAT_ICMPEXT_BIG", "Dropped: ICMP extension length exceeds the packet."},
	StatUnknown:                         {"JSTAT_UNKNOWN", "Dropped: internal error (please report)."},
	StatHdr6Chain:                       {"SIIT_HDR6_CHAIN", "Dropped: IPv6 extension header chain too long, looping or truncated."},
	StatUntranslatableAddr6:             {"SIIT_UNTRANSLATABLE_ADDR6", "Dropped: IPv6 address that must never be translated (::, ::1, fe80::/10, ff00::/8)."},
	StatUntranslatableAddr4:             {"SIIT_UNTRANSLATABLE_ADDR4", "Not translated: IPv4 address that must never be translated (0/8, 127/8, 169.254/16, 224/4, 255.255.255.255)."},
	StatFragmentsOut:                    {"SIIT_FRAGMENTS_OUT", "Extra IPv6 fragments produced by fragmenting IPv4 packets."},
	StatICMPExtSmall:                    {"JSTAT_ICMPEXT_SMALL", "Dropped: ICMP error's RFC 4884 length is below 128 bytes."},
}

// Name returns the counter's Jool-style name, e.g. "JSTAT64_TTL".
func (c Counter) Name() string {
	if c < NumCounters {
		return counterInfo[c].name
	}
	return "JSTAT_UNKNOWN"
}

// Doc returns a one-line explanation of the counter.
func (c Counter) Doc() string {
	if c < NumCounters {
		return counterInfo[c].doc
	}
	return ""
}

// IsNAT64Only reports counters that only Jool's NAT64 uses; siit lists them
// with --all and keeps them at zero.
func (c Counter) IsNAT64Only() bool {
	switch c {
	case StatBIBEntries, StatSessions, StatSKBShared, StatICMP6Filter, Stat6056F, StatMaskDomainNotFound,
		StatBIB6NotFound, StatBIB4NotFound, StatSessionNotFound, StatADF, StatV4SYN, StatSYN6Expected,
		StatSYN4Expected, StatType1Pkt, StatType2Pkt, StatSOExists, StatSOFull:
		return true
	}
	return false
}

// CounterByName finds a counter by its name.
func CounterByName(name string) (Counter, bool) {
	for i := range counterInfo {
		if counterInfo[i].name == name {
			return Counter(i), true
		}
	}
	return 0, false
}

// Stats is one worker's set of counters. Exactly one goroutine (the worker
// that owns it) increments; any goroutine may read. Readers sum the Stats of
// all workers.
//
// With a single writer an increment needs no read-modify-write atomicity, only
// a store that readers never see torn. sync/atomic's Store is sequentially
// consistent, which on amd64 means a locked XCHG (about 6 ns each, twice per
// packet); so where aligned 64-bit stores are single-copy atomic in hardware
// (amd64, arm64) the owner uses a plain add (stats_plain.go) and readers an
// atomic load. Race-detector builds and other architectures use atomic stores
// (stats_atomic.go). A reader may see a count a few packets late, never a torn
// or decreasing one.
type Stats struct {
	c [NumCounters]uint64
	_ [64]byte // keep the next worker's counters off our last cache line
}

// Inc adds one to counter c. Only the owning worker may call it.
func (s *Stats) Inc(c Counter) { s.add(c, 1) }

// Add adds n to counter c. Only the owning worker may call it.
func (s *Stats) Add(c Counter, n uint64) { s.add(c, n) }

// Get reads counter c; safe from any goroutine.
func (s *Stats) Get(c Counter) uint64 { return atomic.LoadUint64(&s.c[c]) }

// Snapshot copies every counter into dst; safe from any goroutine.
func (s *Stats) Snapshot(dst *[NumCounters]uint64) {
	for i := range s.c {
		dst[i] = atomic.LoadUint64(&s.c[i])
	}
}
