package bpf

import (
	"math/rand/v2"
	"net/netip"
	"slices"
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

// TestNormalizePrefixesRandom checks aggregation against plain membership on every address of a small
// universe, and that the result is minimal: sorted, disjoint, no mergeable sibling halves.
func TestNormalizePrefixesRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, base := range []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("2001:db8::/120")} {
		v4 := base.Addr().Is4()
		for iter := 0; iter < 300; iter++ {
			var in []netip.Prefix
			for n := r.IntN(40); n > 0; n-- {
				a := base.Addr().As16()
				a[15] = byte(r.IntN(256))
				addr := netip.AddrFrom16(a)
				if v4 {
					addr = addr.Unmap()
				}
				in = append(in, netip.PrefixFrom(addr, addr.BitLen()-r.IntN(9))) // not masked on purpose
			}
			out, err := normalizePrefixes(in, v4)
			if err != nil {
				t.Fatal(err)
			}
			for a := base.Addr(); base.Contains(a); a = a.Next() {
				if covered(in, a) != covered(out, a) {
					t.Fatalf("%v -> %v: %v covered %v before, %v after", in, out, a, covered(in, a), covered(out, a))
				}
			}
			for i, p := range out {
				if p != p.Masked() {
					t.Fatalf("%v not masked", p)
				}
				if i == 0 {
					continue
				}
				q := out[i-1]
				if q.Addr().Compare(p.Addr()) >= 0 || q.Overlaps(p) {
					t.Fatalf("%v: %v and %v out of order or overlapping", out, q, p)
				}
				if q.Bits() == p.Bits() && netip.PrefixFrom(q.Addr(), q.Bits()-1).Masked().Contains(p.Addr()) {
					t.Fatalf("%v: siblings %v and %v not merged", out, q, p)
				}
			}
		}
	}
}

func TestNormalizePrefixesCases(t *testing.T) {
	mp := func(s ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, x := range s {
			out = append(out, netip.MustParsePrefix(x))
		}
		return out
	}
	cases := []struct {
		in, want []netip.Prefix
		v4       bool
	}{
		{mp("198.51.100.0/25", "198.51.100.128/25"), mp("198.51.100.0/24"), true},
		{mp("198.51.100.7/24", "198.51.100.9/32"), mp("198.51.100.0/24"), true},
		{mp("192.0.2.0/24", "198.51.100.0/24", "0.0.0.0/0"), mp("0.0.0.0/0"), true},
		{mp("0.0.0.0/1", "128.0.0.0/1"), mp("0.0.0.0/0"), true},
		{mp("198.51.100.0/26", "198.51.100.64/26", "198.51.100.128/25"), mp("198.51.100.0/24"), true},
		{mp("198.51.100.64/26", "198.51.100.128/26"), mp("198.51.100.64/26", "198.51.100.128/26"), true}, // not siblings
		{mp("64:ff9b::/96", "64:ff9b::/96", "2001:db8::/32"), mp("64:ff9b::/96", "2001:db8::/32"), false},
		{mp("::ffff:198.51.100.0/120"), mp("::ffff:198.51.100.0/120"), false},
		{nil, []netip.Prefix{}, true},
	}
	for _, c := range cases {
		got, err := normalizePrefixes(c.in, c.v4)
		if err != nil {
			t.Fatalf("%v: %v", c.in, err)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%v: got %v, want %v", c.in, got, c.want)
		}
	}
	for _, bad := range []struct {
		in []netip.Prefix
		v4 bool
	}{{mp("2001:db8::/32"), true}, {mp("198.51.100.0/24"), false}, {[]netip.Prefix{{}}, true},
		{[]netip.Prefix{netip.PrefixFrom(netip.MustParseAddr("198.51.100.1"), 33)}, true}} {
		if _, err := normalizePrefixes(bad.in, bad.v4); err == nil {
			t.Errorf("%v (v4=%v): no error", bad.in, bad.v4)
		}
	}
}

// TestAPIErrors covers argument validation and use after Close.
func TestAPIErrors(t *testing.T) {
	if _, err := Load(Options{Ifindex: -1}); err == nil {
		t.Error("Load with a negative ifindex succeeded")
	}
	if _, err := Load(Options{Mode: 7}); err == nil {
		t.Error("Load with mode 7 succeeded")
	}
	requireRoot(t)
	if _, err := Load(Options{Ifindex: 1 << 30}); err == nil {
		t.Error("Load with a missing interface succeeded")
	} else {
		t.Log(err)
	}
	p := loadTest(t, Options{MaxQueues: 4, MaxPrefixes: 2, MaxLocalAddrs: 1})
	if err := p.Attach(); err == nil {
		t.Error("Attach without an interface succeeded")
	}
	if p.AttachedMode() != ModeAuto {
		t.Error("unattached program reports a mode")
	}
	fd := xskSocket(t)
	for _, q := range []int{-1, 4} {
		if err := p.RegisterSocket(q, fd); err == nil {
			t.Errorf("RegisterSocket(%d) succeeded", q)
		}
	}
	if err := p.RegisterSocket(3, 0); err == nil { // stdin is no AF_XDP socket
		t.Error("RegisterSocket with a non-AF_XDP fd succeeded")
	} else {
		t.Log(err)
	}
	if err := p.UnregisterSocket(2); err != nil {
		t.Errorf("UnregisterSocket of an empty slot: %v", err)
	}
	three := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24")}
	if err := p.SetPrefixes(three, nil); err == nil {
		t.Error("SetPrefixes over MaxPrefixes succeeded")
	} else {
		t.Log(err)
	}
	if err := p.SetLocalAddrs([]netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")}); err == nil {
		t.Error("SetLocalAddrs over MaxLocalAddrs succeeded")
	}
	if err := p.SetLocalAddrs([]netip.Addr{{}}); err == nil {
		t.Error("SetLocalAddrs with a zero address succeeded")
	}
	// One of each family fits, and a mapped address counts as IPv4.
	if err := p.SetLocalAddrs([]netip.Addr{netip.MustParseAddr("::ffff:192.0.2.1"), netip.MustParseAddr("fe80::1%eth0")}); err != nil {
		t.Errorf("SetLocalAddrs: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := p.SetEnabled(true); err == nil {
		t.Error("SetEnabled after Close succeeded")
	}
	if _, err := p.Stats(); err == nil {
		t.Error("Stats after Close succeeded")
	}
	if err := p.SetPrefixes(nil, nil); err == nil {
		t.Error("SetPrefixes after Close succeeded")
	}
	if err := p.Attach(); err == nil {
		t.Error("Attach after Close succeeded")
	}
}
