package nexthop

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// Synthetic snapshots: these tests exercise the compiler and the lookups
// without netlink (no root needed).

var (
	macA  = [6]byte{2, 0, 0, 0, 0, 0xa}
	macB  = [6]byte{2, 0, 0, 0, 0, 0xb}
	macGw = [6]byte{2, 0, 0x5e, 0, 0, 0xfe}
)

func testLinks() map[int32]linkInfo {
	return map[int32]linkInfo{
		1: {ifindex: 1, name: "lo", mtu: 65536, up: true},
		2: {ifindex: 2, name: "eth0", mtu: 1500, mac: macA, ether: true, up: true},
		3: {ifindex: 3, name: "eth1", mtu: 9000, mac: macB, ether: true, up: true},
		4: {ifindex: 4, name: "tun0", mtu: 1420, up: true},
		5: {ifindex: 5, name: "eth2", mtu: 1500, mac: macB, ether: true, up: false},
	}
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func addr(s string) netip.Addr  { return netip.MustParseAddr(s) }

func uni(dst string, prio int, nhs ...rawNexthop) rawRoute {
	return rawRoute{dst: pfx(dst), table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST, priority: prio, nhs: nhs}
}

func nh(ifindex int32, gw string) rawNexthop {
	n := rawNexthop{ifindex: ifindex, weight: 1}
	if gw != "" {
		n.gw = addr(gw)
	}
	return n
}

func testTable(t testing.TB) *Table {
	t.Helper()
	routes := []rawRoute{
		uni("192.0.2.0/24", 0, nh(2, "")),
		uni("198.51.100.0/24", 0, nh(3, "")),
		uni("0.0.0.0/0", 0, nh(2, "192.0.2.254")),
		{dst: pfx("203.0.113.0/26"), table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST, mtu: 1400,
			nhs: []rawNexthop{nh(2, "192.0.2.254")}},
		{dst: pfx("203.0.113.64/26"), table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST,
			nhs: []rawNexthop{{ifindex: 2, gw: addr("192.0.2.254"), weight: 1}, {ifindex: 3, gw: addr("198.51.100.254"), weight: 3}}},
		{dst: pfx("203.0.113.128/27"), table: unix.RT_TABLE_MAIN, typ: unix.RTN_BLACKHOLE},
		{dst: pfx("203.0.113.160/27"), table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNREACHABLE},
		{dst: pfx("203.0.113.192/27"), table: unix.RT_TABLE_MAIN, typ: unix.RTN_PROHIBIT},
		{dst: pfx("203.0.113.224/28"), table: unix.RT_TABLE_MAIN, typ: unix.RTN_THROW},
		// Route MTU above the link MTU is capped at the link MTU.
		{dst: pfx("203.0.113.240/28"), table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST, mtu: 9000,
			nhs: []rawNexthop{nh(2, "")}},
		// Down link: the more specific route is skipped, default applies.
		uni("192.0.2.128/25", 0, nh(5, "")),
		// Two metrics: the better one's link is down, the worse one wins.
		uni("198.51.100.128/25", 10, nh(5, "")),
		uni("198.51.100.128/25", 20, nh(3, "198.51.100.254")),
		// Non-Ethernet egress.
		uni("2001:db8:6::/48", 0, nh(4, "")),
		// IPv6.
		uni("2001:db8:1::/64", 256, nh(2, "")),
		{dst: pfx("2001:db8:2::/48"), table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST, priority: 1024, mtu: 1300,
			nhs: []rawNexthop{nh(2, "2001:db8:1::fe")}},
		// IPv6 ECMP listed as separate routes of equal metric.
		uni("2001:db8:3::/48", 1024, nh(2, "2001:db8:1::fe")),
		uni("2001:db8:3::/48", 1024, nh(3, "fe80::1")),
		{dst: pfx("2001:db8:5::/48"), table: unix.RT_TABLE_MAIN, typ: unix.RTN_BLACKHOLE},
		// Other tables are not followed; TOS routes are skipped.
		{dst: pfx("2001:db8:7::/48"), table: 100, typ: unix.RTN_UNICAST, nhs: []rawNexthop{nh(2, "")}},
		{dst: pfx("2001:db8:8::/48"), table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST, tos: 4, nhs: []rawNexthop{nh(2, "")}},
		// Local table.
		{dst: pfx("127.0.0.0/8"), table: unix.RT_TABLE_LOCAL, typ: unix.RTN_LOCAL, nhs: []rawNexthop{nh(1, "")}},
		{dst: pfx("192.0.2.255/32"), table: unix.RT_TABLE_LOCAL, typ: unix.RTN_BROADCAST, nhs: []rawNexthop{nh(2, "")}},
		// A main-table host route for one of our addresses loses to Local.
		uni("192.0.2.1/32", 0, nh(3, "")),
	}
	addrs := map[ifAddr]struct{}{
		{2, pfx("192.0.2.1/24")}:     {},
		{2, pfx("2001:db8:1::1/64")}: {},
	}
	neighs := map[neighKey]neighInfo{
		{2, addr("192.0.2.254")}:    {mac: macGw, hasLL: true, state: unix.NUD_PERMANENT},
		{2, addr("192.0.2.10")}:     {mac: [6]byte{2, 0, 0, 0, 0, 10}, hasLL: true, state: unix.NUD_STALE},
		{2, addr("192.0.2.11")}:     {state: unix.NUD_INCOMPLETE},
		{2, addr("192.0.2.12")}:     {mac: [6]byte{2, 0, 0, 0, 0, 12}, hasLL: true, state: unix.NUD_FAILED},
		{2, addr("2001:db8:1::fe")}: {mac: macGw, hasLL: true, state: unix.NUD_REACHABLE},
		// Same address on another link: keyed by link.
		{3, addr("192.0.2.10")}: {mac: [6]byte{2, 0, 0, 0, 3, 10}, hasLL: true, state: unix.NUD_REACHABLE},
	}
	return &Table{fib: buildFIB(&st{routes: routes, links: testLinks(), addrs: addrs}), neigh: buildNeigh(neighs), version: 1}
}

func TestLookupSynthetic(t *testing.T) {
	tab := testTable(t)
	cases := []struct {
		dst      string
		res      Result
		ifindex  int32
		via      string
		mtu      uint32
		resolved bool
		mac      [6]byte
	}{
		{"192.0.2.10", Found, 2, "192.0.2.10", 1500, true, [6]byte{2, 0, 0, 0, 0, 10}},
		{"192.0.2.11", Found, 2, "192.0.2.11", 1500, false, [6]byte{}},
		{"192.0.2.12", Found, 2, "192.0.2.12", 1500, false, [6]byte{}},
		{"192.0.2.1", Local, 0, "", 0, false, [6]byte{}},
		{"192.0.2.255", Local, 0, "", 0, false, [6]byte{}},
		{"127.0.0.1", Local, 0, "", 0, false, [6]byte{}},
		{"127.255.0.9", Local, 0, "", 0, false, [6]byte{}},
		{"8.8.8.8", Found, 2, "192.0.2.254", 1500, true, macGw},
		{"203.0.113.5", Found, 2, "192.0.2.254", 1400, true, macGw},
		{"203.0.113.130", Blackhole, 0, "", 0, false, [6]byte{}},
		{"203.0.113.170", Unreachable, 0, "", 0, false, [6]byte{}},
		{"203.0.113.200", Prohibit, 0, "", 0, false, [6]byte{}},
		{"203.0.113.225", NoRoute, 0, "", 0, false, [6]byte{}},
		{"203.0.113.241", Found, 2, "203.0.113.241", 1500, false, [6]byte{}},
		{"192.0.2.200", Found, 2, "192.0.2.200", 1500, false, [6]byte{}}, // /25 on a down link skipped
		{"198.51.100.200", Found, 3, "198.51.100.254", 9000, false, [6]byte{}},
		{"2001:db8:6::1", SlowPath, 4, "2001:db8:6::1", 1420, false, [6]byte{}},
		{"2001:db8:1::1", Local, 0, "", 0, false, [6]byte{}},
		{"2001:db8:1::99", Found, 2, "2001:db8:1::99", 1500, false, [6]byte{}},
		{"2001:db8:2::1", Found, 2, "2001:db8:1::fe", 1300, true, macGw},
		{"2001:db8:5::1", Blackhole, 0, "", 0, false, [6]byte{}},
		{"2001:db8:7::1", NoRoute, 0, "", 0, false, [6]byte{}},
		{"2001:db8:8::1", NoRoute, 0, "", 0, false, [6]byte{}},
		{"2001:db8:9::1", NoRoute, 0, "", 0, false, [6]byte{}},
	}
	for _, c := range cases {
		h, r := tab.Lookup(addr(c.dst), 0)
		if r != c.res {
			t.Errorf("%s: result %v, want %v", c.dst, r, c.res)
			continue
		}
		if r != Found && r != SlowPath {
			continue
		}
		if h.Ifindex != c.ifindex || h.Via != addr(c.via) || h.MTU != c.mtu || h.Resolved != c.resolved || h.DstMAC != c.mac {
			t.Errorf("%s: hop %+v, want ifindex %d via %s mtu %d resolved %v mac %x", c.dst, h, c.ifindex, c.via, c.mtu, c.resolved, c.mac)
		}
		if r == Found && h.SrcMAC != [6]byte(tab.f().link(h.Ifindex).mac) {
			t.Errorf("%s: src mac %x", c.dst, h.SrcMAC)
		}
	}
	if got := tab.LinkMTU(3); got != 9000 {
		t.Errorf("LinkMTU(3) = %d", got)
	}
	if got := tab.LinkMTU(99); got != 0 {
		t.Errorf("LinkMTU(99) = %d", got)
	}
	if got := tab.MTUFloor(); got != 1300 { // the smallest hop MTU above: 2001:db8:2::1's route
		t.Errorf("MTUFloor() = %d, want 1300", got)
	}
	if la := tab.LocalAddrs(); len(la) != 3 || la[0] != addr("192.0.2.1") || la[1] != addr("192.0.2.255") || la[2] != addr("2001:db8:1::1") {
		t.Errorf("LocalAddrs = %v", la)
	}
}

func TestECMPWeights(t *testing.T) {
	tab := testTable(t)
	count := map[int32]int{}
	const n = 4096
	for i := uint32(0); i < n; i++ {
		h, r := tab.Lookup4(0xcb007145, i*(1<<32/n)) // 203.0.113.69
		if r != Found {
			t.Fatalf("result %v", r)
		}
		count[h.Ifindex]++
	}
	// Weights 1:3 over an evenly spread hash.
	if count[2] != n/4 || count[3] != 3*n/4 {
		t.Errorf("ECMP split %v, want 1:3 of %d", count, n)
	}
	// The same hash always picks the same path.
	a, _ := tab.Lookup4(0xcb007145, 0xdeadbeef)
	b, _ := tab.Lookup4(0xcb007145, 0xdeadbeef)
	if a != b {
		t.Error("ECMP choice not stable")
	}
	count = map[int32]int{}
	for i := uint32(0); i < n; i++ {
		h, r := tab.Lookup(addr("2001:db8:3::1"), i*(1<<32/n))
		if r != Found {
			t.Fatalf("v6 result %v", r)
		}
		count[h.Ifindex]++
	}
	if count[2] != n/2 || count[3] != n/2 {
		t.Errorf("IPv6 ECMP split %v, want 1:1", count)
	}
}

func TestZeroTable(t *testing.T) {
	var tab *Table
	if _, r := tab.Lookup4(1, 0); r != NoRoute {
		t.Error("nil table found a route")
	}
	if _, r := (&Table{}).Lookup6(1, 2, 0); r != NoRoute {
		t.Error("zero table found a route")
	}
	if tab.LinkMTU(1) != 0 || tab.Version() != 0 || len(tab.LocalAddrs()) != 0 || tab.MTUFloor() != 1500 {
		t.Error("nil table not empty")
	}
}

func TestLookupAllocs(t *testing.T) {
	tab := testTable(t)
	hi, lo := addrKey(addr("2001:db8:3::1"))
	for name, f := range map[string]func(){
		"Lookup4 gateway": func() { tab.Lookup4(0xcb007145, 77) },
		"Lookup4 on-link": func() { tab.Lookup4(0xc000020a, 77) },
		"Lookup4 local":   func() { tab.Lookup4(0x7f000001, 77) },
		"Lookup6 ecmp":    func() { tab.Lookup6(hi, lo, 77) },
		"LinkMTU":         func() { tab.LinkMTU(2) },
	} {
		if a := testing.AllocsPerRun(1000, f); a != 0 {
			t.Errorf("%s allocates %v per run", name, a)
		}
	}
}

// bigTable builds n random IPv4 and n random IPv6 routes over two links.
func bigTable(n int) (*Table, []uint32, [][2]uint64) {
	r := rand.New(rand.NewPCG(7, 7))
	routes := make([]rawRoute, 0, 2*n)
	var q4 []uint32
	var q6 [][2]uint64
	for i := 0; i < n; i++ {
		a4 := r.Uint32()
		p4 := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(a4 >> 24), byte(a4 >> 16), byte(a4 >> 8), byte(a4)}), 8+r.IntN(17))
		routes = append(routes, uni(p4.Masked().String(), 0, nh(int32(2+i%2), "192.0.2.254")))
		var b [16]byte
		hi := 0x2001_0db8_0000_0000 | r.Uint64()&0xffff_ffff
		for j := 0; j < 8; j++ {
			b[j] = byte(hi >> (56 - 8*j))
		}
		p6 := netip.PrefixFrom(netip.AddrFrom16(b), 32+r.IntN(33))
		routes = append(routes, uni(p6.Masked().String(), 0, nh(int32(2+i%2), "fe80::1")))
		q4 = append(q4, a4)
		q6 = append(q6, [2]uint64{hi, r.Uint64()})
	}
	routes = append(routes, uni("0.0.0.0/0", 0, nh(2, "192.0.2.254")), uni("::/0", 0, nh(2, "fe80::1")))
	neighs := map[neighKey]neighInfo{{2, addr("192.0.2.254")}: {mac: macGw, hasLL: true, state: unix.NUD_REACHABLE}}
	return &Table{fib: buildFIB(&st{routes: routes, links: testLinks()}), neigh: buildNeigh(neighs)}, q4, q6
}

