package xlat

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/siit-project/siit/xlat/eamt"
)

// Params is everything a translator instance is configured with, in
// configuration-friendly types. NewConfig validates it and precomputes the
// hot-path form.
type Params struct {
	Globals   Globals
	EAMT      *eamt.Table // nil is an empty table
	Denylist4 []netip.Prefix
	// SelfV4 is the translator's own IPv4 address: the source of the ICMPv4
	// errors it generates, and of translated ICMPv6 errors whose source has
	// no IPv4 form when rfc6791v4-prefix is unset.
	SelfV4 netip.Addr
	// SelfV6 likewise for ICMPv6 errors and rfc6791v6-prefix.
	SelfV6 netip.Addr
}

// Config is an immutable, validated snapshot of Params with the fields the
// hot path needs precomputed. Workers share it read-only (publish it with one
// atomic pointer store; never modify it).
type Config struct {
	p Params
	g Globals

	enabled  bool
	hasPool6 bool
	pool6    prefix6
	pool96   bool // pool6 is a /96 and there is no denylist4 (see pool96ok)
	// leaf46, leaf64: the leaf fast path can map this configuration's
	// addresses without calls (fast.go), so it is worth trying first.
	leaf46, leaf64 bool
	eamt           *eamt.Table
	deny4          []prefix4
	has6791v4      bool
	r6791v4        prefix4
	has6791v6      bool
	r6791v6        prefix6
	hasSelf4       bool
	self4          uint32
	hasSelf6       bool
	self6hi        uint64
	self6lo        uint64
	plateaus       []uint16 // descending
	lowMTU         uint32
}

// NewConfig validates p completely (nothing is applied unless everything is
// valid) and returns the snapshot. p is deep-copied.
//
// Unlike Globals.Validate, NewConfig accepts a /96 pool6 whose u-octet (bits
// 64-71) is not zero: Jool lets --force set one, and instance add too, and
// translates with the prefix as it is, as this package does. Whether to allow
// it is the control plane's decision.
func NewConfig(p Params) (*Config, error) {
	g := p.Globals.Clone()
	if err := validateGlobals(g); err != nil {
		return nil, fmt.Errorf("invalid globals: %w", err)
	}
	plateaus, err := NormalizePlateaus(g.MTUPlateaus)
	if err != nil {
		return nil, fmt.Errorf("invalid globals: %w", err)
	}
	g.MTUPlateaus = plateaus
	c := &Config{
		g:        g,
		enabled:  g.ManuallyEnabled,
		eamt:     p.EAMT,
		plateaus: plateaus,
		lowMTU:   g.LowestIPv6MTU,
	}
	if g.Pool6.IsValid() {
		c.hasPool6 = true
		c.pool6 = toPrefix6(g.Pool6)
	}
	for i, d := range p.Denylist4 {
		if !d.IsValid() || !d.Addr().Is4() {
			return nil, fmt.Errorf("denylist4 entry %d (%s) is not an IPv4 prefix; use a.b.c.d/len", i, d)
		}
		if d.Masked() != d {
			return nil, fmt.Errorf("denylist4 entry %s has host bits set; did you mean %s?", d, d.Masked())
		}
		c.deny4 = append(c.deny4, toPrefix4(d))
	}
	c.pool96 = c.hasPool6 && c.pool6.bits == 96 && len(c.deny4) == 0
	_, big4 := c.eamt.Small4()
	_, big6 := c.eamt.Small6()
	c.leaf46 = (c.pool96 || !c.hasPool6) && !big4
	c.leaf64 = (c.pool96 || !c.hasPool6) && !big6
	if g.RFC6791v4Prefix.IsValid() {
		c.has6791v4 = true
		c.r6791v4 = toPrefix4(g.RFC6791v4Prefix)
	}
	if g.RFC6791v6Prefix.IsValid() {
		c.has6791v6 = true
		c.r6791v6 = toPrefix6(g.RFC6791v6Prefix)
	}
	if p.SelfV4.IsValid() {
		if !p.SelfV4.Is4() {
			return nil, fmt.Errorf("own IPv4 address %s is not an IPv4 address", p.SelfV4)
		}
		c.hasSelf4 = true
		c.self4 = addr4(p.SelfV4)
	}
	if p.SelfV6.IsValid() {
		if !p.SelfV6.Is6() || p.SelfV6.Is4In6() {
			return nil, fmt.Errorf("own IPv6 address %s is not an IPv6 address", p.SelfV6)
		}
		if p.SelfV6.Zone() != "" {
			return nil, errors.New("own IPv6 address must not carry a zone")
		}
		c.hasSelf6 = true
		c.self6hi, c.self6lo = addr6(p.SelfV6)
	}
	c.p = Params{
		Globals:   g.Clone(),
		EAMT:      p.EAMT,
		Denylist4: slices.Clone(p.Denylist4),
		SelfV4:    p.SelfV4,
		SelfV6:    p.SelfV6,
	}
	return c, nil
}

// validateGlobals is Globals.Validate but for the u-octet of a /96 pool6 (see
// NewConfig and ValidatePool6AnyUOctet), checked first as Validate does.
func validateGlobals(g Globals) error {
	if g.Pool6.IsValid() {
		if err := ValidatePool6AnyUOctet(g.Pool6); err != nil {
			return err
		}
	}
	g.Pool6 = netip.Prefix{}
	return g.Validate()
}

// Params returns a deep copy of the parameters the Config was built from
// (with mtu-plateaus normalized). The EAM table is shared: it is immutable.
func (c *Config) Params() Params {
	p := c.p
	p.Globals = p.Globals.Clone()
	p.Denylist4 = slices.Clone(p.Denylist4)
	return p
}

func addr4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func addr6(a netip.Addr) (hi, lo uint64) {
	b := a.As16()
	return get64(b[:8]), get64(b[8:])
}

func toPrefix4(p netip.Prefix) prefix4 {
	m := uint32(0)
	if p.Bits() > 0 {
		m = ^uint32(0) << (32 - p.Bits())
	}
	return prefix4{addr: addr4(p.Addr()) & m, mask: m}
}

func toPrefix6(p netip.Prefix) prefix6 {
	hi, lo := addr6(p.Addr())
	var mh, ml uint64
	switch b := p.Bits(); {
	case b == 0:
	case b <= 64:
		mh = ^uint64(0) << (64 - b)
	default:
		mh = ^uint64(0)
		ml = ^uint64(0) << (128 - b)
	}
	return prefix6{hi: hi & mh, lo: lo & ml, mhi: mh, mlo: ml, bits: uint8(p.Bits())}
}

// netip forms of hot-path addresses, for tests and debugging.
func fromAddr4(a uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)})
}

func fromAddr6(hi, lo uint64) netip.Addr {
	var b [16]byte
	put64(b[:8], hi)
	put64(b[8:], lo)
	return netip.AddrFrom16(b)
}
