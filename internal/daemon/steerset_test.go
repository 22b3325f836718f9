package daemon

import (
	"math/rand/v2"
	"net/netip"
	"testing"
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
