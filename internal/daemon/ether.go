package daemon

import "encoding/binary"

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
