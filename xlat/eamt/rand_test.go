package eamt

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// sentinel returns which of the package errors err wraps (nil for nil).
func sentinel(err error) error {
	for _, s := range []error{ErrInvalid, ErrExists, ErrOverlap, ErrNotFound} {
		if errors.Is(err, s) {
			return s
		}
	}
	return err
}

// compare checks tb against the reference: size, display order, and both lookups on addresses inside every
// entry plus random ones.
func compare(t testing.TB, g gen, tb *Table, r *ref, probes int) {
	t.Helper()
	if tb.Len() != len(r.es) {
		t.Fatalf("Len() = %d; reference has %d", tb.Len(), len(r.es))
	}
	if got, want := tb.Entries(), r.entries(); !slices.Equal(got, want) {
		t.Fatalf("Entries() = %v\nreference  %v", got, want)
	}
	var addrs4, addrs6 []netip.Addr
	for _, e := range r.es {
		addrs4 = append(addrs4, e.Prefix4.Addr(), g.addrIn(e.Prefix4))
		addrs6 = append(addrs6, e.Prefix6.Addr(), g.addrIn(e.Prefix6))
	}
	for range probes {
		addrs4 = append(addrs4, g.prefix4(32).Addr())
		addrs6 = append(addrs6, g.prefix6(128).Addr())
	}
	for _, a := range addrs4 {
		got, ok := xlat4(tb, a)
		want, wok := r.xlat4(a)
		if ok != wok || got != want {
			t.Fatalf("Lookup4(%s) = %v, %v; reference %v, %v", a, got, ok, want, wok)
		}
		if hi, lo, pok := tb.Probe4(u4(a)); pok != ok || pok && a6(hi, lo) != got {
			t.Fatalf("Probe4(%s) = %v, %v; Lookup4 %v, %v", a, a6(hi, lo), pok, got, ok)
		}
		if es, big := tb.Small4(); !big {
			var shi, slo uint64
			i := Find4(es, u4(a))
			if i >= 0 {
				shi, slo = es[i].Map(u4(a))
			}
			if (i >= 0) != ok || i >= 0 && a6(shi, slo) != got {
				t.Fatalf("Small4 search of %s = %v, %v; Lookup4 %v, %v", a, a6(shi, slo), i >= 0, got, ok)
			}
		}
		e, ok := tb.Match4(a)
		if i := r.lpm(a, false); ok != (i >= 0) || (ok && e != r.es[i]) {
			t.Fatalf("Match4(%s) = %v, %v; reference index %d", a, e, ok, i)
		}
	}
	for _, a := range addrs6 {
		got, ok := xlat6(tb, a)
		want, wok := r.xlat6(a)
		if ok != wok || got != want {
			t.Fatalf("Lookup6(%s) = %v, %v; reference %v, %v", a, got, ok, want, wok)
		}
		if x, pok := tb.Probe6(u6(a)); pok != ok || pok && a4(x) != got {
			t.Fatalf("Probe6(%s) = %v, %v; Lookup6 %v, %v", a, a4(x), pok, got, ok)
		}
		if es, big := tb.Small6(); !big {
			var s4 uint32
			hi, lo := u6(a)
			i := Find6(es, hi, lo)
			if i >= 0 {
				s4 = es[i].Map(hi, lo)
			}
			if (i >= 0) != ok || i >= 0 && a4(s4) != got {
				t.Fatalf("Small6 search of %s = %v, %v; Lookup6 %v, %v", a, a4(s4), i >= 0, got, ok)
			}
		}
		e, ok := tb.Match6(a)
		if i := r.lpm(a, true); ok != (i >= 0) || (ok && e != r.es[i]) {
			t.Fatalf("Match6(%s) = %v, %v; reference index %d", a, e, ok, i)
		}
	}
}

