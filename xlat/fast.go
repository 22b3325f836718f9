package xlat

import (
	"math/bits"

	"github.com/siit-project/siit/xlat/eamt"
)

// Fast paths for the packets a translator mostly sees: a whole TCP or UDP
// datagram with no options or extension headers, both addresses
// translatable, a TTL or hop limit to spare, a size the path takes, no
// U-turn. Both tiers (below) also take ICMP echo requests and replies of
// that shape (ping, monitoring, and ICMP floods). For those, xlat46 and
// xlat64 run through dozens of checks that cannot fire and keep many values
// alive across their calls (spilled to the stack); the fast paths do only
// what that shape needs, in registers.
//
// They come in two tiers, because in Go a call is not cheap for the caller:
// the ABI has no callee-saved registers, so every value a function keeps
// in a register across a call is stored and reloaded, and the compiler
// places those stores where they dominate every call site, on the common
// path too.
//   - fast46 and fast64 are leaves: they call nothing. They map addresses
//     through a /96 pool6 or an EAMT of at most 8 entries per family
//     (eamt.Table.Small4/Small6, scanned inline), and need no MTU oracle
//     for a packet no bigger than its floor (Translator.MTUFloor). Every
//     helper they use must stay inlinable: one that is not is a call, and
//     the whole leaf pays for it (TestInlining checks both).
//   - When settling a packet takes a call (a larger EAMT, another pool6
//     length, denylist4, a possible U-turn, an MTU question), the leaf
//     returns fastCall, and fast46Calls / fast64Calls translate it in one
//     pass with those calls. A configuration the leaf cannot serve at all
//     (Config.leaf46/leaf64, leafFirst) goes to them directly.
//
// xlat46 and xlat64 remain the specification. A fast path has no side
// effect (no write to buf, no counter, no PRNG draw) until every condition
// for its shape holds; otherwise it returns fastNo (or false) and the
// general path handles the packet from the start, so the outcome is the
// same either way. The one observable difference is the MTU oracle: the
// leaves do not ask it about packets within the floor, and a packet the
// second tier finds too big for the path asks it twice.
// TestFastPathsMatchGeneral compares the paths on mutated golden packets
// under many configurations, MTUs and floors.

// noFastPath disables the fast path (tests compare against the general one).
var noFastPath bool

// fastStatus is what a fast path made of a packet.
type fastStatus uint8

const (
	fastNo   fastStatus = iota // not the fast shape: the general path translates it
	fastDone                   // translated: the Result is final
	fastCall                   // the fast shape, but settling it needs calls: fast46Calls / fast64Calls
)

// leafFirst reports whether the leaf is worth trying first, given leaf
// (Config.leaf46 or leaf64): the configuration's addresses can map without
// calls, and the MTU oracle, if any, has a floor. Otherwise the second tier
// (fast46Calls / fast64Calls) goes first.
func (t *Translator) leafFirst(leaf bool) bool {
	return leaf && (t.MTU == nil || t.MTUFloor != 0)
}

// mtuFloor returns the size up to which a translated packet fits whatever
// the MTU oracle would answer: defaultMTU without an oracle, else MTUFloor
// (0: no packet is known to fit).
func (t *Translator) mtuFloor() int {
	if t.MTU == nil {
		return defaultMTU
	}
	return int(t.MTUFloor)
}

