package nexthop

import (
	"fmt"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// TestLinkdownAgainstKernel takes a link's carrier away and changes
// ignore_routes_with_linkdown per family, for "all" and for the device:
// the mirror routes as the kernel does (`ip route get`) at every step, and
// follows the settings through netconf notifications.
func TestLinkdownAgainstKernel(t *testing.T) {
	needRoot(t)
	ns := newNS(t, "ldn")
	threeLinks(t, ns)
	ns.ips(t,
		"route add 198.51.100.0/24 via 192.0.2.62",
		"route add default via 192.0.2.126",
		"route add 203.0.113.0/24 nexthop via 192.0.2.62 dev d1 nexthop via 192.0.2.126 dev d2",
		"-6 route add 2001:db8:100::/48 via 2001:db8:a::fe",
		"-6 route add default via 2001:db8:b::fe",
	)
	names := linkNames(t, ns, "d1", "d2")
	d1, _ := ns.link(t, "d1")
	m := startQuiet(t, ns)
	ns.ip(t, "link set d1p down")
	eventually(t, "carrier loss on d1", func() (bool, string) { return !m.Table().LinkUp(d1), "d1 still up" })

	route := func(dst string) string {
		d := netip.MustParseAddr(dst)
		fl := Flow{Proto: unix.IPPROTO_UDP}
		fl.DstHi, fl.DstLo = keyAddr(d)
		return siitRoute(m.Table(), names, &fl, d.Is6(), d)
	}
	dsts := []string{"198.51.100.7", "192.0.2.10", "2001:db8:100::1", "2001:db8:a::10"}
	for _, step := range []struct {
		sysctl string // "" for the start (everything 0)
		split  string // the ECMP route's members under siit's hashes
	}{
		{"", "map[dev d1 via 192.0.2.62:512 dev d2 via 192.0.2.126:512]"},
		{"net.ipv4.conf.all.ignore_routes_with_linkdown=1", "map[dev d2 via 192.0.2.126:1024]"},
		{"net.ipv6.conf.d1.ignore_routes_with_linkdown=1", "map[dev d2 via 192.0.2.126:1024]"},
		// IPv4 ORs "all" with the device.
		{"net.ipv4.conf.d1.ignore_routes_with_linkdown=1", "map[dev d2 via 192.0.2.126:1024]"},
		{"net.ipv4.conf.all.ignore_routes_with_linkdown=0", "map[dev d2 via 192.0.2.126:1024]"},
		{"net.ipv4.conf.d1.ignore_routes_with_linkdown=0", "map[dev d1 via 192.0.2.62:512 dev d2 via 192.0.2.126:512]"},
		{"net.ipv6.conf.all.ignore_routes_with_linkdown=0", "map[dev d1 via 192.0.2.62:512 dev d2 via 192.0.2.126:512]"},
	} {
		if step.sysctl != "" {
			ns.exec(t, "sysctl -q -w "+step.sysctl)
		}
		want := map[string]string{}
		for _, dst := range dsts {
			v6 := netip.MustParseAddr(dst).Is6()
			src := map[bool]string{false: "192.0.2.65", true: "2001:db8:b::1"}[v6]
			want[dst] = kernelRoute(t, ns, v6, dst+" from "+src)
		}
		t.Logf("after %q the kernel routes: %v", step.sysctl, want)
		eventually(t, fmt.Sprintf("after %q", step.sysctl), func() (bool, string) {
			for _, dst := range dsts {
				if got := route(dst); got != want[dst] {
					return false, fmt.Sprintf("%s: siit %q, kernel %q", dst, got, want[dst])
				}
			}
			got := fmt.Sprint(groupSplit(m.Table(), names, netip.MustParseAddr("203.0.113.9")))
			return got == step.split, "ECMP split " + got + ", want " + step.split
		})
	}
}

func TestNetconfFromMessage(t *testing.T) {
	msg := func(fam byte, attrs ...[]byte) []byte { return cat(append([][]byte{{fam, 0, 0, 0}}, attrs...)...) }
	for _, c := range []struct {
		name   string
		msg    []byte
		ok     bool
		k      netconfKey
		ignore bool
	}{
		{"device, set", msg(unix.AF_INET, rtattr(netconfaIfindex, u32le(7)), rtattr(netconfaIgnoreLinkdn, u32le(1))),
			true, netconfKey{false, 7}, true},
		{"all, IPv6, clear", msg(unix.AF_INET6, rtattr(netconfaIfindex, u32le(0xffffffff)), rtattr(netconfaIgnoreLinkdn, u32le(0))),
			true, netconfKey{true, netconfAll}, false},
		{"default", msg(unix.AF_INET, rtattr(netconfaIfindex, u32le(0xfffffffe)), rtattr(netconfaIgnoreLinkdn, u32le(1))), false, netconfKey{}, false},
		{"other setting only", msg(unix.AF_INET, rtattr(netconfaIfindex, u32le(7)), rtattr(2, u32le(1))), false, netconfKey{}, false},
		{"other family", msg(unix.AF_MPLS, rtattr(netconfaIfindex, u32le(7)), rtattr(netconfaIgnoreLinkdn, u32le(1))), false, netconfKey{}, false},
		{"short attribute", msg(unix.AF_INET, rtattr(netconfaIfindex, []byte{7}), rtattr(netconfaIgnoreLinkdn, u32le(1))), false, netconfKey{}, false},
		{"overrun", msg(unix.AF_INET, []byte{16, 0, 1, 0}), false, netconfKey{}, false},
	} {
		k, ignore, ok := netconfFromMessage(c.msg)
		if ok != c.ok || ok && (k != c.k || ignore != c.ignore) {
			t.Errorf("%s: %+v %v %v, want %+v %v %v", c.name, k, ignore, ok, c.k, c.ignore, c.ok)
		}
	}
}

func FuzzNetconfFromMessage(f *testing.F) {
	f.Add([]byte{unix.AF_INET, 0, 0, 0, 8, 0, 1, 0, 7, 0, 0, 0, 8, 0, 6, 0, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		k, _, ok := netconfFromMessage(b)
		if ok && k.ifindex <= 0 && k.ifindex != netconfAll {
			t.Fatalf("accepted ifindex %d", k.ifindex)
		}
	})
}
