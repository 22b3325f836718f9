package xlat

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// AddrMethod names the rule that translated an address.
type AddrMethod string

const (
	ByEAMT  AddrMethod = "eamt"  // an EAMT entry (RFC 7757)
	ByPool6 AddrMethod = "pool6" // the RFC 6052 prefix
)

// TranslateAddr translates one address exactly as the data plane translates
// a packet's addresses (EAMT first, then pool6; denylist4 and the
// never-translate ranges applied), for `address query` and tests. It is not
// meant for the hot path. The error says why an address is not translated.
func (c *Config) TranslateAddr(a netip.Addr) (netip.Addr, AddrMethod, error) {
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		hi, lo, m, f := c.addr4to6(binary.BigEndian.Uint32(b[:]), true, true)
		if err := addrErr(a, f); err != nil {
			return netip.Addr{}, "", err
		}
		var out [16]byte
		binary.BigEndian.PutUint64(out[:8], hi)
		binary.BigEndian.PutUint64(out[8:], lo)
		return netip.AddrFrom16(out), methodName(m), nil
	}
	if !a.Is6() {
		return netip.Addr{}, "", fmt.Errorf("%v is not an IP address", a)
	}
	b := a.As16()
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	if reserved6(hi, lo) {
		return netip.Addr{}, "", fmt.Errorf("%s is an address that is never translated (unspecified, loopback, link-local or multicast)", a)
	}
	v4, m, f := c.addr6to4(hi, lo, true)
	if err := addrErr(a, f); err != nil {
		return netip.Addr{}, "", err
	}
	var out [4]byte
	binary.BigEndian.PutUint32(out[:], v4)
	return netip.AddrFrom4(out), methodName(m), nil
}

func methodName(m method) AddrMethod {
	if m == viaEAMT {
		return ByEAMT
	}
	return ByPool6
}

func addrErr(a netip.Addr, f addrFail) error {
	switch f {
	case addrOK:
		return nil
	case addrNoMatch:
		return fmt.Errorf("%s matches no EAMT entry and no pool6 prefix, so it is not translated", a)
	case addrDenied:
		return fmt.Errorf("%s translates through pool6 into denylist4, so it is not translated", a)
	case addrReserved:
		return fmt.Errorf("%s translates into an address that is never translated (0/8, 127/8, 169.254/16, 224/4, 255.255.255.255)", a)
	}
	return fmt.Errorf("%s is not translated", a)
}
