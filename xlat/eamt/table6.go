package eamt

import (
	"fmt"
	"math/bits"
	"slices"
)

// slot6 is one entry keyed by its IPv6 prefix. 24 bytes, no pointers.
type slot6 struct {
	hi, lo uint64 // IPv6 prefix (key)
	addr   uint32 // IPv4 prefix
	tag    uint8  // IPv6 prefix length + 1 (key); 0 marks an empty slot
	len4   uint8
	r      uint8 // the right shift that brings the IPv4 suffix bits after the IPv6 prefix to the bottom: 96 + len4 - len6
	_      byte
}

// newSlot6 returns r's slot in the IPv6 set.
func newSlot6(r rec) slot6 {
	return slot6{hi: r.hi, lo: r.lo, addr: r.addr, tag: r.len6 + 1, len4: r.len4, r: 96 + r.len4 - r.len6}
}

func (s *slot6) rec() rec {
	return rec{hi: s.hi, lo: s.lo, addr: s.addr, len6: s.tag - 1, len4: s.len4}
}

// page6 is exactly a power-of-two size (a Go size class), so no memory is wasted per page.
type page6 struct {
	s [pageSlots]slot6
}

// table6 indexes entries by IPv6 prefix; it mirrors table4 (see there for the fields).
type table6 struct {
	pages  []*page6
	shift  uint8
	n      int
	lens   [3]uint64 // bit l%64 of word l/64 set: some entry has an IPv6 prefix of length l (0..128)
	perLen [129]int32
	cnt    []int32 // entries per page (shared between versions like pages; cloned before writing)
	own    []bool
	// probes lists the lengths of lens longest first, with their masks, for Lookup6: probes[:nprobes]. endWrite
	// sets it when a version is finished.
	probes  [129]probe6
	nprobes int
	// small holds the entries themselves, longest IPv6 prefix first, when there are at most smallMax of them
	// (big false): Lookup6 then compares the address with each instead of hashing. The zero value is an empty
	// small table.
	small  [smallMax]small6
	nsmall int
	big    bool
}

// small6 is an entry of a small table6 with the mask of its IPv6 prefix.
type small6 struct {
	mh, ml uint64
	s      slot6
	// r and keep precompute carry: the right shift that brings the bits after the IPv6 prefix to the bottom
	// (slot6.r as a uint: the leaf fast path shifts by it without widening it, 3 instructions less per packet),
	// and the mask of the IPv4 suffix they fill.
	r    uint
	keep uint32
}

// carry returns e's IPv4 prefix with the 32-len4 bits of hi:lo that follow its IPv6 prefix.
func (e *small6) carry(hi, lo uint64) uint32 {
	return e.s.addr | uint32(shiftOut(hi, lo, e.r))&e.keep
}

// probe6 is one prefix length Probe6 tries: its mask, hash salt (salt6) and slot tag.
type probe6 struct {
	mh, ml uint64
	salt   uint64
	l      uint
	tag    uint8
}

func (v *table6) find(hi, lo uint64, l uint) *slot6 {
	if v.n == 0 {
		return nil
	}
	h := hash6(hi, lo, l)
	p := v.pages[h>>v.shift]
	for i := h; ; i++ {
		s := &p.s[i&slotMask]
		if s.tag == 0 {
			return nil
		}
		if s.lo == lo && s.hi == hi && uint(s.tag) == l+1 {
			return s
		}
	}
}

// lpm returns the entry with the longest IPv6 prefix containing hi:lo, or nil.
func (v *table6) lpm(hi, lo uint64) *slot6 {
	for w := 2; w >= 0; w-- {
		for m := v.lens[w]; m != 0; {
			b := uint(63 - bits.LeadingZeros64(m))
			m &^= 1 << b
			l := uint(w)*64 + b
			mh, ml := mask6(l)
			if s := v.find(hi&mh, lo&ml, l); s != nil {
				return s
			}
		}
	}
	return nil
}

// check is add's first rule for the IPv6 side: the longest existing prefix containing r's first IPv6 address must
// not be r's own prefix, nor (without force) any other entry's. It returns that match for checkHidden.
func (v *table6) check(r rec, force bool) (*slot6, error) {
	s := v.lpm(r.hi, r.lo)
	if s == nil {
		return nil, nil
	}
	old := s.rec()
	if old.len6 == r.len6 {
		if old == r {
			return s, fmt.Errorf("add eam %s: the entry already exists: %w", r, ErrExists)
		}
		return s, fmt.Errorf("add eam %s: existing entry %s already has ipv6 prefix %s; remove it first: %w",
			r, old, r.prefix6(), ErrExists)
	}
	if !force {
		return s, fmt.Errorf("add eam %s: ipv6 prefix %s overlaps existing entry %s; use --force to add it anyway (the longest prefix wins): %w",
			r, r.prefix6(), old, ErrOverlap)
	}
	return s, nil
}

