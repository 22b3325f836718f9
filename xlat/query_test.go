package xlat

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/siit-project/siit/xlat/eamt"
)

func TestTranslateAddr(t *testing.T) {
	tab, err := eamt.New([]eamt.Entry{{Prefix6: netip.MustParsePrefix("2001:db8:6::/120"), Prefix4: netip.MustParsePrefix("192.0.2.0/24")}})
	if err != nil {
		t.Fatal(err)
	}
	g := DefaultGlobals()
	g.Pool6 = netip.MustParsePrefix("64:ff9b::/96")
	c, err := NewConfig(Params{Globals: g, EAMT: tab, Denylist4: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}})
	if err != nil {
		t.Fatal(err)
	}
	ok := []struct {
		in, out string
		m       AddrMethod
	}{
		{"2001:db8:6::10", "192.0.2.16", ByEAMT},
		{"192.0.2.16", "2001:db8:6::10", ByEAMT},
		{"64:ff9b::c633:640a", "198.51.100.10", ByPool6},
		{"198.51.100.10", "64:ff9b::c633:640a", ByPool6},
	}
	for _, c2 := range ok {
		got, m, err := c.TranslateAddr(netip.MustParseAddr(c2.in))
		if err != nil || got != netip.MustParseAddr(c2.out) || m != c2.m {
			t.Errorf("%s: got %v %v %v, want %s %s", c2.in, got, m, err, c2.out, c2.m)
		}
	}
	bad := map[string]string{
		"203.0.113.5":        "denylist4",
		"2001:db8:99::1":     "matches no EAMT",
		"fe80::1":            "never translated",
		"127.0.0.1":          "never translated",
		"64:ff9b::7f00:1":    "never translated",
		"64:ff9b::cb00:7105": "denylist4",
	}
	for in, want := range bad {
		if _, _, err := c.TranslateAddr(netip.MustParseAddr(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want error containing %q", in, err, want)
		}
	}
}
