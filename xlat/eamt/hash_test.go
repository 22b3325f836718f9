package eamt

import (
	"math/rand/v2"
	"testing"
)

// TestHashSpread builds tables from key sets shaped like real deployments (consecutive addresses, prefixes that
// differ only in their high bits, random ones) and checks how far linear probing pushes entries from their home
// slots. A hash that ignored some key bits would pile such keys onto a few slots and show up here as long probe
// runs long before it showed up as a slow benchmark.
func TestHashSpread(t *testing.T) {
	const n = 1 << 17
	r := rand.New(rand.NewPCG(7, 8))
	sets := map[string]func(i int) Entry{
		"consecutive /32 and /128": func(i int) Entry {
			return Entry{Prefix4: netipPrefix4(0x0a000000+uint32(i), 32), Prefix6: netipPrefix6(0x20010db800000000, uint64(i), 128)}
		},
		"/24s and /120s": func(i int) Entry {
			return Entry{Prefix4: netipPrefix4(0x0b000000+uint32(i)<<8, 24), Prefix6: netipPrefix6(0x20010db800000000, uint64(i)<<8, 120)}
		},
		"high bits only": func(i int) Entry { // IPv6 keys that differ only in bits 47..63 of their low half
			return Entry{Prefix4: netipPrefix4(uint32(i)<<15, 17), Prefix6: netipPrefix6(0x20010db800000000, uint64(i)<<47, 81)}
		},
		"/64s": func(i int) Entry {
			return Entry{Prefix4: netipPrefix4(0x0c000000+uint32(i), 32), Prefix6: netipPrefix6(0x20010db800000000+uint64(i), 0, 64)}
		},
		"random": func(i int) Entry {
			return Entry{Prefix4: netipPrefix4(r.Uint32(), 32), Prefix6: netipPrefix6(r.Uint64(), r.Uint64(), 128)}
		},
	}
	for name, gen := range sets {
		t.Run(name, func(t *testing.T) {
			es := make([]Entry, 0, n)
			seen4, seen6 := map[uint32]bool{}, map[[2]uint64]bool{}
			for i := 0; len(es) < n; i++ {
				e := gen(i)
				r, err := toRec(e)
				if err != nil {
					t.Fatal(err)
				}
				if seen4[r.addr] || seen6[[2]uint64{r.hi, r.lo}] {
					continue
				}
				seen4[r.addr], seen6[[2]uint64{r.hi, r.lo}] = true, true
				es = append(es, e)
			}
			tb, err := (*Table)(nil).AddAll(es, true)
			if err != nil {
				t.Fatal(err)
			}
			var sum4, max4, sum6, max6 uint64
			for pi, p := range tb.v4.pages {
				for k := range p.s {
					if s := &p.s[k]; s.tag != 0 {
						d := displacement(hash4(s.addr, uint(s.tag-1)), tb.v4.shift, pi, k)
						sum4 += d
						max4 = max(max4, d)
					}
				}
			}
			for pi, p := range tb.v6.pages {
				for k := range p.s {
					if s := &p.s[k]; s.tag != 0 {
						d := displacement(hash6(s.hi, s.lo, uint(s.tag-1)), tb.v6.shift, pi, k)
						sum6 += d
						max6 = max(max6, d)
					}
				}
			}
			t.Logf("IPv4 mean %.2f max %d; IPv6 mean %.2f max %d", float64(sum4)/n, max4, float64(sum6)/n, max6)
			// Linear probing at the loads the table keeps (at most 3/4 per page) averages about 2.5 slots; a few
			// dozen at the worst.
			if float64(sum4)/n > 4 || float64(sum6)/n > 4 || max4 > 100 || max6 > 100 {
				t.Errorf("probe runs too long: IPv4 mean %.2f max %d; IPv6 mean %.2f max %d", float64(sum4)/n, max4, float64(sum6)/n, max6)
			}
		})
	}
}

// displacement is how many slots past its home slot (hash h) an entry found in slot k of page pi sits.
func displacement(h uint64, shift uint8, pi, k int) uint64 {
	if int(h>>shift) != pi {
		panic("entry outside its home page")
	}
	return (uint64(k) - h) & slotMask
}