// TestRandomAgainstReference drives random Add/Remove sequences (with and without force) through the table
// and the reference, comparing every outcome, and checks that every earlier snapshot still answers as it did.
func TestRandomAgainstReference(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		g := gen{rand.New(rand.NewPCG(seed, seed*7919))}
		var tb *Table
		r := &ref{}
		type snap struct {
			tb *Table
			r  ref
		}
		var snaps []snap
		for op := range 400 {
			var err, want error
			var next *Table
			switch k := g.r.IntN(10); {
			case k < 6 || len(r.es) == 0:
				e := g.entry()
				if g.r.IntN(20) == 0 {
					e.Prefix4 = netip.PrefixFrom(e.Prefix4.Addr(), e.Prefix4.Bits()) // sometimes unmasked
					e.Prefix4 = netip.PrefixFrom(g.addrIn(e.Prefix4), e.Prefix4.Bits())
				}
				force := g.r.IntN(2) == 0
				next, err = tb.Add(e, force)
				want = r.add(e, force)
			default:
				var p6, p4 *netip.Prefix
				e := r.es[g.r.IntN(len(r.es))]
				if g.r.IntN(5) == 0 {
					e = g.entry() // probably absent
				}
				if g.r.IntN(5) == 0 {
					e.Prefix4 = r.es[g.r.IntN(len(r.es))].Prefix4 // maybe another entry's
				}
				switch g.r.IntN(3) {
				case 0:
					p6 = &e.Prefix6
				case 1:
					p4 = &e.Prefix4
				default:
					p6, p4 = &e.Prefix6, &e.Prefix4
				}
				next, err = tb.Remove(p6, p4)
				want = r.remove(p6, p4)
			}
			if sentinel(err) != want {
				t.Fatalf("seed %d op %d: err = %v; reference %v", seed, op, err, want)
			}
			if err != nil && next != tb {
				t.Fatalf("seed %d op %d: failed operation returned a new table", seed, op)
			}
			tb = next
			if op%25 == 0 {
				compare(t, g, tb, r, 20)
				snaps = append(snaps, snap{tb, ref{slices.Clone(r.es)}})
			}
		}
		compare(t, g, tb, r, 200)
		for _, s := range snaps {
			compare(t, g, s.tb, &s.r, 20)
		}
	}
}

// TestBulkAgainstReference loads many random entries at once (forced, so overlaps are kept) and compares.
func TestBulkAgainstReference(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(42, 43))}
	var es []Entry
	r := &ref{}
	for len(es) < 1000 {
		e := g.entry()
		if r.add(e, true) == nil {
			es = append(es, e)
		}
	}
	tb, err := (*Table)(nil).AddAll(es, true)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, g, tb, r, 500)
	// Remove most of them (this shrinks the table) and compare again.
	for i, e := range es {
		if i%10 == 0 {
			continue
		}
		if tb, err = tb.Remove(&e.Prefix6, nil); err != nil {
			t.Fatal(err)
		}
		if err := r.remove(&e.Prefix6, nil); err != nil {
			t.Fatal(err)
		}
	}
	compare(t, g, tb, r, 500)
}

// TestSmallAgainstReference keeps tables around smallMax entries, where lookups switch between comparing each
// entry and hashing, and compares both lookups with the reference after every operation. It also checks which
// way each version looks up, so neither path can go untested.
func TestSmallAgainstReference(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		g := gen{rand.New(rand.NewPCG(seed, seed*104729))}
		var tb *Table
		r := &ref{}
		var sawSmall, sawBig bool
		for op := range 120 {
			var next *Table
			var err, want error
			if len(r.es) == 0 || len(r.es) < smallMax+3 && g.r.IntN(3) > 0 {
				e := g.entry()
				force := g.r.IntN(2) == 0
				next, err = tb.Add(e, force)
				want = r.add(e, force)
			} else {
				e := r.es[g.r.IntN(len(r.es))]
				next, err = tb.Remove(&e.Prefix6, &e.Prefix4)
				want = r.remove(&e.Prefix6, &e.Prefix4)
			}
			if sentinel(err) != want {
				t.Fatalf("seed %d op %d: err = %v; reference %v", seed, op, err, want)
			}
			tb = next
			for _, big := range []bool{tb.v4.big, tb.v6.big} {
				if big != (tb.Len() > smallMax) {
					t.Fatalf("seed %d op %d: %d entries, hashed lookups %v", seed, op, tb.Len(), big)
				}
			}
			sawSmall = sawSmall || !tb.v4.big
			sawBig = sawBig || tb.v4.big
			compare(t, g, tb, r, 30)
		}
		if !sawSmall || !sawBig {
			t.Fatalf("seed %d: small tables seen %v, large %v", seed, sawSmall, sawBig)
		}
	}
}

// TestShrunkTableIsSmall removes all but a few entries of a large table: once its pages have shrunk, lookups
// compare entries again, with the same answers.
func TestShrunkTableIsSmall(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(7, 11))}
	var es []Entry
	for i := range 5000 {
		es = append(es, Entry{Prefix4: netipPrefix4(0x0a000000+uint32(i)<<4, 28), Prefix6: netipPrefix6(0x20010db800000000, uint64(i)<<8, 124)})
	}
	tb := mustNew(t, es...)
	if !tb.v4.big || !tb.v6.big {
		t.Fatal("a 5000-entry table compares entries one by one")
	}
	r := &ref{es: slices.Clone(es)}
	for len(r.es) > 3 {
		e := r.es[len(r.es)-1]
		var err error
		if tb, err = tb.Remove(&e.Prefix6, nil); err != nil {
			t.Fatal(err)
		}
		r.es = r.es[:len(r.es)-1]
	}
	if tb.v4.big || tb.v6.big {
		t.Fatalf("3 entries left on %d/%d pages, lookups still hash", len(tb.v4.pages), len(tb.v6.pages))
	}
	compare(t, g, tb, r, 200)
}
