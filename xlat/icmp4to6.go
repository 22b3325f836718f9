package xlat

// RFC 7915 §4.2-§4.3: ICMPv4 errors -> ICMPv6 errors, inner packet included.

// icmpErr46 translates the ICMPv4 error of the IPv4 packet buf[off:end].
// The outer IPv6 addresses, traffic class and (decremented) hop limit are
// already known.
//
// Layout: the inner upper-layer header stays where it is; the inner IPv6
// header (+ fragment header), the ICMPv6 header and the outer IPv6 header
// are written in front of it, 40+8+40 bytes over the 20+8+20 of IPv4, so the
// packet needs that much more headroom (moved within buf if missing).
func (t *Translator) icmpErr46(c *Config, buf []byte, off, end int, hp hairpinKind, src uint32,
	shi, slo, dhi, dlo uint64, tos, hop uint8, out *Output) Result {
	l4 := off + IPv4(buf[off:end]).HeaderLen()
	m := buf[l4:end]
	if checksum(m, 0) != 0 {
		return t.drop(Stat46ICMPCsum)
	}
	typ, code, rest4 := m[icmpType], m[icmpCode], be32(m[icmpRest:])
	var t6, c6 uint8
	var rest uint32
	keepExt, ptb := false, false
	switch typ {
	case 3: // Destination Unreachable
		t6 = 1
		switch code {
		case 0, 1, 5, 6, 7, 8, 11, 12: // net/host unreachable, source route failed, unknown, isolated, TOS
			c6, keepExt = 0, true
		case 9, 10, 13, 15: // administratively prohibited, precedence cutoff
			c6, keepExt = 1, true
		case 3: // port unreachable
			c6, keepExt = 4, true
		case 2: // protocol unreachable -> Parameter Problem, pointer at Next Header
			t6, c6, rest = 4, 1, ip6NextHdr
		case 4: // fragmentation needed -> Packet Too Big
			t6, ptb = 2, true
		default: // 14 (host precedence violation) and unknown codes
			return t.drop(StatUnknownICMP4Type)
		}
	case 11: // Time Exceeded
		if code > 1 {
			return t.drop(StatUnknownICMP4Type)
		}
		t6, c6, keepExt = 3, code, true
	case 12: // Parameter Problem
		if code != 0 && code != 2 {
			return t.drop(StatUnknownICMP4Type)
		}
		ptr := paramPtr46(m[icmpRest])
		if ptr < 0 {
			return t.drop(Stat46UntranslatableParamProblemPtr)
		}
		t6, rest = 4, uint32(ptr)
	default: // source quench, redirect, and the rest
		return t.drop(StatUnknownICMP4Type)
	}

	q := l4 + icmpHdrLen
	dgEnd, es, el, r := icmpBody(q, end, int(m[icmpRest+1])*4) // types 3, 11, 12 all have the length at byte 5
	if r != none {
		return t.drop(r)
	}
	if dgEnd-q < IPv4MinLen {
		return t.drop(StatSKBTruncated)
	}
	ih := IPv4(buf[q:dgEnd])
	if ih.Version() != 4 || ih.HeaderLen() < IPv4MinLen {
		return t.drop(StatHdr4)
	}
	iihl := ih.HeaderLen()
	if q+iihl > dgEnd {
		return t.drop(StatSKBTruncated)
	}
	itl := ih.TotalLen()
	if itl < iihl {
		return t.drop(StatHdr4)
	}
	innerEnd := min(q+itl, dgEnd)
	iff := ih.FragField()
	ifrag := iff&(ip4FlagMF|ip4OffsetMask) != 0
	ifirst := iff&ip4OffsetMask == 0
	iproto, ittl, iid := ih.Protocol(), ih.TTL(), ih.ID()
	il4 := q + iihl
	if ifirst && iproto == protoICMP && il4 < innerEnd && isICMP4Error(buf[il4]) {
		return t.drop(StatDoubleICMP4Error)
	}
	is4, id4 := ih.Src(), ih.Dst()
	// Jool: while hairpinning, the inner destination (the hairpinned
	// packet's source) goes back through pool6, not the EAMT.
	hairpinning := hp == hairpinIntrinsic || c.g.EAMHairpinMode == HairpinSimple
	idhi, idlo, _, f := c.addr4to6(id4, !hairpinning, false)
	if f != addrOK {
		return t.drop(Stat46Dst)
	}
	ishi, islo, _, f := c.addr4to6(is4, true, false)
	if f != addrOK {
		return t.drop(Stat46Src)
	}
	itc := ih.TOS()
	if c.g.ZeroizeTrafficClass {
		itc = 0
	}
	ihdr6 := IPv6HeaderLen
	if ifrag {
		ihdr6 += frag6Len
	}
	inh := iproto
	if inh == protoICMP {
		inh = protoICMPv6
	}

	// Inner upper layer, best effort.
	if ifirst {
		old, new := sum4(is4)+sum4(id4), sum6(ishi, islo)+sum6(idhi, idlo)
		switch iproto {
		case protoTCP:
			if il4+tcpCsum+2 <= innerEnd {
				ck := buf[il4+tcpCsum:]
				put16(ck, csumUpdate(be16(ck), old, new))
			}
		case protoUDP:
			if il4+udpHdrLen <= innerEnd {
				ck := buf[il4+udpCsum:]
				if v := be16(ck); v != 0 {
					if v = csumUpdate(v, old, new); v == 0 {
						v = 0xffff
					}
					put16(ck, v)
				}
			}
		case protoICMP:
			if il4+icmpRest <= innerEnd {
				ph := pseudo6(ishi, islo, idhi, idlo, itl-iihl, protoICMPv6)
				if r := icmpInfo46(buf[il4:innerEnd], ph); r != none {
					return t.drop(r)
				}
			}
		}
	}

	if ptb {
		// RFC 7915 §4.2 + Jool: MTU + 20, bounded by the IPv6 egress MTU and
		// the IPv4 link the error came in on (+20), never below 1280. A zero
		// MTU (pre-RFC 1191 router) is estimated from the plateau table.
		pm := int(rest4 & 0xffff)
		if pm == 0 {
			for _, v := range c.plateaus {
				if int(v) < itl {
					pm = int(v)
					break
				}
			}
		}
		// The IPv4 side's MTU: that of the route back toward the error's
		// source, standing in for the link it came in on.
		mtu := min(pm+20, t.mtu6(shi, slo, dhi, dlo, protoICMPv6, tos, 0, 0), t.mtu4(0, src, protoICMP, 0, 0, 0)+20)
		rest = uint32(max(mtu, 1280))
	}

	// Headroom: the new headers need (40+8+40+frag) bytes in front of il4.
	if need := IPv6HeaderLen + icmpHdrLen + ihdr6 - (il4 - off); need > off {
		no := makeRoom(buf, off, end-off, need)
		if no < 0 {
			return t.drop(StatENOMEM)
		}
		d := no - off
		il4, dgEnd, es = il4+d, dgEnd+d, es+d
	}
	ii := il4 - ihdr6
	if ifrag {
		writeIPv6(buf[ii:], itc, itl-iihl+frag6Len, protoFragment, ittl, ishi, islo, idhi, idlo)
		writeFrag6(buf[ii+IPv6HeaderLen:], inh, iff&ip4OffsetMask, iff&ip4FlagMF != 0, uint32(iid))
	} else {
		writeIPv6(buf[ii:], itc, itl-iihl, inh, ittl, ishi, islo, idhi, idlo)
	}
	body, lw, ok := extLayout(buf, ii, dgEnd-ii, es, el, maxICMP6Err-IPv6HeaderLen-icmpHdrLen, 8, keepExt)
	if !ok {
		return t.drop(StatENOMEM)
	}
	mo := ii - icmpHdrLen
	msg := buf[mo : ii+body]
	msg[icmpType], msg[icmpCode] = t6, c6
	put16(msg[icmpCsum:], 0)
	put32(msg[icmpRest:], rest)
	if lw != 0 {
		msg[icmpRest] = byte(lw) // RFC 4884: ICMPv6 length, 64-bit words
	}
	put16(msg[icmpCsum:], checksum(msg, pseudo6(shi, slo, dhi, dlo, len(msg), protoICMPv6)))
	o := mo - IPv6HeaderLen
	writeIPv6(buf[o:mo], tos, len(msg), protoICMPv6, hop, shi, slo, dhi, dlo)
	return Result{Status: Status{Verdict: Forward, Family: Family6}, Off: o, Len: IPv6HeaderLen + len(msg)}
}

// paramPtr46 maps an ICMPv4 Parameter Problem pointer to the ICMPv6 one
// (RFC 7915 §4.2 Figure 3); -1 means "no counterpart".
func paramPtr46(p uint8) int {
	const x = -1
	table := [20]int8{
		0, 1, 4, 4, // version/IHL, TOS, total length
		x, x, x, x, // identification, flags/fragment offset
		7, 6, x, x, // TTL -> hop limit, protocol -> next header, checksum
		8, 8, 8, 8, // source address
		24, 24, 24, 24, // destination address
	}
	if int(p) >= len(table) {
		return x
	}
	return int(table[p])
}
