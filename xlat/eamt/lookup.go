package eamt

// Hot path. These two functions read only immutable pages: no locks, no atomics, no allocation. Each probes the
// prefix lengths present in the table, longest first, with one hash-set lookup per length; the first hit is
// the longest match. The loops are written out here (rather than calling lpm) to keep them in one frame. An
// address outside the table's bounds (see bounds) misses before any hashing. A table of at most smallMax
// entries per family is scanned instead, longest prefix first, without a bounds check.

// Near4 reports whether a lies within the table's IPv4 bounds (see bounds): when it does not, Lookup4 misses.
// It inlines, so a caller can skip the call for most misses: an IPv4 address on the Internet, an IPv6 address
// under pool6 (Near6).
func (t *Table) Near4(a uint32) bool { return t != nil && a-t.b.first4 <= t.b.span4 }

// Near6 is Near4 for Lookup6.
func (t *Table) Near6(hi, lo uint64) bool { return t != nil && t.b.in6(hi, lo) }

// Lookup4 translates IPv4 address a (big-endian uint32) with the longest matching entry: the IPv6 prefix
// followed by the 32-len4 suffix bits of a (RFC 7757 §3.2), remaining bits zero. hi holds bytes 0..7 of the
// result, lo bytes 8..15.
func (t *Table) Lookup4(a uint32) (hi, lo uint64, ok bool) {
	if t == nil {
		return 0, 0, false
	}
	v := &t.v4
	if !v.big { // a few compares: the bounds check would only add one
		if i := Find4(v.small[:v.nsmall], a); i >= 0 {
			hi, lo = v.small[i].Map(a)
			return hi, lo, true
		}
		return 0, 0, false
	}
	if a-t.b.first4 > t.b.span4 {
		return 0, 0, false
	}
	for _, pr := range v.probes[:v.nprobes] {
		l := pr.l
		key := a & pr.mask
		h := hash4(key, l)
		p := v.pages[h>>v.shift]
		for i := h; ; i++ {
			s := slot4At(p, i)
			if s.tag == 0 {
				break
			}
			if s.addr == key && uint(s.tag) == l+1 {
				hi, lo = s.expand(a, l, pr.mask)
				return hi, lo, true
			}
		}
	}
	return 0, 0, false
}

// expand returns s's IPv6 prefix followed by the suffix of a under its IPv4 prefix (length l, mask m).
func (s *slot4) expand(a uint32, l uint, m uint32) (hi, lo uint64) {
	// Left shift that puts the suffix right after the IPv6 prefix: 128 - len6 - (32 - len4).
	return shiftIn(s.hi, s.lo, uint64(a&^m), 96+l-uint(s.len6))
}

// shiftIn returns hi:lo with suffix shifted left by sh (0..128) ORed in.
func shiftIn(hi, lo, suffix uint64, sh uint) (uint64, uint64) {
	if sh >= 64 {
		return hi | suffix<<(sh-64), lo
	}
	return hi | suffix>>(64-sh), lo | suffix<<sh
}

// Lookup6 translates the IPv6 address hi:lo with the longest matching entry: the IPv4 prefix followed by the
// 32-len4 bits that come right after the IPv6 prefix (RFC 7757 §3.3); any further IPv6 bits are ignored. It
// probes the lengths present, longest first, from the list (with masks) the table keeps for it.
func (t *Table) Lookup6(hi, lo uint64) (a uint32, ok bool) {
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
	if !t.b.in6(hi, lo) {
		return 0, false
	}
	for _, pr := range v.probes[:v.nprobes] {
		kh, kl := hi&pr.mh, lo&pr.ml
		h := hash6(kh, kl, pr.l)
		p := v.pages[h>>v.shift]
		for i := h; ; i++ {
			s := slot6At(p, i)
			if s.tag == 0 {
				break
			}
			if s.lo == kl && s.hi == kh && uint(s.tag) == pr.l+1 {
				return s.carry(hi, lo, pr.l), true
			}
		}
	}
	return 0, false
}

// carry returns s's IPv4 prefix with the 32-len4 bits of hi:lo that follow its IPv6 prefix (length l).
func (s *slot6) carry(hi, lo uint64, l uint) uint32 {
	l4 := uint(s.len4)
	// Right shift that brings bits [l, l+32-len4) to the bottom: 128 - l - (32 - len4).
	return s.addr | uint32(shiftOut(hi, lo, 96+l4-l))&^mask4(l4)
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
