package config

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/siit-project/siit/xlat"
)

// GlobalKind is the value syntax of a global.
type GlobalKind uint8

const (
	KindBool     GlobalKind = iota // true/false/1/0/yes/no/on/off
	KindUint8                      // 0-255
	KindUint32                     // 0-4294967295
	KindPlateaus                   // comma-separated 16-bit values
	KindPrefix6                    // IPv6 prefix or null
	KindPrefix4                    // IPv4 prefix or null
	KindHairpin                    // off/simple/intrinsic
)

// Global describes one SIIT global: its Jool name, syntax and meaning.
type Global struct {
	Name string
	Kind GlobalKind
	Doc  string
}

// Globals lists the SIIT globals in the order Jool displays them.
var Globals = []Global{
	{"manually-enabled", KindBool, "Translate packets (true) or pause the instance (false)."},
	{"pool6", KindPrefix6, "The RFC 6052 prefix (IPv6 Address Pool); null to unset."},
	{"lowest-ipv6-mtu", KindUint32, "Smallest MTU on the IPv6 side (bytes, at least 1280)."},
	{"logging-debug", KindBool, "Log every packet decision (slow; for debugging only)."},
	{"zeroize-traffic-class", KindBool, "Set the IPv6 Traffic Class to zero instead of copying the IPv4 TOS."},
	{"override-tos", KindBool, "Set the IPv4 TOS to the tos global instead of copying the IPv6 Traffic Class."},
	{"tos", KindUint8, "TOS written into translated IPv4 packets when override-tos is on."},
	{"mtu-plateaus", KindPlateaus, "MTUs guessed (RFC 1191) when an ICMPv4 Fragmentation Needed carries none."},
	{"amend-udp-checksum-zero", KindBool, "Compute the checksum of unfragmented IPv4 UDP packets that carry zero, instead of dropping them."},
	{"eam-hairpin-mode", KindHairpin, "EAM hairpinning (RFC 7757 section 4.2): off, simple or intrinsic."},
	{"randomize-rfc6791-addresses", KindBool, "Pick RFC 6791 source addresses at random (true) or by hop limit (false)."},
	{"rfc6791v6-prefix", KindPrefix6, "IPv6 source prefix for ICMPv6 errors whose source cannot be translated; null to unset."},
	{"rfc6791v4-prefix", KindPrefix4, "IPv4 source prefix for ICMPv4 errors whose source cannot be translated; null to unset."},
}

// GlobalNames returns the names of Globals, in order.
func GlobalNames() []string {
	names := make([]string, len(Globals))
	for i, g := range Globals {
		names[i] = g.Name
	}
	return names
}

// LookupGlobal finds a global by its exact name.
func LookupGlobal(name string) (Global, bool) {
	for _, g := range Globals {
		if g.Name == name {
			return g, true
		}
	}
	return Global{}, false
}

// ParseBool accepts Jool's boolean spellings, case-insensitively.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("cannot parse %q as a boolean: use true, false, 1, 0, yes, no, on or off", s)
}

func parseUint(name, s string, max uint64) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || s == "" || s[0] == '+' {
		return 0, fmt.Errorf("%s: %q is not an unsigned integer (0-%d)", name, s, max)
	}
	if n > max {
		return 0, fmt.Errorf("%s: %s is out of bounds (0-%d)", name, s, max)
	}
	return n, nil
}

// ParsePlateaus parses "1500,1280,576" (16-bit values, comma-separated), as
// Jool's client does: zeros are allowed here (see NormalizePlateaus).
func ParsePlateaus(s string) ([]uint16, error) {
	var out []uint16
	for _, tok := range strings.Split(s, ",") {
		if tok == "" {
			continue // Jool tokenizes with strtok, which skips empty fields
		}
		n, err := parseUint("mtu-plateaus", tok, 0xffff)
		if err != nil {
			return nil, err
		}
		out = append(out, uint16(n))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("mtu-plateaus cannot be empty: give comma-separated MTUs, e.g. 1500,1280")
	}
	if len(out) > MaxPlateaus {
		return nil, fmt.Errorf("mtu-plateaus: %d values given; the maximum is %d", len(out), MaxPlateaus)
	}
	return out, nil
}

// NormalizePlateaus does to an mtu-plateaus list what Jool's kernel module
// does with it: zeros are dropped, duplicates removed and the rest sorted in
// descending order. A list of nothing but zeros is refused.
func NormalizePlateaus(p []uint16) ([]uint16, error) {
	nonzero := make([]uint16, 0, len(p))
	for _, v := range p {
		if v != 0 {
			nonzero = append(nonzero, v)
		}
	}
	if len(nonzero) == 0 && len(p) > 0 {
		return nil, errors.New("mtu-plateaus has nothing but zeros; give at least one MTU, e.g. 1500,1280")
	}
	return xlat.NormalizePlateaus(nonzero)
}

