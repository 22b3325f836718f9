package eamt

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
)

// Table is an immutable snapshot. A nil *Table is a valid empty table. Lookups never block or allocate and are
// safe from any number of goroutines while writers build new versions.
type Table struct {
	v4  table4
	v6  table6
	seq uint64 // sequence number of the newest entry
	b   bounds
}

// New builds a table from entries, validating them as if they were added one by one, in order, with
// Add(e, false): any invalid, duplicate or overlapping entry fails the whole call. Entries() later lists them
// newest (last) first, as Jool displays a table loaded from a file. To load overlapping entries on purpose, use
// (*Table)(nil).AddAll(entries, true).
func New(entries []Entry) (*Table, error) {
	return (*Table)(nil).AddAll(entries, false)
}

// Add returns the next version of t with e added; t is unchanged. Collision rules are Jool's (eam.c):
//   - an entry whose IPv6 or IPv4 prefix is already in the table (same address and length) is rejected with
//     ErrExists, force or not;
//   - if the longest existing prefix that contains the first address of e's IPv6 (or IPv4) prefix belongs to
//     another entry, e overlaps it: rejected with ErrOverlap unless force is set. Like Jool, only existing
//     prefixes that contain that first address count; a more specific existing entry elsewhere inside e's
//     prefix does not.
func (t *Table) Add(e Entry, force bool) (*Table, error) {
	r, err := toRec(e)
	if err != nil {
		return t, fmt.Errorf("add eam %s: %w", e, err)
	}
	nt := t.edit(1)
	if err := nt.add(r, force); err != nil {
		return t, err
	}
	return nt.done(), nil
}

// AddAll returns the next version of t with es added in order, each checked as by Add against t and the
// entries before it. All or nothing: on error t is returned unchanged with an error naming the entry.
func (t *Table) AddAll(es []Entry, force bool) (*Table, error) {
	recs := make([]rec, len(es))
	adviseHuge(recs) // a million entries: 24 MB written once, in order
	for i, e := range es {
		r, err := toRec(e)
		if err != nil {
			return t, fmt.Errorf("add eam #%d (%s): %w", i+1, e, err)
		}
		recs[i] = r
	}
	nt := t.edit(len(recs))
	if err := nt.addAll(recs, force); err != nil {
		return t, err
	}
	return nt.done(), nil
}

// Remove returns the next version of t without the entry named by p6, p4 or both (Jool's `eamt remove`):
// a given prefix must be exactly an entry's prefix, and when both are given they must belong to the same entry.
func (t *Table) Remove(p6 *netip.Prefix, p4 *netip.Prefix) (*Table, error) {
	if p6 == nil && p4 == nil {
		return t, fmt.Errorf("remove eam: give the entry's ipv4 prefix, its ipv6 prefix or both: %w", ErrInvalid)
	}
	var (
		hi, lo uint64
		a4     uint32
		l6, l4 uint8
		err    error
	)
	if p6 != nil {
		if hi, lo, l6, err = check6(*p6); err != nil {
			return t, fmt.Errorf("remove eam: %w", err)
		}
	}
	if p4 != nil {
		if a4, l4, err = check4(*p4); err != nil {
			return t, fmt.Errorf("remove eam: %w", err)
		}
	}
	var r6, r4 rec
	if p6 != nil {
		s := t.table6().find(hi, lo, uint(l6))
		if s == nil {
			return t, fmt.Errorf("remove eam: no entry has ipv6 prefix %s; see `eamt display`: %w", *p6, ErrNotFound)
		}
		r6 = s.rec()
	}
	if p4 != nil {
		s := t.table4().find(a4, uint(l4))
		if s == nil {
			return t, fmt.Errorf("remove eam: no entry has ipv4 prefix %s; see `eamt display`: %w", *p4, ErrNotFound)
		}
		r4 = s.rec()
	}
	r := r6
	switch {
	case p6 == nil:
		r = r4
	case p4 != nil && r4 != r6:
		return t, fmt.Errorf("remove eam %s %s: the prefixes belong to different entries (%s and %s); give one prefix, or both prefixes of one entry: %w",
			*p4, *p6, r4, r6, ErrNotFound)
	}
	nt := t.edit(0)
	nt.v4.remove(r.addr, uint(r.len4))
	nt.v6.remove(r.hi, r.lo, uint(r.len6))
	return nt.done(), nil
}

// Len returns the number of entries.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return t.v4.n
}

// Entries returns every entry in Jool's display order: the most recently added first. The slice is new.
func (t *Table) Entries() []Entry {
	if t.Len() == 0 {
		return nil
	}
	out := make([]Entry, 0, t.v4.n)
	if t.seq <= 4*uint64(t.v4.n) {
		// Sequence numbers are dense enough to place each entry directly: O(n), no sort.
		recs := make([]rec, 0, t.v4.n)
		bySeq := make([]int32, t.seq+1) // index+1 into recs; 0: no entry has this number
		t.v4.each(func(s *slot4) {
			recs = append(recs, s.rec())
			bySeq[s.seq] = int32(len(recs))
		})
		for i := len(bySeq) - 1; i > 0; i-- {
			if k := bySeq[i]; k != 0 {
				out = append(out, recs[k-1].entry())
			}
		}
		return out
	}
	type item struct {
		seq uint64
		r   rec
	}
	items := make([]item, 0, t.v4.n)
	t.v4.each(func(s *slot4) { items = append(items, item{s.seq, s.rec()}) })
	slices.SortFunc(items, func(a, b item) int { return cmp.Compare(b.seq, a.seq) })
	for i := range items {
		out = append(out, items[i].r.entry())
	}
	return out
}

