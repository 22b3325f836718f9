package nexthop

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// A fib patched after route events answers every lookup as a fib built from
// scratch from the same state, over random batches of adds, replaces,
// appends and deletes (IPv4 and IPv6, metrics, TOS routes, every route
// type, nexthop objects, down links, local addresses), with tables large
// enough to have jump tables. Older snapshots keep their answers.
func TestPatchMatchesBuild(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	s := &st{
		links:  testLinks(),
		neighs: map[neighKey]neighInfo{},
		addrs: map[ifAddr]struct{}{
			{ifindex: 2, prefix: pfx("192.0.2.1/24")}:   {},
			{ifindex: 2, prefix: pfx("2001:db8::1/64")}: {},
		},
		nhObjects: map[uint32]nhObject{
			7: {id: 7, ifindex: 2, gw: addr("192.0.2.254")},
			8: {id: 8, ifindex: 3, gw: addr("198.51.100.254")},
			9: {id: 9, group: []nhMember{{id: 7, weight: 1}, {id: 8, weight: 2}}},
		},
		tables: map[int]bool{unix.RT_TABLE_MAIN: true, unix.RT_TABLE_LOCAL: true},
	}
	// Background: enough prefixes for jump tables in both families.
	var routes []rawRoute
	for i := range 2500 {
		routes = append(routes, uni(fmt.Sprintf("10.%d.%d.0/24", i>>8, i&255), 0, nh(2, "192.0.2.254")))
		routes = append(routes, uni(fmt.Sprintf("2001:db8:%x::/48", 0x1000+i), 1024, nh(3, "")))
	}
	s.resetRoutes(routes)

	// The prefixes events play with: nested, IPv4 and IPv6, one of them a
	// local address (a Local entry holds it whatever the main table says).
	pool := []string{"0.0.0.0/0", "192.0.2.0/24", "192.0.2.1/32", "192.0.2.128/25", "198.51.100.0/24",
		"198.51.100.0/25", "203.0.113.0/24", "203.0.113.64/26", "10.1.2.0/24", "10.0.0.0/8",
		"::/0", "2001:db8::/32", "2001:db8::1/128", "2001:db8:1::/48", "2001:db8:1:2::/64", "2001:db8:1005::/48"}
	types := []int{unix.RTN_UNICAST, unix.RTN_UNICAST, unix.RTN_UNICAST, unix.RTN_BLACKHOLE, unix.RTN_UNREACHABLE,
		unix.RTN_PROHIBIT, unix.RTN_THROW}
	randRoute := func() rawRoute {
		p := pfx(pool[r.IntN(len(pool))])
		rt := rawRoute{dst: p, table: unix.RT_TABLE_MAIN, typ: types[r.IntN(len(types))], priority: 10 * r.IntN(3)}
		v4 := p.Addr().Is4()
		if v4 && r.IntN(4) == 0 {
			rt.tos = []int{4, 8, 0x10, 2}[r.IntN(4)] // 2: no packet can match it (unfollowed)
		}
		if rt.typ != unix.RTN_UNICAST {
			return rt
		}
		links := []int32{2, 3, 3, 4, 5} // 4: a tun, 5: down
		switch {
		case r.IntN(6) == 0:
			rt.nhid = uint32(7 + r.IntN(3))
		case v4 && r.IntN(4) == 0:
			rt.nhs = []rawNexthop{nh(2, "192.0.2.254"), nh(links[r.IntN(len(links))], "198.51.100.254")}
			rt.nhs[1].weight = 3
		case v4:
			rt.nhs = []rawNexthop{nh(links[r.IntN(len(links))], []string{"", "192.0.2.253"}[r.IntN(2)])}
		default:
			rt.nhs = []rawNexthop{nh(links[r.IntN(len(links))], []string{"", "fe80::1"}[r.IntN(2)])}
		}
		return rt
	}
	type probe struct {
		fl Flow
		v6 bool
	}
	flows := func() []probe {
		pr := rand.New(rand.NewPCG(5, 6))
		var out []probe
		for _, p := range pool {
			pf := pfx(p)
			for range 6 {
				a := pf.Addr().As16()
				if pf.Addr().Is4() {
					v := pf.Addr().As4()
					for b := pf.Bits(); b < 32; b++ {
						if pr.IntN(2) == 1 {
							v[b/8] |= 0x80 >> (b % 8)
						}
					}
					var fl Flow
					fl.DstHi, fl.DstLo = keyAddr(netip.AddrFrom4(v))
					fl.TOS = []uint8{0, 4, 8, 0x10, 0x14}[pr.IntN(5)]
					out = append(out, probe{fl, false})
					continue
				}
				for b := pf.Bits(); b < 128; b++ {
					if pr.IntN(2) == 1 {
						a[b/8] |= 0x80 >> (b % 8)
					}
				}
				var fl Flow
				fl.DstHi, fl.DstLo = keyAddr(netip.AddrFrom16(a))
				out = append(out, probe{fl, true})
			}
		}
		return out
	}()
	answers := func(tab *Table) []string {
		var out []string
		for i := range flows {
			fl, v6 := flows[i].fl, flows[i].v6
			for _, h := range []uint32{0, 1 << 31, ^uint32(0)} {
				hop, res := tab.Route(&fl, v6, h)
				out = append(out, fmt.Sprintf("%v %+v", res, hop))
				// MTUFloor bounds every hop's MTU (0 counting as 1500).
				if m := hop.MTU; (res == Found || res == SlowPath) && (m != 0 && m < tab.MTUFloor()) {
					t.Fatalf("hop MTU %d below the table's MTUFloor %d", m, tab.MTUFloor())
				}
			}
		}
		return append(out, fmt.Sprint(tab.f().routeCount, tab.UnfollowedRoutes()))
	}

	neigh := buildNeigh(s.neighs)
	cur := &Table{fib: buildFIB(s), neigh: neigh}
	applied, refused, patched, rebuilt := 0, 0, 0, 0
	for round := range 300 {
		prefixes := map[prefixID]struct{}{}
		delta := 0
		for range 1 + r.IntN(12) {
			var ev rawRoute
			del := r.IntN(3) == 0
			if del && len(s.routes) > 0 && r.IntN(5) > 0 {
				// Mostly routes that exist (as the kernel would report them).
				k := r.IntN(len(s.routes))
				if k < 5000 {
					k = 5000 + r.IntN(max(len(s.routes)-5000, 1))
				}
				if k >= len(s.routes) {
					k = r.IntN(len(s.routes))
				}
				ev = s.routes[k]
				ev.seq, ev.next = 0, 0
			} else {
				ev = randRoute()
			}
			flags := []uint16{0, unix.NLM_F_CREATE | unix.NLM_F_EXCL, unix.NLM_F_REPLACE, unix.NLM_F_APPEND}[r.IntN(4)]
			before := len(s.routes)
			ok, d := s.applyRoute(del, flags, ev)
			if !ok {
				refused++
				if len(s.routes) != before {
					t.Fatalf("round %d: a refused event changed the state", round)
				}
				continue
			}
			applied++
			delta += d
			prefixes[idOf(&ev)] = struct{}{}
			checkIndex(t, s)
		}
		old := cur
		oldAnswers := answers(old)
		var f *fib
		if f = cur.fib.patch(s, prefixes, delta); f != nil {
			patched++
		} else {
			f, rebuilt = buildFIB(s), rebuilt+1
		}
		cur = &Table{fib: f, neigh: neigh}
		want := answers(&Table{fib: buildFIB(s), neigh: neigh})
		if got := answers(cur); !slices.Equal(got, want) {
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("round %d: patched %q, built %q (flow %d)", round, got[i], want[i], i/3)
				}
			}
		}
		if !slices.Equal(answers(old), oldAnswers) {
			t.Fatalf("round %d: the previous snapshot changed", round)
		}
	}
	t.Logf("events applied %d, refused %d; snapshots patched %d, rebuilt %d", applied, refused, patched, rebuilt)
	if applied < 1000 || refused == 0 || patched < 250 {
		t.Fatalf("the random events did not cover the cases: applied %d refused %d patched %d", applied, refused, patched)
	}
}

