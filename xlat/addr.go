package xlat

// Address mapping on the hot path: IPv4 addresses are big-endian uint32s and
// IPv6 addresses two big-endian uint64 halves (hi = bytes 0..7, lo = 8..15).

// method says how an address was translated (it decides hairpinning).
type method uint8

const (
	viaNone method = iota
	viaEAMT
	viaPool6
	via6791
)

// addrFail says why an address was not translated.
type addrFail uint8

const (
	addrOK       addrFail = iota
	addrNoMatch           // neither the EAMT nor pool6 covers it
	addrDenied            // pool6 result inside denylist4
	addrReserved          // result is an address that must never be translated
)

// RFC 6052 §2.2: where the 32 IPv4 bits sit for each prefix length. Bits
// 64..71 (byte 8, the "u" octet) are never used; the suffix is zero on 4->6
// and ignored on 6->4.
//
//	+--+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
//	|PL| 0-------------32--40--48--56--64--72--80--88--96--104---------|
//	|32|     prefix    |v4(32)         | u | suffix                    |
//	|40|     prefix        |v4(24)     | u |(8)| suffix                |
//	|48|     prefix            |v4(16) | u | (16)  | suffix            |
//	|56|     prefix                |(8)| u |  v4(24)   | suffix        |
//	|64|     prefix                    | u |   v4(32)      | suffix    |
//	|96|     prefix                                    |    v4(32)     |
//	+--+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+

// embed6052 builds the IPv6 address for a under a pool6 prefix of length pl
// (prefix bits in phi/plo, host bits zero).
func embed6052(phi, plo uint64, pl uint8, a uint32) (hi, lo uint64) {
	v := uint64(a)
	switch pl {
	case 32:
		return phi | v, 0
	case 40:
		return phi | v>>8, (v & 0xff) << 48
	case 48:
		return phi | v>>16, (v & 0xffff) << 40
	case 56:
		return phi | v>>24, (v & 0xffffff) << 32
	case 64:
		return phi, v << 24
	default: // 96
		return phi, plo | v
	}
}

// extract6052 is the inverse of embed6052 (the caller checked the prefix).
func extract6052(hi, lo uint64, pl uint8) uint32 {
	switch pl {
	case 32:
		return uint32(hi)
	case 40:
		return uint32(hi&0xffffff)<<8 | uint32(lo>>48)&0xff
	case 48:
		return uint32(hi&0xffff)<<16 | uint32(lo>>40)&0xffff
	case 56:
		return uint32(hi&0xff)<<24 | uint32(lo>>32)&0xffffff
	case 64:
		return uint32(lo >> 24)
	default:
		return uint32(lo)
	}
}

// reserved4 reports the IPv4 addresses that must never be translated:
// 0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4 (multicast),
// 240.0.0.0/4's 255.255.255.255 (limited broadcast). The first octet
// decides for all but two of them (see octetClass4).
func reserved4(a uint32) bool {
	switch octetClass4[a>>24] {
	case octetOK:
		return false
	case octetReserved:
		return true
	}
	return a>>16 == 0xa9fe || a == 0xffffffff
}

const (
	octetOK       = iota // no address with this first octet is reserved
	octetReserved        // every address with this first octet is reserved
	octetSome            // 169 (169.254/16) and 255 (255.255.255.255): look closer
)

// octetClass4 classifies first octets for reserved4.
var octetClass4 = func() (c [256]uint8) {
	c[0], c[127], c[169], c[255] = octetReserved, octetReserved, octetSome, octetSome
	for o := 224; o < 240; o++ {
		c[o] = octetReserved
	}
	return c
}()

// reserved6 reports the IPv6 addresses that must never be translated:
// :: (unspecified), ::1 (loopback), fe80::/10 (link-local), ff00::/8
// (multicast). Only addresses starting 00, fe or ff need a closer look.
func reserved6(hi, lo uint64) bool {
	switch hi >> 56 {
	case 0x00:
		return hi == 0 && lo <= 1
	case 0xfe:
		return hi>>54 == 0xfe80>>6
	case 0xff:
		return true
	}
	return false
}

