package xlat

// RFC 7915 §5: IPv6 -> IPv4.

// Translate6to4 translates the IPv6 packet buf[off:off+n] into IPv4 in
// place: the IPv4 header is written right in front of the upper-layer
// header, so the packet start moves forward and the payload never moves.
func (t *Translator) Translate6to4(cfg *Config, buf []byte, off, n int, out *Output) Result {
	out.reset()
	if off < 0 || n < 0 || off+n > len(buf) {
		return t.drop(StatL3HdrOffset)
	}
	return t.xlat64(cfg, buf, off, n, out)
}

// xlat64 is the 6->4 translation proper, for a packet within buf (the caller
// checked the offsets and reset out). It counts the packet, and its success,
// itself, and sends it back through xlat46 when it hairpins. Translate
// does what xlat64 does itself, so fast64 is one call deep.
func (t *Translator) xlat64(c *Config, buf []byte, off, n int, out *Output) Result {
	t.Stats.Inc(StatReceived6)
	if !c.enabled {
		return t.pass(StatXlatorDisabled)
	}
	if h := buf[off : off+n]; isFast64(h) {
		if r, ok := t.tryFast64(c, h, off); ok {
			return r
		}
	}
	return t.slow64(c, buf, off, n, out)
}

// slow64 is xlat64 past the counting and the fast path (Translate calls
// fast64 itself, to save a call level).
func (t *Translator) slow64(c *Config, buf []byte, off, n int, out *Output) Result {
	if n < IPv6HeaderLen {
		return t.drop(StatSKBTruncated)
	}
	h := IPv6(buf[off : off+n])
	if h.Version() != 6 {
		return t.drop(StatHdr6)
	}
	pl := h.PayloadLen()
	if pl == 0 { // jumbogram or empty: no IPv4 form
		return t.drop(StatHdr6)
	}
	if IPv6HeaderLen+pl > n {
		return t.drop(StatSKBTruncated)
	}
	end := off + IPv6HeaderLen + pl
	var p pkt6
	// The common case, an upper-layer header right after the fixed header,
	// is what parse6 would find without walking anything.
	if nh := h.NextHeader(); nh == protoTCP || nh == protoUDP || nh == protoICMPv6 {
		p = pkt6{l4: off + IPv6HeaderLen, proto: nh, frag: -1, segLeft: -1}
	} else if r := parse6(buf, off, end, &p); r != none {
		return t.drop(r)
	}
	shi, slo := h.Src()
	dhi, dlo := h.Dst()
	if reserved6(shi, slo) || reserved6(dhi, dlo) {
		return t.drop(StatUntranslatableAddr6)
	}

	l4len := end - p.l4
	isErr := false
	if p.first() {
		switch p.proto {
		case protoTCP:
			if l4len < tcpMinLen {
				return t.drop(StatSKBTruncated)
			}
		case protoUDP:
			if l4len < udpHdrLen {
				return t.drop(StatSKBTruncated)
			}
		case protoICMPv6:
			if l4len < icmpHdrLen {
				return t.drop(StatSKBTruncated)
			}
			isErr = buf[p.l4] < 128
		}
	}
	if p.proto == protoICMPv6 && p.fragmented() {
		// The ICMPv6 checksum covers the whole message; a stateless
		// translator cannot convert it fragment by fragment.
		return t.drop(Stat64FragmentedICMP)
	}

	// Addresses: destination first (Jool's order).
	d4, dm, f := c.addr6to4(dhi, dlo, !isErr)
	switch f {
	case addrNoMatch:
		return t.pass(StatPool6Mismatch)
	case addrDenied:
		return t.pass(Stat64Dst)
	case addrReserved:
		return t.pass(StatUntranslatableAddr4)
	}
	s4, _, f := c.addr6to4(shi, slo, !isErr)
	if f != addrOK {
		if !isErr {
			if f == addrReserved {
				return t.pass(StatUntranslatableAddr4)
			}
			return t.pass(Stat64Src)
		}
		var ok bool
		if s4, ok = t.rfc6791v4(c, h.HopLimit()); !ok {
			return t.drop(Stat64RFC6791ENOENT)
		}
	}

	len4 := l4len + IPv4MinLen
	tos := h.TrafficClass()
	if c.g.OverrideTOS {
		tos = c.g.TOS
	}
	proto := p.proto
	if proto == protoICMPv6 {
		proto = protoICMP
	}
	// An intrinsic U-turn never leaves as IPv4, so the IPv4 MTU does not
	// apply to it (Jool skips routing and the size check for it); its size
	// is checked against the IPv6 egress below (uturnTooBig). A simple-mode
	// U-turn stands for a packet that does cross the IPv4 side (in Jool the
	// kernel routes it back), so both sides apply.
	hairpin := !isErr && c.hairpin64(dm, d4)
	if !isErr && !(hairpin && c.g.EAMHairpinMode == HairpinIntrinsic) {
		sport, dport := l4ports(buf, p.l4, end, p.proto, p.first())
		if mtu := t.mtu4(s4, d4, proto, tos, sport, dport); len4 > mtu {
			if !p.first() {
				return t.drop(StatPktTooBig)
			}
			// RFC 7915 §5.1.1 / Jool: the IPv6 MTU is the IPv4 one + 20,
			// never below the IPv6 minimum.
			return t.reply6(c, buf, off, end, false, 2, 0, uint32(max(1280, mtu+20)), StatPktTooBig, out)
		}
	}
	hop := h.HopLimit()
	if hop <= 1 {
		return t.reply6(c, buf, off, end, isErr || !p.first(), 3, 0, 0, Stat64TTL, out)
	}
	if p.segLeft >= 0 {
		return t.reply6(c, buf, off, end, isErr || !p.first(), 4, 0, uint32(p.segLeft-off), Stat64SegmentsLeft, out)
	}
	if isErr {
		r, back := t.icmpErr64(c, buf, off, end, &p, s4, d4, hop-1, tos, out)
		return t.done64(c, buf, r, back, out)
	}
	// A U-turn with DF (set below) must fit the IPv6 egress whole; the error
	// must quote the packet as received, so this is decided before any byte
	// of it changes.
	if hairpin && p.frag < 0 && len4 > 1260 {
		if r, tooBig := t.uturnTooBig(c, buf, off, end, &p, s4, d4, tos, hop, out); tooBig {
			return r
		}
	}

	// Upper layer: the pseudo-header changes from the IPv6 to the IPv4
	// addresses (length and protocol are the same numbers), so TCP and UDP
	// checksums are updated incrementally; ICMPv6 becomes ICMPv4.
	addrSum4 := sum4(s4) + sum4(d4)
	if p.first() {
		delta := csumDelta(sum6(shi, slo)+sum6(dhi, dlo), addrSum4)
		switch p.proto {
		case protoTCP:
			ck := buf[p.l4+tcpCsum:]
			put16(ck, csumApply(be16(ck), delta))
		case protoUDP:
			ck := buf[p.l4+udpCsum:]
			if v := be16(ck); v != 0 { // 0 is invalid in IPv6; IPv4 reads it as "no checksum"
				v = csumApply(v, delta)
				if v == 0 {
					v = 0xffff
				}
				put16(ck, v)
			}
		case protoICMPv6:
			if r := icmpInfo64(buf[p.l4:end], pseudo6(shi, slo, dhi, dlo, l4len, protoICMPv6)); r != none {
				return t.drop(r)
			}
		}
	}

	var id, frag uint16
	if p.frag >= 0 {
		// RFC 7915 §5.1.1: fragment header fields carried over.
		id = uint16(p.fragID)
		frag = p.fragOff & ip4OffsetMask
		if p.mf {
			frag |= ip4FlagMF
		}
	} else {
		id = uint16(t.rand())
		// RFC 7915 §5.1 as updated by RFC 8021: DF only when the packet is
		// too big for every IPv6 path to take it after the +20 growth.
		if len4 > 1260 {
			frag = ip4FlagDF
		}
	}
	o := p.l4 - IPv4MinLen
	writeIPv4Sum(buf[o:p.l4], tos, len4, id, frag, hop-1, proto, s4, d4, addrSum4)
	r := Result{Status: Status{Verdict: Forward, Family: Family4}, Off: o, Len: len4}
	// Every fragment of a hairpinning datagram U-turns, not only the first
	// (Jool's condition A does not look at the fragment offset): a later
	// fragment left as IPv4 could never be reassembled with the others.
	if hairpin {
		return t.done64(c, buf, r, true, out)
	}
	t.Stats.Inc(StatSuccess)
	return r
}

