package xlat

import "encoding/binary"

// RFC 7915 §4: IPv4 -> IPv6.

// hairpinKind tells xlat46 whether it is translating a packet from the wire
// or the second half of a 6->4->6 U-turn.
type hairpinKind uint8

const (
	fromWire hairpinKind = iota
	hairpinSimple
	hairpinIntrinsic
)

// Translate4to6 translates the IPv4 packet buf[off:off+n] into IPv6 in
// place: the IPv6 header (and a fragment header for IPv4 fragments) is
// written in front of the upper-layer header, which does not move. It needs
// off >= 20 (28 for fragments) more bytes than the IPv4 header is long; with
// less headroom the packet is first moved toward the end of buf if buf has
// room, else it is dropped (StatENOMEM).
func (t *Translator) Translate4to6(cfg *Config, buf []byte, off, n int, out *Output) Result {
	out.reset()
	if off < 0 || n < 0 || off+n > len(buf) {
		return t.drop(StatL3HdrOffset)
	}
	return t.xlat46(cfg, buf, off, n, out, fromWire)
}

// xlat46 is the 4->6 translation proper, for a packet within buf (the caller
// checked the offsets and reset out): from the wire (counted as received
// here) or the second half of a U-turn (already counted by xlat64). A
// forwarded result counts as a success here in both cases.
func (t *Translator) xlat46(c *Config, buf []byte, off, n int, out *Output, hp hairpinKind) Result {
	if hp == fromWire {
		t.Stats.Inc(StatReceived4)
		if !c.enabled {
			return t.pass(StatXlatorDisabled)
		}
		if isFast46(buf, off, n) {
			if r, ok := t.tryFast46(c, buf, off, n); ok {
				return r
			}
		}
	}
	return t.slow46(c, buf, off, n, out, hp)
}