// fast46 is xlat46 for a plain IPv4 TCP, UDP or ICMP echo packet from the
// wire (see above), with the 20 bytes of headroom the header growth needs;
// the caller has counted the packet, checked that the translator is enabled
// and that the packet starts 0x45 and carries TCP, UDP or ICMP (isFast46).
// Translated, the IPv6 packet is buf[off-(IPv6HeaderLen-IPv4MinLen):][:outLen]
// (see forward6). Like fast64, it keeps few values live at once.
func (t *Translator) fast46(c *Config, buf []byte, off, n int) (outLen int, st fastStatus) {
	if off < IPv6HeaderLen-IPv4MinLen {
		return 0, fastNo
	}
	h := buf[off : off+n]
	_ = h[IPv4MinLen-1]
	tl := int(be16(h[ip4TotalLen:]))
	ff := be16(h[ip4Frag:])
	if h[ip4VerIHL] != 0x45 || tl > n || ff&(ip4FlagMF|ip4OffsetMask) != 0 || h[ip4TTL] <= 1 {
		return 0, fastNo
	}
	outLen = tl - IPv4MinLen + IPv6HeaderLen
	if ff&ip4FlagDF == 0 && outLen > int(c.lowMTU) {
		return 0, fastNo // will be fragmented whatever the egress MTU: xlat46, without a wasted lookup
	}
	switch proto := h[ip4Proto]; {
	case proto == protoTCP && tl >= IPv4MinLen+tcpMinLen:
	case proto == protoUDP && tl >= IPv4MinLen+udpHdrLen:
		if be16(h[IPv4MinLen+udpCsum:]) == 0 { // amend-udp-checksum-zero territory
			return 0, fastNo
		}
	case proto == protoICMP && tl >= IPv4MinLen+icmpHdrLen && h[IPv4MinLen+icmpType]&^8 == 0:
		// Echo request (8) or reply (0); every other type is the general path's.
	default:
		return 0, fastNo
	}
	if fold(sumIPv4Header(h)) != 0xffff {
		return 0, fastNo
	}
	var dhi, dlo, shi, slo uint64
	dst := be32(h[ip4Dst:])
	// addr4to6 with the filters on, for the cases that need no call (see
	// pool96ok; EAMT: Lookup4 is Find4 on Small4 for a small table).
	if c.pool96ok(dst) && !c.eamt.Near4(dst) {
		dhi, dlo = c.pool6.hi, c.pool6.lo|uint64(dst)
	} else if es, big := c.eamt.Small4(); big || reserved4(dst) {
		return 0, fastCall
	} else if i := eamt.Find4(es, dst); i >= 0 {
		dhi, dlo = es[i].Map(dst)
	} else {
		return 0, fastCall
	}
	src := be32(h[ip4Src:])
	// Simple hairpin mode translates sources with pool6 only (see xlat46).
	useEAM := c.g.EAMHairpinMode != HairpinSimple
	if c.pool96ok(src) && (!useEAM || !c.eamt.Near4(src)) {
		shi, slo = c.pool6.hi, c.pool6.lo|uint64(src)
	} else if es, big := c.eamt.Small4(); big || !useEAM || reserved4(src) {
		return 0, fastCall
	} else if i := eamt.Find4(es, src); i >= 0 {
		shi, slo = es[i].Map(src)
	} else {
		return 0, fastCall
	}
	// Within the floor the oracle's answer cannot matter: mtu6 >= floor >=
	// 1280 makes xlat46's MTU condition (see fast46Calls) true.
	if f := t.mtuFloor(); f < 1280 || outLen > f {
		return 0, fastCall
	}

	// Committed. The transport checksum, at a constant offset per protocol.
	const l4 = IPv4MinLen
	_ = h[l4+udpHdrLen-1] // as long as an ICMP header
	proto := h[ip4Proto]
	delta := csumDelta(sum4(src)+sum4(dst), uint64(fold(sum6x2(shi, slo, dhi, dlo))))
	if proto == protoTCP {
		_ = h[l4+tcpMinLen-1]
		put16(h[l4+tcpCsum:], csumApply(be16(h[l4+tcpCsum:]), delta))
	} else if proto == protoUDP {
		v := csumApply(be16(h[l4+udpCsum:]), delta)
		if v == 0 {
			v = 0xffff
		}
		put16(h[l4+udpCsum:], v)
	} else {
		// icmpInfo46 written out: echo 8 -> 128, reply 0 -> 129, code 0, and
		// the checksum gains the IPv6 pseudo-header, which ICMPv4 lacks.
		old := uint64(be16(h[l4+icmpType:]))
		typ := 129 - h[l4+icmpType]>>3
		h[l4+icmpType], h[l4+icmpCode] = typ, 0
		ph := sum6x2(shi, slo, dhi, dlo) + uint64(tl-IPv4MinLen) + protoICMPv6
		put16(h[l4+icmpCsum:], csumApply(be16(h[l4+icmpCsum:]), csumDelta(old, uint64(typ)<<8+ph)))
		proto = protoICMPv6
	}
	tos := h[ip4TOS]
	if c.g.ZeroizeTrafficClass {
		tos = 0
	}
	o := off + IPv4MinLen - IPv6HeaderLen
	writeIPv6(buf[o:off+IPv4MinLen], tos, outLen-IPv6HeaderLen, proto, h[ip4TTL]-1, shi, slo, dhi, dlo)
	t.Stats.Inc(StatSuccess)
	return outLen, fastDone
}

