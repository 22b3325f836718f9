package daemon

import (
	"cmp"
	"encoding/binary"
	"net/netip"
	"slices"
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

// boundPrefixes returns a set that covers every prefix of ps with at most
// max entries: ps itself if it is small enough, else every prefix cut to the
// longest length L for which the distinct cut prefixes number at most max
// (prefixes already shorter than L stay as they are). The result is sorted
// and free of duplicates; covered entries are left for the loader to drop.
func boundPrefixes(ps []netip.Prefix, max int) []netip.Prefix {
	if len(ps) <= max {
		return ps
	}
	// Work on (hi, lo, bits) keys: sorting and masking plain integers is
	// several times cheaper than netip values for a million prefixes.
	s := make([]pkey, len(ps))
	for i, p := range ps {
		b := p.Addr().As16()
		s[i] = pkey{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:]), p.Bits()}
		if p.Addr().Is4() {
			s[i].bits += 96
		}
	}
	slices.SortFunc(s, func(a, b pkey) int {
		if c := cmp.Compare(a.hi, b.hi); c != 0 {
			return c
		}
		if c := cmp.Compare(a.lo, b.lo); c != 0 {
			return c
		}
		return cmp.Compare(a.bits, b.bits)
	})
	bitlen := ps[0].Addr().BitLen()
	off := 128 - bitlen // IPv4 keys are IPv4-mapped: their bits start at 96
	// distinct counts the cut prefixes of length l. Cutting keeps the sorted
	// order, so equal values are adjacent.
	distinct := func(l int) int {
		n := 0
		var last pkey
		for i, k := range s {
			c := k.cut(l + off)
			if i == 0 || c != last {
				n++
				last = c
			}
		}
		return n
	}
	lo, hi := 0, bitlen // distinct(0) == 1 <= max; find the largest l with distinct(l) <= max
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if distinct(mid) <= max {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	out := make([]netip.Prefix, 0, max)
	var last pkey
	for i, k := range s {
		c := k.cut(lo + off)
		if i > 0 && c == last {
			continue
		}
		last = c
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], c.hi)
		binary.BigEndian.PutUint64(b[8:], c.lo)
		a := netip.AddrFrom16(b)
		if off != 0 {
			a = a.Unmap()
		}
		out = append(out, netip.PrefixFrom(a, c.bits-off))
	}
	return out
}

// pkey is a prefix as integers; IPv4 prefixes are IPv4-mapped (bits + 96).
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