func BenchmarkLookup4(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		tab, q4, _ := bigTable(n)
		b.Run(itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				tab.Lookup4(q4[i%len(q4)], uint32(i))
			}
		})
	}
}

func BenchmarkLookup6(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		tab, _, q6 := bigTable(n)
		b.Run(itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				q := q6[i%len(q6)]
				tab.Lookup6(q[0], q[1], uint32(i))
			}
		})
	}
}

func itoa(n int) string {
	switch n {
	case 100:
		return "routes=100"
	default:
		return "routes=100k"
	}
}

// TestTOSRoutes: IPv4 TOS-specific routes on a synthetic snapshot, in the
// main table and in a table a rule names, without allocating.
func TestTOSRoutes(t *testing.T) {
	tos := func(dst string, tos int, nhs ...rawNexthop) rawRoute {
		r := uni(dst, 0, nhs...)
		r.tos = tos
		return r
	}
	routes := []rawRoute{
		uni("0.0.0.0/0", 0, nh(2, "192.0.2.254")),
		uni("198.51.100.0/24", 10, nh(2, "192.0.2.1")),
		tos("198.51.100.0/24", 0x10, nh(3, "198.51.100.254")),
		// The better TOS 0x08 route's link is down: the next one of that TOS.
		tos("198.51.100.0/24", 0x08, nh(5, "192.0.2.5")),
		{dst: pfx("198.51.100.0/24"), table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST, tos: 0x08, priority: 50,
			nhs: []rawNexthop{nh(2, "192.0.2.8")}},
		// TOS-only prefixes, nested: other packets fall back twice.
		tos("198.51.100.128/25", 0x04, nh(2, "192.0.2.4")),
		tos("198.51.100.192/26", 0x0c, nh(2, "192.0.2.12")),
		{dst: pfx("198.51.100.224/27"), table: unix.RT_TABLE_MAIN, typ: unix.RTN_BLACKHOLE, tos: 0x18},
		// Not followed: no packet's TOS & 0x1c is 0x20; IPv6 has no TOS routes.
		tos("203.0.113.0/24", 0x20, nh(2, "192.0.2.20")),
		{dst: pfx("2001:db8:9::/48"), table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST, tos: 0x10, nhs: []rawNexthop{nh(2, "")}},
		// A table a rule names.
		{dst: pfx("203.0.113.0/24"), table: 100, typ: unix.RTN_UNICAST, tos: 0x10, nhs: []rawNexthop{nh(3, "198.51.100.100")}},
		{dst: pfx("203.0.113.0/25"), table: 100, typ: unix.RTN_UNICAST, nhs: []rawNexthop{nh(2, "192.0.2.100")}},
	}
	rules := []rawRule{
		{pref: 0, action: unix.FR_ACT_TO_TBL, table: unix.RT_TABLE_LOCAL, supLen: -1, supGroup: -1, markOK: true, uidOK: true, labelOK: true},
		{pref: 10, action: unix.FR_ACT_TO_TBL, table: 100, supLen: -1, supGroup: -1, markOK: true, uidOK: true, labelOK: true,
			dst: pfx("203.0.113.0/24")},
		{pref: 32766, action: unix.FR_ACT_TO_TBL, table: unix.RT_TABLE_MAIN, supLen: -1, supGroup: -1, markOK: true, uidOK: true, labelOK: true},
	}
	tab := &Table{fib: buildFIB(&st{routes: routes, links: testLinks(), rules: rules})}
	if !tab.Policy(false) || tab.Policy(true) {
		t.Errorf("Policy(false) %v, Policy(true) %v: TOS routes make IPv4 routing flow-keyed", tab.Policy(false), tab.Policy(true))
	}
	if n := tab.UnfollowedRoutes(); n != 2 {
		t.Errorf("UnfollowedRoutes = %d, want 2 (TOS 0x20, IPv6 TOS)", n)
	}
	for _, c := range []struct {
		dst string
		tos uint8
		res Result
		via string
	}{
		{"198.51.100.1", 0, Found, "192.0.2.1"},
		{"198.51.100.1", 0x10, Found, "198.51.100.254"},
		{"198.51.100.1", 0x12, Found, "198.51.100.254"}, // ECN bits aside
		{"198.51.100.1", 0x30, Found, "198.51.100.254"}, // 0x30 & 0x1c
		{"198.51.100.1", 0x08, Found, "192.0.2.8"},
		{"198.51.100.1", 0x14, Found, "192.0.2.1"},
		{"198.51.100.129", 0x04, Found, "192.0.2.4"},
		{"198.51.100.129", 0, Found, "192.0.2.1"},
		{"198.51.100.129", 0x10, Found, "198.51.100.254"}, // /25 has no 0x10: the /24's
		{"198.51.100.193", 0x0c, Found, "192.0.2.12"},
		{"198.51.100.193", 0x04, Found, "192.0.2.4"}, // /26 -> /25
		{"198.51.100.193", 0x08, Found, "192.0.2.8"}, // /26 -> /25 -> /24
		{"198.51.100.225", 0x18, Blackhole, ""},
		{"198.51.100.225", 0x00, Found, "192.0.2.1"},
		{"203.0.113.1", 0x10, Found, "192.0.2.100"}, // the longer prefix first, whatever its TOS
		{"203.0.113.1", 0x00, Found, "192.0.2.100"},
		{"203.0.113.200", 0x00, Found, "192.0.2.254"}, // table 100 has nothing for TOS 0 there: main
		{"203.0.113.200", 0x10, Found, "198.51.100.100"},
	} {
		fl := Flow{Proto: unix.IPPROTO_UDP, TOS: c.tos}
		fl.DstHi, _, _ = prefixKey(netip.PrefixFrom(addr(c.dst), 32))
		h, r := tab.Route(&fl, false, 0)
		if r != c.res || (c.via != "" && h.Via != addr(c.via)) {
			t.Errorf("%s tos %#x: %v via %v, want %v via %s", c.dst, c.tos, r, h.Via, c.res, c.via)
		}
		if a := testing.AllocsPerRun(20, func() { tab.Route(&fl, false, 0) }); a != 0 {
			t.Errorf("Route allocates %v", a)
		}
	}
	// Without rules the plain table answers TOS 0 through Lookup4 and
	// TOS-keyed flows through Route alike.
	plain := &Table{fib: buildFIB(&st{routes: routes, links: testLinks()})}
	for _, dst := range []string{"198.51.100.1", "198.51.100.193", "198.51.100.225"} {
		fl := Flow{Proto: unix.IPPROTO_UDP}
		fl.DstHi, _, _ = prefixKey(netip.PrefixFrom(addr(dst), 32))
		h1, r1 := plain.Lookup(addr(dst), 0)
		h2, r2 := plain.Route(&fl, false, 0)
		if r1 != r2 || h1 != h2 || r1 != Found || h1.Via != addr("192.0.2.1") {
			t.Errorf("%s: Lookup %v %v, Route %v %v, want found via 192.0.2.1", dst, r1, h1.Via, r2, h2.Via)
		}
	}
}
