package eamt

import (
	"net/netip"
	"testing"
)

// lastAddr returns the last address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// checkEdges asserts that the first and last address of every entry's prefixes translate (so the lookup bounds
// never cut off part of an entry), and that each address in miss translates in neither direction.
func checkEdges(t *testing.T, tb *Table, miss ...netip.Addr) {
	t.Helper()
	for _, e := range tb.Entries() {
		for _, a := range []netip.Addr{e.Prefix4.Addr(), lastAddr(e.Prefix4)} {
			if _, ok := xlat4(tb, a); !ok {
				t.Errorf("Lookup4(%s) missed; entry %s", a, e)
			}
		}
		for _, a := range []netip.Addr{e.Prefix6.Addr(), lastAddr(e.Prefix6)} {
			if _, ok := xlat6(tb, a); !ok {
				t.Errorf("Lookup6(%s) missed; entry %s", a, e)
			}
		}
	}
	for _, a := range miss {
		var ok bool
		if a.Is4() {
			_, ok = xlat4(tb, a)
		} else {
			_, ok = xlat6(tb, a)
		}
		if ok {
			t.Errorf("lookup of %s hit; want a miss", a)
		}
	}
}

// TestBounds covers the range filter in front of the hash probes: prefix edges, addresses just outside,
// /0 prefixes and 128-bit carries, removals (bounds may stay too wide but stay correct) and re-adds.
func TestBounds(t *testing.T) {
	tb := mustNew(t,
		ent("192.0.2.0/24", "2001:db8:6::/120"),
		ent("198.51.100.9/32", "2001:db8:7::ffff:ffff:ffff:ffff/128"),
	)
	checkEdges(t, tb,
		ma("192.0.1.255"), ma("198.51.100.10"), ma("0.0.0.0"), ma("255.255.255.255"),
		ma("2001:db8:5:ffff:ffff:ffff:ffff:ffff"), ma("2001:db8:7::1:0:0:0"), ma("::"), ma("64:ff9b::c633:6407"),
	)
	if tb.b.first4 != u4(ma("192.0.2.0")) || tb.b.first4+tb.b.span4 != u4(ma("198.51.100.9")) {
		t.Errorf("IPv4 bounds %s + %d", a4(tb.b.first4), tb.b.span4)
	}

	// Removing an entry leaves the bounds wide; the lookups must still be exact.
	p4 := mp("198.51.100.9/32")
	tb2, err := tb.Remove(nil, &p4)
	if err != nil {
		t.Fatal(err)
	}
	checkEdges(t, tb2, ma("198.51.100.9"), ma("2001:db8:7::ffff:ffff:ffff:ffff"), ma("192.0.3.0"))

	// Emptied, then refilled elsewhere: the old range no longer counts.
	p4 = mp("192.0.2.0/24")
	tb3, err := tb2.Remove(nil, &p4)
	if err != nil {
		t.Fatal(err)
	}
	checkEdges(t, tb3, ma("192.0.2.1"), ma("2001:db8:6::1"))
	tb4, err := tb3.Add(ent("203.0.113.0/25", "2001:db8:9::/121"), false)
	if err != nil {
		t.Fatal(err)
	}
	checkEdges(t, tb4, ma("192.0.2.1"), ma("2001:db8:6::1"), ma("203.0.113.128"), ma("2001:db8:9::80"))
	if tb4.b.first4 != u4(ma("203.0.113.0")) || tb4.b.span4 != 127 {
		t.Errorf("bounds after refill: %s + %d; want exactly 203.0.113.0/25", a4(tb4.b.first4), tb4.b.span4)
	}

	// Whole address spaces: the spans are the largest values and nothing is filtered out.
	all, err := (*Table)(nil).AddAll([]Entry{
		ent("0.0.0.0/0", "::/96"), ent("255.255.255.255/32", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"),
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	checkEdges(t, all)
	if _, ok := xlat6(all, ma("::ffff:1")); !ok {
		t.Error("Lookup6(::ffff:1) missed under ::/96")
	}
}

// TestBoundsShrink checks that the rebuild after mass removal makes the bounds exact again. Entries are
// removed from the highest addresses down, so the exact bounds always end at the last remaining entry.
func TestBoundsShrink(t *testing.T) {
	es := bigEntries(4096)
	tb := mustNew(t, es...)
	shrinks := 0
	for k := len(es) - 1; k > 0; k-- {
		pages := len(tb.v4.pages)
		p := es[k].Prefix4
		var err error
		if tb, err = tb.Remove(nil, &p); err != nil {
			t.Fatal(err)
		}
		if len(tb.v4.pages) == pages {
			continue
		}
		shrinks++
		f, l := u4(es[0].Prefix4.Addr()), u4(lastAddr(es[k-1].Prefix4))
		if tb.b.first4 != f || tb.b.span4 != l-f {
			t.Errorf("bounds after shrinking to %d entries: %s + %d; want %s + %d", k, a4(tb.b.first4), tb.b.span4, a4(f), l-f)
		}
		checkEdges(t, tb, lastAddr(es[k].Prefix4), lastAddr(es[k].Prefix6))
	}
	if shrinks == 0 {
		t.Fatal("the table never shrank; the test no longer covers the rebuild")
	}
}
