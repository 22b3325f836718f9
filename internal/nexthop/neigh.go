package nexthop

import "net/netip"

// neighTable is an immutable open-addressing hash table of neighbour
// entries, keyed by (ifindex, address as 16 bytes; IPv4 in its ::ffff:a.b.c.d
// form so the families never collide). It holds the entries whose state lets
// the kernel transmit without resolving first ("resolved", with their MAC)
// and, marked bad, those whose state is not NUD_VALID (incomplete, failed):
// a nexthop group passes over a member whose gateway is bad (see
// Table.finish). The load factor stays at or below one half, so a probe
// always reaches an empty slot and terminates.
type neighTable struct {
	slots []neighSlot
	mask  uint64
	n     int
}

type neighSlot struct {
	hi, lo  uint64
	ifindex int32
	used    bool
	bad     bool // not NUD_VALID: no MAC to use
	mac     [6]byte
}

// addrKey returns the 16-byte form of a as two big-endian words.
func addrKey(a netip.Addr) (hi, lo uint64) {
	b := a.As16()
	for i := 0; i < 8; i++ {
		hi = hi<<8 | uint64(b[i])
		lo = lo<<8 | uint64(b[8+i])
	}
	return hi, lo
}

// v4Key is addrKey for an IPv4 address given as a big-endian uint32.
func v4Key(a uint32) (hi, lo uint64) { return 0, 0xffff<<32 | uint64(a) }

// mix is a 64-bit finaliser (from SplitMix64); it spreads nearby addresses
// over the table.
func mix(ifindex int32, hi, lo uint64) uint64 {
	h := hi*0x9e3779b97f4a7c15 ^ lo ^ uint64(uint32(ifindex))<<17
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

func newNeighTable(n int) *neighTable {
	size := 8
	for size < 2*n {
		size <<= 1
	}
	return &neighTable{slots: make([]neighSlot, size), mask: uint64(size - 1)}
}

// put adds or replaces an entry. Build time only.
func (t *neighTable) put(ifindex int32, hi, lo uint64, mac [6]byte, bad bool) {
	i := mix(ifindex, hi, lo) & t.mask
	for {
		s := &t.slots[i]
		if !s.used {
			*s = neighSlot{hi: hi, lo: lo, ifindex: ifindex, used: true, bad: bad, mac: mac}
			if !bad {
				t.n++
			}
			return
		}
		if s.hi == hi && s.lo == lo && s.ifindex == ifindex {
			s.mac, s.bad = mac, bad
			return
		}
		i = (i + 1) & t.mask
	}
}

// find returns the entry for a neighbour, nil when there is none. It does
// not allocate.
func (t *neighTable) find(ifindex int32, hi, lo uint64) *neighSlot {
	if t == nil || len(t.slots) == 0 {
		return nil
	}
	i := mix(ifindex, hi, lo) & t.mask
	for {
		s := &t.slots[i&t.mask]
		if !s.used {
			return nil
		}
		if s.hi == hi && s.lo == lo && s.ifindex == ifindex {
			return s
		}
		i++
	}
}

// get returns the MAC of a usable neighbour entry.
func (t *neighTable) get(ifindex int32, hi, lo uint64) ([6]byte, bool) {
	if s := t.find(ifindex, hi, lo); s != nil && !s.bad {
		return s.mac, true
	}
	return [6]byte{}, false
}

// isBad reports whether the kernel has an entry for the neighbour whose
// state is not NUD_VALID (incomplete or failed resolution). No entry at all
// is not bad: the kernel would try it.
func (t *neighTable) isBad(ifindex int32, hi, lo uint64) bool {
	s := t.find(ifindex, hi, lo)
	return s != nil && s.bad
}