// checkIndex: every route is on its prefix's chain exactly once.
func checkIndex(t *testing.T, s *st) {
	t.Helper()
	seen := make([]bool, len(s.routes))
	n := 0
	for id, head := range s.byPrefix {
		for p := head; p != 0; p = s.routes[p-1].next {
			if seen[p-1] || idOf(&s.routes[p-1]) != id {
				t.Fatalf("route %d chained twice or under another prefix", p-1)
			}
			seen[p-1] = true
			n++
		}
	}
	if n != len(s.routes) {
		t.Fatalf("%d routes chained, %d held", n, len(s.routes))
	}
}

// applyRoute places or refuses events as the kernel's order demands.
func TestApplyRouteCases(t *testing.T) {
	a := uni("198.51.100.0/24", 10, nh(2, "192.0.2.254"))
	b := uni("198.51.100.0/24", 10, nh(3, "198.51.100.254"))
	c := uni("198.51.100.0/24", 20, nh(3, ""))
	a6 := uni("2001:db8:1::/48", 1024, nh(2, "fe80::1"))
	b6 := uni("2001:db8:1::/48", 1024, nh(3, "fe80::2"))
	for _, tc := range []struct {
		name   string
		start  []rawRoute
		del    bool
		flags  uint16
		ev     rawRoute
		ok     bool
		result []rawRoute // in seq order
	}{
		{"add", nil, false, unix.NLM_F_CREATE | unix.NLM_F_EXCL, a, true, []rawRoute{a}},
		{"add another metric", []rawRoute{a}, false, 0, c, true, []rawRoute{a, c}},
		{"replace", []rawRoute{a, c}, false, unix.NLM_F_REPLACE, b, true, []rawRoute{b, c}},
		{"replace of nothing adds", []rawRoute{c}, false, unix.NLM_F_REPLACE, a, true, []rawRoute{c, a}},
		{"append", []rawRoute{a}, false, unix.NLM_F_APPEND, b, true, []rawRoute{a, b}},
		{"prepend: order unknown", []rawRoute{a}, false, unix.NLM_F_CREATE, b, false, []rawRoute{a}},
		{"replace of two: which one", []rawRoute{a, b}, false, unix.NLM_F_REPLACE, b, false, []rawRoute{a, b}},
		{"delete", []rawRoute{a, b, c}, true, 0, b, true, []rawRoute{a, c}},
		{"delete of a missing route", []rawRoute{a, c}, true, 0, b, false, []rawRoute{a, c}},
		{"IPv6 sibling", []rawRoute{a6}, false, unix.NLM_F_CREATE, b6, false, []rawRoute{a6}},
		{"IPv6 multipath event", nil, false, 0, rawRoute{dst: a6.dst, table: a6.table, typ: a6.typ, priority: 1024,
			nhs: []rawNexthop{nh(2, "fe80::1"), nh(3, "fe80::2")}}, false, nil},
		{"IPv6 replace", []rawRoute{a6}, false, unix.NLM_F_REPLACE, b6, true, []rawRoute{b6}},
		{"source-specific", nil, false, 0, rawRoute{dst: a6.dst, table: a6.table, typ: a6.typ, srcLen: 64}, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &st{}
			s.resetRoutes(slices.Clone(tc.start))
			ok, _ := s.applyRoute(tc.del, tc.flags, tc.ev)
			if ok != tc.ok {
				t.Fatalf("ok %v, want %v", ok, tc.ok)
			}
			got := slices.Clone(s.routes)
			slices.SortFunc(got, func(x, y rawRoute) int { return int(x.seq) - int(y.seq) })
			if len(got) != len(tc.result) {
				t.Fatalf("%d routes, want %d", len(got), len(tc.result))
			}
			for i := range got {
				if !sameRoute(&got[i], &tc.result[i]) {
					t.Fatalf("route %d: %+v, want %+v", i, got[i], tc.result[i])
				}
			}
			if s.byPrefix != nil {
				checkIndex(t, s)
			}
		})
	}
}

