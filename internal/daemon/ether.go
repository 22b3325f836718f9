package daemon

import (
	"encoding/binary"

	"github.com/siit-project/siit/internal/nexthop"
	"github.com/siit-project/siit/xlat"
)

// Ethernet framing used by the workers. siit only handles untagged frames on
// the fast path: the steering program passes VLAN-tagged frames to the kernel
// unless VLAN steering is enabled, and a tagged frame that still reaches a
// worker is counted and dropped.

const (
	ethHdrLen   = 14
	etherTypeV4 = 0x0800
	etherTypeV6 = 0x86dd
)

// writeEther writes an untagged Ethernet header into b[:14].
func writeEther(b []byte, dst, src *[6]byte, v6 bool) {
	copy(b[0:6], dst[:])
	copy(b[6:12], src[:])
	et := uint16(etherTypeV4)
	if v6 {
		et = etherTypeV6
	}
	binary.BigEndian.PutUint16(b[12:14], et)
}

// dst4 and dst6 read the destination of an IPv4 / IPv6 header.
func dst4(p []byte) uint32 { return binary.BigEndian.Uint32(p[16:20]) }

func dst6(p []byte) (hi, lo uint64) {
	return binary.BigEndian.Uint64(p[24:32]), binary.BigEndian.Uint64(p[32:40])
}

// flowOf4 and flowOf6 describe a packet for policy routing (see
// nexthop.Flow): addresses, transport protocol (after an IPv6 fragment
// header), TOS / traffic class, and TCP/UDP ports unless it is a later
// fragment. The caller has checked the fixed header's length.
func flowOf4(p []byte, fl *nexthop.Flow) {
	if len(p) < xlat.IPv4MinLen {
		return
	}
	h := xlat.IPv4(p)
	fl.SrcHi, fl.DstHi = uint64(h.Src())<<32, uint64(h.Dst())<<32
	fl.Proto, fl.TOS = h.Protocol(), h.TOS()
	if h.FragOffset() == 0 {
		fl.Sport, fl.Dport = ports(p, max(h.HeaderLen(), xlat.IPv4MinLen), fl.Proto)
	}
}

func flowOf6(p []byte, fl *nexthop.Flow) {
	if len(p) < xlat.IPv6HeaderLen {
		return
	}
	h := xlat.IPv6(p)
	fl.SrcHi, fl.SrcLo = h.Src()
	fl.DstHi, fl.DstLo = h.Dst()
	fl.Proto, fl.TOS = h.NextHeader(), h.TrafficClass()
	l4 := xlat.IPv6HeaderLen
	if fl.Proto == 44 { // fragment header: next header, offset
		if len(p) < l4+8 {
			return
		}
		fl.Proto = p[l4]
		if binary.BigEndian.Uint16(p[l4+2:])&0xfff8 != 0 {
			return
		}
		l4 += 8
	}
	fl.Sport, fl.Dport = ports(p, l4, fl.Proto)
}

func ports(p []byte, l4 int, proto uint8) (uint16, uint16) {
	if (proto != 6 && proto != 17) || l4+4 > len(p) {
		return 0, 0
	}
	return binary.BigEndian.Uint16(p[l4:]), binary.BigEndian.Uint16(p[l4+2:])
}

// forwardDecrement is the router step of --forward-only mode: decrement
// TTL / hop limit (with an RFC 1624 checksum update for IPv4). It reports
// false when the packet must not be forwarded (expired or malformed).
func forwardDecrement(p []byte, v6 bool) bool {
	if v6 {
		if len(p) < 40 || p[0]>>4 != 6 || p[7] <= 1 {
			return false
		}
		p[7]--
		return true
	}
	if len(p) < 20 || p[0]>>4 != 4 || p[8] <= 1 {
		return false
	}
	p[8]--
	// HC' = HC + 0x0100 (ones' complement), since the TTL is the high byte of
	// its 16-bit word and decreased by one (RFC 1624 eqn. 3).
	sum := uint32(binary.BigEndian.Uint16(p[10:12])) + 0x0100
	sum = (sum & 0xffff) + (sum >> 16)
	binary.BigEndian.PutUint16(p[10:12], uint16(sum))
	return true
}