// forward6 is the Result for fast46's translation of the packet at off.
func forward6(off, outLen int) Result {
	return Result{Status: Status{Verdict: Forward, Family: Family6}, Off: off + IPv4MinLen - IPv6HeaderLen, Len: outLen}
}

// fast46Calls is the second tier for what fast46 leaves (fastCall) or
// skips (leafFirst false): the same translation, with the calls it takes
// (EAMT lookup by hashing, addr4to6, the MTU oracle). It is the fast path
// as it was before the leaf: written out in full, commit included, since
// sharing the commit with the leaf would put a call in the leaf. It returns
// false for the general path.
func (t *Translator) fast46Calls(c *Config, buf []byte, off, n int) (Result, bool) {
	if off < IPv6HeaderLen-IPv4MinLen {
		return Result{}, false
	}
	h := buf[off : off+n]
	_ = h[IPv4MinLen-1]
	tl := int(be16(h[ip4TotalLen:]))
	ff := be16(h[ip4Frag:])
	ttl, proto := h[ip4TTL], h[ip4Proto]
	if h[ip4VerIHL] != 0x45 || tl > n || ff&(ip4FlagMF|ip4OffsetMask) != 0 || ttl <= 1 {
		return Result{}, false
	}
	l4len := tl - IPv4MinLen
	if ff&ip4FlagDF == 0 && l4len+IPv6HeaderLen > int(c.lowMTU) {
		return Result{}, false // will be fragmented whatever the egress MTU: xlat46, without a wasted lookup
	}
	l4 := off + IPv4MinLen
	ck := l4 + tcpCsum
	switch {
	case proto == protoTCP && l4len >= tcpMinLen:
	case proto == protoUDP && l4len >= udpHdrLen:
		ck = l4 + udpCsum
		if be16(buf[ck:]) == 0 { // amend-udp-checksum-zero territory
			return Result{}, false
		}
	case proto == protoICMP && l4len >= icmpHdrLen && buf[l4+icmpType]&^8 == 0:
		// Echo request (8) or reply (0), as in fast46.
	default:
		return Result{}, false
	}
	if fold(sumIPv4Header(h)) != 0xffff {
		return Result{}, false
	}
	src, dst := be32(h[ip4Src:]), be32(h[ip4Dst:])
	// addr4to6 with the filters on, written out for the usual pool6 case
	// (see pool96ok) so that only an EAMT address costs calls. Probe4: an
	// address that gets there is most likely the EAMT's, so its bounds check
	// (Near4, asked already when pool6 could take it) would be wasted.
	var dhi, dlo, shi, slo uint64
	var f addrFail
	if c.pool96ok(dst) && !c.eamt.Near4(dst) {
		dhi, dlo = c.pool6.hi, c.pool6.lo|uint64(dst)
	} else if hi, lo, ok := c.eamt.Probe4(dst); ok && !reserved4(dst) {
		dhi, dlo = hi, lo
	} else if dhi, dlo, _, f = c.addr4to6(dst, true, true); f != addrOK {
		return Result{}, false
	}
	// Simple hairpin mode translates sources with pool6 only (see xlat46).
	useEAM := c.g.EAMHairpinMode != HairpinSimple
	if c.pool96ok(src) && (!useEAM || !c.eamt.Near4(src)) {
		shi, slo = c.pool6.hi, c.pool6.lo|uint64(src)
	} else if shi, slo, _, f = c.eam4to6(src, useEAM); f != addrOK {
		return Result{}, false
	}
	tos := h[ip4TOS]
	if c.g.ZeroizeTrafficClass {
		tos = 0
	}
	outLen := l4len + IPv6HeaderLen
	mtu6 := defaultMTU
	if t.MTU != nil { // checked here so that no flow is built for nothing
		nh, sport, dport := proto, be16(buf[l4:]), be16(buf[l4+2:])
		if proto == protoICMP { // the flow of the translated packet: ICMPv6, no ports (see l4ports)
			nh, sport, dport = protoICMPv6, 0, 0
		}
		mtu6 = mtuOr(t.MTU.MTU6(shi, slo, dhi, dlo, nh, tos, sport, dport))
	}
	mpl := min(mtu6, int(c.lowMTU))
	if mpl < 1280 || outLen > mpl && (ff&ip4FlagDF == 0 || outLen > mtu6) {
		return Result{}, false // bad MTU, fragmentation or Fragmentation Needed: xlat46
	}

	// Committed.
	if proto == protoICMP {
		icmpInfo46(buf[l4:l4+l4len], pseudo6(shi, slo, dhi, dlo, l4len, protoICMPv6))
		proto = protoICMPv6
	} else {
		delta := csumDelta(sum4(src)+sum4(dst), uint64(fold(sum6x2(shi, slo, dhi, dlo))))
		v := csumApply(be16(buf[ck:]), delta)
		if v == 0 && proto == protoUDP {
			v = 0xffff
		}
		put16(buf[ck:], v)
	}
	o := l4 - IPv6HeaderLen
	writeIPv6(buf[o:l4], tos, l4len, proto, ttl-1, shi, slo, dhi, dlo)
	t.Stats.Inc(StatSuccess)
	return Result{Status: Status{Verdict: Forward, Family: Family6}, Off: o, Len: outLen}, true
}

