package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHairpin: an IPv6 node reaches another IPv6 node behind the same
// translator through the other's EAM IPv4 address (embedded in pool6), per
// eam-hairpin-mode.
func TestHairpin(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	l.startSiit(defaultArgs()...)
	// The second host is 2001:db8:6::11 = 192.0.2.17; the first reaches it
	// as 64:ff9b::192.0.2.17 and is seen as 64:ff9b::192.0.2.16.
	srv := l.start(l.C, "udpecho", hostPort(client6b, "7100"))
	for _, mode := range []string{"intrinsic", "simple"} {
		t.Run(mode, func(t *testing.T) {
			defer l.as(t)()
			l.cliOK("global", "update", "eam-hairpin-mode", mode)
			out := l.pingOK(l.C, client4p6, "-I", client6)
			if !strings.Contains(out, "from 64:ff9b::c000:211") {
				t.Errorf("replies do not come from 64:ff9b::c000:211:\n%s", out)
			}
			l.helperOK(l.C, "udpping", "-src", client6, hostPort(client4p6, "7100"), "500", "3")
			if !sawFrom(srv, "64:ff9b::c000:210") {
				t.Errorf("the second host did not see the first as 64:ff9b::c000:210: %q", srv.snapshot())
			}
		})
	}
	t.Run("off", func(t *testing.T) {
		defer l.as(t)()
		l.cliOK("global", "update", "eam-hairpin-mode", "off")
		// Without hairpinning the IPv4 packet to 192.0.2.17 has no route
		// from the translator.
		base := l.stat("JSTAT_FAILED_ROUTES")
		l.pingFails(l.C, client4p6, "-I", client6)
		if !l.waitStat("JSTAT_FAILED_ROUTES", base) {
			t.Errorf("JSTAT_FAILED_ROUTES did not grow with hairpinning off")
		}
	})
}

// TestUnresolvedNeighbour: the first packet toward a neighbour the
// translator has not resolved yet is delivered (through the kernel), both
// ways, and the neighbour gets resolved.
func TestUnresolvedNeighbour(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	const addr = "127.0.0.1:9475"
	l.startSiit(append(defaultArgs(), "--metrics", addr)...)
	srv4 := l.start(l.S, "udpecho", hostPort(server4, "7200"))
	srv6 := l.start(l.C, "udpecho", "[::]:7201")
	metric := func(name string, labels ...string) float64 {
		v, _ := metricSum(l.metricsText(addr), name, labels...)
		return v
	}

	t.Run("6to4", func(t *testing.T) {
		defer l.as(t)()
		l.must("ip", "-n", l.T, "neigh", "flush", "all")
		if out := l.must("ip", "-n", l.T, "-4", "neigh", "show", router4); strings.Contains(out, "lladdr") {
			t.Fatalf("the router is still resolved after the flush: %s", out)
		}
		res := metric("siit_neighbour_resolutions_total")
		l.helperOK(l.C, "udpone", hostPort(server6, "7200"), "200")
		if !sawFrom(srv4, client4) {
			t.Fatalf("the single datagram did not arrive: %q\n%s", srv4.snapshot(), l.siitLog())
		}
		if !eventually(5*time.Second, func() bool {
			return strings.Contains(l.must("ip", "-n", l.T, "-4", "neigh", "show", router4), "lladdr")
		}) {
			t.Errorf("the router's address was not resolved after the first packet")
		}
		// siit asked the kernel itself (the kernel would also resolve it to
		// send the slow-path packet), and the next packets take the fast path.
		if got := metric("siit_neighbour_resolutions_total"); got <= res {
			t.Errorf("siit requested no neighbour resolution (%v before, %v after)", res, got)
		}
		slow, tx := metric("siit_slow_path_total"), metric("siit_tx_packets_total", `iface="t4"`)
		l.helperOK(l.C, "udpone", hostPort(server6, "7200"), "200")
		if !eventually(5*time.Second, func() bool { return metric("siit_tx_packets_total", `iface="t4"`) > tx }) {
			t.Errorf("the second datagram did not leave t4 through siit's worker")
		}
		if got := metric("siit_slow_path_total"); got != slow {
			t.Errorf("the second datagram took the slow path too (%v before, %v after)", slow, got)
		}
	})
	t.Run("4to6", func(t *testing.T) {
		defer l.as(t)()
		l.must("ip", "-n", l.T, "neigh", "flush", "all")
		l.must("ip", "-n", l.T, "-6", "neigh", "flush", "all")
		res := metric("siit_neighbour_resolutions_total")
		l.helperOK(l.S, "udpone", hostPort(client4, "7201"), "200")
		if !sawFrom(srv6, "64:ff9b::cb00:710a") {
			t.Fatalf("the single datagram did not arrive: %q\n%s", srv6.snapshot(), l.siitLog())
		}
		if got := metric("siit_neighbour_resolutions_total"); got <= res {
			t.Errorf("siit requested no neighbour resolution (%v before, %v after)", res, got)
		}
	})
}

