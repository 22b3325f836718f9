package nexthop

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netns"
	"go.uber.org/zap/zaptest"
)

// twoArmLab: namespace a (mirrored) with veth0 and veth2 towards namespace b.
//
//	a: veth0 192.0.2.1/24 2001:db8:1::1/64  <->  b: veth1 192.0.2.2/24 2001:db8:1::2/64
//	a: veth2 198.51.100.1/24 2001:db8:4::1/64 <-> b: veth3 198.51.100.2/24 2001:db8:4::2/64
type twoArmLab struct {
	a, b           *labNS
	veth0, veth2   int32
	mac0, mac2     [6]byte
	peer1MAC       [6]byte
	gwMAC1, gwMAC2 [6]byte
}

func newTwoArmLab(t *testing.T) *twoArmLab {
	l := &twoArmLab{a: newNS(t, "a"), b: newNS(t, "b")}
	veth(t, l.a, "veth0", l.b, "veth1")
	veth(t, l.a, "veth2", l.b, "veth3")
	l.a.ip(t, "addr add 192.0.2.1/24 dev veth0")
	l.a.ip(t, "addr add 2001:db8:1::1/64 dev veth0 nodad")
	l.a.ip(t, "addr add 198.51.100.1/24 dev veth2")
	l.a.ip(t, "addr add 2001:db8:4::1/64 dev veth2 nodad")
	l.b.ip(t, "addr add 192.0.2.2/24 dev veth1")
	l.b.ip(t, "addr add 2001:db8:1::2/64 dev veth1 nodad")
	l.b.ip(t, "addr add 198.51.100.2/24 dev veth3")
	l.b.ip(t, "addr add 2001:db8:4::2/64 dev veth3 nodad")
	l.veth0, l.mac0 = l.a.link(t, "veth0")
	l.veth2, l.mac2 = l.a.link(t, "veth2")
	_, l.peer1MAC = l.b.link(t, "veth1")
	// Gateways that exist only as static (PERMANENT) neighbour entries.
	l.gwMAC1, l.gwMAC2 = mustMAC("02:00:5e:00:01:fe"), mustMAC("02:00:5e:00:02:fe")
	l.a.ip(t, "neigh add 192.0.2.254 lladdr 02:00:5e:00:01:fe dev veth0 nud permanent")
	l.a.ip(t, "neigh add 198.51.100.254 lladdr 02:00:5e:00:02:fe dev veth2 nud permanent")
	l.a.ip(t, "neigh add 2001:db8:1::fe lladdr 02:00:5e:00:01:fe dev veth0 nud permanent")
	l.a.ip(t, "neigh add 2001:db8:4::fe lladdr 02:00:5e:00:02:fe dev veth2 nud permanent")
	l.a.ip(t, "neigh add 192.0.2.10 lladdr 02:00:00:00:00:0a dev veth0 nud permanent")
	return l
}

