package control

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"

	"github.com/siit-project/siit/xlat/eamt"
)

// Method names how an address was translated.
type Method string

const (
	MethodEAMT  Method = "eamt"  // through an EAMT entry (RFC 7757)
	MethodPool6 Method = "pool6" // through the RFC 6052 prefix
)

// QueryResult explains how one address translates.
type QueryResult struct {
	Query  netip.Addr
	Method Method
	EAM    eamt.Entry   // the entry used (MethodEAMT)
	Pool6  netip.Prefix // the prefix used (MethodPool6)
	Result netip.Addr
}

// never4 are IPv4 ranges siit never translates (see package xlat).
var never4 = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("255.255.255.255/32"),
}

// never6 are the IPv6 ranges siit never translates.
var never6 = []netip.Prefix{
	netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"),
}

// Query tells how addr translates in the named instance, as `address query`
// does: EAMT first (longest match), then pool6; denylist4 and the ranges that
// are never translated are reported as errors that say why.
func (s *State) Query(instance string, addr netip.Addr) (QueryResult, error) {
	in := s.Snapshot().Instance(instance)
	if in == nil {
		return QueryResult{}, noInstance(instance)
	}
	addr = addr.Unmap()
	r := QueryResult{Query: addr}
	if addr.Is4() {
		// Jool's order: the never-translated ranges, then the EAMT, and only
		// for pool6 the denylist (denylist4 does not apply to EAMT entries).
		if err := checkNever4(addr); err != nil {
			return r, err
		}
		if e, ok := in.EAMT.Match4(addr); ok {
			a := addr.As4()
			hi, lo, _ := in.EAMT.Lookup4(binary.BigEndian.Uint32(a[:]))
			r.Method, r.EAM, r.Result = MethodEAMT, e, addrFrom(hi, lo)
			return r, nil
		}
		if err := check4(in, addr); err != nil {
			return r, err
		}
		if p := in.Globals.Pool6; p.IsValid() {
			r.Method, r.Pool6, r.Result = MethodPool6, p, embed(p, addr)
			return r, nil
		}
		return r, errnoErr(syscall.EINVAL, "%s matches no EAMT entry and pool6 is unset, so it is not translated; add an EAMT entry or set pool6", addr)
	}
	for _, p := range never6 {
		if p.Contains(addr) {
			return r, errnoErr(syscall.EINVAL, "%s is inside %s, which is never translated", addr, p)
		}
	}
	if e, ok := in.EAMT.Match6(addr); ok {
		hi, lo := split(addr)
		a, _ := in.EAMT.Lookup6(hi, lo)
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], a)
		r.Method, r.EAM, r.Result = MethodEAMT, e, netip.AddrFrom4(b)
	} else if p := in.Globals.Pool6; p.IsValid() && p.Contains(addr) {
		r.Method, r.Pool6, r.Result = MethodPool6, p, extract(p, addr)
	} else {
		return r, errnoErr(syscall.EINVAL, "%s matches neither pool6 (%s) nor any EAMT entry, so it is not translated", addr, optString(in.Globals.Pool6))
	}
	check := check4
	if r.Method == MethodEAMT {
		check = func(_ *Instance, a netip.Addr) error { return checkNever4(a) } // denylist4 is for pool6 only
	}
	if err := check(in, r.Result); err != nil {
		return r, fmt.Errorf("%s translates to %s, but %w", addr, r.Result, err)
	}
	return r, nil
}

func checkNever4(a netip.Addr) error {
	for _, p := range never4 {
		if p.Contains(a) {
			return errnoErr(syscall.EINVAL, "%s is inside %s, which is never translated", a, p)
		}
	}
	return nil
}

func check4(in *Instance, a netip.Addr) error {
	if err := checkNever4(a); err != nil {
		return err
	}
	for _, p := range in.Denylist4 {
		if p.Contains(a) {
			return errnoErr(syscall.EINVAL, "%s is denylisted (denylist4 entry %s), so it is not translated", a, p)
		}
	}
	return nil
}

func optString(p netip.Prefix) string {
	if !p.IsValid() {
		return "unset"
	}
	return p.String()
}

func split(a netip.Addr) (hi, lo uint64) {
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}

func addrFrom(hi, lo uint64) netip.Addr {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	return netip.AddrFrom16(b)
}

// rfc6052Bytes lists where the four IPv4 bytes go for an RFC 6052 prefix of
// length l (byte 8, bits 64..71, is always skipped).
func rfc6052Bytes(l int) [4]int {
	var pos [4]int
	j := l / 8
	for i := range pos {
		if j == 8 {
			j++
		}
		pos[i] = j
		j++
	}
	return pos
}

// embed builds the IPv4-embedded IPv6 address (RFC 6052 section 2.2).
func embed(p netip.Prefix, a netip.Addr) netip.Addr {
	b := p.Masked().Addr().As16()
	v4 := a.As4()
	for i, j := range rfc6052Bytes(p.Bits()) {
		b[j] = v4[i]
	}
	return netip.AddrFrom16(b)
}

// extract recovers the IPv4 address embedded in a (RFC 6052 section 2.3).
func extract(p netip.Prefix, a netip.Addr) netip.Addr {
	b := a.As16()
	var v4 [4]byte
	for i, j := range rfc6052Bytes(p.Bits()) {
		v4[i] = b[j]
	}
	return netip.AddrFrom4(v4)
}
