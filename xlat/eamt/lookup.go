package eamt

import "math/bits"

// Hot path. These functions read only immutable pages: no locks, no atomics, no allocation. Probe4 and Probe6
// try the prefix lengths present in the table, longest first, with one hash-set lookup per length; the first hit
// is the longest match. The loops are written out here (rather than calling lpm) to keep them in one frame, and
// what a probe needs of an entry is precomputed in its slot. Lookup4 and Lookup6 put a bounds check in front (see
// bounds): most addresses outside the table miss with two compares, before any hashing. All four inline into
// a call of lookup4 or lookup6, which hold the code. A table of at most smallMax entries per family is scanned
// instead, longest prefix first, without a bounds check.

// Near4 reports whether a lies within the table's IPv4 bounds (see bounds): when it does not, Lookup4 misses.
// It inlines, so a caller can skip the call for most misses: an IPv4 address on the Internet, an IPv6 address
// under pool6 (Near6).
func (t *Table) Near4(a uint32) bool { return t != nil && a-t.b.first4 <= t.b.span4 }

// Near6 is Near4 for Lookup6.
func (t *Table) Near6(hi, lo uint64) bool { return t != nil && t.b.in6(hi, lo) }

// Lookup4 translates IPv4 address a (big-endian uint32) with the longest matching entry: the IPv6 prefix
// followed by the 32-len4 suffix bits of a (RFC 7757 §3.2), remaining bits zero. hi holds bytes 0..7 of the
// result, lo bytes 8..15.
func (t *Table) Lookup4(a uint32) (hi, lo uint64, ok bool) { return t.lookup4(a, true) }

// Probe4 is Lookup4 without the bounds check, for a caller that expects a hit (a miss costs a probe per prefix
// length present) or has checked Near4 itself.
func (t *Table) Probe4(a uint32) (hi, lo uint64, ok bool) { return t.lookup4(a, false) }

// lookup4 is Lookup4, with the bounds check if near.
func (t *Table) lookup4(a uint32, near bool) (hi, lo uint64, ok bool) {
	if t == nil {
		return 0, 0, false
	}
	v := &t.v4
	if !v.big {
		if i := Find4(v.small[:v.nsmall], a); i >= 0 {
			hi, lo = v.small[i].Map(a)
			return hi, lo, true
		}
		return 0, 0, false
	}
	if near && a-t.b.first4 > t.b.span4 {
		return 0, 0, false
	}
	ps := v.probes[:v.nprobes]
	for k := range ps {
		pr := &ps[k]
		key := a & pr.mask
		h := hash4(key, pr.l)
		pi, _ := bits.Mul64(h, uint64(len(v.pages))) // h >> v.shift: the page count is a power of two
		p := v.pages[pi]
		for i := h; ; i++ {
			s := slot4At(p, i)
			if s.tag == 0 {
				break
			}
			if s.addr == key && s.tag == pr.tag {
				hi, lo = shiftIn(s.hi, s.lo, uint64(a&^pr.mask), uint(s.sh))
				return hi, lo, true
			}
		}
	}
	return 0, 0, false
}

// shiftIn returns hi:lo with suffix shifted left by sh (0..128) ORed in.
func shiftIn(hi, lo, suffix uint64, sh uint) (uint64, uint64) {
	if sh >= 64 {
		return hi | suffix<<(sh-64), lo
	}
	return hi | suffix>>(64-sh), lo | suffix<<sh
}

// Lookup6 translates the IPv6 address hi:lo with the longest matching entry: the IPv4 prefix followed by the
// 32-len4 bits that come right after the IPv6 prefix (RFC 7757 §3.3); any further IPv6 bits are ignored.
func (t *Table) Lookup6(hi, lo uint64) (a uint32, ok bool) { return t.lookup6(hi, lo, true) }

// Probe6 is Lookup6 without the bounds check (see Probe4).
func (t *Table) Probe6(hi, lo uint64) (a uint32, ok bool) { return t.lookup6(hi, lo, false) }

// lookup6 is Lookup6, with the bounds check if near.
func (t *Table) lookup6(hi, lo uint64, near bool) (a uint32, ok bool) {
	if t == nil {
		return 0, false
	}
	v := &t.v6
	if !v.big {
		if i := Find6(v.small[:v.nsmall], hi, lo); i >= 0 {
			return v.small[i].Map(hi, lo), true
		}
		return 0, false
	}
	if near && !t.b.in6(hi, lo) {
		return 0, false
	}
	ps := v.probes[:v.nprobes]
	for k := range ps {
		pr := &ps[k]
		kh, kl := hi&pr.mh, lo&pr.ml
		h := hash6s(kh, kl, pr.salt)
		pi, _ := bits.Mul64(h, uint64(len(v.pages))) // h >> v.shift: the page count is a power of two
		p := v.pages[pi]
		for i := h; ; i++ {
			s := slot6At(p, i)
			if s.tag == 0 {
				break
			}
			if s.lo == kl && s.hi == kh && s.tag == pr.tag {
				// The IPv4 prefix, and the len4 bits of hi:lo after the IPv6 prefix as its suffix.
				return s.addr | uint32(shiftOut(hi, lo, uint(s.r)))&uint32(uint64(0xffffffff)>>(s.len4&63)), true
			}
		}
	}
	return 0, false
}

// shiftOut returns the low 64 bits of hi:lo shifted right by r (0..128).
func shiftOut(hi, lo uint64, r uint) uint64 {
	if r >= 64 {
		return hi >> (r - 64) // 0 for r = 128
	}
	// hi<<(64-r) written so that no shift count can reach 64 (which Go
	// defines as 0 and compiles with extra masking): hi<<1<<(63-r).
	return lo>>(r&63) | hi<<1<<((63-r)&63)
}

// Small4 returns a table's entries by IPv4 prefix, longest first, when there are at most smallMax of them (big
// false), for a hot path that searches them inline (Find4, Map) instead of calling Lookup4 (a call makes the caller
// save every value it holds in registers). Scanning them in order gives Lookup4's answer. When big is true
// only Lookup4 can answer. A nil table is small and empty.
func (t *Table) Small4() (es []small4, big bool) {
	if t == nil {
		return nil, false
	}
	v := &t.v4
	return v.small[:v.nsmall], v.big
}

// Small6 is Small4 for Lookup6.
func (t *Table) Small6() (es []small6, big bool) {
	if t == nil {
		return nil, false
	}
	v := &t.v6
	return v.small[:v.nsmall], v.big
}

// Find4 returns the index in es (from Small4) of the first (longest) entry a lies under, -1 if none: with
// es[i].Map, Lookup4 without a call. It inlines.
func Find4(es []small4, a uint32) int {
	for i := range es {
		if a&es[i].mask == es[i].s.addr {
			return i
		}
	}
	return -1
}

// Find6 is Find4 for Small6 and Lookup6.
func Find6(es []small6, hi, lo uint64) int {
	for i := range es {
		if hi&es[i].mh == es[i].s.hi && lo&es[i].ml == es[i].s.lo {
			return i
		}
	}
	return -1
}

// Map returns the IPv6 translation of a, which lies under e's IPv4 prefix (Find4).
func (e *small4) Map(a uint32) (hi, lo uint64) { return e.expand(a) }

// Map returns the IPv4 translation of hi:lo, which lies under e's IPv6 prefix (Find6).
func (e *small6) Map(hi, lo uint64) uint32 { return e.carry(hi, lo) }
