package config

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/siit-project/siit/xlat"
	"github.com/siit-project/siit/xlat/eamt"
)

// DefaultInstanceName is the instance Jool's client talks to when neither -i
// nor -f names one.
const DefaultInstanceName = "default"

// MaxNameLen is Jool's INAME_MAX_SIZE minus the terminating NUL.
const MaxNameLen = 15

// MaxPlateaus is Jool's PLATEAUS_MAX.
const MaxPlateaus = 64

// Framework is where Jool hooks an instance. siit has one data path, so both
// values behave the same; they are kept so that commands and files written
// for Jool keep working and display what they set.
type Framework string

const (
	Netfilter Framework = "netfilter"
	IPTables  Framework = "iptables"
)

// ParseFramework accepts "netfilter" and "iptables".
func ParseFramework(s string) (Framework, error) {
	switch Framework(s) {
	case Netfilter, IPTables:
		return Framework(s), nil
	}
	return "", fmt.Errorf("unknown framework %q: use \"netfilter\" or \"iptables\"", s)
}

// EAMEntry is one EAMT entry; it is package eamt's entry type, so a list can
// be handed to eamt.New as is.
type EAMEntry = eamt.Entry

// Instance is the complete configuration of one SIIT instance.
type Instance struct {
	Name      string
	Framework Framework
	Globals   xlat.Globals
	// EAMT lists the entries in the order they were added (oldest first).
	EAMT []EAMEntry
	// Denylist4 lists the denylisted IPv4 prefixes in the order they were added.
	Denylist4 []netip.Prefix
}

// NewInstance returns an instance with Jool's defaults.
func NewInstance(name string) *Instance {
	return &Instance{Name: name, Framework: Netfilter, Globals: xlat.DefaultGlobals()}
}

// Clone returns a deep copy.
func (in *Instance) Clone() *Instance {
	c := *in
	c.Globals = in.Globals.Clone()
	c.EAMT = slices.Clone(in.EAMT)
	c.Denylist4 = slices.Clone(in.Denylist4)
	return &c
}

// ValidateName applies Jool's instance-name rule: 1 to 15 printable ASCII
// characters.
func ValidateName(name string) error {
	if name == "" {
		return errors.New("the instance name is empty; give 1 to 15 printable ASCII characters, or omit it to use \"default\"")
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("instance name %q is %d characters long; the limit is %d printable ASCII characters", name, len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		if name[i] < 0x20 || name[i] > 0x7e {
			return fmt.Errorf("instance name %q contains a character that is not printable ASCII; use letters, digits and punctuation", name)
		}
	}
	return nil
}

// Validate checks everything Jool's kernel module checks when the instance is
// loaded from a file: the name, the framework, every global, each EAMT entry
// and the collisions between them (force allows overlapping EAMT entries, as
// `--force` does), and the denylist4 prefixes.
func (in *Instance) Validate(force bool) error {
	if err := ValidateName(in.Name); err != nil {
		return err
	}
	if _, err := ParseFramework(string(in.Framework)); err != nil {
		return err
	}
	g := in.Globals.Clone()
	var err error
	if g.MTUPlateaus, err = NormalizePlateaus(g.MTUPlateaus); err != nil {
		return err
	}
	if err := ValidateGlobals(g, force); err != nil {
		return err
	}
	if _, err := (*eamt.Table)(nil).AddAll(in.EAMT, force); err != nil {
		return fmt.Errorf("eamt: %w", err)
	}
	for _, p := range in.Denylist4 { // repeats allowed, as in Jool
		if err := CheckDenylist4(p, force); err != nil {
			return err
		}
	}
	return nil
}

// ValidateGlobals checks the globals as Jool's kernel module checks a whole
// set of them (as `file handle` sends), plus the plateau count; force skips
// the checks that Jool's --force overrides (see checkOverridable).
func ValidateGlobals(g xlat.Globals, force bool) error {
	if len(g.MTUPlateaus) > MaxPlateaus {
		return fmt.Errorf("mtu-plateaus has %d values; the most Jool accepts is %d", len(g.MTUPlateaus), MaxPlateaus)
	}
	rest := g
	rest.Pool6 = netip.Prefix{} // checked below, u-octet aside (checkOverridable checks it)
	if err := rest.Validate(); err != nil {
		return err
	}
	if g.Pool6.IsValid() {
		if err := xlat.ValidatePool6AnyUOctet(g.Pool6); err != nil {
			return err
		}
	}
	if force {
		return nil
	}
	for _, name := range overridable {
		if err := checkOverridable(g, name); err != nil {
			return err
		}
	}
	return nil
}

// overridable are the globals with a check that --force overrides.
var overridable = []string{"pool6", "rfc6791v4-prefix"}

// checkOverridable applies to the global called name the check that Jool's
// --force overrides, if it has one: pool6's u-octet must be zero (RFC 6052
// section 2.2; Jool lets --force, and `instance add --pool6`, set another),
// and rfc6791v4-prefix must stay out of the ranges that are never translated
// (its addresses are the source of ICMP errors sent to IPv4 hosts).
func checkOverridable(g xlat.Globals, name string) error {
	switch name {
	case "pool6":
		// g passed ValidateGlobals' checks: only the u-octet of a /96 can be wrong.
		if p := g.Pool6; p.IsValid() {
			if err := xlat.ValidatePool6(p); err != nil {
				return fmt.Errorf("%w; use --force to use it anyway", err)
			}
		}
	case "rfc6791v4-prefix":
		if p := g.RFC6791v4Prefix; p.IsValid() {
			if r, ok := reservedOverlap(p); ok {
				return fmt.Errorf("rfc6791v4-prefix %s overlaps %s, which is never translated (a poor source for "+
					"ICMP errors); use --force to set it anyway", p, r)
			}
		}
	}
	return nil
}

// reserved4 are the IPv4 ranges that are never translated (Jool's
// prefix4_validate_scope): Jool asks for --force to denylist inside them, or
// to take rfc6791v4-prefix from them.
var reserved4 = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("255.255.255.255/32"),
}

// CheckDenylist4 validates one denylist4 prefix: IPv4, no host bits, and
// (unless force) not overlapping the ranges that are never translated anyway.
func CheckDenylist4(p netip.Prefix, force bool) error {
	if !p.IsValid() || !p.Addr().Is4() {
		return fmt.Errorf("denylist4 entry %s is not an IPv4 prefix", p)
	}
	if err := CheckMasked("denylist4 prefix", p); err != nil {
		return err
	}
	if force {
		return nil
	}
	if r, ok := reservedOverlap(p); ok {
		return fmt.Errorf("denylist4 prefix %s overlaps %s, which is never translated anyway; use --force to add it regardless", p, r)
	}
	return nil
}

// reservedOverlap returns the first range of reserved4 that p overlaps.
func reservedOverlap(p netip.Prefix) (netip.Prefix, bool) {
	for _, r := range reserved4 {
		if r.Overlaps(p) {
			return r, true
		}
	}
	return netip.Prefix{}, false
}
