package xlat

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// HairpinMode is Jool's eam-hairpin-mode: how an IPv6 packet whose destination
// translates (through the EAMT) back into an address served by this translator
// is handled (RFC 7757 §4.2).
type HairpinMode uint8

const (
	// HairpinOff never hairpins.
	HairpinOff HairpinMode = iota
	// HairpinSimple hairpins as Jool's "simple" mode does.
	HairpinSimple
	// HairpinIntrinsic hairpins as RFC 7757 §4.2 describes (Jool's default).
	HairpinIntrinsic
)

var hairpinNames = [...]string{HairpinOff: "off", HairpinSimple: "simple", HairpinIntrinsic: "intrinsic"}

func (m HairpinMode) String() string {
	if int(m) < len(hairpinNames) {
		return hairpinNames[m]
	}
	return fmt.Sprintf("HairpinMode(%d)", uint8(m))
}

// ParseHairpinMode accepts Jool's spellings: off, simple, intrinsic (and the
// numeric forms 0, 1, 2 that older Jool versions used).
func ParseHairpinMode(s string) (HairpinMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "off", "0":
		return HairpinOff, nil
	case "simple", "1":
		return HairpinSimple, nil
	case "intrinsic", "2":
		return HairpinIntrinsic, nil
	}
	return 0, fmt.Errorf("eam-hairpin-mode %q is not one of off, simple, intrinsic", s)
}

// DefaultMTUPlateaus is Jool's default mtu-plateaus list (RFC 1191 §7 table).
var DefaultMTUPlateaus = []uint16{65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68}

// Globals is Jool's SIIT global configuration, with Jool's names (in the
// comments), defaults (DefaultGlobals) and validation (Validate). It is a plain
// value: copy it, change it, validate it, then build a Config from it.
type Globals struct {
	ManuallyEnabled      bool         // manually-enabled (default true)
	Pool6                netip.Prefix // pool6 (default unset: !Pool6.IsValid())
	LowestIPv6MTU        uint32       // lowest-ipv6-mtu (default 1280)
	LoggingDebug         bool         // logging-debug (default false)
	ZeroizeTrafficClass  bool         // zeroize-traffic-class (default false)
	OverrideTOS          bool         // override-tos (default false)
	TOS                  uint8        // tos (default 0)
	MTUPlateaus          []uint16     // mtu-plateaus (default DefaultMTUPlateaus), kept sorted descending, unique
	AmendUDPChecksumZero bool         // amend-udp-checksum-zero (default false)
	RandomizeRFC6791     bool         // randomize-rfc6791-addresses (default true; v4 pool only; off: hop limit'th)
	EAMHairpinMode       HairpinMode  // eam-hairpin-mode (default intrinsic)
	RFC6791v4Prefix      netip.Prefix // rfc6791v4-prefix (default unset)
	RFC6791v6Prefix      netip.Prefix // rfc6791v6-prefix (default unset)
}

// DefaultGlobals returns Jool's defaults.
func DefaultGlobals() Globals {
	return Globals{
		ManuallyEnabled:  true,
		LowestIPv6MTU:    1280,
		MTUPlateaus:      slices.Clone(DefaultMTUPlateaus),
		RandomizeRFC6791: true,
		EAMHairpinMode:   HairpinIntrinsic,
	}
}

// Clone returns a deep copy (the plateau slice is not shared).
func (g Globals) Clone() Globals {
	g.MTUPlateaus = slices.Clone(g.MTUPlateaus)
	return g
}

// Pool6Lengths are the prefix lengths RFC 6052 §2.2 allows.
var Pool6Lengths = []int{32, 40, 48, 56, 64, 96}

// ValidatePool6 checks an RFC 6052 prefix: IPv6, length 32/40/48/56/64/96, no
// host bits set, and bits 64..71 (the "u" octet) zero.
func ValidatePool6(p netip.Prefix) error {
	if !p.IsValid() {
		return errors.New("pool6 prefix is not a valid prefix")
	}
	if !p.Addr().Is6() {
		return fmt.Errorf("pool6 prefix %s is not an IPv6 prefix", p)
	}
	if !slices.Contains(Pool6Lengths, p.Bits()) {
		return fmt.Errorf("pool6 prefix %s: length must be 32, 40, 48, 56, 64 or 96 (RFC 6052)", p)
	}
	if p.Masked() != p {
		return fmt.Errorf("pool6 prefix %s has host bits set; did you mean %s?", p, p.Masked())
	}
	if b := p.Addr().As16(); b[8] != 0 {
		return fmt.Errorf("pool6 prefix %s: bits 64 to 71 (the RFC 6052 u-octet) must be zero", p)
	}
	return nil
}

// ValidatePool6AnyUOctet is ValidatePool6, except that a /96 prefix may have
// a non-zero u-octet: Jool lets --force set one, and instance add too, and
// translates with the prefix as it is. Clearing the u-octet of a /96 prefix
// without host bits cannot hide another fault: those bits lie inside it.
func ValidatePool6AnyUOctet(p netip.Prefix) error {
	if p.IsValid() && p.Addr().Is6() && p.Bits() == 96 && p.Masked() == p {
		b := p.Addr().As16()
		b[8] = 0
		p = netip.PrefixFrom(netip.AddrFrom16(b), 96)
	}
	return ValidatePool6(p)
}

func validateNetPrefix(name string, p netip.Prefix, want6 bool) error {
	if !p.IsValid() {
		return nil // unset
	}
	if p.Addr().Is6() != want6 || p.Addr().Is4In6() {
		fam := "IPv4"
		if want6 {
			fam = "IPv6"
		}
		return fmt.Errorf("%s %s is not an %s prefix", name, p, fam)
	}
	if p.Masked() != p {
		return fmt.Errorf("%s %s has host bits set; did you mean %s?", name, p, p.Masked())
	}
	return nil
}

// NormalizePlateaus sorts descending and removes duplicates; it rejects an
// empty list and zero values.
func NormalizePlateaus(in []uint16) ([]uint16, error) {
	if len(in) == 0 {
		return nil, errors.New("mtu-plateaus cannot be empty")
	}
	out := slices.Clone(in)
	for _, v := range out {
		if v == 0 {
			return nil, errors.New("mtu-plateaus: 0 is not a valid MTU plateau")
		}
	}
	slices.Sort(out)
	slices.Reverse(out)
	return slices.Compact(out), nil
}

// Validate checks every field the way Jool does and returns the first problem,
// phrased for the person who typed the value.
func (g Globals) Validate() error {
	if g.Pool6.IsValid() {
		if err := ValidatePool6(g.Pool6); err != nil {
			return err
		}
	}
	if g.LowestIPv6MTU < 1280 {
		return fmt.Errorf("lowest-ipv6-mtu %d is below the IPv6 minimum MTU of 1280", g.LowestIPv6MTU)
	}
	if _, err := NormalizePlateaus(g.MTUPlateaus); err != nil {
		return err
	}
	if g.EAMHairpinMode > HairpinIntrinsic {
		return fmt.Errorf("eam-hairpin-mode %d is not one of off, simple, intrinsic", g.EAMHairpinMode)
	}
	if err := validateNetPrefix("rfc6791v4-prefix", g.RFC6791v4Prefix, false); err != nil {
		return err
	}
	return validateNetPrefix("rfc6791v6-prefix", g.RFC6791v6Prefix, true)
}
