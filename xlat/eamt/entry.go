package eamt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Errors returned (wrapped, with the details) by New, Add, AddAll and Remove. Test with errors.Is.
var (
	// ErrInvalid: a prefix is missing, of the wrong family, has host bits set, or the pair breaks the suffix rule.
	ErrInvalid = errors.New("invalid eam entry")
	// ErrExists: the entry, or another entry with the same IPv4 or IPv6 prefix, is already in the table.
	// --force does not override this.
	ErrExists = errors.New("eam entry exists")
	// ErrOverlap: the new entry overlaps an existing one; adding it with force=true is allowed.
	ErrOverlap = errors.New("eam entries overlap")
	// ErrNotFound: Remove found no entry with the given prefix(es).
	ErrNotFound = errors.New("eam entry not found")
)

// Entry maps an IPv6 prefix to an IPv4 prefix (RFC 7757). Both prefixes are masked (Prefix.Masked()).
type Entry struct {
	Prefix6 netip.Prefix
	Prefix4 netip.Prefix
}

// String formats the entry in the order of `jool_siit eamt add <IPv4-prefix> <IPv6-prefix>`.
func (e Entry) String() string {
	return e.Prefix4.String() + " <-> " + e.Prefix6.String()
}

// rec is an entry in hot-path form: the two masked prefixes as integers plus their lengths.
type rec struct {
	hi, lo uint64 // IPv6 prefix, big-endian halves
	addr   uint32 // IPv4 prefix
	len6   uint8
	len4   uint8
}

func (r rec) prefix6() netip.Prefix {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], r.hi)
	binary.BigEndian.PutUint64(b[8:], r.lo)
	return netip.PrefixFrom(netip.AddrFrom16(b), int(r.len6))
}

func (r rec) prefix4() netip.Prefix {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], r.addr)
	return netip.PrefixFrom(netip.AddrFrom4(b), int(r.len4))
}

func (r rec) entry() Entry { return Entry{Prefix6: r.prefix6(), Prefix4: r.prefix4()} }

func (r rec) String() string { return r.entry().String() }

// check4 validates an IPv4 prefix the way Jool's prefix4_validate does: valid, IPv4, no bits set after the length.
func check4(p netip.Prefix) (addr uint32, l uint8, err error) {
	if !p.IsValid() {
		return 0, 0, fmt.Errorf("ipv4 prefix %q is missing or malformed; give it as a.b.c.d/len: %w", p.String(), ErrInvalid)
	}
	if !p.Addr().Is4() {
		return 0, 0, fmt.Errorf("%s is not an ipv4 prefix; give the ipv4 prefix as a.b.c.d/len: %w", p, ErrInvalid)
	}
	if m := p.Masked(); m != p {
		return 0, 0, fmt.Errorf("ipv4 prefix %s has bits set after its length (Jool rejects this too); use %s: %w", p, m, ErrInvalid)
	}
	a := p.Addr().As4()
	return binary.BigEndian.Uint32(a[:]), uint8(p.Bits()), nil
}

// check6 validates an IPv6 prefix the way Jool's prefix6_validate does.
func check6(p netip.Prefix) (hi, lo uint64, l uint8, err error) {
	if !p.IsValid() {
		return 0, 0, 0, fmt.Errorf("ipv6 prefix %q is missing or malformed; give it as x:y::z/len: %w", p.String(), ErrInvalid)
	}
	if !p.Addr().Is6() {
		return 0, 0, 0, fmt.Errorf("%s is not an ipv6 prefix; give the ipv6 prefix as x:y::z/len: %w", p, ErrInvalid)
	}
	if m := p.Masked(); m != p {
		return 0, 0, 0, fmt.Errorf("ipv6 prefix %s has bits set after its length (Jool rejects this too); use %s: %w", p, m, ErrInvalid)
	}
	a := p.Addr().As16()
	return binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(a[8:]), uint8(p.Bits()), nil
}

// toRec validates a whole entry: both prefixes, then the RFC 7757 §3.2 / Jool suffix rule: the IPv4 suffix
// (32-len4 bits) must fit in the IPv6 suffix (128-len6 bits). Equal lengths give a one-to-one mapping; a longer
// IPv6 suffix is allowed (its extra trailing bits are zero on 4->6 and ignored on 6->4).
func toRec(e Entry) (rec, error) {
	addr, l4, err := check4(e.Prefix4)
	if err != nil {
		return rec{}, err
	}
	hi, lo, l6, err := check6(e.Prefix6)
	if err != nil {
		return rec{}, err
	}
	if 32-int(l4) > 128-int(l6) {
		return rec{}, fmt.Errorf("cannot pair %s with %s: the ipv4 suffix (%d bits) must not be longer than the ipv6 suffix (%d bits), RFC 7757 section 3.2; lengthen the ipv4 prefix or shorten the ipv6 prefix: %w",
			e.Prefix4, e.Prefix6, 32-int(l4), 128-int(l6), ErrInvalid)
	}
	return rec{hi: hi, lo: lo, addr: addr, len6: l6, len4: l4}, nil
}
