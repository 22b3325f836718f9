package frames

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// Info is what Parse learned from a frame.
type Info struct {
	Family       int // 4 or 6
	L4Proto      uint8
	Src, Dst     netip.Addr
	SrcPort      uint16 // ICMP: echo identifier
	DstPort      uint16 // ICMP: echo sequence number
	HopLimit     uint8  // TTL for IPv4
	IPChecksumOK bool   // always true for IPv6
	L4ChecksumOK bool
	HasStamp     bool
	Stamp        Stamp
}

// Stamp is the test stamp carried in the L4 payload.
type Stamp struct {
	Trial  uint8
	Stream uint8
	Seq    uint32
	TS     uint64 // transmit time in ns of CLOCK_MONOTONIC, 0 when not stamped
}

// Parse errors.
var (
	ErrShort     = errors.New("parse frame: truncated")
	ErrNotIP     = errors.New("parse frame: not IPv4 or IPv6")
	ErrFragment  = errors.New("parse frame: fragmented or with extension headers")
	ErrL4Unknown = errors.New("parse frame: L4 protocol is not UDP, TCP or ICMP")
)

// Parse decodes an Ethernet frame carrying IPv4 or IPv6 (no extension headers, not fragmented) with UDP, TCP or
// ICMP/ICMPv6, verifies both checksums and extracts the stamp if present. The frame must be complete (a
// truncated frame yields ErrShort).
func Parse(frame []byte) (Info, error) {
	var in Info
	if len(frame) < EthLen {
		return in, ErrShort
	}
	l3 := frame[EthLen:]
	var l4 []byte
	var pseudo []byte
	switch binary.BigEndian.Uint16(frame[12:]) {
	case 0x0800:
		if len(l3) < IPv4Len || l3[0]>>4 != 4 {
			return in, ErrShort
		}
		ihl := int(l3[0]&0xf) * 4
		tot := int(binary.BigEndian.Uint16(l3[2:]))
		if ihl < IPv4Len || tot < ihl || tot > len(l3) {
			return in, ErrShort
		}
		if binary.BigEndian.Uint16(l3[6:])&0x3fff != 0 {
			return in, ErrFragment
		}
		in.Family, in.L4Proto, in.HopLimit = 4, l3[9], l3[8]
		in.Src = netip.AddrFrom4([4]byte(l3[12:16]))
		in.Dst = netip.AddrFrom4([4]byte(l3[16:20]))
		in.IPChecksumOK = Checksum(l3[:ihl]) == 0
		l4 = l3[ihl:tot]
		if in.L4Proto != 1 {
			pseudo = pseudoHeader(l3[12:16], l3[16:20], in.L4Proto, len(l4))
		}
	case 0x86dd:
		if len(l3) < IPv6Len || l3[0]>>4 != 6 {
			return in, ErrShort
		}
		plen := int(binary.BigEndian.Uint16(l3[4:]))
		if IPv6Len+plen > len(l3) {
			return in, ErrShort
		}
		in.Family, in.L4Proto, in.HopLimit = 6, l3[6], l3[7]
		in.Src = netip.AddrFrom16([16]byte(l3[8:24]))
		in.Dst = netip.AddrFrom16([16]byte(l3[24:40]))
		in.IPChecksumOK = true
		l4 = l3[IPv6Len : IPv6Len+plen]
		pseudo = pseudoHeader(l3[8:24], l3[24:40], in.L4Proto, len(l4))
	default:
		return in, ErrNotIP
	}

	var hl int
	switch in.L4Proto {
	case 17, 1, 58:
		hl = UDPLen
	case 6:
		if len(l4) < TCPLen {
			return in, ErrShort
		}
		hl = int(l4[12]>>4) * 4
	case 0, 43, 44, 60:
		return in, ErrFragment
	default:
		return in, ErrL4Unknown
	}
	if hl < 8 || len(l4) < hl {
		return in, ErrShort
	}
	if in.L4Proto == 1 && in.Family != 4 || in.L4Proto == 58 && in.Family != 6 {
		return in, ErrL4Unknown
	}
	if in.L4Proto == 1 || in.L4Proto == 58 {
		in.SrcPort = binary.BigEndian.Uint16(l4[4:])
		in.DstPort = binary.BigEndian.Uint16(l4[6:])
	} else {
		in.SrcPort = binary.BigEndian.Uint16(l4[0:])
		in.DstPort = binary.BigEndian.Uint16(l4[2:])
	}
	if in.L4Proto == 17 && binary.BigEndian.Uint16(l4[6:]) == 0 {
		in.L4ChecksumOK = in.Family == 4 // zero means "no checksum", legal for IPv4 only
	} else if pseudo != nil {
		in.L4ChecksumOK = Checksum(pseudo, l4) == 0
	} else {
		in.L4ChecksumOK = Checksum(l4) == 0
	}
	if p := l4[hl:]; len(p) >= StampLen && p[0] == Magic0 && p[1] == Magic1 {
		in.HasStamp = true
		in.Stamp = Stamp{Trial: p[2], Stream: p[3], Seq: binary.BigEndian.Uint32(p[4:]), TS: binary.BigEndian.Uint64(p[8:])}
	}
	return in, nil
}