// TestHostStillReachable: while siit is attached, the translator host keeps
// answering ND, ARP, pings to its own addresses and TCP connections to a
// local listener (standing in for ssh), from both sides.
func TestHostStillReachable(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	l.startSiit(defaultArgs()...)
	ssh := l.start(l.T, "tcpecho", "[::]:2222")
	// Forget every neighbour so ND and ARP must cross the attached
	// interfaces again.
	for _, ns := range []string{l.C, l.T, l.R} {
		l.must("ip", "-n", ns, "neigh", "flush", "all")
		l.must("ip", "-n", ns, "-6", "neigh", "flush", "all")
	}
	l.pingOK(l.C, tr6)
	l.pingOK(l.R, tr4)
	l.pingOK(l.S, tr4)
	l.helperOK(l.C, "tcpping", hostPort(tr6, "2222"), "100000")
	l.helperOK(l.S, "tcpping", hostPort(tr4, "2222"), "100000")
	if !sawFrom(ssh, client6) || !sawFrom(ssh, server4) {
		t.Errorf("the local listener did not see both clients: %q", ssh.snapshot())
	}
	// The neighbour tables of both sides learned the translator.
	if out := l.must("ip", "-n", l.C, "-6", "neigh", "show", tr6); !strings.Contains(out, "02:00:00:00:06:01") {
		t.Errorf("the client did not resolve the translator by ND: %q", out)
	}
	if out := l.must("ip", "-n", l.R, "-4", "neigh", "show", tr4); !strings.Contains(out, "02:00:00:00:04:01") {
		t.Errorf("the router did not resolve the translator by ARP: %q", out)
	}
	// And translation still works alongside.
	l.pingOK(l.C, server6)

	// Addresses added while siit runs are the host's at once, even inside
	// the steered prefixes (all of IPv4 with pool6; the client EAM's
	// 2001:db8:6::/120 on the IPv6 side).
	l.must("ip", "-n", l.T, "addr", "add", "198.51.100.3/24", "dev", "t4")
	l.must("ip", "-n", l.T, "addr", "add", "2001:db8:6::2/64", "dev", "t6", "nodad")
	if !eventually(10*time.Second, func() bool { return l.pingOnce(l.R, "198.51.100.3") && l.pingOnce(l.C, "2001:db8:6::2") }) {
		t.Errorf("new translator addresses do not answer\n%s", l.siitLog())
	}
	l.helperOK(l.C, "tcpping", hostPort("2001:db8:6::2", "2222"), "1000")
	l.helperOK(l.S, "tcpping", hostPort("198.51.100.3", "2222"), "1000")
}

// TestLinkFlap: taking the translator's interfaces down and up while siit
// runs does not stop translation for good.
func TestLinkFlap(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	l.startSiit(defaultArgs()...)
	l.pingOK(l.C, server6)
	for _, ifc := range []string{"t4", "t6"} {
		l.must("ip", "-n", l.T, "link", "set", ifc, "down")
		l.pingFails(l.C, server6)
		l.must("ip", "-n", l.T, "link", "set", ifc, "up")
		if ifc == "t4" {
			// The route through the router went away with the link.
			l.must("ip", "-n", l.T, "route", "replace", "203.0.113.0/24", "via", router4)
		} else {
			// IPv6 addresses go away with the link (keep_addr_on_down=0).
			l.must("ip", "-n", l.T, "addr", "replace", tr6+"/64", "dev", "t6", "nodad")
		}
		if !eventually(15*time.Second, func() bool { return l.pingOnce(l.C, server6) }) {
			t.Fatalf("translation did not come back after %s went down and up\n%s", ifc, l.siitLog())
		}
		l.pingOK(l.S, client4)
	}
}

