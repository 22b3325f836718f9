package xlat

// RFC 7915 §5.2-§5.3: ICMPv6 errors -> ICMPv4 errors, inner packet included.

// icmpErr64 translates the ICMPv6 error at p.l4 of the IPv6 packet
// buf[off:end]. s4/d4 are the outer IPv4 addresses (the source possibly from
// the RFC 6791 pool), ttl the decremented hop limit, tos the outer TOS.
//
// Layout: the inner upper-layer header stays where it is; the inner IPv4
// header, the ICMPv4 header and the outer IPv4 header are written right in
// front of it (20 + 8 + 20 bytes), over the longer IPv6 headers.
func (t *Translator) icmpErr64(c *Config, buf []byte, off, end int, p *pkt6, s4, d4 uint32, ttl, tos uint8,
	out *Output) (Result, bool) {
	h := IPv6(buf[off:end])
	shi, slo := h.Src()
	dhi, dlo := h.Dst()
	m := buf[p.l4:end]
	if checksum(m, pseudo6(shi, slo, dhi, dlo, len(m), protoICMPv6)) != 0 {
		return t.drop(Stat64ICMPCsum), false
	}
	typ, code, rest6 := m[icmpType], m[icmpCode], be32(m[icmpRest:])
	var t4, c4 uint8
	var rest uint32
	hasLen := false // both the ICMPv6 and the ICMPv4 type have an RFC 4884 length
	switch typ {
	case 1: // Destination Unreachable
		t4, hasLen = 3, true
		switch code {
		case 0, 2, 3: // no route, beyond scope, address unreachable
			c4 = 1 // host unreachable
		case 1: // administratively prohibited
			c4 = 10
		case 4: // port unreachable
			c4 = 3
		default:
			return t.drop(StatUnknownICMP6Type), false
		}
	case 2: // Packet Too Big -> Fragmentation Needed; MTU below
		t4, c4 = 3, 4
	case 3: // Time Exceeded
		if code > 1 {
			return t.drop(StatUnknownICMP6Type), false
		}
		t4, c4, hasLen = 11, code, true
	case 4: // Parameter Problem
		switch code {
		case 0: // erroneous header field
			ptr := paramPtr64(rest6)
			if ptr < 0 {
				return t.drop(Stat64UntranslatableParamProbPtr), false
			}
			t4, rest = 12, uint32(ptr)<<24
		case 1: // unrecognized next header -> protocol unreachable
			t4, c4 = 3, 2
		default: // unrecognized option: no counterpart
			return t.drop(StatUnknownICMP6Type), false
		}
	default:
		return t.drop(StatUnknownICMP6Type), false
	}

	q := p.l4 + icmpHdrLen
	lenBytes := 0
	if hasLen {
		lenBytes = int(m[icmpRest]) * 8
	}
	dgEnd, es, el, r := icmpBody(q, end, lenBytes)
	if r != none {
		return t.drop(r), false
	}
	if dgEnd-q < IPv6HeaderLen {
		return t.drop(StatSKBTruncated), false
	}
	ih := IPv6(buf[q:dgEnd])
	if ih.Version() != 6 {
		return t.drop(StatHdr6), false
	}
	ipl := ih.PayloadLen()
	innerEnd := min(q+IPv6HeaderLen+ipl, dgEnd)
	var ip pkt6
	if r := parse6(buf, q, innerEnd, &ip); r != none {
		return t.drop(r), false
	}
	if ip.first() && ip.proto == protoICMPv6 && ip.l4 < innerEnd && buf[ip.l4] < 128 {
		return t.drop(StatDoubleICMP6Error), false
	}
	ishi, islo := ih.Src()
	idhi, idlo := ih.Dst()
	id4, _, f := c.addr6to4(idhi, idlo, false)
	if f != addrOK {
		return t.drop(Stat64Dst), false
	}
	is4, ism, f := c.addr6to4(ishi, islo, false)
	if f != addrOK {
		return t.drop(Stat64Src), false
	}

	// Inner IPv4 header fields (the inner packet is not routed: no TTL
	// decrement; total length is the one the original packet claimed).
	itl := IPv6HeaderLen + ipl - (ip.l4 - q) + IPv4MinLen
	itos := ih.TrafficClass()
	if c.g.OverrideTOS {
		itos = c.g.TOS
	}
	var iid, ifrag uint16
	if ip.frag >= 0 {
		iid, ifrag = uint16(ip.fragID), ip.fragOff&ip4OffsetMask
		if ip.mf {
			ifrag |= ip4FlagMF
		}
	} else if itl > 1260 {
		ifrag = ip4FlagDF
	}
	iproto := ip.proto
	if iproto == protoICMPv6 {
		iproto = protoICMP
	}
	ihop := ih.HopLimit()

	// Inner upper layer, best effort (it is usually truncated).
	if ip.first() {
		old, new := sum6(ishi, islo)+sum6(idhi, idlo), sum4(is4)+sum4(id4)
		switch ip.proto {
		case protoTCP:
			if ip.l4+tcpCsum+2 <= innerEnd {
				ck := buf[ip.l4+tcpCsum:]
				put16(ck, csumUpdate(be16(ck), old, new))
			}
		case protoUDP:
			if ip.l4+udpHdrLen <= innerEnd {
				ck := buf[ip.l4+udpCsum:]
				if v := be16(ck); v != 0 {
					if v = csumUpdate(v, old, new); v == 0 {
						v = 0xffff
					}
					put16(ck, v)
				}
			}
		case protoICMPv6:
			if ip.l4+icmpRest <= innerEnd {
				ph := pseudo6(ishi, islo, idhi, idlo, itl-IPv4MinLen, protoICMPv6)
				if r := icmpInfo64(buf[ip.l4:innerEnd], ph); r != none {
					return t.drop(r), false
				}
			}
		}
	}

	if typ == 2 {
		// RFC 7915 §5.2: MTU - 20, and no more than the IPv4 next hop and
		// the IPv6 link the error came in on (minus 20) allow.
		mtu := max(int(rest6)-20, 0)
		mtu = min(mtu, t.mtu4(s4, d4, protoICMP, tos, 0, 0), t.mtu6(0, 0, shi, slo, protoICMPv6, 0, 0, 0)-20, 0xffff)
		rest = uint32(mtu)
	}

	ii := ip.l4 - IPv4MinLen
	writeIPv4(buf[ii:ip.l4], itos, itl, iid, ifrag, ihop, iproto, is4, id4)
	body, lw, ok := extLayout(buf, ii, dgEnd-ii, es, el, maxICMP4Err-IPv4MinLen-icmpHdrLen, 4, hasLen)
	if !ok {
		return t.drop(StatENOMEM), false
	}
	mo := ii - icmpHdrLen
	msg := buf[mo : ii+body]
	msg[icmpType], msg[icmpCode] = t4, c4
	put16(msg[icmpCsum:], 0)
	put32(msg[icmpRest:], rest)
	if lw != 0 {
		msg[icmpRest+1] = byte(lw) // RFC 4884: ICMPv4 length, 32-bit words
	}
	put16(msg[icmpCsum:], checksum(msg, 0))
	o := mo - IPv4MinLen
	total := IPv4MinLen + len(msg)
	writeIPv4(buf[o:mo], tos, total, uint16(t.rand()), 0, ttl, protoICMP, s4, d4)

	hairpin := false
	switch c.g.EAMHairpinMode {
	case HairpinIntrinsic: // Jool's condition B: the error is about a hairpinned packet
		hairpin = ism == viaPool6 && c.eamtHas4(is4)
	case HairpinSimple:
		hairpin = c.eamtHas4(d4)
	}
	return Result{Status: Status{Verdict: Forward, Family: Family4}, Off: o, Len: total}, hairpin
}

// paramPtr64 maps an ICMPv6 Parameter Problem pointer to the ICMPv4 one
// (RFC 7915 §5.2 Figure 6); -1 means "no counterpart".
func paramPtr64(p uint32) int {
	switch {
	case p == 0: // version/traffic class -> version/IHL
		return 0
	case p == 1: // traffic class/flow label -> type of service
		return 1
	case p == 4 || p == 5: // payload length -> total length
		return 2
	case p == 6: // next header -> protocol
		return 9
	case p == 7: // hop limit -> TTL
		return 8
	case p >= 8 && p <= 23: // source address
		return 12
	case p >= 24 && p <= 39: // destination address
		return 16
	}
	return -1 // 2, 3 (flow label) and beyond the fixed header
}
