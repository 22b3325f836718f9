package xlat

// none is the "no problem" Counter returned by the parsers.
const none = NumCounters

// maxExtHeaders bounds the IPv6 extension header walk. Every header is at
// least 8 bytes, so the walk is also bounded by the packet length; this cap
// keeps hostile chains (RFC 7872 shows long ones exist) cheap.
const maxExtHeaders = 16

// pkt6 is the layout of an IPv6 packet found by parse6. Offsets are absolute
// positions in the frame buffer.
type pkt6 struct {
	l4      int    // first byte after the extension headers
	proto   uint8  // upper-layer protocol (58 for ICMPv6)
	frag    int    // fragment header position, or -1
	fragOff uint16 // fragment offset, 8-byte units
	mf      bool
	fragID  uint32
	segLeft int // position of the first non-zero Segments Left field, or -1
}

// fragmented reports a real fragment (not an atomic fragment).
func (p *pkt6) fragmented() bool { return p.frag >= 0 && (p.mf || p.fragOff != 0) }

// first reports whether the packet carries the upper-layer header.
func (p *pkt6) first() bool { return p.frag < 0 || p.fragOff == 0 }

// parse6 walks the extension headers of the IPv6 packet starting at off and
// ending at end (the fixed header is known to be there). Hop-by-hop,
// routing and destination options headers are skipped, a fragment header is
// recorded; a non-first fragment ends the walk at the fragment header.
func parse6(b []byte, off, end int, p *pkt6) Counter {
	nh := b[off+ip6NextHdr]
	pos := off + IPv6HeaderLen
	p.frag, p.segLeft, p.fragOff, p.mf, p.fragID = -1, -1, 0, false, 0
	for i := 0; ; i++ {
		switch nh {
		case protoHopByHop, protoRouting, protoDstOpts:
			if p.frag >= 0 {
				return Stat64FragThenExt
			}
			if nh == protoHopByHop && i != 0 {
				return StatHdr6 // RFC 8200 §4.3: only right after the IPv6 header
			}
			if i >= maxExtHeaders || pos+8 > end {
				return StatHdr6Chain
			}
			l := (int(b[pos+1]) + 1) * 8
			if pos+l > end {
				return StatHdr6Chain
			}
			if nh == protoRouting && b[pos+3] != 0 && p.segLeft < 0 {
				p.segLeft = pos + 3
			}
			nh = b[pos]
			pos += l
		case protoFragment:
			if p.frag >= 0 {
				return Stat64DoubleFrag
			}
			if i >= maxExtHeaders || pos+frag6Len > end {
				return StatHdr6Chain
			}
			fo := be16(b[pos+frag6Off:])
			p.frag, p.fragOff, p.mf, p.fragID = pos, fo>>3, fo&1 != 0, be32(b[pos+frag6ID:])
			nh = b[pos+frag6NextHdr]
			pos += frag6Len
			if p.fragOff != 0 {
				p.proto, p.l4 = nh, pos // the rest is payload, not headers
				return none
			}
		case 135, 139, 140, 253, 254: // mobility, HIP, shim6, experimental: no IPv4 form
			return StatUnknownL4Proto
		default:
			p.proto, p.l4 = nh, pos
			return none
		}
	}
}