// TestRouteChangeLive: routes added and removed while siit runs change
// where translated packets go.
func TestRouteChangeLive(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{noServerRoute: true})
	l.startSiit(defaultArgs()...)
	base := l.stat("JSTAT_FAILED_ROUTES")
	l.pingFails(l.C, server6)
	if !l.waitStat("JSTAT_FAILED_ROUTES", base) {
		t.Errorf("JSTAT_FAILED_ROUTES did not grow without a route")
	}
	l.must("ip", "-n", l.T, "route", "add", "203.0.113.0/24", "via", router4)
	if !eventually(10*time.Second, func() bool {
		_, ok := l.ping(l.C, "-c", "1", "-W", "1", server6)
		return ok
	}) {
		t.Fatalf("ping still fails after adding the route\n%s", l.siitLog())
	}
	l.must("ip", "-n", l.T, "route", "del", "203.0.113.0/24", "via", router4)
	if !eventually(10*time.Second, func() bool {
		_, ok := l.ping(l.C, "-c", "1", "-W", "1", server6)
		return !ok
	}) {
		t.Fatalf("ping still works after removing the route")
	}
	// A more specific route through the router again: only the server's
	// /32 is reachable.
	l.must("ip", "-n", l.T, "route", "add", server4+"/32", "via", router4)
	if !eventually(10*time.Second, func() bool {
		_, ok := l.ping(l.C, "-c", "1", "-W", "1", server6)
		return ok
	}) {
		t.Fatalf("ping fails after adding a host route")
	}
	l.pingFails(l.C, "64:ff9b::203.0.113.1")
}

// TestNexthopObjectsLive: a route through a nexthop object group (as FRR
// installs them), with net.ipv4.nexthop_compat_mode=0 so that the kernel
// neither spells the nexthops out in the route nor sends route
// notifications when the objects change. Translated traffic follows the
// objects as they change.
func TestNexthopObjectsLive(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{noServerRoute: true})
	l.must("ip", "netns", "exec", l.T, "sysctl", "-q", "-w", "net.ipv4.nexthop_compat_mode=0")
	l.must("ip", "-n", l.T, "nexthop", "add", "id", "1", "via", router4, "dev", "t4")
	l.must("ip", "-n", l.T, "nexthop", "add", "id", "2", "group", "1")
	l.must("ip", "-n", l.T, "route", "add", "203.0.113.0/24", "nhid", "2")
	l.startSiit(defaultArgs()...)
	l.start(l.S, "udpecho", hostPort(server4, "7000"))
	l.pingOK(l.C, server6)
	l.helperOK(l.C, "udpping", hostPort(server6, "7000"), "100", "3")
	pingWorks := func(want bool) bool {
		return eventually(10*time.Second, func() bool {
			_, ok := l.ping(l.C, "-c", "1", "-W", "1", server6)
			return ok == want
		})
	}
	base := l.stat("JSTAT_FAILED_ROUTES")
	l.must("ip", "-n", l.T, "nexthop", "replace", "id", "1", "blackhole")
	if !pingWorks(false) {
		t.Fatalf("ping still works through a nexthop turned blackhole\n%s", l.siitLog())
	}
	if !l.waitStat("JSTAT_FAILED_ROUTES", base) {
		t.Errorf("JSTAT_FAILED_ROUTES did not grow while the route's nexthop was a blackhole")
	}
	l.must("ip", "-n", l.T, "nexthop", "replace", "id", "1", "via", router4, "dev", "t4")
	if !pingWorks(true) {
		t.Fatalf("ping still fails after the nexthop came back\n%s", l.siitLog())
	}
	l.helperOK(l.C, "udpping", hostPort(server6, "7000"), "100", "3")
}

