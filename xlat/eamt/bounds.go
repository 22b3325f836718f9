package eamt

import "math/bits"

// bounds is the smallest address range, per family, holding every address some entry covers. Lookups outside it
// miss after one or two comparisons, without hashing: most misses on the hot path (an IPv6 destination under
// pool6, an IPv4 source on the Internet) are far from every EAM prefix. Add widens it; Remove leaves it as it
// is (a superset is still a correct filter) until a shrinking rebuild or the next Add to an emptied table
// makes it exact again. first4 + span4 is the last IPv4 address; likewise for the 128-bit IPv6 pair.
type bounds struct {
	first4, span4                    uint32
	first6h, first6l, span6h, span6l uint64
	rebuild                          bool // set by a writer that shrank the table: done recomputes
}

// widen extends b to cover r's prefixes; when b covers nothing yet (empty is true) it becomes exactly r's.
func (b *bounds) widen(r rec, empty bool) {
	f4 := r.addr
	l4 := f4 | ^mask4(uint(r.len4))
	mh, ml := mask6(uint(r.len6))
	f6h, f6l := r.hi, r.lo
	l6h, l6l := f6h|^mh, f6l|^ml
	if !empty {
		f4 = min(f4, b.first4)
		l4 = max(l4, b.first4+b.span4)
		if less128(b.first6h, b.first6l, f6h, f6l) {
			f6h, f6l = b.first6h, b.first6l
		}
		eh, el := add128(b.first6h, b.first6l, b.span6h, b.span6l)
		if less128(l6h, l6l, eh, el) {
			l6h, l6l = eh, el
		}
	}
	b.first4, b.span4 = f4, l4-f4
	b.first6h, b.first6l = f6h, f6l
	b.span6h, b.span6l = sub128(l6h, l6l, f6h, f6l)
}

// recompute makes b exact for the entries of t (a full scan: only after a rebuild that visited them anyway).
func (b *bounds) recompute(t *Table) {
	*b = bounds{}
	first := true
	t.v4.each(func(s *slot4) {
		b.widen(s.rec(), first)
		first = false
	})
}

func less128(ah, al, bh, bl uint64) bool { return ah < bh || ah == bh && al < bl }

func add128(ah, al, bh, bl uint64) (uint64, uint64) {
	lo, c := bits.Add64(al, bl, 0)
	hi, _ := bits.Add64(ah, bh, c)
	return hi, lo
}

func sub128(ah, al, bh, bl uint64) (uint64, uint64) {
	lo, c := bits.Sub64(al, bl, 0)
	hi, _ := bits.Sub64(ah, bh, c)
	return hi, lo
}

// in6 reports whether hi:lo lies in [first6, first6+span6], i.e. the 128-bit difference does not exceed the span.
func (b *bounds) in6(hi, lo uint64) bool {
	dl, c := bits.Sub64(lo, b.first6l, 0)
	dh, _ := bits.Sub64(hi, b.first6h, c)
	return dh < b.span6h || dh == b.span6h && dl <= b.span6l
}