// Each calls fn for every entry, in no particular order, without building a
// slice (cheaper than Entries for a large table; for the data plane's
// steering sets).
func (t *Table) Each(fn func(Entry)) {
	if t.Len() == 0 {
		return
	}
	t.v4.each(func(s *slot4) { fn(s.rec().entry()) })
}

// EachPrefix4 calls fn with every entry's IPv4 prefix (big-endian address, length), in no particular order,
// until fn returns false. Like EachPrefix6 it reads the table in place and builds nothing, so that the data
// plane's steering sets can scan a large table several times cheaply.
func (t *Table) EachPrefix4(fn func(addr uint32, bits int) bool) {
	for _, p := range t.table4().pages {
		for k := range p.s {
			if s := &p.s[k]; s.tag != 0 && !fn(s.addr, int(s.tag-1)) {
				return
			}
		}
	}
}

// EachPrefix6 calls fn with every entry's IPv6 prefix (big-endian halves, length), in no particular order,
// until fn returns false.
func (t *Table) EachPrefix6(fn func(hi, lo uint64, bits int) bool) {
	for _, p := range t.table6().pages {
		for k := range p.s {
			if s := &p.s[k]; s.tag != 0 && !fn(s.hi, s.lo, int(s.tag-1)) {
				return
			}
		}
	}
}

// Match4 returns the entry whose IPv4 prefix is the longest one containing a (slow path: `address query`,
// tests). It reports false for a nil table or a non-IPv4 address.
func (t *Table) Match4(a netip.Addr) (Entry, bool) {
	if !a.Is4() {
		return Entry{}, false
	}
	b := a.As4()
	s := t.table4().lpm(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
	if s == nil {
		return Entry{}, false
	}
	return s.rec().entry(), true
}

// Match6 returns the entry whose IPv6 prefix is the longest one containing a.
func (t *Table) Match6(a netip.Addr) (Entry, bool) {
	if !a.Is6() {
		return Entry{}, false
	}
	hi, lo := split6(a)
	s := t.table6().lpm(hi, lo)
	if s == nil {
		return Entry{}, false
	}
	return s.rec().entry(), true
}

var empty Table

func (t *Table) table4() *table4 {
	if t == nil {
		return &empty.v4
	}
	return &t.v4
}

func (t *Table) table6() *table6 {
	if t == nil {
		return &empty.v6
	}
	return &t.v6
}

// edit returns a writable copy of t that expects about extra more entries: the page directories are private;
// pages are copied on first write, or all rebuilt at once when the table must grow anyway.
func (t *Table) edit(extra int) *Table {
	nt := new(Table)
	if t != nil {
		*nt = *t
	}
	nt.v4.beginWrite()
	nt.v6.beginWrite()
	// Grow once up front rather than doubling repeatedly; shrink a table that lost most of its entries (and
	// make its lookup bounds exact again: removals only ever leave them too wide).
	if want := pagesFor(nt.v4.n + extra); want > len(nt.v4.pages) || 4*want < len(nt.v4.pages) {
		nt.b.rebuild = want < len(nt.v4.pages)
		nt.v4.resize(want)
	}
	if want := pagesFor(nt.v6.n + extra); want > len(nt.v6.pages) || 4*want < len(nt.v6.pages) {
		nt.v6.resize(want)
	}
	return nt
}

func (nt *Table) done() *Table {
	if nt.b.rebuild {
		nt.b.recompute(nt)
	}
	nt.v4.endWrite()
	nt.v6.endWrite()
	return nt
}

// add checks r against the table being built (Jool's validate_overlapping) and inserts it. The checks run in
// Jool's order, which decides the error reported when several apply: the IPv6 side's longest match, the IPv4
// side's, then (with force) an identical prefix hidden behind a longer match, IPv6 before IPv4.
func (nt *Table) add(r rec, force bool) error {
	s6, err := nt.v6.check(r, force)
	if err != nil {
		return err
	}
	s4, err := nt.v4.check(r, force)
	if err != nil {
		return err
	}
	if err := nt.v6.checkHidden(r, s6); err != nil {
		return err
	}
	if err := nt.v4.checkHidden(r, s4); err != nil {
		return err
	}
	nt.seq++
	nt.b.widen(r, nt.v4.n == 0)
	nt.v4.insert(newSlot4(r, nt.seq))
	nt.v6.insert(newSlot6(r))
	return nil
}

func split6(a netip.Addr) (hi, lo uint64) {
	b := a.As16()
	for i := 0; i < 8; i++ {
		hi = hi<<8 | uint64(b[i])
		lo = lo<<8 | uint64(b[8+i])
	}
	return hi, lo
}
