package eamt

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSnapshotsAtScale keeps the first version of a 100k-entry table and checks, after a long run of Adds and
// Removes on later versions (copy-on-write of shared pages, growth), that it still holds and translates
// exactly what it did; likewise for a table shrunk until it compacts.
func TestSnapshotsAtScale(t *testing.T) {
	n := 100_000
	if raceEnabled {
		n = 20_000
	}
	es := bigEntries(n)
	first, err := New(es)
	if err != nil {
		t.Fatal(err)
	}
	v4, hi, lo := hitAddrs(es, 2000)
	type res struct {
		hi, lo uint64
		a      uint32
	}
	answers := func(tb *Table) []res {
		out := make([]res, len(v4))
		for i := range v4 {
			out[i].hi, out[i].lo, _ = tb.Lookup4(v4[i])
			out[i].a, _ = tb.Lookup6(hi[i], lo[i])
		}
		return out
	}
	wantEntries, wantAnswers := first.Entries(), answers(first)

	r := rand.New(rand.NewPCG(5, 6))
	tb := first
	for i := range 2000 {
		if i%2 == 0 {
			e := es[r.IntN(len(es))]
			if next, err := tb.Remove(&e.Prefix6, nil); err == nil {
				tb = next
			}
			continue
		}
		e := Entry{Prefix4: netipPrefix4(0xc6330000+uint32(i), 32), Prefix6: netipPrefix6(0x20010db8ffff0000, uint64(i), 128)}
		if tb, err = tb.Add(e, false); err != nil {
			t.Fatal(err)
		}
	}
	// Then shrink a copy of a smaller table hard enough to trigger a compacting rebuild.
	small, err := New(es[:5000])
	if err != nil {
		t.Fatal(err)
	}
	smallFirst, smallEntries := small, small.Entries()
	for _, e := range es[:4500] {
		if small, err = small.Remove(nil, &e.Prefix4); err != nil {
			t.Fatal(err)
		}
	}
	if small.Len() != 500 || len(small.v4.pages) >= len(smallFirst.v4.pages) {
		t.Fatalf("shrunk table: %d entries, %d pages (from %d)", small.Len(), len(small.v4.pages), len(smallFirst.v4.pages))
	}
	if !slices.Equal(smallFirst.Entries(), smallEntries) {
		t.Fatal("small table's first version changed")
	}
	if got := first.Entries(); !slices.Equal(got, wantEntries) {
		t.Fatal("first version's entries changed")
	}
	if got := answers(first); !slices.Equal(got, wantAnswers) {
		t.Fatal("first version's lookups changed")
	}
	if first.Len() != n {
		t.Fatalf("first version has %d entries; want %d", first.Len(), n)
	}
}
