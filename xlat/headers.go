package xlat

import "encoding/binary"

// Typed views over header bytes. Each view is a slice that starts at the
// header; callers check the length once (the parsers in 6to4.go / 4to6.go do)
// and then use the one-line accessors. Offsets are named under the diagrams.

// IPv4 is an IPv4 header (RFC 791):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|Version|  IHL  |Type of Service|          Total Length         |
//	|         Identification        |Flags|      Fragment Offset    |
//	|  Time to Live |    Protocol   |         Header Checksum       |
//	|                       Source Address                          |
//	|                    Destination Address                        |
//	|                    Options (IHL > 5)                          |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
type IPv4 []byte

const (
	ip4VerIHL   = 0
	ip4TOS      = 1
	ip4TotalLen = 2
	ip4ID       = 4
	ip4Frag     = 6
	ip4TTL      = 8
	ip4Proto    = 9
	ip4Csum     = 10
	ip4Src      = 12
	ip4Dst      = 16
	// IPv4MinLen is the length of an IPv4 header without options.
	IPv4MinLen = 20

	ip4FlagDF     = 0x4000
	ip4FlagMF     = 0x2000
	ip4OffsetMask = 0x1fff
)

func (h IPv4) Version() uint8    { return h[ip4VerIHL] >> 4 }
func (h IPv4) HeaderLen() int    { return int(h[ip4VerIHL]&0xf) * 4 }
func (h IPv4) TOS() uint8        { return h[ip4TOS] }
func (h IPv4) TotalLen() int     { return int(binary.BigEndian.Uint16(h[ip4TotalLen:])) }
func (h IPv4) ID() uint16        { return binary.BigEndian.Uint16(h[ip4ID:]) }
func (h IPv4) FragField() uint16 { return binary.BigEndian.Uint16(h[ip4Frag:]) }
func (h IPv4) TTL() uint8        { return h[ip4TTL] }
func (h IPv4) Protocol() uint8   { return h[ip4Proto] }
func (h IPv4) Src() uint32       { return binary.BigEndian.Uint32(h[ip4Src:]) }
func (h IPv4) Dst() uint32       { return binary.BigEndian.Uint32(h[ip4Dst:]) }

// IsFragment reports MF set or a non-zero fragment offset.
func (h IPv4) IsFragment() bool { return h.FragField()&(ip4FlagMF|ip4OffsetMask) != 0 }

// FragOffset is the fragment offset in 8-byte units.
func (h IPv4) FragOffset() uint16 { return h.FragField() & ip4OffsetMask }

// IPv6 is an IPv6 header (RFC 8200):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|Version| Traffic Class |           Flow Label                  |
//	|         Payload Length        |  Next Header  |   Hop Limit   |
//	|                  Source Address (16 bytes, offset 8)          |
//	|                Destination Address (16 bytes, offset 24)      |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
type IPv6 []byte

const (
	ip6VerTC      = 0
	ip6PayloadLen = 4
	ip6NextHdr    = 6
	ip6HopLimit   = 7
	ip6Src        = 8
	ip6Dst        = 24
	// IPv6HeaderLen is the fixed IPv6 header length.
	IPv6HeaderLen = 40
)

func (h IPv6) Version() uint8      { return h[0] >> 4 }
func (h IPv6) TrafficClass() uint8 { return uint8(be16(h[0:]) >> 4) }
func (h IPv6) PayloadLen() int     { return int(binary.BigEndian.Uint16(h[ip6PayloadLen:])) }
func (h IPv6) NextHeader() uint8   { return h[ip6NextHdr] }
func (h IPv6) HopLimit() uint8     { return h[ip6HopLimit] }
func (h IPv6) Src() (hi, lo uint64) {
	return binary.BigEndian.Uint64(h[ip6Src:]), binary.BigEndian.Uint64(h[ip6Src+8:])
}
func (h IPv6) Dst() (hi, lo uint64) {
	return binary.BigEndian.Uint64(h[ip6Dst:]), binary.BigEndian.Uint64(h[ip6Dst+8:])
}

// IPv6 fragment header (RFC 8200 §4.5):
//
//	+---------------+---------------+-------------------------+-+-+
//	|  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
//	|                         Identification                        |
//	+---------------+---------------+-------------------------+-+-+
const (
	frag6NextHdr = 0
	frag6Off     = 2 // 13-bit offset << 3 | M
	frag6ID      = 4
	frag6Len     = 8
)

// Protocol numbers.
const (
	protoHopByHop = 0
	protoICMP     = 1
	protoTCP      = 6
	protoUDP      = 17
	protoRouting  = 43
	protoFragment = 44
	protoICMPv6   = 58
	protoNoNext   = 59
	protoDstOpts  = 60
)

// ICMP header (RFC 792 / RFC 4443), 8 bytes in both versions:
//
//	+---------------+---------------+-------------------------------+
//	|     Type      |     Code      |          Checksum             |
//	|   rest of header (id/seq, MTU, pointer, RFC 4884 length)      |
//	+---------------+---------------+-------------------------------+
const (
	icmpType   = 0
	icmpCode   = 1
	icmpCsum   = 2
	icmpRest   = 4
	icmpHdrLen = 8
)

// UDP: checksum at offset 6 of an 8-byte header; TCP: checksum at offset 16
// of a header of at least 20 bytes.
const (
	udpCsum   = 6
	udpHdrLen = 8
	tcpCsum   = 16
	tcpMinLen = 20
)

func be16(b []byte) uint16 {
	_ = b[1]
	return uint16(b[1]) | uint16(b[0])<<8
}
func be32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[3]) | uint32(b[2])<<8 | uint32(b[1])<<16 | uint32(b[0])<<24
}
func put16(b []byte, v uint16) {
	_ = b[1]
	b[0], b[1] = byte(v>>8), byte(v)
}
func put32(b []byte, v uint32) {
	_ = b[3]
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}
func put64(b []byte, v uint64) { binary.BigEndian.PutUint64(b, v) }
func get64(b []byte) uint64    { return binary.BigEndian.Uint64(b) }