// TestIPv4ViaIPv6Gateway: an IPv4 route through an IPv6 link-local gateway
// (RFC 8950, BGP unnumbered, as FRR installs them), plain and through a
// nexthop object. The first packets go through the kernel while siit asks
// it to resolve the IPv6 neighbour; then they take the fast path.
func TestIPv4ViaIPv6Gateway(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{noServerRoute: true})
	ll := l.linkLocal(l.R, "r4")
	l.must("ip", "-n", l.T, "route", "add", "203.0.113.0/24", "via", "inet6", ll, "dev", "t4")
	const addr = "127.0.0.1:9470"
	l.startSiit(append(defaultArgs(), "--metrics", addr)...)
	l.start(l.S, "udpecho", hostPort(server4, "7000"))
	fastPath := func(what string) {
		t.Helper()
		l.pingOK(l.C, server6)
		l.helperOK(l.C, "udpping", hostPort(server6, "7000"), "100", "3")
		slow := func() float64 {
			v, _ := metricSum(l.metricsText(addr), "siit_slow_path_total")
			return v
		}
		if !eventually(10*time.Second, func() bool {
			before := slow()
			l.pingOnce(l.C, server6)
			return slow() == before
		}) {
			t.Errorf("%s: translated packets still go through the kernel (neighbour %s on t4 never used)\n%s", what, ll, l.siitLog())
		}
	}
	fastPath("route via inet6")
	l.must("ip", "-n", l.T, "nexthop", "add", "id", "1", "via", ll, "dev", "t4")
	l.must("ip", "-n", l.T, "route", "replace", "203.0.113.0/24", "nhid", "1")
	l.must("ip", "-n", l.T, "neigh", "flush", "dev", "t4")
	fastPath("route through a nexthop object")
}

// TestSlowPathFollowsPolicy: a packet siit hands to the kernel is routed
// there by its own source and TOS, as siit routed it. A rule sends what the
// client's translated source sends into table 100, whose route leaves by
// x1, a link siit does not serve (so the packets take the slow path) toward
// the router's IPv6 link-local address. Without the source, the kernel
// would route them by the main table, through t4.
func TestSlowPathFollowsPolicy(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	ll := l.unservedLink()
	l.must("ip", "-n", l.T, "route", "add", "203.0.113.0/24", "via", "inet6", ll, "dev", "x1", "table", "100")
	l.must("ip", "-n", l.T, "rule", "add", "pref", "100", "from", client4, "lookup", "100")
	l.startSiit(defaultArgs()...)
	l.pingOK(l.C, server6)
	before := l.txPackets(l.T, "x1")
	l.pingOK(l.C, server6, "-c", "20", "-i", "0.05")
	if sent := l.txPackets(l.T, "x1") - before; sent < 20 {
		t.Errorf("x1 sent %d packets for 20 echo requests: the kernel did not route them by their source\n%s", sent, l.siitLog())
	}
}

// TestSlowPathFollowsProtocolRules: the same for rules by protocol, in both
// directions. IPv4 packets carry their protocol to the kernel's lookup as
// IP_PROTOCOL, IPv6 ones in the destination's port field. Without it, the
// kernel would route them by the main table, through t4 or t6.
func TestSlowPathFollowsProtocolRules(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	ll := l.unservedLink()
	l.must("ip", "-n", l.T, "route", "add", "203.0.113.0/24", "via", "inet6", ll, "dev", "x1", "table", "100")
	l.must("ip", "-n", l.T, "rule", "add", "pref", "100", "ipproto", "icmp", "lookup", "100")
	p := l.startSiit(defaultArgs()...)
	// 6->4: the router forwards what x1 brings to the server, so the pings work.
	l.pingOK(l.C, server6)
	before := l.txPackets(l.T, "x1")
	l.pingOK(l.C, server6, "-c", "20", "-i", "0.05")
	if sent := l.txPackets(l.T, "x1") - before; sent < 20 {
		t.Errorf("IPv4: x1 sent %d packets for 20 echo requests: the kernel did not route them by protocol\n%s", sent, l.siitLog())
	}
	// 4->6 (the IPv6 rule would also take the replies above): the router has no route to the client, so
	// these pings fail; what counts is where the translated requests left. The IPv4 rule goes first: it
	// would send the client's replies out through x1 if the requests reached the client.
	l.must("ip", "-n", l.T, "-4", "rule", "del", "pref", "100")
	l.must("ip", "-n", l.T, "-6", "route", "add", "2001:db8:6::/64", "via", ll, "dev", "x1", "table", "101")
	l.must("ip", "-n", l.T, "-6", "rule", "add", "pref", "100", "ipproto", "ipv6-icmp", "lookup", "101")
	if !eventually(10*time.Second, func() bool { return strings.Contains(p.log(), "ipproto 58 lookup 101") }) {
		t.Fatalf("siit does not follow the IPv6 rule\n%s", p.log())
	}
	before = l.txPackets(l.T, "x1")
	l.ping(l.S, "-c", "20", "-i", "0.05", "-W", "1", client4)
	if sent := l.txPackets(l.T, "x1") - before; sent < 20 {
		t.Errorf("IPv6: x1 sent %d packets for 20 echo requests: the kernel did not route them by protocol\n%s", sent, l.siitLog())
	}
}