func startMirror(t *testing.T, ns *labNS) *Mirror {
	t.Helper()
	orig, err := netns.Get()
	if err != nil {
		t.Fatalf("get netns: %v", err)
	}
	defer orig.Close()
	m, err := Start(context.Background(), Options{Netns: ns.h, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	checkOwnNetns(t, orig)
	return m
}

type hopWant struct {
	res      Result
	ifindex  int32
	via      string
	mtu      uint32
	resolved bool
	mac      [6]byte
}

func checkHop(tab *Table, dst string, hash uint32, w hopWant) (bool, string) {
	h, r := tab.Lookup(netip.MustParseAddr(dst), hash)
	if r != w.res {
		return false, fmt.Sprintf("%s: result %v, want %v (hop %+v)", dst, r, w.res, h)
	}
	if r != Found {
		return true, ""
	}
	if h.Ifindex != w.ifindex || h.Via != netip.MustParseAddr(w.via) || (w.mtu != 0 && h.MTU != w.mtu) ||
		h.Resolved != w.resolved || (w.resolved && h.DstMAC != w.mac) {
		return false, fmt.Sprintf("%s: hop %+v, want %+v", dst, h, w)
	}
	return true, ""
}

func TestMirrorLiveKernel(t *testing.T) {
	needRoot(t)
	l := newTwoArmLab(t)
	a := l.a
	a.ip(t, "route add 203.0.113.0/26 via 192.0.2.254 mtu 1400")
	a.ip(t, "route add 203.0.113.64/26 nexthop via 192.0.2.254 dev veth0 weight 1 nexthop via 198.51.100.254 dev veth2 weight 3")
	a.ip(t, "route add blackhole 203.0.113.128/27")
	a.ip(t, "route add unreachable 203.0.113.160/27")
	a.ip(t, "route add prohibit 203.0.113.192/28")
	a.ip(t, "-6 route add 2001:db8:2::/48 via 2001:db8:1::fe mtu 1300")
	a.ip(t, "-6 route add 2001:db8:3::/48 nexthop via 2001:db8:1::fe dev veth0 nexthop via 2001:db8:4::fe dev veth2")
	a.ip(t, "-6 route add blackhole 2001:db8:5::/48")
	// A route in another table: documented as not followed.
	a.ip(t, "route add 203.0.113.240/28 via 192.0.2.254 table 100")
	// Egress not Ethernet-like: the kernel's job.
	a.ip(t, "route add 203.0.113.224/28 dev lo")

	m := startMirror(t, a)
	tab := m.Table()
	if tab == nil || tab.Version() == 0 {
		t.Fatal("no snapshot after Start")
	}
	static := map[string]hopWant{
		"192.0.2.10":    {Found, l.veth0, "192.0.2.10", 1500, true, mustMAC("02:00:00:00:00:0a")},
		"192.0.2.77":    {Found, l.veth0, "192.0.2.77", 1500, false, [6]byte{}},
		"192.0.2.1":     {res: Local},
		"127.0.0.1":     {res: Local},
		"203.0.113.5":   {Found, l.veth0, "192.0.2.254", 1400, true, l.gwMAC1},
		"203.0.113.130": {res: Blackhole},
		"203.0.113.170": {res: Unreachable},
		"203.0.113.200": {res: Prohibit},
		"203.0.113.241": {res: NoRoute},
		"203.0.113.225": {res: SlowPath},
		"2001:db8:1::1": {res: Local},
		"::1":           {res: Local},
		"2001:db8:1::9": {Found, l.veth0, "2001:db8:1::9", 1500, false, [6]byte{}},
		"2001:db8:2::1": {Found, l.veth0, "2001:db8:1::fe", 1300, true, l.gwMAC1},
		"2001:db8:5::1": {res: Blackhole},
		"2001:db8:9::1": {res: NoRoute},
	}
	for dst, w := range static {
		if ok, why := checkHop(tab, dst, 0, w); !ok {
			t.Error(why)
		}
	}
	// ECMP: both paths used, weights respected, SrcMAC of the egress.
	seen := map[int32]int{}
	for i := uint32(0); i < 1024; i++ {
		h, r := tab.Lookup(netip.MustParseAddr("203.0.113.65"), i<<22)
		if r != Found || !h.Resolved {
			t.Fatalf("ECMP lookup: %v %+v", r, h)
		}
		want := map[int32][6]byte{l.veth0: l.mac0, l.veth2: l.mac2}[h.Ifindex]
		if h.SrcMAC != want {
			t.Fatalf("ECMP hop %+v: SrcMAC, want %x", h, want)
		}
		seen[h.Ifindex]++
	}
	if seen[l.veth0] != 256 || seen[l.veth2] != 768 {
		t.Errorf("IPv4 ECMP split %v, want 256 on veth0 and 768 on veth2", seen)
	}
	seen = map[int32]int{}
	for i := uint32(0); i < 1024; i++ {
		h, r := tab.Lookup(netip.MustParseAddr("2001:db8:3::1"), i<<22)
		if r != Found || !h.Resolved {
			t.Fatalf("IPv6 ECMP lookup: %v %+v", r, h)
		}
		seen[h.Ifindex]++
	}
	if seen[l.veth0] != 512 || seen[l.veth2] != 512 {
		t.Errorf("IPv6 ECMP split %v, want 512/512", seen)
	}
	if got := tab.LinkMTU(l.veth0); got != 1500 {
		t.Errorf("LinkMTU(veth0) = %d", got)
	}
	las := tab.LocalAddrs()
	for _, want := range []string{"192.0.2.1", "2001:db8:1::1", "198.51.100.1", "127.0.0.1", "192.0.2.255", "198.51.100.255"} {
		found := false
		for _, a := range las {
			found = found || a == netip.MustParseAddr(want)
		}
		if !found {
			t.Errorf("LocalAddrs %v lacks %s", las, want)
		}
	}

	// Live changes.
	old := m.Table()
	steps := []struct {
		cmd  string
		dst  string
		want hopWant
		hash uint32
	}{
		{"link set veth0 mtu 1450", "192.0.2.77", hopWant{Found, l.veth0, "192.0.2.77", 1450, false, [6]byte{}}, 0},
		{"route add 203.0.113.208/28 via 198.51.100.254", "203.0.113.209", hopWant{Found, l.veth2, "198.51.100.254", 1500, true, l.gwMAC2}, 0},
		{"route change 203.0.113.0/26 via 192.0.2.254 mtu 1280", "203.0.113.5", hopWant{Found, l.veth0, "192.0.2.254", 1280, true, l.gwMAC1}, 0},
		{"neigh replace 192.0.2.254 lladdr 02:00:5e:00:01:99 dev veth0 nud permanent", "203.0.113.5",
			hopWant{Found, l.veth0, "192.0.2.254", 1280, true, mustMAC("02:00:5e:00:01:99")}, 0},
		{"neigh del 192.0.2.254 dev veth0", "203.0.113.5", hopWant{Found, l.veth0, "192.0.2.254", 1280, false, [6]byte{}}, 0},
		{"route del 203.0.113.208/28", "203.0.113.209", hopWant{res: NoRoute}, 0},
		{"addr add 192.0.2.50/24 dev veth0", "192.0.2.50", hopWant{res: Local}, 0},
		{"addr del 192.0.2.50/24 dev veth0", "192.0.2.50", hopWant{Found, l.veth0, "192.0.2.50", 1450, false, [6]byte{}}, 0},
		{"-6 route add 2001:db8:6::/48 via 2001:db8:4::fe", "2001:db8:6::1", hopWant{Found, l.veth2, "2001:db8:4::fe", 1500, true, l.gwMAC2}, 0},
		// One sibling of the IPv6 multipath route leaves: every hash
		// now takes the other.
		{"-6 route del 2001:db8:3::/48 via 2001:db8:4::fe dev veth2", "2001:db8:3::1",
			hopWant{Found, l.veth0, "2001:db8:1::fe", 1450, true, l.gwMAC1}, 0xffffffff},
		// Admin down: the kernel flushes IPv4 routes without notifying.
		{"link set veth2 down", "203.0.113.65", hopWant{Found, l.veth0, "192.0.2.254", 1450, false, [6]byte{}}, 0},
		{"link set veth2 down", "2001:db8:6::1", hopWant{res: NoRoute}, 0},
		{"link set veth2 down", "198.51.100.7", hopWant{res: NoRoute}, 0},
		{"link set veth2 up", "198.51.100.7", hopWant{Found, l.veth2, "198.51.100.7", 1500, false, [6]byte{}}, 0},
	}
	for _, s := range steps {
		a.ip(t, s.cmd)
		eventually(t, s.cmd, func() (bool, string) { return checkHop(m.Table(), s.dst, s.hash, s.want) })
	}
	// Carrier loss (peer down) keeps the kernel's routes, flagged
	// linkdown, and the kernel keeps using them, unless
	// ignore_routes_with_linkdown says otherwise.
	l.b.ip(t, "link set veth1 down")
	eventually(t, "carrier loss on veth0", func() (bool, string) {
		return !m.Table().LinkUp(l.veth0), "veth0 still up"
	})
	if ok, why := checkHop(m.Table(), "192.0.2.77", 0, hopWant{Found, l.veth0, "192.0.2.77", 1450, false, [6]byte{}}); !ok {
		t.Errorf("linkdown route no longer used: %s", why)
	}
	a.exec(t, "sysctl -q -w net.ipv4.conf.veth0.ignore_routes_with_linkdown=1")
	eventually(t, "ignore_routes_with_linkdown on veth0", func() (bool, string) {
		return checkHop(m.Table(), "192.0.2.77", 0, hopWant{res: NoRoute})
	})
	l.b.ip(t, "link set veth1 up")
	eventually(t, "carrier back on veth0", func() (bool, string) {
		return checkHop(m.Table(), "192.0.2.77", 0, hopWant{Found, l.veth0, "192.0.2.77", 1450, false, [6]byte{}})
	})
	// The old snapshot is unchanged.
	if ok, why := checkHop(old, "203.0.113.5", 0, static["203.0.113.5"]); !ok {
		t.Errorf("old snapshot changed: %s", why)
	}
	if m.Table().Version() <= old.Version() {
		t.Errorf("version did not grow: %d -> %d", old.Version(), m.Table().Version())
	}
	st := m.Stats()
	t.Logf("stats: %+v", st)
	if st.Snapshots < 2 || st.RouteDumps < 2 {
		t.Errorf("stats %+v: expected several snapshots and route dumps", st)
	}
}

func TestMirrorUpdatesAndClose(t *testing.T) {
	needRoot(t)
	a := newNS(t, "u")
	m := startMirror(t, a)
	select { // the signal of the first snapshot
	case <-m.Updates():
	default:
	}
	v := m.Table().Version()
	a.ip(t, "link add vu0 type veth peer name vu1")
	a.ip(t, "link set vu0 up")
	select {
	case <-m.Updates():
	case <-timeAfter(10):
		t.Fatal("no update signal after a link change")
	}
	eventually(t, "vu0 in snapshot", func() (bool, string) {
		return m.Table().Version() > v && m.Table().LinkMTU(ifindexOf(t, a, "vu0")) == 1500, "no vu0"
	})
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if m.Table() == nil {
		t.Fatal("Table nil after Close")
	}
	m.Resolve(1, netip.MustParseAddr("192.0.2.1")) // no-op after Close, must not block
	runtime.GC()
}

func ifindexOf(t *testing.T, ns *labNS, name string) int32 {
	i, _ := ns.link(t, name)
	return i
}

// The kernel flushes IPv4 routes of a link that goes administratively down
// without sending RTM_DELROUTE; with IPv6 off on the link nothing else
// announces the change. After the link is back the mirror must not
// resurrect the flushed route.
func TestMirrorSilentIPv4Flush(t *testing.T) {
	needRoot(t)
	a, b := newNS(t, "fa"), newNS(t, "fb")
	veth(t, a, "veth0", b, "veth1")
	a.exec(t, "sysctl -q -w net.ipv6.conf.veth0.disable_ipv6=1")
	a.ip(t, "addr add 192.0.2.1/24 dev veth0")
	a.ip(t, "route add 203.0.113.0/24 via 192.0.2.254")
	ifx, _ := a.link(t, "veth0")
	m := startMirror(t, a)
	gw := hopWant{Found, ifx, "192.0.2.254", 1500, false, [6]byte{}}
	if ok, why := checkHop(m.Table(), "203.0.113.5", 0, gw); !ok {
		t.Fatal(why)
	}
	a.ip(t, "link set veth0 down")
	eventually(t, "route unusable while down", func() (bool, string) {
		return checkHop(m.Table(), "203.0.113.5", 0, hopWant{res: NoRoute})
	})
	a.ip(t, "link set veth0 up")
	eventually(t, "connected route back", func() (bool, string) {
		return checkHop(m.Table(), "192.0.2.9", 0, hopWant{Found, ifx, "192.0.2.9", 1500, false, [6]byte{}})
	})
	eventually(t, "flushed route stays gone", func() (bool, string) {
		return checkHop(m.Table(), "203.0.113.5", 0, hopWant{res: NoRoute})
	})
}

// Lookups from several goroutines while the mirror publishes snapshots;
// run with -race.
func TestMirrorConcurrentLookups(t *testing.T) {
	needRoot(t)
	l := newTwoArmLab(t)
	m := startMirror(t, l.a)
	stop := make(chan struct{})
	done := make(chan int, 2)
	for w := 0; w < 2; w++ {
		go func(w int) {
			hi, lo := addrKey(netip.MustParseAddr("2001:db8:6::1"))
			n := 0
			for {
				select {
				case <-stop:
					done <- n
					return
				default:
				}
				tab := m.Table()
				h, r := tab.Lookup4(0xcb0071d1, uint32(n)) // 203.0.113.209
				if r == Found && h.Ifindex != l.veth2 {
					t.Errorf("worker %d: hop %+v", w, h)
				}
				tab.Lookup6(hi, lo, uint32(n))
				tab.LinkMTU(l.veth0)
				n++
				if n%1024 == 0 {
					time.Sleep(100 * time.Microsecond) // share the machine
				}
			}
		}(w)
	}
	for i := 0; i < 5; i++ {
		l.a.ip(t, "route add 203.0.113.208/28 via 198.51.100.254")
		l.a.ip(t, "-6 route add 2001:db8:6::/48 via 2001:db8:4::fe")
		eventually(t, "route add", func() (bool, string) {
			return checkHop(m.Table(), "203.0.113.209", 0, hopWant{Found, l.veth2, "198.51.100.254", 0, true, l.gwMAC2})
		})
		l.a.ip(t, "route del 203.0.113.208/28")
		l.a.ip(t, "-6 route del 2001:db8:6::/48")
		l.a.ip(t, fmt.Sprintf("link set veth0 mtu %d", 1400+i))
		eventually(t, "route del", func() (bool, string) {
			return checkHop(m.Table(), "203.0.113.209", 0, hopWant{res: NoRoute})
		})
	}
	close(stop)
	total := <-done + <-done
	t.Logf("%d lookups during 10 changes, %d snapshots", total, m.Stats().Snapshots)
}

func TestMirrorRecoversLostSubscription(t *testing.T) {
	needRoot(t)
	a := newNS(t, "ls")
	a.ip(t, "link add vl0 type veth peer name vl1")
	a.ip(t, "link set vl0 up")
	a.ip(t, "link set vl1 up")
	a.ip(t, "addr add 192.0.2.1/24 dev vl0")
	m := startMirror(t, a)
	// While the subscription is down a route appears; the re-dump that
	// follows the re-subscription must pick it up, and later events must
	// flow through the new subscription.
	a.ip(t, "route add 203.0.113.0/24 via 192.0.2.254")
	m.loseSubs <- struct{}{}
	eventually(t, "route seen after re-subscription", func() (bool, string) {
		_, r := m.Table().Lookup(netip.MustParseAddr("203.0.113.1"), 0)
		return r == Found, r.String()
	})
	a.ip(t, "route add blackhole 198.51.100.0/24")
	eventually(t, "event through the new subscription", func() (bool, string) {
		_, r := m.Table().Lookup(netip.MustParseAddr("198.51.100.1"), 0)
		return r == Blackhole, r.String()
	})
	if st := m.Stats(); st.Resubscribes != 1 || st.FullResyncs < 2 {
		t.Errorf("stats %+v: want one re-subscription and a second full dump", st)
	}
}

// startResyncing starts a mirror of ns that re-dumps everything every 20 ms.
func startResyncing(t *testing.T, ns *labNS) *Mirror {
	t.Helper()
	m, err := Start(context.Background(), Options{Netns: ns.h, ResyncInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestMirrorPeriodicResync(t *testing.T) {
	needRoot(t)
	m := startResyncing(t, newNS(t, "ps"))
	eventually(t, "periodic resyncs", func() (bool, string) {
		st := m.Stats()
		return st.FullResyncs >= 3, fmt.Sprintf("%+v", st)
	})
}

func TestStartBadNamespace(t *testing.T) {
	// A handle that is not open cannot be duplicated.
	_, err := Start(context.Background(), Options{Netns: netns.NsHandle(1 << 20)})
	if err == nil || !strings.Contains(err.Error(), "netns") {
		t.Fatalf("Start with a bad handle: %v", err)
	}
}