// isFast46 is the inline pre-check for fast46: not worth a call unless the
// packet is IPv4 without options carrying TCP, UDP or ICMP.
func isFast46(buf []byte, off, n int) bool {
	return n >= IPv4MinLen && buf[off] == 0x45 &&
		(buf[off+ip4Proto] == protoTCP || buf[off+ip4Proto] == protoUDP || buf[off+ip4Proto] == protoICMP) && !noFastPath
}

// fast64 is xlat64 for a plain IPv6 TCP, UDP or ICMPv6 echo packet from the
// wire (see above), h = buf[off:off+n]; the caller has counted the packet and
// checked that the translator is enabled and that the packet is IPv6
// carrying TCP, UDP or ICMPv6 right after the fixed header (isFast64).
// Translated, the IPv4 packet is h[IPv6HeaderLen-IPv4MinLen:][:len4] (see
// forward4).
//
// Few values stay live at once, so that they fit in registers: the fields
// at bytes 4-7 travel as one word, each address is summed for the checksum
// once it is mapped, and what only the commit needs is read there.
func (t *Translator) fast64(c *Config, h []byte) (len4 int, st fastStatus) {
	_ = h[IPv6HeaderLen-1]
	w := be32(h[ip6PayloadLen:]) // payload length, next header, hop limit
	pl := int(w >> 16)
	if pl == 0 || IPv6HeaderLen+pl > len(h) || uint8(w) <= 1 {
		return 0, fastNo
	}
	switch proto := uint8(w >> 8); {
	case proto == protoTCP && pl >= tcpMinLen:
	case proto == protoUDP && pl >= udpHdrLen:
	case proto == protoICMPv6 && pl >= icmpHdrLen && h[IPv6HeaderLen+icmpType]&^1 == 128:
		// Echo request (128) or reply (129); every other type is the general path's.
	default:
		return 0, fastNo
	}
	len4 = pl + IPv4MinLen
	dhi, dlo := IPv6(h).Dst()
	if reserved6(dhi, dlo) {
		return 0, fastNo
	}
	addrSum6 := sum64(dhi, dlo)
	var s4, d4 uint32
	viaEAM := false
	// addr6to4 with the filters on, for the cases that need no call (see
	// pool96ok; EAMT: Lookup6 is Find6 on Small6 for a small table).
	if c.pool96ok(uint32(dlo)) && c.pool6.contains(dhi, dlo) && !c.eamt.Near6(dhi, dlo) {
		d4 = uint32(dlo)
	} else if es, big := c.eamt.Small6(); big {
		return 0, fastCall
	} else if i := eamt.Find6(es, dhi, dlo); i >= 0 {
		d4, viaEAM = es[i].Map(dhi, dlo), true
	} else {
		return 0, fastCall
	}
	if viaEAM && reserved4(d4) {
		return 0, fastCall
	}
	shi, slo := IPv6(h).Src()
	if reserved6(shi, slo) {
		return 0, fastNo
	}
	addrSum6, carry := bits.Add64(addrSum6, sum64(shi, slo), 0)
	addrSum6 += carry
	// The source is usually an EAMT address (SIIT-DC: a data-centre
	// server), so pool6 membership comes first: it fails soonest.
	if c.pool6.contains(shi, slo) && c.pool96ok(uint32(slo)) && !c.eamt.Near6(shi, slo) {
		s4 = uint32(slo)
	} else if es, big := c.eamt.Small6(); big {
		return 0, fastCall
	} else if i := eamt.Find6(es, shi, slo); i >= 0 {
		s4 = es[i].Map(shi, slo)
	} else {
		return 0, fastCall
	}
	if reserved4(s4) { // an EAMT mapping's (pool6's was checked)
		return 0, fastCall
	}
	// A possible U-turn (hairpin64) is fast64Calls', as is an MTU question the
	// floor does not answer.
	if c.g.EAMHairpinMode != HairpinOff && (viaEAM || c.eamt.Near4(d4)) || len4 > t.mtuFloor() {
		return 0, fastCall
	}

	// Committed. The transport checksum, at a constant offset per protocol.
	const l4 = IPv6HeaderLen
	_ = h[l4+udpHdrLen-1] // as long as an ICMPv6 header
	proto := h[ip6NextHdr]
	addrSum4 := sum4(s4) + sum4(d4)
	if proto == protoTCP {
		_ = h[l4+tcpMinLen-1]
		put16(h[l4+tcpCsum:], csumApply(be16(h[l4+tcpCsum:]), csumDelta(addrSum6, addrSum4)))
	} else if proto == protoUDP {
		if v := be16(h[l4+udpCsum:]); v != 0 { // UDP 0 is left alone, as xlat64 does
			if v = csumApply(v, csumDelta(addrSum6, addrSum4)); v == 0 {
				v = 0xffff
			}
			put16(h[l4+udpCsum:], v)
		}
	} else {
		// icmpInfo64 written out: echo 128 -> 8, reply 129 -> 0, code 0, and
		// the checksum loses the IPv6 pseudo-header (a result of 0 is written
		// as 0xffff, as icmpInfo64 does).
		old := uint64(be16(h[l4+icmpType:])) + addrSum6 + uint64(len4-IPv4MinLen) + protoICMPv6
		typ := (129 - h[l4+icmpType]) << 3
		h[l4+icmpType], h[l4+icmpCode] = typ, 0
		v := csumApply(be16(h[l4+icmpCsum:]), csumDelta(old, uint64(typ)<<8))
		if v == 0 {
			v = 0xffff
		}
		put16(h[l4+icmpCsum:], v)
		proto = protoICMP
	}
	tos := IPv6(h).TrafficClass()
	if c.g.OverrideTOS {
		tos = c.g.TOS
	}
	var frag uint16
	if len4 > 1260 { // RFC 7915 §5.1 as updated by RFC 8021 (see xlat64)
		frag = ip4FlagDF
	}
	ttl := h[ip6HopLimit] - 1
	// writeIPv4Sum written out, with the address sum already at hand.
	const o = l4 - IPv4MinLen
	ip := h[o:l4:l4]
	_ = ip[IPv4MinLen-1]
	id := uint16(t.rand())
	ip[ip4VerIHL], ip[ip4TOS] = 0x45, tos
	put16(ip[ip4TotalLen:], uint16(len4))
	put16(ip[ip4ID:], id)
	put16(ip[ip4Frag:], frag)
	ip[ip4TTL], ip[ip4Proto] = ttl, proto
	put32(ip[ip4Src:], s4)
	put32(ip[ip4Dst:], d4)
	sum := 0x4500 + uint64(tos) + uint64(uint16(len4)) + uint64(id) + uint64(frag) + uint64(ttl)<<8 + uint64(proto) + addrSum4
	put16(ip[ip4Csum:], ^fold(sum))
	t.Stats.Inc(StatSuccess)
	return len4, fastDone
}

