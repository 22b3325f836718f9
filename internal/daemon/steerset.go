package daemon

import (
	"encoding/binary"
	"net/netip"

	"github.com/siit-project/siit/xlat/eamt"
)

// maxSteerPrefixes bounds each family's steering set in the XDP program.
// Every prefix is one BPF map update (a few microseconds each), so a
// 1,000,000-entry EAMT copied verbatim would take seconds to publish. The
// steering set only has to cover what siit translates: redirecting a few
// extra destinations is harmless (the translator answers Pass and the packet
// reaches the kernel through the slow path), missing one is not. So a large
// set is widened to the longest common prefix length that keeps it under the
// bound.
const maxSteerPrefixes = 8192

// pkey is a prefix as integers, its address left-aligned in 128 bits (an
// IPv4 address fills the top 32 bits of hi), so one code path serves both
// families.
type pkey struct {
	hi, lo uint64
	bits   int
}

// cut shortens k to l bits if it is longer.
func (k pkey) cut(l int) pkey {
	if k.bits <= l {
		return k
	}
	switch {
	case l >= 64:
		k.lo &^= ^uint64(0) >> (l - 64)
	default:
		k.lo = 0
		if l == 0 {
			k.hi = 0
		} else {
			k.hi &^= ^uint64(0) >> l
		}
	}
	k.bits = l
	return k
}

// keySource feeds every key of a set to yield, stopping when it returns
// false. It may be called several times and must feed the same keys each
// time, in any order.
type keySource func(yield func(pkey) bool)

// boundKeys returns a set of at most max keys (max >= 1) that covers every
// one of the n distinct keys of src: the keys themselves if there are few
// enough, else every key cut to the longest length L for which the distinct
// cut keys number at most max (keys already shorter than L stay as they
// are). bitlen is the family's address length.
//
// The count at a length is monotonic in the length (cutting to l is a
// function of cutting to l+1), so L is found by binary search; each step
// counts distinct cut keys in a small hash set and stops as soon as there
// are more than max. The source yields keys in hash-table order, which is
// random, so a step above L usually stops after a few thousand keys: only
// steps at or below L read the whole table.
func boundKeys(n int, src keySource, bitlen, max int) []pkey {
	set := newKeySet(max)
	if n <= max {
		set.fill(src, bitlen)
		return set.keys()
	}
	lo, hi := 0, bitlen // the count at 0 is 1 <= max; find the largest l with count(l) <= max
	var best []pkey
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if set.fill(src, mid) {
			lo, best = mid, set.keys()
		} else {
			hi = mid - 1
		}
	}
	if best == nil { // lo never moved: every key cut to nothing
		set.fill(src, lo)
		best = set.keys()
	}
	return best
}

// keySet is an open-addressing set of at most max keys.
type keySet struct {
	slots []pkey // bits+1 in bits; 0 marks an empty slot
	mask  uint64
	n     int
	max   int
}

func newKeySet(max int) *keySet {
	size := 16
	for size < 2*(max+1) {
		size *= 2
	}
	return &keySet{slots: make([]pkey, size), mask: uint64(size - 1), max: max}
}

// fill makes the set the keys of src cut to l; it reports false (and stops
// reading src) once they are more than max.
func (s *keySet) fill(src keySource, l int) bool {
	clear(s.slots)
	s.n = 0
	src(func(k pkey) bool {
		return s.add(k.cut(l))
	})
	return s.n <= s.max
}

// add inserts k and reports whether the set is still within its bound.
func (s *keySet) add(k pkey) bool {
	k.bits++
	for i := mix(k.hi ^ mix(k.lo^uint64(k.bits))); ; i++ {
		sl := &s.slots[i&s.mask]
		if sl.bits == 0 {
			*sl = k
			s.n++
			return s.n <= s.max
		}
		if *sl == k {
			return true
		}
	}
}

// mix is a 64-bit finalizer (xor-shift-multiply): every input bit affects
// the low bits that pick a slot.
func mix(x uint64) uint64 {
	x ^= x >> 32
	x *= 0xd6e8feb86659fd93
	x ^= x >> 32
	x *= 0xd6e8feb86659fd93
	x ^= x >> 32
	return x
}

// keys returns the set's keys (a new slice).
func (s *keySet) keys() []pkey {
	out := make([]pkey, 0, s.n)
	for _, k := range s.slots {
		if k.bits != 0 {
			k.bits--
			out = append(out, k)
		}
	}
	return out
}

// steerSet4 returns at most max IPv4 prefixes that cover every IPv4 prefix
// of the table (see boundKeys).
func steerSet4(t *eamt.Table, max int) []netip.Prefix {
	src := func(yield func(pkey) bool) {
		t.EachPrefix4(func(a uint32, bits int) bool { return yield(pkey{hi: uint64(a) << 32, bits: bits}) })
	}
	return toPrefixes(boundKeys(t.Len(), src, 32, max), true)
}

// steerSet6 is steerSet4 for the IPv6 prefixes.
func steerSet6(t *eamt.Table, max int) []netip.Prefix {
	src := func(yield func(pkey) bool) {
		t.EachPrefix6(func(hi, lo uint64, bits int) bool { return yield(pkey{hi: hi, lo: lo, bits: bits}) })
	}
	return toPrefixes(boundKeys(t.Len(), src, 128, max), false)
}

// boundPrefixes is boundKeys for a list of distinct prefixes of one family.
func boundPrefixes(ps []netip.Prefix, max int) []netip.Prefix {
	if len(ps) == 0 {
		return nil
	}
	v4 := ps[0].Addr().Is4()
	src := func(yield func(pkey) bool) {
		for _, p := range ps {
			if !yield(keyOf(p)) {
				return
			}
		}
	}
	bitlen := 128
	if v4 {
		bitlen = 32
	}
	return toPrefixes(boundKeys(len(ps), src, bitlen, max), v4)
}

func keyOf(p netip.Prefix) pkey {
	if p.Addr().Is4() {
		a := p.Addr().As4()
		return pkey{hi: uint64(binary.BigEndian.Uint32(a[:])) << 32, bits: p.Bits()}
	}
	a := p.Addr().As16()
	return pkey{hi: binary.BigEndian.Uint64(a[:8]), lo: binary.BigEndian.Uint64(a[8:]), bits: p.Bits()}
}

func toPrefixes(ks []pkey, v4 bool) []netip.Prefix {
	out := make([]netip.Prefix, len(ks))
	for i, k := range ks {
		if v4 {
			var a [4]byte
			binary.BigEndian.PutUint32(a[:], uint32(k.hi>>32))
			out[i] = netip.PrefixFrom(netip.AddrFrom4(a), k.bits)
			continue
		}
		var a [16]byte
		binary.BigEndian.PutUint64(a[:8], k.hi)
		binary.BigEndian.PutUint64(a[8:], k.lo)
		out[i] = netip.PrefixFrom(netip.AddrFrom16(a), k.bits)
	}
	return out
}
