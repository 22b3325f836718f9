package eamt

import (
	"fmt"
	"math/bits"
	"slices"
)

// slot4 is one entry keyed by its IPv4 prefix; it also carries the display order (seq). 32 bytes, no pointers.
type slot4 struct {
	hi, lo uint64 // IPv6 prefix
	seq    uint64 // insertion sequence number: Entries() lists the newest first, as Jool does
	addr   uint32 // IPv4 prefix (key)
	tag    uint8  // IPv4 prefix length + 1 (key); 0 marks an empty slot
	len6   uint8
	sh     uint8 // the left shift that puts the suffix after the IPv6 prefix: 96 + len4 - len6 (0..128)
	_      byte
}

// newSlot4 returns r's slot in the IPv4 set, with sequence number seq.
func newSlot4(r rec, seq uint64) slot4 {
	return slot4{hi: r.hi, lo: r.lo, seq: seq, addr: r.addr, tag: r.len4 + 1, len6: r.len6, sh: 96 + r.len4 - r.len6}
}

func (s *slot4) rec() rec {
	return rec{hi: s.hi, lo: s.lo, addr: s.addr, len6: s.len6, len4: s.tag - 1}
}

// page4 is exactly a power-of-two size (a Go size class), so no memory is wasted per page.
type page4 struct {
	s [pageSlots]slot4
}

// table4 indexes entries by IPv4 prefix. The zero value is empty. own is non-nil only while a writer builds a
// new version: own[i] means pages[i] was copied by this writer and may be modified in place.
type table4 struct {
	pages  []*page4
	shift  uint8
	n      int
	lens   uint64    // bit l set: some entry has an IPv4 prefix of length l
	perLen [33]int32 // entries per IPv4 prefix length, to keep lens exact on removal
	cnt    []int32   // entries per page (shared between versions like pages; cloned before writing)
	own    []bool
	// probes lists the lengths of lens longest first, with their masks, for Lookup4: probes[:nprobes]. endWrite
	// sets it when a version is finished.
	probes  [33]probe4
	nprobes int
	// small, nsmall and big: see table6.
	small  [smallMax]small4
	nsmall int
	big    bool
}

// small4 is an entry of a small table4 with the mask of its IPv4 prefix.
type small4 struct {
	mask uint32
	s    slot4
	sh   uint // slot4.sh as a uint: the leaf fast path shifts by it without widening it first (1-3 instructions less)
}

// expand returns e's IPv6 prefix followed by the suffix of a under its IPv4 prefix.
func (e *small4) expand(a uint32) (hi, lo uint64) {
	return shiftIn(e.s.hi, e.s.lo, uint64(a&^e.mask), e.sh)
}

// probe4 is one prefix length Probe4 tries: its mask and slot tag.
type probe4 struct {
	mask uint32
	l    uint
	tag  uint8
}

// find returns the slot holding exactly addr/l, or nil.
func (v *table4) find(addr uint32, l uint) *slot4 {
	if v.n == 0 {
		return nil
	}
	h := hash4(addr, l)
	p := v.pages[h>>v.shift]
	for i := h; ; i++ {
		s := &p.s[i&slotMask]
		if s.tag == 0 {
			return nil
		}
		if s.addr == addr && uint(s.tag) == l+1 {
			return s
		}
	}
}

// lpm returns the entry with the longest IPv4 prefix containing a, or nil. The hot path (Lookup4) inlines the
// same loop.
func (v *table4) lpm(a uint32) *slot4 {
	for m := v.lens; m != 0; {
		l := uint(63 - bits.LeadingZeros64(m))
		m &^= 1 << l
		if s := v.find(a&mask4(l), l); s != nil {
			return s
		}
	}
	return nil
}

// check is add's second rule, for the IPv4 side (see table6.check).
func (v *table4) check(r rec, force bool) (*slot4, error) {
	s := v.lpm(r.addr)
	if s == nil {
		return nil, nil
	}
	old := s.rec()
	if old.len4 == r.len4 {
		if old == r {
			return s, fmt.Errorf("add eam %s: the entry already exists: %w", r, ErrExists)
		}
		return s, fmt.Errorf("add eam %s: existing entry %s already has ipv4 prefix %s; remove it first: %w",
			r, old, r.prefix4(), ErrExists)
	}
	if !force {
		return s, fmt.Errorf("add eam %s: ipv4 prefix %s overlaps existing entry %s; use --force to add it anyway (the longest prefix wins): %w",
			r, r.prefix4(), old, ErrOverlap)
	}
	return s, nil
}

