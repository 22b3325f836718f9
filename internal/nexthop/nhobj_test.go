package nexthop

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// nhLab is a namespace with threeLinks and routes through nexthop objects
// of every kind the kernel offers for unicast routes; the gateways are .62
// and a::fe on d1, .126 and b::fe on d2. compat sets
// net.ipv4.nexthop_compat_mode: with 1 the kernel also spells each route's
// nexthops out, with 0 only the object id tells.
func nhLab(t *testing.T, compat bool) *labNS {
	ns := newNS(t, "nho")
	ns.exec(t, fmt.Sprintf("sysctl -q -w net.ipv4.nexthop_compat_mode=%d", map[bool]int{false: 0, true: 1}[compat]))
	threeLinks(t, ns)
	ns.ips(t,
		"nexthop add id 1 via 192.0.2.62 dev d1",
		"nexthop add id 2 via 192.0.2.126 dev d2",
		"nexthop add id 3 dev d3",
		"nexthop add id 4 via 2001:db8:a::fe dev d1",
		"nexthop add id 5 blackhole",
		"nexthop add id 6 group 1,3/2",
		"nexthop add id 7 group 1/2 type resilient buckets 32",
		"nexthop add id 8 via 2001:db8:b::fe dev d2",
		"nexthop add id 9 group 4/8",
		"-6 nexthop add id 10 blackhole",
		"route add 198.51.100.0/26 nhid 1",
		"route add 198.51.100.64/26 nhid 3",
		"route add 198.51.100.128/26 nhid 4", // IPv4 through an IPv6 gateway
		"route add 198.51.100.192/26 nhid 5",
		"route add 203.0.113.0/25 nhid 6",
		"route add 203.0.113.128/25 nhid 7",
		"route add 192.0.2.192/27 encap ip id 5 dst 192.0.2.9 dev d1", // a lightweight tunnel: the kernel's
		"-6 route add 2001:db8:100::/48 nhid 4",
		"-6 route add 2001:db8:200::/48 nhid 9",
		"-6 route add 2001:db8:300::/48 nhid 10",
		// Source-specific: for a packet from another source, the kernel
		// skips the whole destination prefix, plain route included.
		"-6 route add 2001:db8:400::/48 from 2001:db8:77::/48 via 2001:db8:b::fe",
		"-6 route add 2001:db8:400::/48 via 2001:db8:a::fe",
	)
	return ns
}

// groupSplit looks dst up under many flow hashes and counts the answers.
func groupSplit(tab *Table, names map[int32]string, dst netip.Addr) map[string]int {
	v6 := dst.Is6()
	fl := Flow{Proto: unix.IPPROTO_UDP}
	fl.DstHi, fl.DstLo = keyAddr(dst)
	got := map[string]int{}
	const n = 1024
	for i := range uint64(n) {
		h, r := tab.Route(&fl, v6, uint32(i*(1<<32)/n))
		if r != Found {
			got[r.String()]++
			continue
		}
		got["dev "+names[h.Ifindex]+" via "+h.Via.String()]++
	}
	return got
}

