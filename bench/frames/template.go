package frames

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// Header and stamp sizes in bytes.
const (
	EthLen   = 14
	IPv4Len  = 20
	IPv6Len  = 40
	UDPLen   = 8
	TCPLen   = 20
	ICMPLen  = 8
	StampLen = 16
	FCSLen   = 4 // counted in FrameSize, never written: veth and NIC drivers add it
	// MaxHead is the largest frame head the generator rewrites on every transmission.
	MaxHead = 128
	// MaxFrameSize bounds FrameSize: a live frame must fit in one page with the kernel's head and tail room.
	MaxFrameSize = 3000
)

// Stamp magic bytes at the start of the L4 payload.
const (
	Magic0 = 0x51
	Magic1 = 0x17
)

// Proto is the L4 protocol of a template.
type Proto uint8

// Supported L4 protocols; ICMP means ICMP echo request for IPv4 and ICMPv6 echo request for IPv6.
const (
	UDP Proto = iota + 1
	TCP
	ICMP
)

func (p Proto) String() string {
	switch p {
	case UDP:
		return "udp"
	case TCP:
		return "tcp"
	case ICMP:
		return "icmp"
	}
	return fmt.Sprintf("proto(%d)", uint8(p))
}

// ParseProto parses "udp", "tcp" or "icmp".
func ParseProto(s string) (Proto, error) {
	switch s {
	case "udp":
		return UDP, nil
	case "tcp":
		return TCP, nil
	case "icmp":
		return ICMP, nil
	}
	return 0, fmt.Errorf("parse protocol %q: want udp, tcp or icmp", s)
}

// Spec describes the frames of one traffic stream.
type Spec struct {
	Proto            Proto
	SrcMAC, DstMAC   net.HardwareAddr
	Src, Dst         netip.Addr // both IPv4 or both IPv6
	SrcPort, DstPort uint16     // ICMP: SrcPort is the base echo identifier
	FrameSize        int        // RFC 2544 frame size: Ethernet header to FCS inclusive
	Flows            int        // flows: SrcPort (or echo id) takes Flows consecutive values; >= 1
	AddrFlows        int        // when > 1, the last source address octet also takes this many values
	Timestamp        bool       // put the transmit time into the stamp (costs a clock read per frame)
}

// Template is a built Spec: the frame for flow 0 / sequence 0 plus what the XDP generator needs.
type Template struct {
	Spec  Spec
	Frame []byte // FrameSize-FCSLen bytes, valid checksums

	// Head is Frame[:len(Head)] with every varied field and both checksums zeroed; the generator copies it over
	// the frame on every transmission and then writes the varied fields.
	Head      []byte
	L3Off     int
	L4Off     int
	PortOff   int // offset of the varied 16-bit field (source port or echo identifier)
	AddrOff   int // offset of the last source address octet
	L4CsumOff int
	IPCsumOff int // 0 for IPv6
	StampOff  int
	AddrBase  uint8
	L4Pseudo  bool   // the L4 checksum covers the addresses (UDP, TCP, ICMPv6)
	L4Base    uint32 // folded native ones' complement sum of the L4 checksum input with varied fields zero
	IPBase    uint32 // the same for the IPv4 header
}

// MinFrameSize returns the smallest RFC 2544 frame size that carries headers and stamp for family (4 or 6) and
// proto, never below RFC 8219's minimums (64 for IPv4, 84 for IPv6).
func MinFrameSize(family int, proto Proto) int {
	n := EthLen + StampLen + FCSLen
	if family == 4 {
		n += IPv4Len
	} else {
		n += IPv6Len
	}
	if proto == TCP {
		n += TCPLen
	} else {
		n += UDPLen
	}
	if family == 6 {
		return max(n, 84) // RFC 8219: IPv6 sizes are IPv4's plus 20, so 6->4 frames are never below 64
	}
	return max(n, 64)
}