// checkHidden is add's last rule for the IPv4 side (see table6.checkHidden).
func (v *table4) checkHidden(r rec, match *slot4) error {
	if match == nil || match.tag-1 <= r.len4 {
		return nil
	}
	if s := v.find(r.addr, uint(r.len4)); s != nil {
		return fmt.Errorf("add eam %s: existing entry %s already has ipv4 prefix %s; remove it first: %w",
			r, s.rec(), r.prefix4(), ErrExists)
	}
	return nil
}

// beginWrite prepares a private copy of the page directory; pages are copied lazily by writable.
func (v *table4) beginWrite() {
	v.pages = slices.Clone(v.pages)
	v.cnt = slices.Clone(v.cnt)
	v.own = make([]bool, len(v.pages))
}

func (v *table4) endWrite() {
	v.own = nil
	v.nprobes = 0
	for m := v.lens; m != 0; {
		l := uint(63 - bits.LeadingZeros64(m))
		m &^= 1 << l
		v.probes[v.nprobes] = probe4{mask: mask4(l), l: l, tag: uint8(l + 1)}
		v.nprobes++
	}
	v.nsmall, v.big = 0, v.n > smallMax || len(v.pages) > smallPages
	if v.big {
		return
	}
	v.each(func(s *slot4) {
		v.small[v.nsmall] = small4{mask: mask4(uint(s.tag - 1)), s: *s, sh: 96 + uint(s.tag-1) - uint(s.len6)}
		v.nsmall++
	})
	slices.SortFunc(v.small[:v.nsmall], func(a, b small4) int { return int(b.s.tag) - int(a.s.tag) })
}

func (v *table4) writable(pi uint64) *page4 {
	if !v.own[pi] {
		np := new(page4)
		*np = *v.pages[pi]
		v.pages[pi] = np
		v.own[pi] = true
	}
	return v.pages[pi]
}

// insert adds s, whose key must not be present, growing the table when a page gets too full.
func (v *table4) insert(s slot4) {
	if v.pages == nil {
		v.resize(1)
	}
	l := uint(s.tag - 1)
	h := hash4(s.addr, l)
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
	v.lens |= 1 << l
	if v.cnt[pi] > maxLoad {
		v.resize(len(v.pages) * 2)
	}
}

// remove deletes addr/l if present (backward-shift deletion inside the page, so no tombstones) and returns
// what was stored there.
func (v *table4) remove(addr uint32, l uint) (slot4, bool) {
	if v.find(addr, l) == nil {
		return slot4{}, false
	}
	h := hash4(addr, l)
	pi := h >> v.shift
	p := v.writable(pi)
	i := h & slotMask
	for !(p.s[i].addr == addr && uint(p.s[i].tag) == l+1) {
		i = (i + 1) & slotMask
	}
	old := p.s[i]
	for j := i; ; {
		j = (j + 1) & slotMask
		if p.s[j].tag == 0 {
			break
		}
		k := hash4(p.s[j].addr, uint(p.s[j].tag-1)) & slotMask
		if inRange(i, j, k) {
			continue
		}
		p.s[i] = p.s[j]
		i = j
	}
	p.s[i] = slot4{}
	v.cnt[pi]--
	v.n--
	if v.perLen[l]--; v.perLen[l] == 0 {
		v.lens &^= 1 << l
	}
	return old, true
}

// resize rehashes every entry into n fresh pages, all owned by the current writer.
func (v *table4) resize(n int) {
	old := v.pages
	v.pages = make([]*page4, n)
	v.cnt = make([]int32, n)
	v.own = make([]bool, n)
	slab := make([]page4, n)
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
			h := hash4(s.addr, uint(s.tag-1))
			p := v.pages[h>>v.shift]
			i := h
			for p.s[i&slotMask].tag != 0 {
				i++
			}
			p.s[i&slotMask] = *s
			v.cnt[h>>v.shift]++
		}
	}
	// A pathological clustering could leave one page over maxLoad; grow again (never seen with mix).
	for _, c := range v.cnt {
		if c > maxLoad {
			v.resize(n * 2)
			return
		}
	}
}

// each calls fn for every entry, in storage order.
func (v *table4) each(fn func(*slot4)) {
	for _, p := range v.pages {
		for k := range p.s {
			if p.s[k].tag != 0 {
				fn(&p.s[k])
			}
		}
	}
}
