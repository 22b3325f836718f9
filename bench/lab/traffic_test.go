package lab

import (
	"net/netip"
	"testing"

	"github.com/siit-project/siit/bench/frames"
)

// What the sinks expect of each leg: its own addresses through a forwarder, the mirror leg's reversed through a
// translator (for the default traffic, what pool6 2001:db8:64::/96 makes of it).
func TestTrafficExpect(t *testing.T) {
	tr := DefaultTraffic()
	for _, c := range []struct {
		legB, translating bool
		want              frames.Expect
	}{
		{false, false, frames.Expect{Family: 6, Dst: netip.MustParseAddr("2001:db8:64::cb00:7101"),
			SrcPrefix: netip.MustParsePrefix("2001:db8:64::c000:200/120")}},
		{false, true, frames.Expect{Family: 4, Dst: netip.MustParseAddr("203.0.113.1"),
			SrcPrefix: netip.MustParsePrefix("192.0.2.0/24")}},
		{true, false, frames.Expect{Family: 4, Dst: netip.MustParseAddr("192.0.2.1"),
			SrcPrefix: netip.MustParsePrefix("203.0.113.0/24")}},
		{true, true, frames.Expect{Family: 6, Dst: netip.MustParseAddr("2001:db8:64::c000:201"),
			SrcPrefix: netip.MustParsePrefix("2001:db8:64::cb00:7100/120")}},
	} {
		if got := tr.expect(c.legB, c.translating); got != c.want {
			t.Errorf("leg B %v, translating %v: %+v, want %+v", c.legB, c.translating, got, c.want)
		}
	}
	bad := tr
	bad.BDst = netip.MustParseAddr("2001:db8::1")
	if bad.check() == nil {
		t.Error("a leg from IPv4 to IPv6 accepted")
	}
	if tr.check() != nil {
		t.Error("the default traffic refused")
	}
}