type prefix4 struct{ addr, mask uint32 }

type prefix6 struct {
	hi, lo, mhi, mlo uint64
	bits             uint8
}

func (p *prefix6) contains(hi, lo uint64) bool {
	return hi&p.mhi == p.hi && lo&p.mlo == p.lo
}

func (c *Config) denied4(a uint32) bool {
	for _, p := range c.deny4 {
		if a&p.mask == p.addr {
			return true
		}
	}
	return false
}

// addr6to4 translates an IPv6 address to IPv4: EAMT first, then pool6.
// filter applies denylist4 (pool6 results only) and the never-translate set,
// as Jool does for everything but ICMP errors.
func (c *Config) addr6to4(hi, lo uint64, filter bool) (uint32, method, addrFail) {
	if c.eamt.Near6(hi, lo) {
		if a, ok := c.eamt.Lookup6(hi, lo); ok {
			if filter && reserved4(a) {
				return 0, viaEAMT, addrReserved
			}
			return a, viaEAMT, addrOK
		}
	}
	if !c.hasPool6 || !c.pool6.contains(hi, lo) {
		return 0, viaNone, addrNoMatch
	}
	a := extract6052(hi, lo, c.pool6.bits)
	if filter {
		if len(c.deny4) > 0 && c.denied4(a) {
			return 0, viaPool6, addrDenied
		}
		if reserved4(a) {
			return 0, viaPool6, addrReserved
		}
	}
	return a, viaPool6, addrOK
}

// addr4to6 translates an IPv4 address to IPv6 (Jool's order: never-translate
// set, EAMT unless useEAM is false, denylist4, pool6).
func (c *Config) addr4to6(a uint32, useEAM, filter bool) (hi, lo uint64, m method, f addrFail) {
	if filter && reserved4(a) {
		return 0, 0, viaNone, addrReserved
	}
	if useEAM && c.eamt.Near4(a) {
		if hi, lo, ok := c.eamt.Lookup4(a); ok {
			return hi, lo, viaEAMT, addrOK
		}
	}
	if filter && len(c.deny4) > 0 && c.denied4(a) {
		return 0, 0, viaPool6, addrDenied
	}
	if !c.hasPool6 {
		return 0, 0, viaNone, addrNoMatch
	}
	hi, lo = embed6052(c.pool6.hi, c.pool6.lo, c.pool6.bits, a)
	return hi, lo, viaPool6, addrOK
}

// eamtHas4 reports whether a is covered by an EAMT IPv4 prefix.
func (c *Config) eamtHas4(a uint32) bool {
	if !c.eamt.Near4(a) {
		return false
	}
	_, _, ok := c.eamt.Lookup4(a)
	return ok
}

// rfc6791v4 picks the IPv4 source of a translated ICMPv6 error whose source
// could not be translated (RFC 6791) from rfc6791v4-prefix, else the
// translator's own address. randomize-rfc6791-addresses picks a random
// address of the prefix; off, it picks the hop'th one (hop: the error's hop
// limit as received, wrapped into the prefix), as Jool does, so that routers
// at different distances, the hops of a traceroute, keep distinct addresses.
func (t *Translator) rfc6791v4(c *Config, hop uint8) (uint32, bool) {
	if c.has6791v4 {
		p := c.r6791v4
		if c.g.RandomizeRFC6791 && p.mask != 0xffffffff {
			return p.addr | uint32(t.rand())&^p.mask, true
		}
		return p.addr | uint32(hop)&^p.mask, true
	}
	return c.self4, c.hasSelf4
}

// rfc6791v6 is the IPv6 counterpart (rfc6791v6-prefix, else SelfV6). Its
// address is always random: Jool applies randomize-rfc6791-addresses to
// rfc6791v4-prefix only.
func (t *Translator) rfc6791v6(c *Config) (hi, lo uint64, ok bool) {
	if c.has6791v6 {
		p := c.r6791v6
		return p.hi | t.rand()&^p.mhi, p.lo | t.rand()&^p.mlo, true
	}
	return c.self6hi, c.self6lo, c.hasSelf6
}