// BenchmarkPatchFullTable: one route event against a table of a million
// IPv4 routes (an Internet-sized table), applied to the state and patched
// into a new snapshot, against building that snapshot from scratch.
func BenchmarkPatchFullTable(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	routes := make([]rawRoute, 0, 1<<20)
	for range 1 << 20 {
		a := r.Uint32()
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}),
			8+r.IntN(17)).Masked()
		routes = append(routes, rawRoute{dst: p, table: unix.RT_TABLE_MAIN, typ: unix.RTN_UNICAST,
			nhs: []rawNexthop{nh(2, "192.0.2.254")}})
	}
	s := &st{links: testLinks(), tables: map[int]bool{unix.RT_TABLE_MAIN: true}}
	s.resetRoutes(routes)
	f := buildFIB(s)
	s.index()
	b.Run("patch", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			ev := uni(fmt.Sprintf("198.%d.%d.0/24", i>>8&255, i&255), 0, nh(3, ""))
			if ok, _ := s.applyRoute(false, unix.NLM_F_REPLACE, ev); !ok {
				b.Fatal("event refused")
			}
			nf := f.patch(s, map[prefixID]struct{}{idOf(&ev): {}}, 0)
			if nf == nil {
				nf = buildFIB(s)
			}
			f = nf
		}
	})
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			f = buildFIB(s)
		}
	})
}