func parseOptPrefix(name, s string, v6 bool) (netip.Prefix, error) {
	if s == "null" {
		return netip.Prefix{}, nil
	}
	var p netip.Prefix
	var err error
	if v6 {
		p, err = ParsePrefix6(s)
	} else {
		p, err = ParsePrefix4(s)
	}
	if err != nil {
		return p, fmt.Errorf("%s: %w (or null to unset)", name, err)
	}
	return p, nil
}

// CheckGlobalSyntax checks value for the global named name (exact name) as
// Jool's client checks what `global update` is given: the syntax and the
// range of the type. Whether the value is acceptable is SetGlobal's call.
func CheckGlobalSyntax(name, value string) error {
	g := xlat.DefaultGlobals()
	return setGlobal(&g, name, value)
}

// SetGlobal parses value for the global named name (exact name) into g, the
// way `jool_siit global update` does, then validates g as a whole, as Jool's
// kernel module does; force skips the check --force overrides for this global
// (the others' were made, or skipped, when they were set). On error g is
// left unchanged.
func SetGlobal(g *xlat.Globals, name, value string, force bool) error {
	n := g.Clone()
	if err := setGlobal(&n, name, value); err != nil {
		return err
	}
	if name == "mtu-plateaus" {
		var err error
		if n.MTUPlateaus, err = NormalizePlateaus(n.MTUPlateaus); err != nil {
			return err
		}
	}
	if err := ValidateGlobals(n, true); err != nil {
		return err
	}
	if !force {
		if err := checkOverridable(n, name); err != nil {
			return err
		}
	}
	*g = n
	return nil
}

func setGlobal(g *xlat.Globals, name, value string) error {
	var err error
	var b bool
	var u uint64
	switch name {
	case "manually-enabled", "logging-debug", "zeroize-traffic-class", "override-tos",
		"amend-udp-checksum-zero", "randomize-rfc6791-addresses":
		if b, err = ParseBool(value); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		*boolField(g, name) = b
	case "pool6":
		g.Pool6, err = parseOptPrefix(name, value, true)
	case "rfc6791v6-prefix":
		g.RFC6791v6Prefix, err = parseOptPrefix(name, value, true)
	case "rfc6791v4-prefix":
		g.RFC6791v4Prefix, err = parseOptPrefix(name, value, false)
	case "lowest-ipv6-mtu":
		u, err = parseUint(name, value, 0xffffffff)
		g.LowestIPv6MTU = uint32(u)
	case "tos":
		u, err = parseUint(name, value, 0xff)
		g.TOS = uint8(u)
	case "mtu-plateaus":
		g.MTUPlateaus, err = ParsePlateaus(value)
	case "eam-hairpin-mode":
		var m xlat.HairpinMode
		if m, err = xlat.ParseHairpinMode(value); err == nil {
			g.EAMHairpinMode = m
		}
	default:
		return fmt.Errorf("unknown global %q; the SIIT globals are: %s", name, strings.Join(GlobalNames(), ", "))
	}
	return err
}

func boolField(g *xlat.Globals, name string) *bool {
	switch name {
	case "manually-enabled":
		return &g.ManuallyEnabled
	case "logging-debug":
		return &g.LoggingDebug
	case "zeroize-traffic-class":
		return &g.ZeroizeTrafficClass
	case "override-tos":
		return &g.OverrideTOS
	case "amend-udp-checksum-zero":
		return &g.AmendUDPChecksumZero
	case "randomize-rfc6791-addresses":
		return &g.RandomizeRFC6791
	}
	return nil
}

// FormatGlobal renders a global's value as `global display` does: booleans
// true/false (TRUE/FALSE in CSV), unset prefixes "(unset)" (empty in CSV),
// plateaus comma-separated (quoted in CSV).
func FormatGlobal(g *xlat.Globals, name string, csv bool) string {
	switch name {
	case "manually-enabled", "logging-debug", "zeroize-traffic-class", "override-tos",
		"amend-udp-checksum-zero", "randomize-rfc6791-addresses":
		v := *boolField(g, name)
		if csv {
			return strings.ToUpper(strconv.FormatBool(v))
		}
		return strconv.FormatBool(v)
	case "pool6":
		return formatOptPrefix(g.Pool6, csv)
	case "rfc6791v6-prefix":
		return formatOptPrefix(g.RFC6791v6Prefix, csv)
	case "rfc6791v4-prefix":
		return formatOptPrefix(g.RFC6791v4Prefix, csv)
	case "lowest-ipv6-mtu":
		return strconv.FormatUint(uint64(g.LowestIPv6MTU), 10)
	case "tos":
		return strconv.FormatUint(uint64(g.TOS), 10)
	case "mtu-plateaus":
		s := plateausString(g.MTUPlateaus)
		if csv {
			return `"` + s + `"`
		}
		return s
	case "eam-hairpin-mode":
		return g.EAMHairpinMode.String()
	}
	return ""
}

func plateausString(p []uint16) string {
	var sb strings.Builder
	for i, v := range p {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(strconv.FormatUint(uint64(v), 10))
	}
	return sb.String()
}

func formatOptPrefix(p netip.Prefix, csv bool) string {
	if !p.IsValid() {
		if csv {
			return ""
		}
		return "(unset)"
	}
	return p.String()
}