// unservedLink adds x1, a link from the translator to the router that siit
// does not serve, and returns the router end's IPv6 link-local address.
func (l *lab) unservedLink() string {
	l.t.Helper()
	l.must("ip", "-n", l.T, "link", "add", "x1", "type", "veth", "peer", "name", "x1p", "netns", l.R)
	l.must("ip", "-n", l.T, "link", "set", "x1", "up")
	l.must("ip", "-n", l.R, "link", "set", "x1p", "up")
	return l.linkLocal(l.R, "x1p")
}

// txPackets returns the packets link dev of namespace ns has sent.
func (l *lab) txPackets(ns, dev string) uint64 {
	l.t.Helper()
	var st []struct {
		Stats struct {
			TX struct {
				Packets uint64 `json:"packets"`
			} `json:"tx"`
		} `json:"stats64"`
	}
	out := l.must("ip", "-n", ns, "-j", "-s", "link", "show", dev)
	if err := json.Unmarshal([]byte(out), &st); err != nil || len(st) != 1 {
		l.t.Fatalf("%s counters: %v: %s", dev, err, out)
	}
	return st[0].Stats.TX.Packets
}

// TestPolicyRoutingLive: policy routing rules added while siit runs route
// translated packets by protocol and by translated source, as the kernel
// routes Jool's, and stop doing so when removed.
func TestPolicyRoutingLive(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	const addr = "127.0.0.1:9469"
	p := l.startSiit(append(defaultArgs(), "--metrics", addr)...)
	l.start(l.S, "udpecho", hostPort(server4, "7000"))
	l.pingOK(l.C, server6)
	policyRules := func(want float64) {
		t.Helper()
		var text string
		if !eventually(10*time.Second, func() bool {
			text = l.metricsText(addr)
			v, ok := metricSum(text, "siit_policy_rules")
			return ok && v == want
		}) {
			v, _ := metricSum(text, "siit_policy_rules")
			t.Errorf("siit_policy_rules = %v, want %v", v, want)
		}
	}
	policyRules(0)
	pingWorks := func(want bool) bool {
		return eventually(10*time.Second, func() bool {
			_, ok := l.ping(l.C, "-c", "1", "-W", "1", server6)
			return ok == want
		})
	}
	l.must("ip", "-n", l.T, "route", "add", "prohibit", "203.0.113.0/24", "table", "100")
	// ICMP to the server looks up table 100, which prohibits it; UDP does not.
	l.must("ip", "-n", l.T, "rule", "add", "pref", "100", "ipproto", "icmp", "to", server4, "lookup", "100")
	if !pingWorks(false) {
		t.Fatalf("ping still works with an ipproto icmp rule to a prohibit route\n%s", l.siitLog())
	}
	l.helperOK(l.C, "udpping", hostPort(server6, "7000"), "100", "3")
	policyRules(4) // IPv4's local, this one, main, default
	if !strings.Contains(p.log(), "pref 100 to "+server4+"/32 ipproto 1 lookup 100") {
		t.Errorf("the log does not name the rule followed:\n%s", p.log())
	}
	l.must("ip", "-n", l.T, "rule", "del", "pref", "100")
	if !pingWorks(true) {
		t.Fatalf("ping still fails after the rule was removed\n%s", l.siitLog())
	}
	policyRules(0)
	// By translated source: the client's EAM address.
	l.must("ip", "-n", l.T, "rule", "add", "pref", "100", "from", client4, "lookup", "100")
	if !pingWorks(false) {
		t.Fatalf("ping still works with a rule for the client's translated source\n%s", l.siitLog())
	}
	if out, err := l.helper(l.C, 20*time.Second, "udpping", hostPort(server6, "7000"), "100", "3"); err == nil {
		t.Errorf("UDP from the client still works with a rule for its translated source:\n%s", out)
	}
	l.must("ip", "-n", l.T, "rule", "del", "pref", "100")
	if !pingWorks(true) {
		t.Fatalf("ping still fails after the source rule was removed\n%s", l.siitLog())
	}
	// A source-specific IPv6 route is not followed: counted and logged.
	unfollowed := func(want float64) {
		t.Helper()
		var v float64
		if !eventually(10*time.Second, func() bool {
			v, _ = metricSum(l.metricsText(addr), "siit_routes_unfollowed")
			return v == want
		}) {
			t.Errorf("siit_routes_unfollowed = %v, want %v", v, want)
		}
	}
	unfollowed(0)
	l.must("ip", "-n", l.T, "-6", "route", "add", "2001:db8:99::/48", "from", "2001:db8:77::/48", "via", client6b, "dev", "t6")
	unfollowed(1)
	if !strings.Contains(p.log(), "routes not followed") {
		t.Errorf("no log line about the route not followed:\n%s", p.log())
	}
	l.must("ip", "-n", l.T, "-6", "route", "del", "2001:db8:99::/48", "from", "2001:db8:77::/48")
	unfollowed(0)
}

