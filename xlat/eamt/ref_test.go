package eamt

import (
	"net/netip"
)

// ref is the slow reference model: a plain slice in insertion order, linear longest-prefix match and a
// bit-by-bit address translation (the way RFC 7757 words it), written independently of the hash tables.
type ref struct {
	es []Entry
}

// lpm returns the index of the entry whose prefix (picked by side) is the longest one containing a, or -1.
func (r *ref) lpm(a netip.Addr, v6 bool) int {
	best, bestLen := -1, -1
	for i, e := range r.es {
		p := e.Prefix4
		if v6 {
			p = e.Prefix6
		}
		if p.Contains(a) && p.Bits() > bestLen {
			best, bestLen = i, p.Bits()
		}
	}
	return best
}

// validRef applies the validation rules without touching the code under test.
func validRef(e Entry) bool {
	p4, p6 := e.Prefix4, e.Prefix6
	if !p4.IsValid() || !p6.IsValid() || !p4.Addr().Is4() || !p6.Addr().Is6() {
		return false
	}
	if p4.Masked() != p4 || p6.Masked() != p6 {
		return false
	}
	return 32-p4.Bits() <= 128-p6.Bits()
}

// add mirrors Jool's eamt_add; it returns the sentinel error expected from the real table (nil on success).
func (r *ref) add(e Entry, force bool) error {
	if !validRef(e) {
		return ErrInvalid
	}
	if i := r.lpm(e.Prefix6.Addr(), true); i >= 0 {
		if r.es[i].Prefix6.Bits() == e.Prefix6.Bits() {
			return ErrExists
		}
		if !force {
			return ErrOverlap
		}
	}
	if i := r.lpm(e.Prefix4.Addr(), false); i >= 0 {
		if r.es[i].Prefix4.Bits() == e.Prefix4.Bits() {
			return ErrExists
		}
		if !force {
			return ErrOverlap
		}
	}
	for _, o := range r.es {
		if o.Prefix6 == e.Prefix6 || o.Prefix4 == e.Prefix4 {
			return ErrExists
		}
	}
	r.es = append(r.es, e)
	return nil
}

func (r *ref) remove(p6, p4 *netip.Prefix) error {
	if p6 == nil && p4 == nil {
		return ErrInvalid
	}
	if (p6 != nil && (!p6.IsValid() || !p6.Addr().Is6() || p6.Masked() != *p6)) ||
		(p4 != nil && (!p4.IsValid() || !p4.Addr().Is4() || p4.Masked() != *p4)) {
		return ErrInvalid
	}
	idx := -1
	for i, e := range r.es {
		if (p6 == nil || e.Prefix6 == *p6) && (p4 == nil || e.Prefix4 == *p4) {
			idx = i
		}
	}
	if idx < 0 {
		return ErrNotFound
	}
	r.es = append(r.es[:idx:idx], r.es[idx+1:]...)
	return nil
}

func (r *ref) entries() []Entry {
	out := make([]Entry, len(r.es))
	for i, e := range r.es {
		out[len(r.es)-1-i] = e
	}
	return out
}

func bitOf(b []byte, i int) byte { return b[i/8] >> (7 - i%8) & 1 }

func setBit(b []byte, i int, v byte) {
	b[i/8] &^= 1 << (7 - i%8)
	b[i/8] |= v << (7 - i%8)
}

// xlat4 translates an IPv4 address bit by bit: copy the IPv6 prefix, then the IPv4 suffix after it.
func (r *ref) xlat4(a netip.Addr) (netip.Addr, bool) {
	i := r.lpm(a, false)
	if i < 0 {
		return netip.Addr{}, false
	}
	e := r.es[i]
	out := e.Prefix6.Addr().As16()
	in := a.As4()
	for k := 0; k < 32-e.Prefix4.Bits(); k++ {
		setBit(out[:], e.Prefix6.Bits()+k, bitOf(in[:], e.Prefix4.Bits()+k))
	}
	return netip.AddrFrom16(out), true
}

func (r *ref) xlat6(a netip.Addr) (netip.Addr, bool) {
	i := r.lpm(a, true)
	if i < 0 {
		return netip.Addr{}, false
	}
	e := r.es[i]
	out := e.Prefix4.Addr().As4()
	in := a.As16()
	for k := 0; k < 32-e.Prefix4.Bits(); k++ {
		setBit(out[:], e.Prefix4.Bits()+k, bitOf(in[:], e.Prefix6.Bits()+k))
	}
	return netip.AddrFrom4(out), true
}