// forward4 is the Result for fast64's translation of the packet at off.
func forward4(off, len4 int) Result {
	return Result{Status: Status{Verdict: Forward, Family: Family4}, Off: off + IPv6HeaderLen - IPv4MinLen, Len: len4}
}

// tryFast46 runs fast46's tiers (Translate has them written out, to save a
// call level): the leaf first when it is likely to do (leafFirst), else or
// when it answers fastCall fast46Calls. false: the general path must take
// the packet.
func (t *Translator) tryFast46(c *Config, buf []byte, off, n int) (Result, bool) {
	if t.leafFirst(c.leaf46) {
		outLen, st := t.fast46(c, buf, off, n)
		if st != fastCall {
			return forward6(off, outLen), st == fastDone
		}
	}
	return t.fast46Calls(c, buf, off, n)
}

// tryFast64 is tryFast46 for fast64.
func (t *Translator) tryFast64(c *Config, h []byte, off int) (Result, bool) {
	if t.leafFirst(c.leaf64) {
		len4, st := t.fast64(c, h)
		if st != fastCall {
			return forward4(off, len4), st == fastDone
		}
	}
	return t.fast64Calls(c, h, off)
}

// fast64Calls is fast46Calls for fast64 (hairpin64 included).
func (t *Translator) fast64Calls(c *Config, h []byte, off int) (Result, bool) {
	_ = h[IPv6HeaderLen-1]
	pl := int(be16(h[ip6PayloadLen:]))
	proto, hop := h[ip6NextHdr], h[ip6HopLimit]
	if pl == 0 || IPv6HeaderLen+pl > len(h) || hop <= 1 {
		return Result{}, false
	}
	// Offsets in h: the IPv4 header goes right before the transport header.
	const l4 = IPv6HeaderLen
	ck := l4 + tcpCsum
	switch {
	case proto == protoTCP && pl >= tcpMinLen:
	case proto == protoUDP && pl >= udpHdrLen:
		ck = l4 + udpCsum
	case proto == protoICMPv6 && pl >= icmpHdrLen && h[l4+icmpType]&^1 == 128:
		// Echo request (128) or reply (129), as in fast64.
	default:
		return Result{}, false
	}
	shi, slo := IPv6(h).Src()
	dhi, dlo := IPv6(h).Dst()
	if reserved6(shi, slo) || reserved6(dhi, dlo) {
		return Result{}, false
	}
	// addr6to4 with the filters on, written out for the usual pool6 case
	// (see pool96ok) so that only an EAMT address costs calls (Probe6: see
	// fast46Calls).
	var d4, s4 uint32
	var dm method
	var f addrFail
	if c.pool96ok(uint32(dlo)) && c.pool6.contains(dhi, dlo) && !c.eamt.Near6(dhi, dlo) {
		d4, dm = uint32(dlo), viaPool6
	} else if a, ok := c.eamt.Probe6(dhi, dlo); ok && !reserved4(a) {
		d4, dm = a, viaEAMT
	} else if d4, dm, f = c.addr6to4(dhi, dlo, true); f != addrOK {
		return Result{}, false
	}
	// The source is usually an EAMT address (SIIT-DC: a data-centre server),
	// so pool6 membership comes first: it fails soonest.
	if c.pool6.contains(shi, slo) && c.pool96ok(uint32(slo)) && !c.eamt.Near6(shi, slo) {
		s4 = uint32(slo)
	} else if a, ok := c.eamt.Probe6(shi, slo); ok && !reserved4(a) {
		s4 = a
	} else if s4, _, f = c.addr6to4(shi, slo, true); f != addrOK {
		return Result{}, false
	}
	// hairpin64, without its call when the answer is plainly no.
	if c.g.EAMHairpinMode != HairpinOff && (dm == viaEAMT || c.eamt.Near4(d4)) && c.hairpin64(dm, d4) {
		return Result{}, false
	}
	tos := IPv6(h).TrafficClass()
	if c.g.OverrideTOS {
		tos = c.g.TOS
	}
	len4 := pl + IPv4MinLen
	mtu4 := defaultMTU
	if t.MTU != nil { // checked here so that no flow is built for nothing
		p4, sport, dport := proto, be16(h[l4:]), be16(h[l4+2:])
		if proto == protoICMPv6 { // the flow of the translated packet: ICMP, no ports (see l4ports)
			p4, sport, dport = protoICMP, 0, 0
		}
		mtu4 = mtuOr(t.MTU.MTU4(s4, d4, p4, tos, sport, dport))
	}
	if len4 > mtu4 {
		return Result{}, false // Packet Too Big: xlat64
	}

	// Committed.
	addrSum4 := sum4(s4) + sum4(d4)
	if proto == protoICMPv6 {
		icmpInfo64(h[l4:l4+pl], pseudo6(shi, slo, dhi, dlo, pl, protoICMPv6))
		proto = protoICMP
	} else if v := be16(h[ck:]); v != 0 || proto == protoTCP { // UDP 0 is left alone, as xlat64 does
		v = csumApply(v, csumDelta(sum6x2(shi, slo, dhi, dlo), addrSum4))
		if v == 0 && proto == protoUDP {
			v = 0xffff
		}
		put16(h[ck:], v)
	}
	var frag uint16
	if len4 > 1260 { // RFC 7915 §5.1 as updated by RFC 8021 (see xlat64)
		frag = ip4FlagDF
	}
	const o = l4 - IPv4MinLen
	// writeIPv4Sum written out (a call would spill everything live here).
	ip := h[o:l4:l4]
	_ = ip[IPv4MinLen-1]
	id := uint16(t.rand())
	ttl := hop - 1
	ip[ip4VerIHL], ip[ip4TOS] = 0x45, tos
	put16(ip[ip4TotalLen:], uint16(len4))
	put16(ip[ip4ID:], id)
	put16(ip[ip4Frag:], frag)
	ip[ip4TTL], ip[ip4Proto] = ttl, proto
	put32(ip[ip4Src:], s4)
	put32(ip[ip4Dst:], d4)
	sum := 0x4500 + uint64(tos) + uint64(uint16(len4)) + uint64(id) + uint64(frag) + uint64(ttl)<<8 + uint64(proto) + addrSum4
	put16(ip[ip4Csum:], ^fold(sum))
	t.Stats.Inc(StatSuccess)
	return Result{Status: Status{Verdict: Forward, Family: Family4}, Off: off + o, Len: len4}, true
}