// TestDetachOnSignal: SIGTERM and SIGINT detach everything and exit 0;
// traffic then follows the kernel, which does not translate (the pool6 ping
// fails) but still answers for the host. SIGHUP without -f changes nothing.
func TestDetachOnSignal(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		p := l.startSiit(defaultArgs()...)
		l.pingOK(l.C, server6)
		if sig == syscall.SIGTERM {
			if err := p.signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			if !eventually(10*time.Second, func() bool { return strings.Contains(p.log(), "nothing to reload") }) {
				t.Errorf("SIGHUP without -f: no log line saying there is nothing to reload\n%s", p.log())
			}
			l.pingOK(l.C, server6)
		}
		if !l.xdpAttached(l.T, "t6") || !l.xdpAttached(l.T, "t4") {
			t.Fatalf("no XDP program attached while siit runs")
		}
		if err := p.signal(sig); err != nil {
			t.Fatal(err)
		}
		if err := p.wait(30 * time.Second); err != nil {
			t.Fatalf("after %v: %v\n%s", sig, err, p.log())
		}
		for _, ifc := range []string{"t6", "t4"} {
			if l.xdpAttached(l.T, ifc) {
				t.Errorf("XDP program left on %s after %v", ifc, sig)
			}
		}
		if _, err := os.Stat(l.sock); err == nil {
			t.Errorf("control socket %s left behind after %v", l.sock, sig)
		}
		out := l.pingFails(l.C, server6)
		if !strings.Contains(out, "unreachable") {
			t.Errorf("after %v the kernel (no route to pool6) should answer unreachable:\n%s", sig, out)
		}
		l.pingOK(l.C, tr6)
		l.pingOK(l.S, tr4)
	}
}

// TestSIGKILLFailsOpen: a killed siit leaves no black hole: its XDP links
// go away with the process and the kernel handles the traffic again; a new
// siit attaches cleanly afterwards.
func TestSIGKILLFailsOpen(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	p := l.startSiit(defaultArgs()...)
	l.pingOK(l.C, server6)
	if err := p.signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(10 * time.Second); err == nil {
		t.Fatalf("siit exited 0 after SIGKILL")
	}
	if !eventually(10*time.Second, func() bool { return !l.xdpAttached(l.T, "t6") && !l.xdpAttached(l.T, "t4") }) {
		t.Fatalf("XDP programs still attached 10 s after SIGKILL")
	}
	l.pingOK(l.C, tr6)
	l.pingOK(l.S, tr4)
	out := l.pingFails(l.C, server6)
	if !strings.Contains(out, "unreachable") {
		t.Errorf("the kernel (no route to pool6) should answer unreachable, not black-hole:\n%s", out)
	}
	// A new daemon takes over (replacing the stale control socket).
	l.startSiit(defaultArgs()...)
	l.pingOK(l.C, server6)
}

