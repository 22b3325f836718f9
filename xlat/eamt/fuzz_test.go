package eamt

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// fuzzEntry decodes 4 bytes into an entry from a tiny space (192.0.2.0/24 and 2001:db8::/112), so collisions,
// nesting and invalid pairs are frequent. Host bits are left in on purpose when b[3] says so.
func fuzzEntry(b []byte) Entry {
	l4 := 24 + int(b[0]%9)
	if b[0] >= 0xf0 {
		l4 = int(b[0] % 33)
	}
	l6 := 96 + l4 - int(b[1]%4)
	if b[1] >= 0xfc {
		l6 = 96 + l4 + 1 // IPv4 suffix longer than the IPv6 suffix: invalid
	}
	if l6 > 128 {
		l6 = 128
	}
	p4 := netip.PrefixFrom(a4(0xc0000200|uint32(b[2])), l4)
	p6 := netip.PrefixFrom(a6(0x20010db800000000, uint64(b[3])<<8|uint64(b[2])), l6)
	if b[3]&0x80 == 0 {
		p4, p6 = p4.Masked(), p6.Masked()
	}
	return Entry{Prefix6: p6, Prefix4: p4}
}

// FuzzTable runs an operation stream (5 bytes per op) through the table and the reference model and checks
// that every result, the display order, all lookups and an early snapshot agree.
func FuzzTable(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 4, 8, 0, 8, 0, 1, 8, 0, 0, 0})
	f.Add([]byte{4, 0, 0, 0, 0, 4, 5, 1, 9, 1, 2, 0, 0, 0, 0, 3, 5, 1, 9, 1})
	f.Add([]byte{0, 0xf0, 0, 7, 0, 4, 0xf8, 1, 7, 0, 6, 8, 0, 7, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 5*64 {
			data = data[:5*64]
		}
		var tb *Table
		r := &ref{}
		var snap *Table
		var snapRef ref
		for i := 0; i+5 <= len(data); i += 5 {
			op, e := data[i], fuzzEntry(data[i+1:i+5])
			var next *Table
			var err, want error
			switch op % 4 {
			case 0, 1:
				force := op&4 != 0
				next, err = tb.Add(e, force)
				want = r.add(e, force)
			case 2:
				next, err = tb.Remove(&e.Prefix6, nil)
				want = r.remove(&e.Prefix6, nil)
			default:
				p6 := &e.Prefix6
				if op&4 != 0 {
					p6 = nil
				}
				next, err = tb.Remove(p6, &e.Prefix4)
				want = r.remove(p6, &e.Prefix4)
			}
			if sentinel(err) != want {
				t.Fatalf("op %d (%d, %v): err = %v; reference %v", i/5, op, e, err, want)
			}
			if err != nil && next != tb {
				t.Fatalf("op %d: failed operation returned a new table", i/5)
			}
			tb = next
			if i == 10 {
				snap, snapRef = tb, ref{slices.Clone(r.es)}
			}
		}
		g := gen{rand.New(rand.NewPCG(uint64(len(data)), 1))}
		compare(t, g, tb, r, 16)
		if snap != nil {
			compare(t, g, snap, &snapRef, 16)
		}
	})
}