// TestNexthopObjectsAgainstKernel compares the mirror's answers for routes
// through nexthop objects with the kernel's (`ip route get`), in both
// compatibility modes, then changes and deletes objects: the mirror follows
// without a resync, also in mode 0 where the kernel sends no route
// notification for them.
func TestNexthopObjectsAgainstKernel(t *testing.T) {
	needRoot(t)
	for _, compat := range []bool{false, true} {
		t.Run(fmt.Sprintf("compat=%v", compat), func(t *testing.T) {
			ns := nhLab(t, compat)
			names := linkNames(t, ns, "d1", "d2", "d3")
			m := startQuiet(t, ns)
			route := func(dst string) string {
				d := netip.MustParseAddr(dst)
				fl := Flow{Proto: unix.IPPROTO_UDP, Sport: 1000, Dport: 2000}
				fl.DstHi, fl.DstLo = keyAddr(d)
				return siitRoute(m.Table(), names, &fl, d.Is6(), d)
			}
			for _, dst := range []string{"198.51.100.7", "198.51.100.70", "198.51.100.130", "198.51.100.200",
				"192.0.2.200", "2001:db8:100::1", "2001:db8:300::1", "2001:db8:400::1"} {
				v6 := strings.Contains(dst, ":")
				src := "192.0.2.1"
				if v6 {
					src = "2001:db8:a::1"
				}
				want := kernelRoute(t, ns, v6, dst+" from "+src+" ipproto udp sport 1000 dport 2000")
				if got := route(dst); got != want {
					t.Errorf("%s: siit %q, kernel %q", dst, got, want)
				}
			}
			// Groups: the kernel picks one member by its own hash; siit's
			// hash is another, the members and their shares are the same.
			for _, c := range []struct {
				dst  string
				want map[string]int
			}{
				{"203.0.113.9", map[string]int{"dev d1 via 192.0.2.62": 768, "dev d2 via 192.0.2.126": 256}},
				{"203.0.113.200", map[string]int{"dev d1 via 192.0.2.62": 512, "dev d2 via 192.0.2.126": 512}},
				{"2001:db8:200::1", map[string]int{"dev d1 via 2001:db8:a::fe": 512, "dev d2 via 2001:db8:b::fe": 512}},
			} {
				d := netip.MustParseAddr(c.dst)
				got := groupSplit(m.Table(), names, d)
				if fmt.Sprint(got) != fmt.Sprint(c.want) {
					t.Errorf("%s: split %v, want %v", c.dst, got, c.want)
				}
				src := "192.0.2.1"
				if d.Is6() {
					src = "2001:db8:a::1"
				}
				for sport := 1000; sport < 1004; sport++ {
					k := kernelRoute(t, ns, d.Is6(), fmt.Sprintf("%s from %s ipproto udp sport %d dport 53", c.dst, src, sport))
					if _, ok := c.want[k]; !ok {
						t.Errorf("%s: the kernel chose %q, not a member of %v", c.dst, k, c.want)
					}
				}
			}

			// Changes to the objects alone.
			ns.ip(t, "nexthop replace id 1 via 192.0.2.61 dev d1")
			eventually(t, "replaced nexthop 1", func() (bool, string) {
				got := route("198.51.100.7")
				return got == "dev d1 via 192.0.2.61", got
			})
			ns.ip(t, "nexthop replace id 6 group 2")
			eventually(t, "group 6 down to one member", func() (bool, string) {
				got := groupSplit(m.Table(), names, netip.MustParseAddr("203.0.113.9"))
				return fmt.Sprint(got) == fmt.Sprint(map[string]int{"dev d2 via 192.0.2.126": 1024}), fmt.Sprint(got)
			})
			ns.ip(t, "nexthop replace id 3 blackhole")
			eventually(t, "nexthop 3 turned blackhole", func() (bool, string) {
				got := route("198.51.100.70")
				return got == "blackhole", got
			})
			ns.ip(t, "nexthop del id 3") // deletes 198.51.100.64/26 too
			eventually(t, "route through a deleted nexthop gone", func() (bool, string) {
				got := route("198.51.100.70")
				return got == "no-route/unreachable", got
			})
			for _, dst := range []string{"198.51.100.7", "198.51.100.70", "198.51.100.130", "2001:db8:100::1"} {
				v6 := strings.Contains(dst, ":")
				src := map[bool]string{false: "192.0.2.1", true: "2001:db8:a::1"}[v6]
				if want, got := kernelRoute(t, ns, v6, dst+" from "+src), route(dst); got != want {
					t.Errorf("after the changes, %s: siit %q, kernel %q", dst, got, want)
				}
			}
		})
	}
}

// rtMsg builds an RTM_NEWROUTE payload: struct rtmsg and attributes.
func rtMsg(fam, dstLen, srcLen, tos, table, typ byte, flags uint32, attrs ...[]byte) []byte {
	b := []byte{fam, dstLen, srcLen, tos, table, unix.RTPROT_BOOT, unix.RT_SCOPE_UNIVERSE, typ}
	b = binary.NativeEndian.AppendUint32(b, flags)
	for _, a := range attrs {
		b = append(b, a...)
	}
	return b
}

// rtnh is one struct rtnexthop of RTA_MULTIPATH with its attributes.
func rtnh(flags, hops byte, ifindex int32, attrs ...[]byte) []byte {
	var body []byte
	for _, a := range attrs {
		body = append(body, a...)
	}
	b := binary.NativeEndian.AppendUint16(nil, uint16(8+len(body)))
	b = append(b, flags, hops)
	b = binary.NativeEndian.AppendUint32(b, uint32(ifindex))
	return append(b, body...)
}