// done64 finishes a 6->4 result: a forwarded packet that hairpins (its IPv4
// destination is served through the EAMT, RFC 7757 §4.2) is translated back
// into IPv6 (xlat46 counts its success); any other forwarded packet counts
// as a success here.
func (t *Translator) done64(c *Config, buf []byte, r Result, hairpin bool, out *Output) Result {
	if r.Verdict != Forward {
		return r
	}
	if !hairpin {
		t.Stats.Inc(StatSuccess)
		return r
	}
	r = t.xlat46(c, buf, r.Off, r.Len, out, c.hairpinPass())
	if r.Verdict == Pass { // an address stopped the U-turn: nowhere to pass it
		r.Verdict = Drop
	}
	return r
}

// uturnTooBig answers a hairpinning IPv6 packet (not an error, with DF in
// its IPv4 form: not a fragment, over 1260 bytes) whose U-turned IPv6 form
// is larger than the IPv6 egress MTU: an ICMPv6 Packet Too Big with that
// MTU, sent to the IPv6 source about the packet it sent. The second half
// could only drop it (its own error would be an ICMPv4 error about an IPv4
// packet nobody sent). It asks the MTU oracle about the flow the second half
// asks about, and leaves alone (ok false) whatever the second half rejects
// first: an untranslatable address, an expiring TTL (simple mode), an
// unusable MTU, or an ICMPv6 type the first half drops.
func (t *Translator) uturnTooBig(c *Config, buf []byte, off, end int, p *pkt6, s4, d4 uint32, tos, hop uint8,
	out *Output) (r Result, ok bool) {
	if p.proto == protoICMPv6 && buf[p.l4+icmpType] != 128 && buf[p.l4+icmpType] != 129 {
		return r, false
	}
	if c.g.EAMHairpinMode == HairpinSimple && hop <= 2 {
		return r, false
	}
	// The addresses as xlat46 translates a U-turn: the source through pool6.
	dhi, dlo, _, f := c.addr4to6(d4, true, true)
	if f != addrOK {
		return r, false
	}
	shi, slo, _, f := c.addr4to6(s4, false, true)
	if f != addrOK {
		return r, false
	}
	if c.g.ZeroizeTrafficClass {
		tos = 0
	}
	sport, dport := l4ports(buf, p.l4, end, p.proto, true)
	mtu6 := t.mtu6(shi, slo, dhi, dlo, p.proto, tos, sport, dport)
	if min(mtu6, int(c.lowMTU)) < 1280 || IPv6HeaderLen+end-p.l4 <= mtu6 {
		return r, false
	}
	return t.reply6(c, buf, off, end, false, 2, 0, uint32(mtu6), StatPktTooBig, out), true
}

