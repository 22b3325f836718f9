package xlat

import (
	"net/netip"
	"testing"
)

// TestPool6UOctet: RFC 6052 wants bits 64-71 (the u-octet) of an embedded
// address zero, but Jool lets --force (and instance add) set a /96 pool6
// whose u-octet is not zero, and translates with that prefix as it is.
// NewConfig accepts it (the control plane decides when to allow it), and
// addresses embed and extract as in Jool, on the general path and on the
// /96 fast path alike.
func TestPool6UOctet(t *testing.T) {
	const (
		v4 = "198.51.100.7"
		v6 = "2001:db8::ff00:0:c633:6407" // prefix bytes 0-11, u-octet 0xff included, then the IPv4 address
	)
	for _, deny := range []bool{false, true} { // a denylist4 turns the /96 fast path off
		p := testParams(t)
		p.Globals.Pool6 = pfx("2001:db8:0:0:ff00::/96")
		if deny {
			p.Denylist4 = []netip.Prefix{pfx("203.0.113.0/24")}
		}
		c, err := NewConfig(p)
		if err != nil {
			t.Fatalf("deny %v: %v", deny, err)
		}
		if got, m, err := c.TranslateAddr(netip.MustParseAddr(v4)); err != nil || got.String() != v6 || m != ByPool6 {
			t.Errorf("deny %v: %s -> %v %v %v, want %s", deny, v4, got, m, err, v6)
		}
		if got, _, err := c.TranslateAddr(netip.MustParseAddr(v6)); err != nil || got.String() != v4 {
			t.Errorf("deny %v: %s -> %v %v, want %s", deny, v6, got, err, v4)
		}
		if _, _, err := c.TranslateAddr(netip.MustParseAddr("2001:db8::c633:6407")); err == nil {
			t.Errorf("deny %v: an address outside the prefix (u-octet zero) translated", deny)
		}
		// A packet from 198.51.100.7 comes out from the same IPv6 address.
		in := unhex(t, goldenPackets["4to6-udp"][0])
		buf := make([]byte, 4096)
		copy(buf[128:], in)
		r := NewTranslator(nil).Translate(c, buf, 128, len(in), NewOutput(4, 2048, 32))
		if r.Verdict != Forward {
			t.Fatalf("deny %v: verdict %v", deny, r.Verdict)
		}
		if src := netip.AddrFrom16([16]byte(buf[r.Off+8 : r.Off+24])); src.String() != v6 {
			t.Errorf("deny %v: translated source %s, want %s", deny, src, v6)
		}
	}
	// In a shorter prefix those bits are host bits, and other faults stay faults.
	for _, bad := range []string{"2001:db8:0:0:ff00::/64", "2001:db8:0:0:ff00::1/96", "2001:db8:0:0:ff00::/95"} {
		p := testParams(t)
		p.Globals.Pool6 = pfx(bad)
		if _, err := NewConfig(p); err == nil {
			t.Errorf("pool6 %s accepted", bad)
		}
	}
}
