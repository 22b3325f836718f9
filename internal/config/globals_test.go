package config

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/siit-project/siit/xlat"
)

func TestSetGlobal(t *testing.T) {
	ok := []struct{ key, value string }{
		{"manually-enabled", "TRUE"}, {"manually-enabled", "off"}, {"logging-debug", "1"}, {"override-tos", "Yes"},
		{"pool6", "64:ff9b::/96"}, {"pool6", "null"}, {"lowest-ipv6-mtu", "1500"}, {"tos", "255"},
		{"mtu-plateaus", "1500,1280,,576"}, {"eam-hairpin-mode", "simple"}, {"rfc6791v4-prefix", "192.0.2.0/24"},
		{"rfc6791v6-prefix", "2001:db8::/64"}, {"rfc6791v4-prefix", "null"},
	}
	for _, c := range ok {
		g := xlat.DefaultGlobals()
		if err := SetGlobal(&g, c.key, c.value, false); err != nil {
			t.Errorf("SetGlobal(%s, %s): %v", c.key, c.value, err)
		}
	}
	bad := []struct{ key, value, want string }{
		{"manually-enabled", "maybe", "true, false, 1, 0, yes, no, on or off"},
		{"pool6", "64:ff9b::/95", "length must be 32, 40, 48, 56, 64 or 96"},
		{"pool6", "64:ff9b::1/96", "did you mean 64:ff9b::/96"},
		{"pool6", "foo", "IPv6 prefix"},
		{"lowest-ipv6-mtu", "1000", "1280"},
		{"lowest-ipv6-mtu", "99999999999", "out of bounds"},
		{"tos", "300", "out of bounds (0-255)"},
		{"tos", "abc", "not an unsigned integer"},
		{"mtu-plateaus", "1,2,x", "not an unsigned integer"},
		{"mtu-plateaus", ",", "cannot be empty"},
		{"mtu-plateaus", "0", "nothing but zeros"},
		{"mtu-plateaus", "0,0", "nothing but zeros"},
		{"eam-hairpin-mode", "bogus", "off, simple, intrinsic"},
		{"rfc6791v4-prefix", "1.2.3.4/40", "out of bounds (0-32)"},
		{"rfc6791v4-prefix", "127.0.0.0/8", "--force"},
		{"rfc6791v4-prefix", "192.0.2.1/24", "host bits"},
		{"bogus", "1", "unknown global"},
	}
	for _, c := range bad {
		g := xlat.DefaultGlobals()
		before := g.Clone()
		err := SetGlobal(&g, c.key, c.value, false)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("SetGlobal(%s, %s) = %v, want error containing %q", c.key, c.value, err, c.want)
		}
		if FormatAll(&g) != FormatAll(&before) {
			t.Errorf("SetGlobal(%s, %s) changed the globals on error", c.key, c.value)
		}
	}
}

// TestPlateausZeros: Jool's kernel module drops zeros from mtu-plateaus and
// refuses a list of nothing but zeros; its client lets zeros through.
func TestPlateausZeros(t *testing.T) {
	g := xlat.DefaultGlobals()
	if err := SetGlobal(&g, "mtu-plateaus", "1500,0,1280,1500,0", false); err != nil || !slices.Equal(g.MTUPlateaus, []uint16{1500, 1280}) {
		t.Errorf("1500,0,1280,1500,0: %v, %v", g.MTUPlateaus, err)
	}
	if err := CheckGlobalSyntax("mtu-plateaus", "0,0"); err != nil {
		t.Errorf("the syntax of 0,0: %v", err)
	}
	in, err := Parse([]byte(`{"instance":"x","framework":"netfilter","global":{"mtu-plateaus":[0,1500,0]}}`), "")
	if err != nil || in.Validate(false) != nil {
		t.Errorf("[0,1500,0]: %v", err)
	}
	in, err = Parse([]byte(`{"instance":"x","framework":"netfilter","global":{"mtu-plateaus":[0]}}`), "")
	if err != nil {
		t.Fatalf("[0]: %v", err)
	}
	if err := in.Validate(false); err == nil || !strings.Contains(err.Error(), "nothing but zeros") {
		t.Errorf("[0] validated: %v", err)
	}
}

// TestForceAndTheUOctet: --force lets pool6 have a non-zero u-octet; the
// globals set before stay valid when another one changes without --force.
func TestForceAndTheUOctet(t *testing.T) {
	g := xlat.DefaultGlobals()
	if err := SetGlobal(&g, "pool6", "64:ff9b:0:0:100::/96", false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("without --force: %v", err)
	}
	if err := SetGlobal(&g, "pool6", "64:ff9b:0:0:100::/96", true); err != nil {
		t.Fatalf("with --force: %v", err)
	}
	if err := SetGlobal(&g, "tos", "7", false); err != nil || g.Pool6.String() != "64:ff9b:0:0:100::/96" {
		t.Fatalf("tos after a forced pool6: %v, pool6 %s", err, g.Pool6)
	}
	if err := ValidateGlobals(g, false); err == nil {
		t.Error("ValidateGlobals without force accepted the u-octet")
	}
	if err := ValidateGlobals(g, true); err != nil {
		t.Errorf("ValidateGlobals with force: %v", err)
	}
}

func FormatAll(g *xlat.Globals) string {
	var sb strings.Builder
	for _, d := range Globals {
		sb.WriteString(d.Name + "=" + FormatGlobal(g, d.Name, true) + ";")
	}
	return sb.String()
}

func TestFormatGlobal(t *testing.T) {
	g := xlat.DefaultGlobals()
	cases := []struct {
		key  string
		csv  bool
		want string
	}{
		{"manually-enabled", false, "true"}, {"manually-enabled", true, "TRUE"},
		{"pool6", false, "(unset)"}, {"pool6", true, ""},
		{"mtu-plateaus", false, "65535,32000,17914,8166,4352,2002,1492,1006,508,296,68"},
		{"mtu-plateaus", true, `"65535,32000,17914,8166,4352,2002,1492,1006,508,296,68"`},
		{"eam-hairpin-mode", false, "intrinsic"}, {"lowest-ipv6-mtu", false, "1280"}, {"tos", false, "0"},
	}
	for _, c := range cases {
		if got := FormatGlobal(&g, c.key, c.csv); got != c.want {
			t.Errorf("FormatGlobal(%s, csv=%v) = %q, want %q", c.key, c.csv, got, c.want)
		}
	}
}

func TestParsePrefix(t *testing.T) {
	if p, err := ParsePrefix4("192.0.2.1"); err != nil || p != netip.MustParsePrefix("192.0.2.1/32") {
		t.Errorf("bare IPv4 address: %v %v", p, err)
	}
	if p, err := ParsePrefix6("2001:db8::"); err != nil || p != netip.MustParsePrefix("2001:db8::/128") {
		t.Errorf("bare IPv6 address: %v %v", p, err)
	}
	for _, s := range []string{"192.0.2.300/24", "192.0.2.0/33", "192.0.2.0/", "192.0.2.0/24/2", "2001:db8::/24", "", "/24", "192.0.2.0/+4"} {
		if _, err := ParsePrefix4(s); err == nil {
			t.Errorf("ParsePrefix4(%q) succeeded", s)
		}
	}
	for _, s := range []string{"2001:db8::g/120", "2001:db8::/129", "192.0.2.0/24", "fe80::1%eth0/64"} {
		if _, err := ParsePrefix6(s); err == nil {
			t.Errorf("ParsePrefix6(%q) succeeded", s)
		}
	}
}
