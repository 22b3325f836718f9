package config

import "net/netip"

// Allocation-free parsers for the common spellings of EAMT prefixes, used by
// bulk parsing (a million entries are two million prefixes). Each accepts a
// subset of what ParsePrefix4 / ParsePrefix6 accept and returns the same
// value for it; anything else (an error, and odd but valid spellings such as
// an IPv6 address with an embedded IPv4 address, or a prefix length with
// leading zeros) reports false, and the caller falls back to the general
// parser, which also words the errors. FuzzFastPrefix holds them to that.

// fastPrefix4 parses "a.b.c.d" or "a.b.c.d/len": decimal octets without
// leading zeros, length 0-32 without leading zeros.
func fastPrefix4(b []byte) (netip.Prefix, bool) {
	var a [4]byte
	i := 0
	for k := 0; k < 4; k++ {
		if k > 0 {
			if i >= len(b) || b[i] != '.' {
				return netip.Prefix{}, false
			}
			i++
		}
		v, n := decimal(b[i:], 255)
		if n == 0 {
			return netip.Prefix{}, false
		}
		a[k] = byte(v)
		i += n
	}
	l, ok := fastLen(b[i:], 32)
	if !ok {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(netip.AddrFrom4(a), l), true
}

// fastPrefix6 parses an IPv6 address of hexadecimal groups (at most one
// "::", no embedded IPv4 address, no zone) with an optional length 0-128
// without leading zeros.
func fastPrefix6(b []byte) (netip.Prefix, bool) {
	var a [16]byte
	end := len(b)
	for j, c := range b {
		if c == '/' {
			end = j
			break
		}
	}
	l, ok := fastLen(b[end:], 128)
	if !ok {
		return netip.Prefix{}, false
	}
	s := b[:end]
	n, ellipsis := 0, -1 // groups written; group index where "::" stands
	i := 0
	if len(s) >= 2 && s[0] == ':' && s[1] == ':' {
		ellipsis, i = 0, 2
		if len(s) == 2 {
			return netip.PrefixFrom(netip.AddrFrom16(a), l), true
		}
	}
	for {
		if n == 8 {
			return netip.Prefix{}, false
		}
		v, k := hex16(s[i:])
		if k == 0 {
			return netip.Prefix{}, false
		}
		a[2*n], a[2*n+1] = byte(v>>8), byte(v)
		n++
		i += k
		if i == len(s) {
			break
		}
		if s[i] != ':' {
			return netip.Prefix{}, false // '.', '%' or junk: the general parser decides
		}
		i++
		if i < len(s) && s[i] == ':' {
			if ellipsis >= 0 {
				return netip.Prefix{}, false
			}
			ellipsis = n
			i++
			if i == len(s) {
				break
			}
		} else if i == len(s) {
			return netip.Prefix{}, false // trailing single ':'
		}
	}
	switch {
	case ellipsis < 0 && n != 8:
		return netip.Prefix{}, false
	case ellipsis >= 0:
		if n >= 8 {
			return netip.Prefix{}, false
		}
		// Move the groups after "::" to the end.
		tail := 2 * (n - ellipsis)
		copy(a[16-tail:], a[2*ellipsis:2*n])
		clear(a[2*ellipsis : 16-tail])
	}
	return netip.PrefixFrom(netip.AddrFrom16(a), l), true
}

// fastLen parses "" (the full length) or "/len".
func fastLen(b []byte, max int) (int, bool) {
	if len(b) == 0 {
		return max, true
	}
	if b[0] != '/' {
		return 0, false
	}
	v, n := decimal(b[1:], max)
	if n == 0 || n != len(b)-1 {
		return 0, false
	}
	return v, true
}

// decimal reads a number without leading zeros, at most max, at the start
// of b; it returns its value and length (0: none).
func decimal(b []byte, max int) (int, int) {
	v, n := 0, 0
	for n < len(b) && n < 3 && b[n] >= '0' && b[n] <= '9' {
		if n == 1 && b[0] == '0' {
			return 0, 0
		}
		v = v*10 + int(b[n]-'0')
		n++
	}
	if n == 0 || v > max || (n < len(b) && b[n] >= '0' && b[n] <= '9') {
		return 0, 0
	}
	return v, n
}

// hex16 reads 1-4 hexadecimal digits at the start of b.
func hex16(b []byte) (uint16, int) {
	var v uint16
	n := 0
	for ; n < len(b) && n < 5; n++ {
		c := b[n]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return v, n
		}
		if n == 4 {
			return 0, 0
		}
		v = v<<4 | uint16(d)
	}
	return v, n
}