// TestUnresolvedNeighbourBurst: a burst sent while the translator's
// neighbours are unknown (both ways) arrives whole: the packets queued in
// the kernel during resolution are not lost.
func TestUnresolvedNeighbourBurst(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	l.startSiit(defaultArgs()...)
	l.start(l.S, "udpecho", "-q", hostPort(server4, "7000"))
	for i := range 3 {
		l.must("ip", "-n", l.T, "neigh", "flush", "all")
		l.must("ip", "-n", l.T, "-6", "neigh", "flush", "all")
		r := l.stream(20000, 60)
		t.Logf("burst %d: %+v", i, r)
		if !r.lossless() {
			t.Errorf("burst %d after a neighbour flush: %+v, want every datagram echoed\n%s", i, r, l.siitLog())
		}
	}
}

// TestForeignEgress: a translated packet whose route leaves by an interface
// siit is not attached to goes out through the kernel (slow path).
func TestForeignEgress(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	// A third host on an interface of the translator that siit does not
	// serve: X (x6, 2001:db8:7::10) -- t7 (2001:db8:7::1).
	x := l.T[:len(l.T)-2] + "-x"
	l.must("ip", "netns", "add", x)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", x).Run() })
	l.must("ip", "-n", l.T, "link", "add", "t7", "type", "veth", "peer", "name", "x6", "netns", x)
	l.nsMust(x, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
	l.nsMust(x, "ethtool", "-K", "x6", "tx", "off")
	l.ipBatch(x, "link set lo up\naddr add 2001:db8:7::10/64 dev x6 nodad\nlink set x6 up\nroute add ::/0 via 2001:db8:7::1\n")
	l.ipBatch(l.T, "addr add 2001:db8:7::1/64 dev t7 nodad\nlink set t7 up\n")
	l.startSiit(defaultArgs()...)
	// 192.0.2.200 is inside the client's EAM 192.0.2.0/24: --force lets
	// the more specific entry in.
	l.cliOK("eamt", "add", "--force", "2001:db8:7::10/128", "192.0.2.200/32")
	srv := l.start(x, "udpecho", "[::]:7300")
	l.helperOK(l.S, "udpone", hostPort("192.0.2.200", "7300"), "300")
	if !sawFrom(srv, "64:ff9b::cb00:710a") {
		t.Fatalf("the host behind the foreign interface got nothing: %q\n%s", srv.snapshot(), l.siitLog())
	}
	// The client EAM still serves the rest of 192.0.2.0/24.
	l.pingOK(l.S, client4)
}

// TestDirectedBroadcastToKernel: a frame to the broadcast address of the
// translator's IPv4 subnet is for the host, not for translation through
// pool6 (which covers every IPv4 address): the steering program passes it.
func TestDirectedBroadcastToKernel(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	const addr = "127.0.0.1:9471"
	l.startSiit(append(defaultArgs(), "--metrics", addr)...)
	l.pingOK(l.C, server6) // pool6 translation works
	steer := func(outcome string) float64 {
		v, _ := metricSum(l.metricsText(addr), "siit_xdp_steer_total", `iface="t4"`, `outcome="`+outcome+`"`)
		return v
	}
	local, redirected := steer("passed_local"), steer("redirected4")
	_, _ = l.ping(l.R, "-b", "-c", "3", "-i", "0.2", "-W", "1", "198.51.100.255")
	if !eventually(5*time.Second, func() bool { return steer("passed_local") >= local+3 }) {
		t.Errorf("broadcast echoes to 198.51.100.255 were not passed to the kernel as local: passed_local %v -> %v",
			local, steer("passed_local"))
	}
	if got := steer("redirected4"); got != redirected {
		t.Errorf("broadcast echoes were steered for translation: redirected4 %v -> %v", redirected, got)
	}
}

// linkLocal returns the IPv6 link-local address of a link.
func (l *lab) linkLocal(ns, link string) string {
	l.t.Helper()
	var lls []struct {
		Addr []struct {
			Local string `json:"local"`
		} `json:"addr_info"`
	}
	out := l.must("ip", "-n", ns, "-j", "-6", "addr", "show", "dev", link, "scope", "link")
	if err := json.Unmarshal([]byte(out), &lls); err != nil || len(lls) != 1 || len(lls[0].Addr) != 1 {
		l.t.Fatalf("link-local address of %s: %v: %s", link, err, out)
	}
	return lls[0].Addr[0].Local
}
