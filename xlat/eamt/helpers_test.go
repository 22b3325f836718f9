package eamt

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"testing"
)

func mp(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func ma(s string) netip.Addr   { return netip.MustParseAddr(s) }

func ent(p4, p6 string) Entry { return Entry{Prefix6: mp(p6), Prefix4: mp(p4)} }

func u4(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

func u6(a netip.Addr) (hi, lo uint64) {
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}

func a4(x uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], x)
	return netip.AddrFrom4(b)
}

func a6(hi, lo uint64) netip.Addr {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	return netip.AddrFrom16(b)
}

// xlat4 and xlat6 run the hot-path lookups on netip values.
func xlat4(t *Table, a netip.Addr) (netip.Addr, bool) {
	hi, lo, ok := t.Lookup4(u4(a))
	if !ok {
		return netip.Addr{}, false
	}
	return a6(hi, lo), true
}

func xlat6(t *Table, a netip.Addr) (netip.Addr, bool) {
	hi, lo := u6(a)
	x, ok := t.Lookup6(hi, lo)
	if !ok {
		return netip.Addr{}, false
	}
	return a4(x), true
}

func mustNew(t testing.TB, es ...Entry) *Table {
	t.Helper()
	tb, err := New(es)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return tb
}

// gen draws entries from a deliberately small space so that overlaps, duplicates and nesting are common.
type gen struct{ r *rand.Rand }

func (g gen) len4() int {
	switch g.r.IntN(4) {
	case 0:
		return g.r.IntN(33)
	case 1:
		return 32
	default:
		return 24 + g.r.IntN(9)
	}
}

// entry returns a valid entry; IPv6 suffix >= IPv4 suffix, usually equal.
func (g gen) entry() Entry {
	l4 := g.len4()
	l6 := 96 + l4
	if g.r.IntN(4) == 0 {
		l6 -= g.r.IntN(l6 + 1)
	}
	return Entry{Prefix4: g.prefix4(l4), Prefix6: g.prefix6(l6)}
}

func (g gen) prefix4(l int) netip.Prefix {
	x := 0xc0000200 | g.r.Uint32()&0xff // 192.0.2.0/24 mostly
	if g.r.IntN(3) == 0 {
		x = g.r.Uint32()
	}
	return netip.PrefixFrom(a4(x), l).Masked()
}

func (g gen) prefix6(l int) netip.Prefix {
	hi := uint64(0x20010db800000000) | g.r.Uint64()&3
	lo := g.r.Uint64() & 0xff
	if g.r.IntN(3) == 0 {
		hi, lo = g.r.Uint64(), g.r.Uint64()
	}
	return netip.PrefixFrom(a6(hi, lo), l).Masked()
}

// addrIn returns a random address inside p.
func (g gen) addrIn(p netip.Prefix) netip.Addr {
	if p.Addr().Is4() {
		m := mask4(uint(p.Bits()))
		return a4(u4(p.Addr()) | g.r.Uint32()&^m)
	}
	mh, ml := mask6(uint(p.Bits()))
	hi, lo := u6(p.Addr())
	return a6(hi|g.r.Uint64()&^mh, lo|g.r.Uint64()&^ml)
}

func netipPrefix4(x uint32, l int) netip.Prefix { return netip.PrefixFrom(a4(x), l) }

func netipPrefix6(hi, lo uint64, l int) netip.Prefix { return netip.PrefixFrom(a6(hi, lo), l) }