func via6(s string) []byte {
	a := netip.MustParseAddr(s).As16()
	return append(binary.NativeEndian.AppendUint16(nil, unix.AF_INET6), a[:]...)
}

func u16le(v uint16) []byte { return binary.NativeEndian.AppendUint16(nil, v) }

func cat(bs ...[]byte) []byte { return slices.Concat(bs...) }

// TestRouteFromMessage parses hand-built route dump messages.
func TestRouteFromMessage(t *testing.T) {
	gw := netip.MustParseAddr("192.0.2.62").As4()
	for _, c := range []struct {
		name string
		msg  []byte
		ok   bool
		want string
	}{
		{"single gateway, table attribute, metric, MTU",
			rtMsg(unix.AF_INET, 24, 0, 0, 252, unix.RTN_UNICAST, 0, rtattr(unix.RTA_DST, []byte{198, 51, 100, 9}),
				rtattr(unix.RTA_TABLE, u32le(1000)), rtattr(unix.RTA_PRIORITY, u32le(20)), rtattr(unix.RTA_OIF, u32le(2)),
				rtattr(unix.RTA_GATEWAY, gw[:]), rtattr(unix.RTA_METRICS, rtattr(unix.RTAX_MTU, u32le(1400)))),
			true, "198.51.100.0/24 table 1000 type 1 metric 20 mtu 1400 nhid 0 [{2 192.0.2.62 1 0 false}]"},
		{"multipath with weights, an IPv6 via and a tunnel",
			rtMsg(unix.AF_INET, 0, 0, 0, unix.RT_TABLE_MAIN, unix.RTN_UNICAST, 0, rtattr(unix.RTA_MULTIPATH, cat(
				rtnh(0, 2, 2, rtattr(unix.RTA_GATEWAY, gw[:])),
				rtnh(unix.RTNH_F_DEAD, 0, 3, rtattr(unix.RTA_VIA, via6("2001:db8:a::fe"))),
				rtnh(0, 0, 4, rtattr(unix.RTA_ENCAP_TYPE, u16le(2)))))),
			true, "0.0.0.0/0 table 254 type 1 metric 0 mtu 0 nhid 0 [{2 192.0.2.62 3 0 false} {3 2001:db8:a::fe 1 1 false} {4 invalid IP 1 0 true}]"},
		{"nexthop object, spelled out (compatibility mode)",
			rtMsg(unix.AF_INET6, 48, 0, 0, unix.RT_TABLE_MAIN, unix.RTN_UNICAST, unix.RTNH_F_LINKDOWN,
				rtattr(unix.RTA_DST, netip.MustParseAddr("2001:db8:100::").AsSlice()), rtattr(rtaNHID, u32le(9)),
				rtattr(unix.RTA_OIF, u32le(5))),
			true, "2001:db8:100::/48 table 254 type 1 metric 0 mtu 0 nhid 9 [{5 invalid IP 1 16 false}]"},
		{"source-specific", rtMsg(unix.AF_INET6, 0, 64, 0, unix.RT_TABLE_MAIN, unix.RTN_UNICAST, 0), true,
			"::/0 table 254 type 1 metric 0 mtu 0 nhid 0 [] src/64"},
		{"cached clone", rtMsg(unix.AF_INET6, 128, 0, 0, unix.RT_TABLE_MAIN, unix.RTN_UNICAST, unix.RTM_F_CLONED), false, ""},
		{"other family", rtMsg(unix.AF_MPLS, 20, 0, 0, unix.RT_TABLE_MAIN, unix.RTN_UNICAST, 0), false, ""},
		{"prefix longer than the family", rtMsg(unix.AF_INET, 33, 0, 0, unix.RT_TABLE_MAIN, unix.RTN_UNICAST, 0), false, ""},
		{"destination of the other family", rtMsg(unix.AF_INET, 24, 0, 0, unix.RT_TABLE_MAIN, unix.RTN_UNICAST, 0,
			rtattr(unix.RTA_DST, netip.MustParseAddr("2001:db8::").AsSlice())), false, ""},
		{"truncated attribute", rtMsg(unix.AF_INET, 0, 0, 0, unix.RT_TABLE_MAIN, unix.RTN_UNICAST, 0, []byte{20, 0, 1, 0, 1}), false, ""},
		{"truncated multipath record", rtMsg(unix.AF_INET, 0, 0, 0, unix.RT_TABLE_MAIN, unix.RTN_UNICAST, 0,
			rtattr(unix.RTA_MULTIPATH, []byte{40, 0, 0, 0, 2, 0, 0, 0})), false, ""},
	} {
		r, ok := routeFromMessage(c.msg)
		if ok != c.ok {
			t.Errorf("%s: ok %v, want %v", c.name, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		got := fmt.Sprintf("%v table %d type %d metric %d mtu %d nhid %d [", r.dst, r.table, r.typ, r.priority, r.mtu, r.nhid)
		for i, n := range r.nhs {
			if i > 0 {
				got += " "
			}
			got += fmt.Sprintf("{%d %v %d %d %v}", n.ifindex, n.gw, n.weight, n.flags, n.encap)
		}
		got += "]"
		if r.srcLen != 0 {
			got += fmt.Sprintf(" src/%d", r.srcLen)
		}
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func nhMsg(attrs ...[]byte) []byte {
	return cat(append([][]byte{{unix.AF_INET, 0, 0, 0, 0, 0, 0, 0}}, attrs...)...)
}

func grp(id uint32, weight uint16) []byte {
	b := binary.NativeEndian.AppendUint32(nil, id)
	return append(b, byte(weight-1), byte((weight-1)>>8), 0, 0)
}

// TestNhObjectFromMessage parses hand-built nexthop object messages.
func TestNhObjectFromMessage(t *testing.T) {
	gw := netip.MustParseAddr("192.0.2.62").As4()
	for _, c := range []struct {
		name string
		msg  []byte
		ok   bool
		want string
	}{
		{"gateway", nhMsg(rtattr(unix.NHA_ID, u32le(1)), rtattr(unix.NHA_OIF, u32le(2)), rtattr(unix.NHA_GATEWAY, gw[:])),
			true, "{1 false false false 0 2 192.0.2.62 []}"},
		{"group, 16-bit weight", nhMsg(rtattr(unix.NHA_ID, u32le(6)), rtattr(unix.NHA_GROUP, cat(grp(1, 3), grp(2, 1000))),
			rtattr(unix.NHA_GROUP_TYPE, u16le(0))), true, "{6 false false false 0 0 invalid IP [{1 3} {2 1000}]}"},
		{"blackhole", nhMsg(rtattr(unix.NHA_ID, u32le(5)), rtattr(unix.NHA_BLACKHOLE, nil)), true,
			"{5 true false false 0 0 invalid IP []}"},
		{"fdb, tunnel", nhMsg(rtattr(unix.NHA_ID, u32le(7)), rtattr(nhaFDB, nil), rtattr(unix.NHA_ENCAP_TYPE, u16le(4))), true,
			"{7 false true true 0 0 invalid IP []}"},
		{"no id", nhMsg(rtattr(unix.NHA_OIF, u32le(2))), false, ""},
		{"short header", []byte{2, 0, 0}, false, ""},
		{"overrunning attribute", nhMsg([]byte{12, 0, 1, 0, 1, 0, 0, 0}), false, ""},
	} {
		o, ok := nhObjectFromMessage(c.msg)
		if ok != c.ok {
			t.Errorf("%s: ok %v, want %v", c.name, ok, c.ok)
			continue
		}
		got := fmt.Sprintf("{%d %v %v %v %d %d %v %v}", o.id, o.blackhole, o.fdb, o.encap, o.flags, o.ifindex, o.gw, o.group)
		if ok && got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

// TestResolveNexthops covers the object kinds on a synthetic snapshot:
// weights, a blackhole alone in a group, members that routes cannot use,
// an unknown object (the kernel's spelled-out nexthops are kept) and a
// tunnel (the kernel's path).
func TestResolveNexthops(t *testing.T) {
	objs := map[uint32]nhObject{
		1:  {id: 1, ifindex: 2, gw: addr("192.0.2.254")},
		2:  {id: 2, ifindex: 3, gw: addr("198.51.100.254")},
		3:  {id: 3, blackhole: true},
		4:  {id: 4, fdb: true, gw: addr("192.0.2.9")},
		5:  {id: 5, ifindex: 2, gw: addr("192.0.2.254"), encap: true},
		10: {id: 10, group: []nhMember{{1, 1}, {2, 3}, {4, 1}, {99, 1}}},
		11: {id: 11, group: []nhMember{{3, 1}}},
		12: {id: 12, ifindex: 5, gw: addr("192.0.2.253")}, // link down
		13: {id: 13, ifindex: 2, gw: addr("2001:db8:1::fe")},
	}
	withNH := func(dst string, id uint32, nhs ...rawNexthop) rawRoute {
		r := uni(dst, 0, nhs...)
		r.nhid = id
		return r
	}
	routes := []rawRoute{
		uni("0.0.0.0/0", 0, nh(2, "192.0.2.1")),
		withNH("198.51.100.0/26", 10),
		withNH("198.51.100.64/26", 11),
		withNH("198.51.100.128/26", 77, nh(3, "198.51.100.1")), // unknown: spelled out
		withNH("198.51.100.192/27", 5),
		withNH("198.51.100.224/27", 12),
		withNH("203.0.113.0/24", 4), // fdb: unusable
		withNH("198.51.100.240/28", 13),
	}
	in := slices.Clone(routes)
	neighs := map[neighKey]neighInfo{{2, addr("2001:db8:1::fe")}: {mac: macGw, hasLL: true, state: unix.NUD_REACHABLE}}
	tab := &Table{fib: buildFIB(&st{routes: routes, nhObjects: objs, links: testLinks()}), neigh: buildNeigh(neighs)}
	if !slices.EqualFunc(in, routes, func(a, b rawRoute) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
		t.Fatal("buildFIB modified the mirrored routes")
	}
	names := map[int32]string{2: "eth0", 3: "eth1"}
	got := groupSplit(tab, names, addr("198.51.100.1"))
	if want := map[string]int{"dev eth0 via 192.0.2.254": 256, "dev eth1 via 198.51.100.254": 768}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("group split %v, want %v", got, want)
	}
	for _, c := range []struct {
		dst  string
		want Result
		via  string
	}{
		{"198.51.100.65", Blackhole, ""},
		{"198.51.100.129", Found, "198.51.100.1"},
		{"198.51.100.193", SlowPath, "192.0.2.254"},
		{"198.51.100.225", Found, "192.0.2.1"}, // its only nexthop's link is down: the default route
		{"203.0.113.1", Found, "192.0.2.1"},
	} {
		h, r := tab.Lookup(addr(c.dst), 0)
		if r != c.want || (c.via != "" && h.Via != addr(c.via)) {
			t.Errorf("%s: %v via %v, want %v via %s", c.dst, r, h.Via, c.want, c.via)
		}
	}
	// An IPv4 route through an IPv6 gateway: the IPv6 neighbour's MAC.
	if h, r := tab.Lookup(addr("198.51.100.241"), 0); r != Found || !h.Resolved || h.DstMAC != macGw || h.Ifindex != 2 {
		t.Errorf("IPv4 via IPv6 gateway: %v %+v", r, h)
	}
}

// FuzzRouteFromMessage: any route or nexthop object message parses without
// panicking, and what parses compiles into a table that answers lookups.
func FuzzRouteFromMessage(f *testing.F) {
	gw := netip.MustParseAddr("192.0.2.62").As4()
	f.Add(rtMsg(unix.AF_INET, 24, 0, 0, unix.RT_TABLE_MAIN, unix.RTN_UNICAST, 0, rtattr(unix.RTA_DST, []byte{198, 51, 100, 0}),
		rtattr(unix.RTA_MULTIPATH, cat(rtnh(0, 2, 2, rtattr(unix.RTA_GATEWAY, gw[:])), rtnh(0, 0, 3, rtattr(unix.RTA_VIA, via6("2001:db8::1")))))),
		nhMsg(rtattr(unix.NHA_ID, u32le(6)), rtattr(unix.NHA_GROUP, cat(grp(1, 3), grp(2, 1)))))
	f.Add(rtMsg(unix.AF_INET6, 0, 0, 0, unix.RT_TABLE_MAIN, unix.RTN_UNICAST, 0, rtattr(rtaNHID, u32le(1))),
		nhMsg(rtattr(unix.NHA_ID, u32le(1)), rtattr(unix.NHA_OIF, u32le(2)), rtattr(unix.NHA_GATEWAY, gw[:])))
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, rm, nm []byte) {
		r, ok := routeFromMessage(rm)
		if !ok {
			return
		}
		if r.dst.Bits() < 0 || !r.dst.IsValid() {
			t.Fatalf("parsed route with prefix %v", r.dst)
		}
		objs := map[uint32]nhObject{}
		if o, ok := nhObjectFromMessage(nm); ok {
			objs[o.id] = o
			for _, m := range o.group {
				objs[m.id] = nhObject{id: m.id, ifindex: 2, gw: addr("192.0.2.1")}
			}
		}
		r.table = unix.RT_TABLE_MAIN
		tab := &Table{fib: buildFIB(&st{routes: []rawRoute{r}, nhObjects: objs, links: testLinks()})}
		tab.Lookup(r.dst.Addr(), 12345)
		fl := Flow{TOS: uint8(r.tos)}
		fl.DstHi, fl.DstLo = keyAddr(r.dst.Addr())
		tab.Route(&fl, r.dst.Addr().Is6(), 7)
	})
}

// TestGroupAvoidsBadNeighbour: a nexthop object group passes over a member
// whose gateway's neighbour entry is failed or incomplete, as the kernel
// does; a classic multipath route does so only with
// fib_multipath_use_neigh=1. Checked against `ip route get` for many
// destinations, and followed as the neighbour entries change.
func TestGroupAvoidsBadNeighbour(t *testing.T) {
	needRoot(t)
	ns := newNS(t, "nbd")
	threeLinks(t, ns)
	ns.ips(t,
		"nexthop add id 1 via 192.0.2.62 dev d1",
		"nexthop add id 2 via 192.0.2.126 dev d2",
		"nexthop add id 3 group 1/2",
		"route add 198.51.100.0/24 nhid 3",
		"route add 203.0.113.0/24 nexthop via 192.0.2.62 dev d1 nexthop via 192.0.2.126 dev d2",
	)
	names := linkNames(t, ns, "d1", "d2")
	m := startQuiet(t, ns)
	// The kernel's own choices over 64 destinations (its hash is of the
	// addresses): which gateways it uses at all. No source address: the
	// kernel prefers a nexthop on the device of a local source, and a
	// translated packet's source is not local.
	kernelUses := func(prefix string) map[string]bool {
		used := map[string]bool{}
		for i := 1; i <= 64; i++ {
			used[kernelRoute(t, ns, false, fmt.Sprintf("%s.%d", prefix, i))] = true
		}
		return used
	}
	both := map[string]int{"dev d1 via 192.0.2.62": 512, "dev d2 via 192.0.2.126": 512}
	only2 := map[string]int{"dev d2 via 192.0.2.126": 1024}
	for _, step := range []struct {
		cmd          string
		group, multi map[string]int
	}{
		{"", both, both},
		{"neigh replace 192.0.2.62 dev d1 lladdr 02:00:00:00:00:62 nud reachable", both, both},
		// From a valid state, as resolution fails in real life (the kernel
		// does not notify an entry created failed).
		{"neigh replace 192.0.2.62 dev d1 nud failed", only2, both},
		{"neigh replace 192.0.2.62 dev d1 lladdr 02:00:00:00:00:62 nud reachable", both, both},
		{"neigh del 192.0.2.62 dev d1", both, both},
		// With fib_multipath_use_neigh the classic route does the same. The
		// sysctl has no notification: it is read with each route dump,
		// which the route added with it triggers.
		{"sysctl", both, both},
		{"neigh replace 192.0.2.62 dev d1 lladdr 02:00:00:00:00:62 nud reachable", both, both},
		{"neigh replace 192.0.2.62 dev d1 nud failed", only2, only2},
		{"neigh del 192.0.2.62 dev d1", both, both},
	} {
		switch step.cmd {
		case "":
		case "sysctl":
			ns.exec(t, "sysctl -q -w net.ipv4.fib_multipath_use_neigh=1")
			ns.ip(t, "route add 192.0.2.192/27 dev d3")
		default:
			ns.ip(t, step.cmd)
		}
		eventually(t, fmt.Sprintf("after %q", step.cmd), func() (bool, string) {
			g := groupSplit(m.Table(), names, netip.MustParseAddr("198.51.100.9"))
			c := groupSplit(m.Table(), names, netip.MustParseAddr("203.0.113.9"))
			return fmt.Sprint(g) == fmt.Sprint(step.group) && fmt.Sprint(c) == fmt.Sprint(step.multi),
				fmt.Sprintf("group %v (want %v), multipath %v (want %v)", g, step.group, c, step.multi)
		})
		for prefix, want := range map[string]map[string]int{"198.51.100": step.group, "203.0.113": step.multi} {
			used := kernelUses(prefix)
			for k := range used {
				if _, ok := want[k]; !ok {
					t.Errorf("after %q: the kernel routes %s.0/24 via %q, which siit never picks (%v)", step.cmd, prefix, k, want)
				}
			}
			if len(used) != len(want) {
				t.Errorf("after %q: the kernel uses %v for %s.0/24, siit %v", step.cmd, used, prefix, want)
			}
		}
	}
}

// TestGoodMember: which member of a nexthop object group takes a flow whose
// hashed member has a bad gateway neighbour (the kernel's hash-threshold
// walk): the next good member, else the first good one, else the hashed one.
func TestGoodMember(t *testing.T) {
	objs := map[uint32]nhObject{
		1: {id: 1, ifindex: 2, gw: addr("192.0.2.1")},
		2: {id: 2, ifindex: 2, gw: addr("192.0.2.2")},
		3: {id: 3, ifindex: 2, gw: addr("192.0.2.3")},
		9: {id: 9, group: []nhMember{{1, 1}, {2, 1}, {3, 1}}},
	}
	group := uni("203.0.113.0/24", 0)
	group.nhid = 9
	classic := uni("198.51.100.0/24", 0, nh(2, "192.0.2.1"), nh(2, "192.0.2.2"), nh(2, "192.0.2.3"))
	names := map[int32]string{2: "eth0"}
	for _, c := range []struct {
		bad   []string // FAILED or INCOMPLETE neighbours
		group string
	}{
		{nil, "map[dev eth0 via 192.0.2.1:342 dev eth0 via 192.0.2.2:341 dev eth0 via 192.0.2.3:341]"},
		{[]string{"192.0.2.2"}, "map[dev eth0 via 192.0.2.1:342 dev eth0 via 192.0.2.3:682]"},
		{[]string{"192.0.2.3"}, "map[dev eth0 via 192.0.2.1:683 dev eth0 via 192.0.2.2:341]"},
		{[]string{"192.0.2.1", "192.0.2.2"}, "map[dev eth0 via 192.0.2.3:1024]"},
		{[]string{"192.0.2.1", "192.0.2.2", "192.0.2.3"}, "map[dev eth0 via 192.0.2.1:342 dev eth0 via 192.0.2.2:341 dev eth0 via 192.0.2.3:341]"},
	} {
		neighs := map[neighKey]neighInfo{}
		for i, b := range c.bad {
			neighs[neighKey{2, addr(b)}] = neighInfo{state: []int{unix.NUD_FAILED, unix.NUD_INCOMPLETE}[i%2]}
		}
		tab := &Table{fib: buildFIB(&st{routes: []rawRoute{group, classic}, nhObjects: objs, links: testLinks()}),
			neigh: buildNeigh(neighs)}
		if got := fmt.Sprint(groupSplit(tab, names, addr("203.0.113.1"))); got != c.group {
			t.Errorf("bad %v: group split %s, want %s", c.bad, got, c.group)
		}
		// A classic multipath route does not look at neighbours (the
		// kernel's default fib_multipath_use_neigh=0).
		if got := fmt.Sprint(groupSplit(tab, names, addr("198.51.100.1"))); got != "map[dev eth0 via 192.0.2.1:342 dev eth0 via 192.0.2.2:341 dev eth0 via 192.0.2.3:341]" {
			t.Errorf("bad %v: multipath split %s", c.bad, got)
		}
		fl := Flow{}
		fl.DstHi, _, _ = prefixKey(pfx("203.0.113.1/32"))
		if a := testing.AllocsPerRun(20, func() { tab.Route(&fl, false, 0x60000000) }); a != 0 {
			t.Errorf("Route allocates %v", a)
		}
	}
}
