package nexthop

import (
	"math/rand/v2"
	"testing"
)

// The copy-on-write edits give the same lookups as a trie built from scratch
// from the resulting set, with and without a jump table, and never change
// what an older version answers.
func TestCowTrieAgainstRebuild(t *testing.T) {
	for _, maxLen := range []int{32, 128} {
		for _, size := range []int{50, 6000} { // 6000 prefixes: past jumpMinNodes, so with a jump table
			r := rand.New(rand.NewPCG(7, uint64(maxLen*size)))
			type key struct {
				hi, lo uint64
				plen   uint8
			}
			set := map[key]int32{}
			randPrefix := func() key {
				hi, lo := randomKey(r, maxLen)
				plen := uint8(r.IntN(maxLen + 1))
				if r.IntN(3) == 0 {
					plen = uint8(r.IntN(min(maxLen, 24) + 1)) // short ones: many jump blocks each
				}
				hi, lo = maskKey(hi, lo, plen)
				return key{hi, lo, plen}
			}
			cur := newTrie()
			for i := range size {
				k := randPrefix()
				set[k] = int32(i)
				cur.insert(k.hi, k.lo, k.plen, int32(i))
			}
			cur.buildJump(jumpMinNodes)
			if (size > 1000) != (cur.jump != nil) {
				t.Fatalf("size %d: jump table %v", size, cur.jump != nil)
			}
			// The probe keys: random ones, and each prefix's first address and a neighbour of it.
			keys := func() [][2]uint64 {
				pr := rand.New(rand.NewPCG(99, 1))
				var out [][2]uint64
				for range 2000 {
					hi, lo := randomKey(pr, maxLen)
					out = append(out, [2]uint64{hi, lo})
				}
				for k := range set {
					out = append(out, [2]uint64{k.hi, k.lo}, [2]uint64{k.hi | 1<<(63-min(k.plen, 63)), k.lo})
				}
				return out
			}
			var probeKeys [][2]uint64
			probes := func(tr *trie) []int32 {
				out := make([]int32, len(probeKeys))
				for i, k := range probeKeys {
					out[i] = tr.lookup(k[0], k[1])
				}
				return out
			}
			for round := range 30 {
				old := cur
				probeKeys = keys()
				before := probes(&old)
				next := cur // the header copy the edits work on
				c := newCowTrie(&next)
				for e := range 1 + r.IntN(40) {
					if r.IntN(2) == 0 && len(set) > 0 {
						// Delete an existing prefix (or, now and then, one that is absent).
						var k key
						for k = range set {
							break
						}
						if r.IntN(8) == 0 {
							k = randPrefix()
						}
						_, had := set[k]
						if got := c.del(k.hi, k.lo, k.plen); got != had {
							t.Fatalf("del %x/%d: %v, want %v", k.hi, k.plen, got, had)
						}
						delete(set, k)
					} else {
						k := randPrefix()
						v := int32(100000*(round+1) + e)
						c.set(k.hi, k.lo, k.plen, v)
						set[k] = v
					}
				}
				c.finish()
				if after := probes(&old); !equalInt32(before, after) {
					t.Fatalf("maxLen %d size %d round %d: an older version changed", maxLen, size, round)
				}
				ref := newTrie()
				for k, v := range set {
					ref.insert(k.hi, k.lo, k.plen, v)
				}
				ref.buildJump(jumpMinNodes)
				probeKeys = append(probeKeys, keys()...)
				if got, want := probes(&next), probes(&ref); !equalInt32(got, want) {
					t.Fatalf("maxLen %d size %d round %d: lookups differ from a rebuilt trie", maxLen, size, round)
				}
				noJump := next
				noJump.jump = nil
				if got, want := probes(&noJump), probes(&ref); !equalInt32(got, want) {
					t.Fatalf("maxLen %d size %d round %d: walk without the jump table differs", maxLen, size, round)
				}
				cur = next
			}
		}
	}
}

func equalInt32(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
