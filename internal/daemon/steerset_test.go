package daemon

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/siit-project/siit/xlat/eamt"
)

func covered(set []netip.Prefix, a netip.Addr) bool {
	for _, p := range set {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func TestBoundPrefixes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 20 {
		n := 50 + rng.IntN(400)
		var ps []netip.Prefix
		for range n {
			var b [16]byte
			b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8
			b[4], b[5], b[6], b[15] = byte(rng.IntN(4)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))
			p, _ := netip.AddrFrom16(b).Prefix(96 + rng.IntN(33))
			ps = append(ps, p)
		}
		max := 1 + rng.IntN(64)
		got := boundPrefixes(ps, max)
		if len(got) > max && len(ps) > max {
			t.Fatalf("round %d: %d prefixes, bound %d", round, len(got), max)
		}
		// Every original prefix (its first and last address) is covered.
		for _, p := range ps {
			last := p.Addr().As16()
			for i := p.Bits(); i < 128; i++ {
				last[i/8] |= 0x80 >> (i % 8)
			}
			if !covered(got, p.Addr()) || !covered(got, netip.AddrFrom16(last)) {
				t.Fatalf("round %d: %v not covered by %v", round, p, got)
			}
		}
	}
	small := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	if got := boundPrefixes(small, 4); len(got) != 1 || got[0] != small[0] {
		t.Fatalf("small set changed: %v", got)
	}
}

func TestBoundPrefixesMillion(t *testing.T) {
	ps := make([]netip.Prefix, 0, 1<<20)
	for i := range 1 << 20 {
		var b [16]byte
		b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8
		b[4], b[5], b[6] = byte(i>>16), byte(i>>8), byte(i)
		ps = append(ps, netip.PrefixFrom(netip.AddrFrom16(b), 128))
	}
	got := boundPrefixes(ps, maxSteerPrefixes)
	if len(got) > maxSteerPrefixes || len(got) == 0 {
		t.Fatalf("%d prefixes", len(got))
	}
	if !covered(got, ps[0].Addr()) || !covered(got, ps[len(ps)-1].Addr()) || !covered(got, ps[777777].Addr()) {
		t.Fatal("not covered")
	}
}

func TestBoundPrefixes4(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var ps []netip.Prefix
	for range 1000 {
		a := netip.AddrFrom4([4]byte{198, 51, byte(rng.IntN(256)), byte(rng.IntN(256))})
		p, _ := a.Prefix(24 + rng.IntN(9))
		ps = append(ps, p)
	}
	got := boundPrefixes(ps, 16)
	if len(got) > 16 {
		t.Fatalf("%d prefixes", len(got))
	}
	for _, p := range got {
		if !p.Addr().Is4() || p.Bits() > 32 {
			t.Fatalf("bad prefix %v", p)
		}
	}
	for _, p := range ps {
		if !covered(got, p.Addr()) {
			t.Fatalf("%v not covered by %v", p, got)
		}
	}
}

// refBound is boundKeys the slow way: count the distinct cut keys at every
// length with a map and keep the longest length within the bound.
func refBound(ps []netip.Prefix, max int) map[pkey]bool {
	bitlen := 128
	if ps[0].Addr().Is4() {
		bitlen = 32
	}
	var best map[pkey]bool
	for l := 0; l <= bitlen; l++ {
		set := map[pkey]bool{}
		for _, p := range ps {
			set[keyOf(p).cut(l)] = true
		}
		if len(set) > max {
			break
		}
		best = set
	}
	return best
}

// TestBoundPrefixesOptimal checks the result against refBound exactly: the
// longest length that fits, no more and no fewer prefixes.
func TestBoundPrefixesOptimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for round := range 200 {
		n := 1 + rng.IntN(300)
		seen := map[netip.Prefix]bool{}
		var ps []netip.Prefix
		v4 := round%2 == 0
		for len(ps) < n {
			var p netip.Prefix
			if v4 {
				a := netip.AddrFrom4([4]byte{203, 0, byte(rng.IntN(4)), byte(rng.IntN(256))})
				p, _ = a.Prefix(16 + rng.IntN(17))
			} else {
				var b [16]byte
				b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8
				b[7], b[15] = byte(rng.IntN(8)), byte(rng.IntN(256))
				p, _ = netip.AddrFrom16(b).Prefix(rng.IntN(129))
			}
			if !seen[p] {
				seen[p] = true
				ps = append(ps, p)
			}
		}
		max := 1 + rng.IntN(n+2)
		got := boundPrefixes(ps, max)
		want := refBound(ps, max)
		if len(got) != len(want) {
			t.Fatalf("round %d (n %d, max %d): %d prefixes, reference %d", round, n, max, len(got), len(want))
		}
		for _, p := range got {
			if !want[keyOf(p)] {
				t.Fatalf("round %d: %v is not in the reference set", round, p)
			}
		}
	}
}

// TestSteerSetsFromTable checks that the table-scanning steering sets equal
// boundPrefixes of the table's prefixes.
func TestSteerSetsFromTable(t *testing.T) {
	var es []eamt.Entry
	for i := range 20000 {
		var b [16]byte
		b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8
		b[8], b[9], b[10] = byte(i>>16), byte(i>>8), byte(i)
		es = append(es, eamt.Entry{
			Prefix6: netip.PrefixFrom(netip.AddrFrom16(b), 128),
			Prefix4: netip.PrefixFrom(netip.AddrFrom4([4]byte{198, byte(i >> 16), byte(i >> 8), byte(i)}), 32),
		})
	}
	tab, err := eamt.New(es)
	if err != nil {
		t.Fatal(err)
	}
	var p4, p6 []netip.Prefix
	for _, e := range es {
		p4, p6 = append(p4, e.Prefix4), append(p6, e.Prefix6)
	}
	for _, max := range []int{1, 100, 5000, 20000} {
		same := func(got, want []netip.Prefix) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("max %d: %d prefixes, want %d", max, len(got), len(want))
			}
			set := map[netip.Prefix]bool{}
			for _, p := range want {
				set[p] = true
			}
			for _, p := range got {
				if !set[p] {
					t.Fatalf("max %d: unexpected %v", max, p)
				}
			}
		}
		same(steerSet4(tab, max), boundPrefixes(p4, max))
		same(steerSet6(tab, max), boundPrefixes(p6, max))
	}
}

// BenchmarkSteerSets1M computes both steering sets of a 1M-entry table, as
// the daemon does after a bulk load.
func BenchmarkSteerSets1M(b *testing.B) {
	es := make([]eamt.Entry, 1_000_000)
	for i := range es {
		var a [16]byte
		a[0], a[1], a[2], a[3] = 0x20, 0x01, 0x0d, 0xb8
		a[8], a[9], a[10] = byte(i>>16), byte(i>>8), byte(i)
		es[i] = eamt.Entry{
			Prefix6: netip.PrefixFrom(netip.AddrFrom16(a), 128),
			Prefix4: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 32),
		}
	}
	tab, err := eamt.New(es)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if len(steerSet4(tab, maxSteerPrefixes)) > maxSteerPrefixes || len(steerSet6(tab, maxSteerPrefixes)) > maxSteerPrefixes {
			b.Fatal("over the bound")
		}
	}
}