// hairpin64 decides whether a translated (non-error) IPv4 packet must turn
// back into IPv6 (RFC 7757 §4.2): in intrinsic mode when its destination came
// from pool6 and is an EAMT IPv4 address, in simple mode whenever the
// destination is an EAMT IPv4 address.
func (c *Config) hairpin64(dm method, d4 uint32) bool {
	switch c.g.EAMHairpinMode {
	case HairpinIntrinsic:
		return dm == viaPool6 && c.eamtHas4(d4)
	case HairpinSimple:
		// An address the EAMT produced lies inside an EAMT IPv4 prefix:
		// no need to look it up again.
		return dm == viaEAMT || c.eamtHas4(d4)
	}
	return false
}

// hairpinPass is the kind of 4->6 pass a U-turn takes.
func (c *Config) hairpinPass() hairpinKind {
	if c.g.EAMHairpinMode == HairpinIntrinsic {
		return hairpinIntrinsic
	}
	return hairpinSimple
}

// writeIPv4 writes a 20-byte IPv4 header with its checksum.
func writeIPv4(ip []byte, tos uint8, totalLen int, id, frag uint16, ttl, proto uint8, src, dst uint32) {
	writeIPv4Sum(ip, tos, totalLen, id, frag, ttl, proto, src, dst, sum4(src)+sum4(dst))
}

// writeIPv4Sum is writeIPv4 for a caller that already has sum4(src)+sum4(dst)
// (the pseudo-header delta needs it too). The header checksum is computed
// from the field values, never by reading back the bytes just written.
func writeIPv4Sum(ip []byte, tos uint8, totalLen int, id, frag uint16, ttl, proto uint8, src, dst uint32, addrSum uint64) {
	_ = ip[IPv4MinLen-1]
	ip[ip4VerIHL] = 0x45
	ip[ip4TOS] = tos
	put16(ip[ip4TotalLen:], uint16(totalLen))
	put16(ip[ip4ID:], id)
	put16(ip[ip4Frag:], frag)
	ip[ip4TTL] = ttl
	ip[ip4Proto] = proto
	put32(ip[ip4Src:], src)
	put32(ip[ip4Dst:], dst)
	s := 0x4500 + uint64(tos) + uint64(uint16(totalLen)) + uint64(id) + uint64(frag) +
		uint64(ttl)<<8 + uint64(proto) + addrSum
	put16(ip[ip4Csum:], ^fold(s))
}

// icmpInfo64 translates an ICMPv6 informational message (echo request and
// reply, RFC 7915 §5.2) in place; ph is the IPv6 pseudo-header sum that the
// ICMPv4 checksum no longer covers.
func icmpInfo64(m []byte, ph uint64) Counter {
	var typ uint8
	switch m[icmpType] {
	case 128:
		typ = 8
	case 129:
		typ = 0
	default: // MLD, ND and the rest have no IPv4 counterpart
		return StatUnknownICMP6Type
	}
	old := uint64(be16(m[icmpType:])) + ph
	m[icmpType], m[icmpCode] = typ, 0
	v := csumUpdate(be16(m[icmpCsum:]), old, uint64(be16(m[icmpType:])))
	if v == 0 {
		// The update gives 0 where the rest of the message sums to 0xffff or
		// to zero (an echo reply with id 0, seq 0 and no data); 0xffff is
		// right in both cases, 0 only in the first. ICMPv6 always has a
		// non-zero pseudo-header, so the other direction never meets this.
		v = 0xffff
	}
	put16(m[icmpCsum:], v)
	return none
}