// Build validates s and builds its template.
func Build(s Spec) (*Template, error) {
	if !s.Src.IsValid() || !s.Dst.IsValid() || s.Src.Is4() != s.Dst.Is4() {
		return nil, errors.New("build template: source and destination must be valid addresses of one family")
	}
	s.Src, s.Dst = s.Src.Unmap(), s.Dst.Unmap()
	family := 6
	if s.Src.Is4() {
		family = 4
	}
	if s.Proto < UDP || s.Proto > ICMP {
		return nil, fmt.Errorf("build template: unknown protocol %d", s.Proto)
	}
	if len(s.SrcMAC) != 6 || len(s.DstMAC) != 6 {
		return nil, errors.New("build template: source and destination MAC addresses are required")
	}
	if minSize := MinFrameSize(family, s.Proto); s.FrameSize < minSize || s.FrameSize > MaxFrameSize {
		return nil, fmt.Errorf("build template: frame size %d out of range [%d, %d] for IPv%d/%s (sizes count the FCS)",
			s.FrameSize, minSize, MaxFrameSize, family, s.Proto)
	}
	if s.Flows < 1 || s.Flows > 65536 || int(s.SrcPort)+s.Flows-1 > 65535 {
		return nil, fmt.Errorf("build template: %d flows from port %d do not fit in 16 bits; use 1..%d flows",
			s.Flows, s.SrcPort, 65536-int(s.SrcPort))
	}
	srcBytes := s.Src.AsSlice()
	last := srcBytes[len(srcBytes)-1]
	if s.AddrFlows > 1 && int(last)+s.AddrFlows-1 > 255 {
		return nil, fmt.Errorf("build template: %d address flows from last octet %d exceed 255; lower -addr-flows or the source address",
			s.AddrFlows, last)
	}

	t := &Template{Spec: s, Frame: make([]byte, s.FrameSize-FCSLen), L3Off: EthLen, AddrBase: last}
	f := t.Frame
	copy(f[0:6], s.DstMAC)
	copy(f[6:12], s.SrcMAC)
	var l4proto uint8
	switch {
	case s.Proto == UDP:
		l4proto = 17
	case s.Proto == TCP:
		l4proto = 6
	case family == 4:
		l4proto = 1
	default:
		l4proto = 58
	}
	if family == 4 {
		binary.BigEndian.PutUint16(f[12:], 0x0800)
		ip := f[EthLen:]
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(len(f)-EthLen))
		binary.BigEndian.PutUint16(ip[6:], 0x4000) // DF
		ip[8] = 64
		ip[9] = l4proto
		copy(ip[12:16], srcBytes)
		copy(ip[16:20], s.Dst.AsSlice())
		t.L4Off = EthLen + IPv4Len
		t.IPCsumOff = EthLen + 10
		t.AddrOff = EthLen + 15
	} else {
		binary.BigEndian.PutUint16(f[12:], 0x86dd)
		ip := f[EthLen:]
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(len(f)-EthLen-IPv6Len))
		ip[6] = l4proto
		ip[7] = 64
		copy(ip[8:24], srcBytes)
		copy(ip[24:40], s.Dst.AsSlice())
		t.L4Off = EthLen + IPv6Len
		t.AddrOff = EthLen + 23
	}
	l4len := len(f) - t.L4Off
	l4 := f[t.L4Off:]
	t.L4Pseudo = !(s.Proto == ICMP && family == 4)
	switch s.Proto {
	case UDP:
		binary.BigEndian.PutUint16(l4[0:], s.SrcPort)
		binary.BigEndian.PutUint16(l4[2:], s.DstPort)
		binary.BigEndian.PutUint16(l4[4:], uint16(l4len))
		t.PortOff, t.L4CsumOff, t.StampOff = t.L4Off, t.L4Off+6, t.L4Off+UDPLen
	case TCP:
		binary.BigEndian.PutUint16(l4[0:], s.SrcPort)
		binary.BigEndian.PutUint16(l4[2:], s.DstPort)
		l4[12] = 5 << 4
		l4[13] = 0x18 // PSH, ACK
		binary.BigEndian.PutUint16(l4[14:], 65535)
		t.PortOff, t.L4CsumOff, t.StampOff = t.L4Off, t.L4Off+16, t.L4Off+TCPLen
	case ICMP:
		l4[0] = 8 // echo request
		if family == 6 {
			l4[0] = 128
		}
		binary.BigEndian.PutUint16(l4[4:], s.SrcPort)
		t.PortOff, t.L4CsumOff, t.StampOff = t.L4Off+4, t.L4Off+2, t.L4Off+ICMPLen
	}
	f[t.StampOff], f[t.StampOff+1] = Magic0, Magic1

	headLen := (t.StampOff + StampLen + 3) &^ 3
	if headLen > len(f) {
		headLen = len(f)
	}
	t.Head = append([]byte(nil), f[:headLen]...)
	h := t.Head
	h[t.PortOff], h[t.PortOff+1] = 0, 0
	h[t.AddrOff] = 0
	clear(h[t.StampOff : t.StampOff+StampLen])

	// Partial sums over the zeroed head plus the (constant) rest of the frame.
	// The whole 16-bit word holding the varied octet is left out: the generator adds it back after writing.
	zeroed := append(append([]byte(nil), h...), f[headLen:]...)
	zeroed[t.AddrOff&^1], zeroed[t.AddrOff|1] = 0, 0
	var l4sum uint32
	if t.L4Pseudo {
		zl3 := zeroed[EthLen:]
		if family == 4 {
			l4sum = sumNative(l4sum, pseudoHeader(zl3[12:16], zl3[16:20], l4proto, l4len))
		} else {
			l4sum = sumNative(l4sum, pseudoHeader(zl3[8:24], zl3[24:40], l4proto, l4len))
		}
	}
	t.L4Base = fold(sumNative(l4sum, zeroed[t.L4Off:]))
	if family == 4 {
		t.IPBase = fold(sumNative(0, zeroed[EthLen:EthLen+IPv4Len]))
	}

	t.Render(t.Frame, 0, 0, 0, 0)
	return t, nil
}

