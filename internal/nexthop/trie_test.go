package nexthop

import (
	"math/rand/v2"
	"testing"
)

// refEntry / refLookup are the slow reference: a linear scan for the longest
// covering prefix.
type refEntry struct {
	hi, lo uint64
	plen   uint8
	val    int32
}

func refLookup(es []refEntry, hi, lo uint64) int32 {
	best, bestLen := int32(-1), -1
	for _, e := range es {
		if covers(e.hi, e.lo, e.plen, hi, lo) && int(e.plen) > bestLen {
			best, bestLen = e.val, int(e.plen)
		}
	}
	return best
}

func randomKey(r *rand.Rand, maxLen int) (uint64, uint64) {
	hi, lo := r.Uint64(), r.Uint64()
	if maxLen == 32 {
		return hi &^ (1<<32 - 1), 0
	}
	// Cluster keys so prefixes nest and share long common parts.
	return hi & 0xffff_ff00_ffff_ffff, lo & 0xff
}

func TestTrieAgainstReference(t *testing.T) {
	for _, maxLen := range []int{32, 128} {
		r := rand.New(rand.NewPCG(1, uint64(maxLen)))
		for round := 0; round < 20; round++ {
			tr := newTrie()
			var ref []refEntry
			n := 1 + r.IntN(400)
			for i := 0; i < n; i++ {
				hi, lo := randomKey(r, maxLen)
				plen := uint8(r.IntN(maxLen + 1))
				if maxLen == 128 && r.IntN(2) == 0 {
					plen = uint8(r.IntN(65)) // many short prefixes too
				}
				hi, lo = maskKey(hi, lo, plen)
				val := int32(i)
				tr.insert(hi, lo, plen, val)
				// Replacing an existing prefix keeps one entry.
				replaced := false
				for j := range ref {
					if ref[j].hi == hi && ref[j].lo == lo && ref[j].plen == plen {
						ref[j].val, replaced = val, true
					}
				}
				if !replaced {
					ref = append(ref, refEntry{hi, lo, plen, val})
				}
			}
			plain := tr
			jumped := tr
			jumped.buildJump(0)
			for q := 0; q < 2000; q++ {
				var hi, lo uint64
				if q%2 == 0 && len(ref) > 0 {
					// Near an existing prefix: flip a random bit.
					e := ref[r.IntN(len(ref))]
					hi, lo = e.hi, e.lo
					b := uint8(r.IntN(maxLen))
					if b < 64 {
						hi ^= 1 << (63 - b)
					} else {
						lo ^= 1 << (127 - b)
					}
					if r.IntN(2) == 0 {
						hi, lo = e.hi, e.lo
					}
				} else {
					hi, lo = randomKey(r, maxLen)
				}
				want := refLookup(ref, hi, lo)
				if got := plain.lookup(hi, lo); got != want {
					t.Fatalf("len %d round %d: lookup(%016x %016x) = %d, want %d", maxLen, round, hi, lo, got, want)
				}
				if got := jumped.lookup(hi, lo); got != want {
					t.Fatalf("len %d round %d: jump-table lookup(%016x %016x) = %d, want %d", maxLen, round, hi, lo, got, want)
				}
			}
		}
	}
}

func TestTrieEdges(t *testing.T) {
	tr := newTrie()
	if tr.lookup(0, 0) != -1 {
		t.Fatal("empty trie matched")
	}
	tr.insert(0, 0, 0, 7) // default route
	tr.insert(^uint64(0), ^uint64(0), 128, 8)
	tr.insert(0x2001_0db8_0000_0000, 0, 32, 9)
	for _, c := range []struct {
		hi, lo uint64
		want   int32
	}{
		{0, 0, 7},
		{^uint64(0), ^uint64(0), 8},
		{^uint64(0), ^uint64(0) - 1, 7},
		{0x2001_0db8_ffff_0000, 1, 9},
		{0x2001_0db9_0000_0000, 0, 7},
	} {
		if got := tr.lookup(c.hi, c.lo); got != c.want {
			t.Errorf("lookup(%016x %016x) = %d, want %d", c.hi, c.lo, got, c.want)
		}
	}
}

// FuzzTrie inserts the prefixes encoded in the input (17 bytes each: 16 key
// bytes and a length byte) and checks every lookup — at the prefixes, at
// their neighbours and at the input's tail as a key — against the linear
// reference, with and without the jump table.
func FuzzTrie(f *testing.F) {
	f.Add([]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0xff})
	f.Add(make([]byte, 17*3))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr := newTrie()
		var ref []refEntry
		var keys [][2]uint64
		for i := 0; i+17 <= len(data) && len(ref) < 256; i += 17 {
			var hi, lo uint64
			for j := 0; j < 8; j++ {
				hi = hi<<8 | uint64(data[i+j])
				lo = lo<<8 | uint64(data[i+8+j])
			}
			plen := data[i+16] % 129
			keys = append(keys, [2]uint64{hi, lo}, [2]uint64{hi ^ 1<<63, lo}, [2]uint64{hi, lo ^ 1})
			hi, lo = maskKey(hi, lo, plen)
			val := int32(len(ref))
			tr.insert(hi, lo, plen, val)
			found := false
			for j := range ref {
				if ref[j].hi == hi && ref[j].lo == lo && ref[j].plen == plen {
					ref[j].val, found = val, true
				}
			}
			if !found {
				ref = append(ref, refEntry{hi, lo, plen, val})
			}
		}
		jumped := tr
		jumped.buildJump(0)
		for _, k := range keys {
			want := refLookup(ref, k[0], k[1])
			if got := tr.lookup(k[0], k[1]); got != want {
				t.Fatalf("lookup(%016x %016x) = %d, want %d", k[0], k[1], got, want)
			}
			if got := jumped.lookup(k[0], k[1]); got != want {
				t.Fatalf("jump lookup(%016x %016x) = %d, want %d", k[0], k[1], got, want)
			}
		}
	})
}