// checkHidden is add's last rule for the IPv6 side: with force, an identical prefix can hide behind a longer match
// (match, from check) of the first address. When the longest match was shorter or absent, lpm has already probed
// the exact prefix.
func (v *table6) checkHidden(r rec, match *slot6) error {
	if match == nil || match.tag-1 <= r.len6 {
		return nil
	}
	if s := v.find(r.hi, r.lo, uint(r.len6)); s != nil {
		return fmt.Errorf("add eam %s: existing entry %s already has ipv6 prefix %s; remove it first: %w",
			r, s.rec(), r.prefix6(), ErrExists)
	}
	return nil
}

func (v *table6) beginWrite() {
	v.pages = slices.Clone(v.pages)
	v.cnt = slices.Clone(v.cnt)
	v.own = make([]bool, len(v.pages))
}

func (v *table6) endWrite() {
	v.own = nil
	v.nprobes = 0
	for w := 2; w >= 0; w-- {
		for m := v.lens[w]; m != 0; {
			b := uint(63 - bits.LeadingZeros64(m))
			m &^= 1 << b
			l := uint(w)*64 + b
			mh, ml := mask6(l)
			v.probes[v.nprobes] = probe6{mh: mh, ml: ml, salt: salt6(l), l: l, tag: uint8(l + 1)}
			v.nprobes++
		}
	}
	v.nsmall, v.big = 0, v.n > smallMax || len(v.pages) > smallPages
	if v.big {
		return
	}
	v.each(func(s *slot6) {
		mh, ml := mask6(uint(s.tag - 1))
		v.small[v.nsmall] = small6{mh: mh, ml: ml, s: *s, r: 96 + uint(s.len4) - uint(s.tag-1), keep: ^mask4(uint(s.len4))}
		v.nsmall++
	})
	slices.SortFunc(v.small[:v.nsmall], func(a, b small6) int { return int(b.s.tag) - int(a.s.tag) })
}

// each calls fn for every entry, in storage order.
func (v *table6) each(fn func(*slot6)) {
	for _, p := range v.pages {
		for k := range p.s {
			if p.s[k].tag != 0 {
				fn(&p.s[k])
			}
		}
	}
}

func (v *table6) writable(pi uint64) *page6 {
	if !v.own[pi] {
		np := new(page6)
		*np = *v.pages[pi]
		v.pages[pi] = np
		v.own[pi] = true
	}
	return v.pages[pi]
}

func (v *table6) insert(s slot6) {
	if v.pages == nil {
		v.resize(1)
	}
	l := uint(s.tag - 1)
	h := hash6(s.hi, s.lo, l)
	pi := h >> v.shift
	p := v.writable(pi)
	i := h
	for p.s[i&slotMask].tag != 0 {
		i++
	}
	p.s[i&slotMask] = s
	v.cnt[pi]++
	v.n++
	v.perLen[l]++
	v.lens[l/64] |= 1 << (l % 64)
	if v.cnt[pi] > maxLoad {
		v.resize(len(v.pages) * 2)
	}
}

func (v *table6) remove(hi, lo uint64, l uint) (slot6, bool) {
	if v.find(hi, lo, l) == nil {
		return slot6{}, false
	}
	h := hash6(hi, lo, l)
	pi := h >> v.shift
	p := v.writable(pi)
	i := h & slotMask
	for !(p.s[i].hi == hi && p.s[i].lo == lo && uint(p.s[i].tag) == l+1) {
		i = (i + 1) & slotMask
	}
	old := p.s[i]
	for j := i; ; {
		j = (j + 1) & slotMask
		if p.s[j].tag == 0 {
			break
		}
		k := hash6(p.s[j].hi, p.s[j].lo, uint(p.s[j].tag-1)) & slotMask
		if inRange(i, j, k) {
			continue
		}
		p.s[i] = p.s[j]
		i = j
	}
	p.s[i] = slot6{}
	v.cnt[pi]--
	v.n--
	if v.perLen[l]--; v.perLen[l] == 0 {
		v.lens[l/64] &^= 1 << (l % 64)
	}
	return old, true
}

func (v *table6) resize(n int) {
	old := v.pages
	v.pages = make([]*page6, n)
	v.cnt = make([]int32, n)
	v.own = make([]bool, n)
	slab := make([]page6, n)
	adviseHuge(slab)
	for i := range v.pages {
		v.pages[i] = &slab[i]
		v.own[i] = true
	}
	v.shift = shiftFor(n)
	for _, op := range old {
		for k := range op.s {
			s := &op.s[k]
			if s.tag == 0 {
				continue
			}
			h := hash6(s.hi, s.lo, uint(s.tag-1))
			p := v.pages[h>>v.shift]
			i := h
			for p.s[i&slotMask].tag != 0 {
				i++
			}
			p.s[i&slotMask] = *s
			v.cnt[h>>v.shift]++
		}
	}
	for _, c := range v.cnt {
		if c > maxLoad {
			v.resize(n * 2)
			return
		}
	}
}