// slow46 is xlat46 past the counting and the fast path (Translate does
// those itself, to save a call level).
func (t *Translator) slow46(c *Config, buf []byte, off, n int, out *Output, hp hairpinKind) Result {
	if n < IPv4MinLen {
		return t.drop(StatSKBTruncated)
	}
	h := IPv4(buf[off : off+n])
	if h.Version() != 4 {
		return t.drop(StatHdr4)
	}
	ihl := h.HeaderLen()
	if ihl < IPv4MinLen {
		return t.drop(StatHdr4)
	}
	if ihl > n {
		return t.drop(StatSKBTruncated)
	}
	tl := h.TotalLen()
	if tl < ihl {
		return t.drop(StatHdr4)
	}
	if tl > n {
		return t.drop(StatSKBTruncated)
	}
	if ihl == IPv4MinLen {
		if fold(sumIPv4Header(buf[off:])) != 0xffff {
			return t.drop(StatHdr4)
		}
	} else if checksum(buf[off:off+ihl], 0) != 0 {
		return t.drop(StatHdr4)
	}
	end := off + tl
	l4 := off + ihl
	l4len := tl - ihl
	ff := h.FragField()
	isFrag := ff&(ip4FlagMF|ip4OffsetMask) != 0
	first := ff&ip4OffsetMask == 0
	proto := h.Protocol()
	src, dst := h.Src(), h.Dst()

	isErr := false
	if first {
		switch proto {
		case protoTCP:
			if l4len < tcpMinLen {
				return t.drop(StatSKBTruncated)
			}
		case protoUDP:
			if l4len < udpHdrLen {
				return t.drop(StatSKBTruncated)
			}
		case protoICMP:
			if l4len < icmpHdrLen {
				return t.drop(StatSKBTruncated)
			}
			isErr = isICMP4Error(buf[l4])
		}
	}
	if proto == protoICMP && isFrag {
		return t.drop(Stat46FragmentedICMP)
	}

	// Hairpinning (Jool's rule): in simple mode and in the second half of
	// an intrinsic U-turn the source is translated with pool6, not the
	// EAMT, unless the packet is an error about a packet from someone else.
	srcEAM := true
	if hp == hairpinIntrinsic || c.g.EAMHairpinMode == HairpinSimple {
		srcEAM = false
		if isErr && l4len >= icmpHdrLen+IPv4MinLen && src != be32(buf[l4+icmpHdrLen+ip4Dst:]) {
			srcEAM = true
		}
	}
	dhi, dlo, _, f := c.addr4to6(dst, true, !isErr)
	switch f {
	case addrNoMatch:
		return t.pass(StatPool4Mismatch)
	case addrDenied:
		return t.pass(Stat46Dst)
	case addrReserved:
		return t.pass(StatUntranslatableAddr4)
	}
	shi, slo, _, f := c.addr4to6(src, srcEAM, !isErr)
	if f != addrOK {
		if !isErr {
			if f == addrReserved {
				return t.pass(StatUntranslatableAddr4)
			}
			return t.pass(Stat46Src)
		}
		var ok bool
		if shi, slo, ok = t.rfc6791v6(c); !ok {
			return t.drop(Stat46RFC6791ENOENT)
		}
	}
	noErr := hp != fromWire // the second half of a U-turn drops instead of replying

	if ihl > IPv4MinLen && hasUnexpiredSourceRoute(buf[off+IPv4MinLen:off+ihl]) {
		// RFC 7915 §4.1: Destination Unreachable, Source Route Failed. Jool
		// 4.1 checks this before the TTL (4.0 and older checked the TTL
		// first), so an expiring packet with a source route gets this one.
		return t.reply4(c, buf, off, end, noErr || isErr || !first, 3, 5, 0, Stat46SrcRoute, out)
	}

	tos := h.TOS()
	if c.g.ZeroizeTrafficClass {
		tos = 0
	}
	ttl := h.TTL()
	hop := ttl
	if hp != hairpinIntrinsic {
		if ttl <= 1 {
			return t.reply4(c, buf, off, end, noErr || isErr || !first, 11, 0, 0, Stat46TTL, out)
		}
		hop = ttl - 1
	}
	if isErr {
		return t.success(t.icmpErr46(c, buf, off, end, hp, src, shi, slo, dhi, dlo, tos, hop, out))
	}

	// Size: the IPv6 packet is 20 bytes longer (28 with a fragment header).
	hdr6 := IPv6HeaderLen
	if isFrag {
		hdr6 += frag6Len
	}
	outLen := l4len + hdr6
	sport, dport := l4ports(buf, l4, end, proto, first)
	nh := proto
	if nh == protoICMP {
		nh = protoICMPv6
	}
	mtu6 := t.mtu6(shi, slo, dhi, dlo, nh, tos, sport, dport)
	mpl := min(mtu6, int(c.lowMTU))
	if mpl < 1280 {
		return t.drop(Stat46BadMTU)
	}
	fragment := false
	if ff&ip4FlagDF == 0 {
		fragment = outLen > mpl
	} else if outLen > mtu6 {
		// RFC 7915 §4 / RFC 1191: tell the sender the largest IPv4 packet
		// that fits the IPv6 path.
		return t.reply4(c, buf, off, end, noErr || !first, 3, 4, uint32(mtu6-(hdr6-IPv4MinLen)), StatPktTooBig, out)
	}

	// Upper layer.
	if first {
		delta := csumDelta(sum4(src)+sum4(dst), sum6(shi, slo)+sum6(dhi, dlo))
		switch proto {
		case protoTCP:
			ck := buf[l4+tcpCsum:]
			put16(ck, csumApply(be16(ck), delta))
		case protoUDP:
			ck := buf[l4+udpCsum:]
			if v := be16(ck); v != 0 {
				v = csumApply(v, delta)
				if v == 0 {
					v = 0xffff
				}
				put16(ck, v)
			} else {
				// RFC 7915 §4.5 and Jool: compute it for whole packets when
				// amend-udp-checksum-zero is on; a fragment's checksum
				// cannot be computed.
				if isFrag || !c.g.AmendUDPChecksumZero {
					return t.drop(Stat46FragmentedZeroCsum)
				}
				v = checksum(buf[l4:end], pseudo6(shi, slo, dhi, dlo, l4len, protoUDP))
				if v == 0 {
					v = 0xffff
				}
				put16(ck, v)
			}
		case protoICMP:
			if r := icmpInfo46(buf[l4:end], pseudo6(shi, slo, dhi, dlo, l4len, protoICMPv6)); r != none {
				return t.drop(r)
			}
		}
	}
	id := h.ID()

	// Make headroom (a copy only if the caller left too little), then
	// write the headers right in front of the upper-layer header.
	need := hdr6 - ihl
	if fragment {
		need = IPv6HeaderLen + frag6Len - ihl
	}
	if off < need {
		no := makeRoom(buf, off, tl, need)
		if no < 0 {
			return t.drop(StatENOMEM)
		}
		l4, end = l4+no-off, end+no-off
	}
	if fragment {
		return t.success(t.fragment46(buf, end, l4, mpl, tos, hop, nh, id, ff, shi, slo, dhi, dlo, out))
	}
	o := l4 - hdr6
	ip := buf[o:l4]
	if isFrag {
		writeIPv6(ip, tos, outLen-IPv6HeaderLen, protoFragment, hop, shi, slo, dhi, dlo)
		writeFrag6(ip[IPv6HeaderLen:], nh, ff&ip4OffsetMask, ff&ip4FlagMF != 0, uint32(id))
	} else {
		writeIPv6(ip, tos, outLen-IPv6HeaderLen, nh, hop, shi, slo, dhi, dlo)
	}
	t.Stats.Inc(StatSuccess)
	return Result{Status: Status{Verdict: Forward, Family: Family6}, Off: o, Len: outLen}
}