// isFast64 is the inline pre-check for fast64 on h = buf[off:off+n]: IPv6
// with TCP, UDP or ICMPv6 right after the fixed header.
func isFast64(h []byte) bool {
	return len(h) >= IPv6HeaderLen && h[0]>>4 == 6 &&
		(h[ip6NextHdr] == protoTCP || h[ip6NextHdr] == protoUDP || h[ip6NextHdr] == protoICMPv6) && !noFastPath
}

// pool96ok reports whether a pool6 mapping between a and pool6's /96 (a
// in the low 32 bits, RFC 6052) is acceptable without further checks: pool6
// is a /96 (the well-known prefix, and most network-specific prefixes), there
// is no denylist4 and a is translatable. The caller checks the rest: that
// the IPv6 address is under pool6, and that the EAMT, which comes first, is
// out of range (eamt Near4/Near6). Other pool6 lengths take the call.
func (c *Config) pool96ok(a uint32) bool {
	return c.pool96 && !reserved4(a)
}

// eam4to6 is addr4to6(a, useEAM, true) for a fast path, calling the EAMT
// directly when it may map a.
func (c *Config) eam4to6(a uint32, useEAM bool) (hi, lo uint64, m method, f addrFail) {
	if useEAM && !reserved4(a) {
		if hi, lo, ok := c.eamt.Lookup4(a); ok {
			return hi, lo, viaEAMT, addrOK
		}
	}
	return c.addr4to6(a, useEAM, true)
}