// AddrSpan returns how many values the last source address octet takes (1 when it does not vary).
func (t *Template) AddrSpan() int {
	return max(t.Spec.AddrFlows, 1)
}

// Family returns 4 or 6.
func (t *Template) Family() int {
	if t.Spec.Src.Is4() {
		return 4
	}
	return 6
}

// Render writes into dst (len(t.Frame) bytes) the frame the generator sends for sequence number seq: flow
// seq%Flows, the stamp (trial, stream, seq, ts) and checksums computed from scratch.
func (t *Template) Render(dst []byte, seq uint64, trial, stream uint8, ts uint64) {
	t.RenderFlow(dst, uint32(seq%uint64(t.Spec.Flows)), seq, trial, stream, ts)
}

// RenderFlow is Render with the flow (0..Flows-1) given rather than derived from seq: a generator that
// interleaves the templates of several legs moves every leg to its next flow once per round.
func (t *Template) RenderFlow(dst []byte, flow uint32, seq uint64, trial, stream uint8, ts uint64) {
	copy(dst, t.Frame)
	binary.BigEndian.PutUint16(dst[t.PortOff:], t.Spec.SrcPort+uint16(flow))
	dst[t.AddrOff] = t.AddrBase + uint8(flow%uint32(t.AddrSpan()))
	st := dst[t.StampOff:]
	st[0], st[1], st[2], st[3] = Magic0, Magic1, trial, stream
	binary.BigEndian.PutUint32(st[4:], uint32(seq))
	binary.BigEndian.PutUint64(st[8:], ts)

	l3 := dst[EthLen:]
	l4 := dst[t.L4Off:]
	binary.BigEndian.PutUint16(dst[t.L4CsumOff:], 0)
	var c uint16
	switch {
	case !t.L4Pseudo:
		c = Checksum(l4)
	case t.Family() == 4:
		c = Checksum(pseudoHeader(l3[12:16], l3[16:20], l3[9], len(l4)), l4)
	default:
		c = Checksum(pseudoHeader(l3[8:24], l3[24:40], l3[6], len(l4)), l4)
	}
	if c == 0 && t.Spec.Proto == UDP {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(dst[t.L4CsumOff:], c)
	if t.Family() == 4 {
		binary.BigEndian.PutUint16(dst[t.IPCsumOff:], 0)
		binary.BigEndian.PutUint16(dst[t.IPCsumOff:], Checksum(l3[:IPv4Len]))
	}
}

// PairedSize is the size of a frame of family to (4 or 6) that carries the same payload as a frame of size bytes
// of family from: RFC 8219 pairs an IPv6 frame with the IPv4 frame 20 bytes shorter (the header difference).
func PairedSize(size, from, to int) int {
	switch {
	case from == 6 && to == 4:
		return size - 20
	case from == 4 && to == 6:
		return size + 20
	}
	return size
}
