package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ParsePrefix4 parses an IPv4 prefix as Jool's userspace does: "a.b.c.d/len"
// or a bare address, which means /32. Host bits are not checked here (see
// CheckMasked); the kernel-side checks live in Validate and package eamt.
func ParsePrefix4(s string) (netip.Prefix, error) {
	addr, bits, hasLen := strings.Cut(s, "/")
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is4() {
		return netip.Prefix{}, fmt.Errorf("cannot parse %q as an IPv4 prefix: expected <IPv4 address>[/<length>], e.g. 192.0.2.0/24", s)
	}
	l := 32
	if hasLen {
		if l, err = parseLen(s, bits, 32); err != nil {
			return netip.Prefix{}, err
		}
	}
	return netip.PrefixFrom(a, l), nil
}

// ParsePrefix6 parses an IPv6 prefix as Jool's userspace does: "x::y/len" or a
// bare address, which means /128.
func ParsePrefix6(s string) (netip.Prefix, error) {
	addr, bits, hasLen := strings.Cut(s, "/")
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is6() || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("cannot parse %q as an IPv6 prefix: expected <IPv6 address>[/<length>], e.g. 64:ff9b::/96", s)
	}
	l := 128
	if hasLen {
		if l, err = parseLen(s, bits, 128); err != nil {
			return netip.Prefix{}, err
		}
	}
	return netip.PrefixFrom(a, l), nil
}

// ParseAddr parses an IPv4 or IPv6 address (no zone, no prefix length).
func ParseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("cannot parse %q as an IP address: expected an IPv4 address (192.0.2.1) or an IPv6 address (2001:db8::1)", s)
	}
	return a, nil
}

func parseLen(whole, s string, max int) (int, error) {
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil || s == "" || s[0] == '+' {
		return 0, fmt.Errorf("cannot parse %q: the prefix length %q is not a number between 0 and %d", whole, s, max)
	}
	if int(n) > max {
		return 0, fmt.Errorf("cannot parse %q: prefix length %d is out of bounds (0-%d)", whole, n, max)
	}
	return int(n), nil
}

// CheckMasked rejects a prefix with bits set after its length, naming what
// was meant ("192.0.2.1/24" -> "192.0.2.0/24"), as Jool's kernel does.
func CheckMasked(what string, p netip.Prefix) error {
	if m := p.Masked(); m != p {
		return fmt.Errorf("%s %s has bits set after its length; use %s", what, p, m)
	}
	return nil
}
