package eamt

import "math/bits"

// Bulk loads spend most of their time waiting for cache misses: each entry probes a few random slots of
// tables far larger than the CPU caches. touch reads the home slots of the next few entries up front; the
// reads do not depend on each other, so the CPU overlaps their misses, and the real probes that follow hit
// the cache. It changes nothing but timing. Each family has its own, so that a bulk load can build the two
// families on two cores.

const touchBatch = 16

// touch returns a meaningless value so that its loads cannot be optimized away.
//
//go:noinline
func (v4 *table4) touch(rs []rec) uint8 {
	if len(v4.pages) == 0 {
		return 0
	}
	var acc uint8
	for i := range rs {
		r := &rs[i]
		m := v4.lens | 1<<r.len4
		for k := 0; k < 3 && m != 0; k++ {
			l := uint(63 - bits.LeadingZeros64(m))
			m &^= 1 << l
			h := hash4(r.addr&mask4(l), l)
			acc += v4.pages[h>>v4.shift].s[h&slotMask].tag
		}
	}
	return acc
}

//go:noinline
func (v6 *table6) touch(rs []rec) uint8 {
	if len(v6.pages) == 0 {
		return 0
	}
	var acc uint8
	for i := range rs {
		r := &rs[i]
		lens := v6.lens
		lens[r.len6/64] |= 1 << (r.len6 % 64)
		k := 0
		for w := 2; w >= 0 && k < 3; w-- {
			for m := lens[w]; m != 0 && k < 3; k++ {
				b := uint(63 - bits.LeadingZeros64(m))
				m &^= 1 << b
				l := uint(w)*64 + b
				mh, ml := mask6(l)
				h := hash6(r.hi&mh, r.lo&ml, l)
				acc += v6.pages[h>>v6.shift].s[h&slotMask].tag
			}
		}
	}
	return acc
}