func isICMP4Error(typ uint8) bool {
	switch typ {
	case 3, 4, 5, 11, 12:
		return true
	}
	return false
}

// writeIPv6 writes a 40-byte IPv6 header (flow label 0, RFC 7915 §4.1).
func writeIPv6(ip []byte, tc uint8, payloadLen int, nh, hop uint8, shi, slo, dhi, dlo uint64) {
	// One 32-bit store for payload length, next header and hop limit, and
	// binary.BigEndian directly: put16/put32 would cost more than the
	// inlining budget allows here.
	be := binary.BigEndian
	be.PutUint32(ip[ip6VerTC:], 6<<28|uint32(tc)<<20)
	be.PutUint32(ip[ip6PayloadLen:], uint32(payloadLen)<<16|uint32(nh)<<8|uint32(hop))
	be.PutUint64(ip[ip6Src:], shi)
	be.PutUint64(ip[ip6Src+8:], slo)
	be.PutUint64(ip[ip6Dst:], dhi)
	be.PutUint64(ip[ip6Dst+8:], dlo)
}

// writeFrag6 writes an IPv6 fragment header; offset is in 8-byte units.
func writeFrag6(f []byte, nh uint8, offset uint16, mf bool, id uint32) {
	f[frag6NextHdr] = nh
	f[1] = 0
	v := offset << 3
	if mf {
		v |= 1
	}
	put16(f[frag6Off:], v)
	put32(f[frag6ID:], id)
}

// hasUnexpiredSourceRoute scans IPv4 options for a loose or strict source
// route whose pointer has not passed its length (RFC 791).
func hasUnexpiredSourceRoute(opts []byte) bool {
	for i := 0; i < len(opts); {
		switch opts[i] {
		case 0: // end of options
			return false
		case 1: // no-op
			i++
			continue
		}
		if i+1 >= len(opts) {
			return false
		}
		l := int(opts[i+1])
		if opts[i] == 0x83 || opts[i] == 0x89 { // LSRR, SSRR
			return i+2 < len(opts) && int(opts[i+2]) <= l
		}
		if l < 2 {
			return false // malformed; no further options can be trusted
		}
		i += l
	}
	return false
}

// icmpInfo46 translates an ICMPv4 echo request/reply into ICMPv6 in place;
// ph is the IPv6 pseudo-header sum the ICMPv6 checksum must now cover.
func icmpInfo46(m []byte, ph uint64) Counter {
	var typ uint8
	switch m[icmpType] {
	case 8:
		typ = 128
	case 0:
		typ = 129
	default: // timestamp, address mask, information, router discovery...
		return StatUnknownICMP4Type
	}
	old := uint64(be16(m[icmpType:]))
	m[icmpType], m[icmpCode] = typ, 0
	put16(m[icmpCsum:], csumUpdate(be16(m[icmpCsum:]), old, uint64(be16(m[icmpType:]))+ph))
	return none
}
