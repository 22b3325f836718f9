package control

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/siit-project/siit/internal/config"
	"github.com/siit-project/siit/xlat"
	"github.com/siit-project/siit/xlat/eamt"
)

// TestQueryMatchesDataPlane checks that `address query` answers exactly what
// the translator does (xlat.Config.TranslateAddr) for random configurations
// and addresses: same success or failure, same result, same rule.
func TestQueryMatchesDataPlane(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 40 {
		st := NewState(Options{})
		pool6 := netip.Prefix{}
		if round%4 != 0 {
			l := xlat.Pool6Lengths[rng.IntN(len(xlat.Pool6Lengths))]
			b := [16]byte{0x20, 0x01, 0x0d, 0xb8, byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))}
			if l == 96 && rng.IntN(2) == 0 {
				b[8] = byte(1 + rng.IntN(255)) // a u-octet, which instance add accepts as in Jool
			}
			pool6 = netip.PrefixFrom(netip.AddrFrom16(b), l).Masked()
		}
		if err := st.AddInstance("default", config.Netfilter, pool6); err != nil {
			t.Fatal(err)
		}
		for range 20 {
			l4 := 24 + rng.IntN(9)
			v4 := netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 51, 100, byte(rng.IntN(256))}), l4).Masked()
			var b6 [16]byte
			b6[0], b6[1], b6[2], b6[3], b6[5] = 0x20, 0x01, 0x0d, 0xb8, byte(rng.IntN(256))
			v6 := netip.PrefixFrom(netip.AddrFrom16(b6), 128-(32-l4)).Masked()
			_ = st.AddEAM("default", eamt.Entry{Prefix6: v6, Prefix4: v4}, rng.IntN(2) == 0)
		}
		_ = st.AddDenylist4("default", netip.MustParsePrefix("198.51.100.128/28"), false)
		in := st.Snapshot().Instance("default")
		cfg, err := xlat.NewConfig(xlat.Params{Globals: in.Globals, EAMT: in.EAMT, Denylist4: in.Denylist4})
		if err != nil {
			t.Fatal(err)
		}
		var probes []netip.Addr
		for range 200 {
			probes = append(probes, netip.AddrFrom4([4]byte{198, 51, 100, byte(rng.IntN(256))}))
			probes = append(probes, netip.AddrFrom4([4]byte{byte(rng.IntN(256)), byte(rng.IntN(256)), 2, byte(rng.IntN(256))}))
		}
		for _, e := range in.EAMT.Entries() {
			b := e.Prefix6.Addr().As16()
			b[15] ^= byte(rng.IntN(4))
			probes = append(probes, netip.AddrFrom16(b))
		}
		if pool6.IsValid() {
			for _, a4 := range probes[:50] {
				if r, _, err := cfg.TranslateAddr(a4); err == nil && r.Is6() {
					probes = append(probes, r)
				}
			}
		}
		for _, a := range probes {
			want, wm, werr := cfg.TranslateAddr(a)
			got, gerr := st.Query("default", a)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("round %d %s: data plane says %v %v, address query says %+v %v", round, a, want, werr, got, gerr)
			}
			if werr != nil {
				continue
			}
			if got.Result != want || string(got.Method) != string(wm) {
				t.Fatalf("round %d %s: data plane %s via %s, address query %s via %s", round, a, want, wm, got.Result, got.Method)
			}
		}
	}
}
