package nexthop

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestRouteEventsWithoutDump changes routes in a namespace holding a few
// thousand of them: the mirror follows every change without dumping the
// routes again (Stats), its answers match `ip route get`, and a change the
// events cannot place (a prepended IPv4 route) still takes a dump.
func TestRouteEventsWithoutDump(t *testing.T) {
	needRoot(t)
	ns := newNS(t, "evt")
	threeLinks(t, ns)
	// A table large enough for jump tables (4096+ trie nodes).
	f, err := os.CreateTemp(t.TempDir(), "routes")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3000 {
		fmt.Fprintf(f, "route add 10.%d.%d.0/24 via 192.0.2.2 dev d1\n", i>>8, i&255)
		fmt.Fprintf(f, "route add 2001:db8:%x::/48 via 2001:db8:a::2 dev d1\n", 0x1000+i)
	}
	f.Close()
	if out, err := exec.Command("ip", "-n", ns.name, "-batch", f.Name()).CombinedOutput(); err != nil {
		t.Fatalf("ip -batch: %v: %s", err, out)
	}
	names := linkNames(t, ns, "d1", "d2", "d3")
	m := startQuiet(t, ns)
	start := m.Stats()

	rng := rand.New(rand.NewPCG(11, 12))
	probes := []string{"198.51.100.7", "198.51.100.200", "203.0.113.9", "203.0.113.77", "10.1.2.3", "10.11.183.1",
		"10.200.0.1", "2001:db8:1005::1", "2001:db8:9::1", "2001:db8:9:1::1", "2001:db8:1bb7::5"}
	agree := func(step string) {
		t.Helper()
		eventually(t, "the mirror to agree with the kernel after "+step, func() (bool, string) {
			tab := m.Table()
			for _, p := range probes {
				dst := netip.MustParseAddr(p)
				var fl Flow
				fl.DstHi, fl.DstLo = keyAddr(dst)
				got := siitRoute(tab, names, &fl, dst.Is6(), dst)
				if want := kernelRoute(t, ns, dst.Is6(), p); got != want {
					return false, fmt.Sprintf("%s: mirror %q, kernel %q", p, got, want)
				}
			}
			return true, ""
		})
	}
	agree("start")
	steps := []string{
		"route add 198.51.100.0/24 via 192.0.2.2 dev d1",
		"route replace 198.51.100.0/24 via 192.0.2.66 dev d2",
		"route add 198.51.100.128/25 dev d3 metric 10",
		"route add 198.51.100.128/25 via 192.0.2.66 dev d2 metric 5",
		"route del 198.51.100.128/25 via 192.0.2.66 dev d2 metric 5",
		"route add blackhole 203.0.113.0/24",
		"route add 203.0.113.64/26 via 192.0.2.130 dev d3",
		"route replace unreachable 203.0.113.0/24",
		"route append 10.1.2.0/24 via 192.0.2.130 dev d3",
		"route del 10.1.2.0/24 via 192.0.2.2 dev d1",
		"route del 10.11.183.0/24",
		"route add 10.0.0.0/8 via 192.0.2.66 dev d2",
		"route add 2001:db8:9::/48 via 2001:db8:b::2 dev d2",
		"route add 2001:db8:9:1::/64 via 2001:db8:c::2 dev d3 metric 100",
		"route replace 2001:db8:9::/48 via 2001:db8:c::2 dev d3",
		"route add prohibit 2001:db8:1005::/48 metric 5",
		"route del 2001:db8:1bb7::/48",
		"route del 2001:db8:9:1::/64",
	}
	for _, s := range steps {
		ns.ip(t, s)
		agree(s)
	}
	// A burst, coalesced into few snapshots: random /24s in and out.
	var burst []string
	for range 200 {
		n := rng.IntN(3000)
		burst = append(burst, fmt.Sprintf("route replace 10.%d.%d.0/24 via 192.0.2.%d dev %s", n>>8, n&255,
			[]int{2, 66, 130}[n%3], []string{"d1", "d2", "d3"}[n%3]))
	}
	bf, err := os.CreateTemp(t.TempDir(), "burst")
	if err != nil {
		t.Fatal(err)
	}
	bf.WriteString(strings.Join(burst, "\n") + "\n")
	bf.Close()
	if out, err := exec.Command("ip", "-n", ns.name, "-batch", bf.Name()).CombinedOutput(); err != nil {
		t.Fatalf("ip -batch: %v: %s", err, out)
	}
	for _, b := range burst[len(burst)-20:] {
		probes = append(probes, strings.Replace(strings.Fields(b)[2], ".0/24", ".9", 1))
	}
	agree("a burst of replacements")
	st := m.Stats()
	if st.RouteDumps != start.RouteDumps || st.RouteEventsDumped != 0 || st.Patches == 0 ||
		st.RouteEventsApplied < uint64(len(steps)) {
		t.Fatalf("stats %+v (at start %+v): want no dump, every event applied, patched snapshots", st, start)
	}
	// An IPv4 route put before another of the same key: the event does not
	// say where, so the routes are dumped again.
	ns.ip(t, "route prepend 10.0.0.0/8 via 192.0.2.130 dev d3")
	probes = append(probes, "10.250.0.1")
	agree("route prepend")
	eventually(t, "a route dump after the prepend", func() (bool, string) {
		s := m.Stats()
		return s.RouteDumps > start.RouteDumps && s.RouteEventsDumped > 0, fmt.Sprintf("%+v", s)
	})
}
