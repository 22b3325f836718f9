package nexthop

import (
	"cmp"
	"net"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The mirror keeps the kernel state in these plain forms (owned by the mirror
// goroutine) and compiles them into a fib / neighTable for each snapshot.

type linkInfo struct {
	ifindex  int32
	name     string
	mtu      uint32
	mac      [6]byte
	ether    bool // ARPHRD_ETHER with a 6-byte address and not loopback
	up       bool // IFF_UP and IFF_RUNNING (operational: carrier, not dormant)
	linkdown bool // IFF_UP without IFF_RUNNING: the kernel's routes stay, flagged linkdown
	group    uint32
}

type neighKey struct {
	ifindex int32
	addr    netip.Addr
}

type neighInfo struct {
	mac   [6]byte
	hasLL bool
	state int // NUD_*
}

type ifAddr struct {
	ifindex int32
	prefix  netip.Prefix
}

type rawNexthop struct {
	ifindex int32
	gw      netip.Addr // invalid for an on-link nexthop
	weight  uint32     // 1..256 (nexthop object groups: 1..65536)
	flags   int        // RTNH_F_*
	encap   bool       // lightweight tunnel encapsulation (MPLS, seg6, ...)
	member  bool       // of a nexthop object group: passed over while its gateway's neighbour is bad
}

type rawRoute struct {
	dst      netip.Prefix
	table    int
	typ      int // RTN_*
	priority int
	tos      int
	mtu      uint32 // RTAX_MTU, 0 if unset
	srcLen   uint8  // IPv6 source-specific route ("from"): not followed
	nhid     uint32 // nexthop object, 0 if none
	nhs      []rawNexthop
	// seq orders routes of one prefix and metric as the kernel does (dump
	// order, then the order events added them in); see compareRouteKey.
	seq  uint64
	next int32 // st.byPrefix chain: position + 1 of the next route of the prefix, 0 at the end (patch.go)
}

// usableNUD are the neighbour states in which the kernel transmits without
// resolving first.
const usableNUD = unix.NUD_REACHABLE | unix.NUD_STALE | unix.NUD_DELAY | unix.NUD_PROBE |
	unix.NUD_PERMANENT | unix.NUD_NOARP

func linkFromNetlink(l netlink.Link) linkInfo {
	a := l.Attrs()
	li := linkInfo{ifindex: int32(a.Index), name: a.Name, mtu: uint32(max(a.MTU, 0)), group: a.Group}
	li.ether = a.EncapType == "ether" && len(a.HardwareAddr) == 6 && a.Flags&net.FlagLoopback == 0
	if len(a.HardwareAddr) == 6 {
		copy(li.mac[:], a.HardwareAddr)
	}
	li.up = a.RawFlags&unix.IFF_UP != 0 && a.RawFlags&unix.IFF_RUNNING != 0
	li.linkdown = a.RawFlags&unix.IFF_UP != 0 && a.RawFlags&unix.IFF_RUNNING == 0
	return li
}

func neighFromNetlink(n *netlink.Neigh) (neighKey, neighInfo, bool) {
	if n.Family != unix.AF_INET && n.Family != unix.AF_INET6 {
		return neighKey{}, neighInfo{}, false
	}
	a, ok := ipToAddr(n.IP)
	if !ok {
		return neighKey{}, neighInfo{}, false
	}
	ni := neighInfo{state: n.State}
	if len(n.HardwareAddr) == 6 {
		copy(ni.mac[:], n.HardwareAddr)
		ni.hasLL = true
	}
	return neighKey{ifindex: int32(n.LinkIndex), addr: a}, ni, true
}

// ipToAddr converts a net.IP, keeping IPv4 as a 4-byte address.
func ipToAddr(ip net.IP) (netip.Addr, bool) {
	if v4 := ip.To4(); v4 != nil {
		return netip.AddrFrom4([4]byte(v4)), true
	}
	if len(ip) == net.IPv6len {
		return netip.AddrFrom16([16]byte(ip)), true
	}
	return netip.Addr{}, false
}

// prefixKey returns the trie key of a prefix.
func prefixKey(p netip.Prefix) (hi, lo uint64, plen uint8) {
	a := p.Addr()
	if a.Is4() {
		b := a.As4()
		return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32, 0, uint8(p.Bits())
	}
	hi, lo = addrKey(a)
	return hi, lo, uint8(p.Bits())
}

// buildFIB compiles routes, links, addresses and policy routing rules into
// the lookup structures. Routes of the local table (255) of type
// local/broadcast/anycast and every address become Local entries, which win
// over main-table routes like the kernel's "lookup local" rule 0. A family
// whose rules are not the kernel's defaults also gets a policy: its rules
// and a trie per table they look up.
func buildFIB(s *st) *fib {
	f := &fib{v4: newTrie(), v6: newTrie(), local4: newTrie(), local6: newTrie(), useNeigh4: s.useNeigh4}
	routes, links, addrs, rules := resolveNexthops(s.routes, s.nhObjects), s.links, s.addrs, s.rules
	for _, l := range links {
		f.links = append(f.links, linkEntry{ifindex: l.ifindex, mtu: l.mtu, mac: l.mac, ether: l.ether, up: l.up,
			linkdown: l.linkdown, group: l.group,
			// IPv4 ORs "all" with the device; IPv6 keeps "all" written
			// into every device, so the device's value is the one.
			ignore4: s.netconf[netconfKey{false, netconfAll}] || s.netconf[netconfKey{false, l.ifindex}],
			ignore6: s.netconf[netconfKey{true, l.ifindex}]})
	}
	slices.SortFunc(f.links, func(a, b linkEntry) int { return cmp.Compare(a.ifindex, b.ifindex) })

	main := make([]routeKey, 0, len(routes))
	n4 := 0
	localHost := map[netip.Prefix]struct{}{}
	var localNet []netip.Prefix
	type tableFamily struct {
		table int
		v6    bool
	}
	populated := map[tableFamily]bool{} // tables holding followed routes, per family
	for i := range routes {
		r := &routes[i]
		if unfollowedRoute(r) {
			f.unfollowed++
		}
		populated[tableFamily{r.table, r.dst.Addr().Is6()}] = true
		switch {
		case r.table == unix.RT_TABLE_MAIN:
			main = append(main, keyOf(r, int32(i)))
			if r.dst.Addr().Is4() {
				n4++
			}
		case r.table == unix.RT_TABLE_LOCAL:
			if r.typ != unix.RTN_LOCAL && r.typ != unix.RTN_BROADCAST && r.typ != unix.RTN_ANYCAST {
				continue
			}
			if r.dst.IsSingleIP() {
				localHost[r.dst] = struct{}{}
				if r.typ == unix.RTN_BROADCAST {
					// A directed broadcast of an attached subnet is for the
					// host: the steering program must pass it (LocalAddrs).
					f.localAddrs = append(f.localAddrs, r.dst.Addr())
				}
			} else {
				localNet = append(localNet, r.dst)
			}
		}
	}
	for a := range addrs {
		ad := a.prefix.Addr()
		localHost[netip.PrefixFrom(ad, ad.BitLen())] = struct{}{}
		f.localAddrs = append(f.localAddrs, ad)
	}
	slices.SortFunc(f.localAddrs, netip.Addr.Compare)
	f.localAddrs = slices.Compact(f.localAddrs)

	slices.SortFunc(main, compareRouteKey)
	f.routes = make([]routeEntry, 0, len(main)+1)
	f.nexthops = make([]nexthop, 0, len(main))
	f.v4.nodes = make([]trieNode, 0, 2*(n4+len(localHost)))
	f.v6.nodes = make([]trieNode, 0, 2*(len(main)-n4+len(localHost)))
	f.routeCount = f.addRoutes(routes, main, func(p netip.Prefix) bool {
		_, ok := localHost[p]
		return ok
	}, f.insert)
	if len(localHost) > 0 || len(localNet) > 0 {
		f.routes = append(f.routes, routeEntry{result: Local})
		li := int32(len(f.routes) - 1)
		for p := range localHost {
			f.insert(p, li)
		}
		for _, p := range localNet {
			hi, lo, plen := prefixKey(p)
			if p.Addr().Is4() {
				f.local4.insert(hi, lo, plen, li)
			} else {
				f.local6.insert(hi, lo, plen, li)
			}
		}
	}
	f.v4.buildJump(jumpMinNodes)
	f.v6.buildJump(jumpMinNodes)
	f.localHost = localHost

	lo := "lo"
	for _, l := range links {
		if l.ifindex == 1 { // the loopback device of every namespace
			lo = l.name
		}
	}
	for _, v6 := range []bool{false, true} {
		var fam []rawRule
		for _, r := range rules {
			if r.v6 == v6 {
				fam = append(fam, r)
			}
		}
		if len(fam) == 0 || isDefault(fam, lo, func(table int) bool { return populated[tableFamily{table, v6}] }) {
			continue
		}
		p := f.buildPolicy(fam, lo, routes, localHost, localNet, v6)
		if v6 {
			f.pol6 = p
		} else {
			f.pol4 = p
		}
	}
	return f
}

// unfollowedRoute reports a route siit leaves out and counts (see
// compilePrefix): IPv6 source-specific, or a TOS no packet can match.
func unfollowedRoute(r *rawRoute) bool {
	return r.srcLen != 0 || r.tos&^tosRouteMask != 0 || r.tos != 0 && r.dst.Addr().Is6()
}

// addRoutes compiles the routes named by keys (sorted by compareRouteKey):
// for each prefix the best usable route (or IPv6 ECMP group) is added to
// f.routes and handed to insert, unless skip says the prefix is taken. It
// returns how many prefixes it added.
//
// IPv4 TOS-specific routes (ip route add ... tos T) become alternatives of
// their prefix's entry: the best usable route per TOS value, taken by a
// packet whose TOS & 0x1c equals T, before the prefix's plain routes, as in
// the kernel. A prefix with usable TOS-specific routes only is inserted
// too, marked noBase: any other packet falls back to the longest shorter
// prefix of the same trie, as the kernel backtracks (see fib.resolve).
func (f *fib) addRoutes(routes []rawRoute, keys []routeKey, skip func(netip.Prefix) bool, insert func(netip.Prefix, int32)) int {
	n := 0
	var cands []*rawRoute
	for i := 0; i < len(keys); {
		p := routes[keys[i].idx].dst
		cands = cands[:0]
		for ; i < len(keys) && routes[keys[i].idx].dst == p; i++ {
			cands = append(cands, &routes[keys[i].idx])
		}
		if skip(p) {
			continue
		}
		if e, ok := f.compilePrefix(p, cands); ok {
			insert(p, e)
			n++
		}
	}
	return n
}

// compilePrefix compiles the routes of one prefix (cands, in
// compareRouteKey order) into an entry appended to f.routes, with its TOS
// alternatives; ok is false when the prefix gets no entry (nothing usable, or
// IPv6 source-specific routes).
func (f *fib) compilePrefix(p netip.Prefix, cands []*rawRoute) (int32, bool) {
	add := func(e routeEntry) int32 {
		e.plen = uint8(p.Bits())
		f.routes = append(f.routes, e)
		return int32(len(f.routes) - 1)
	}
	// A destination that has IPv6 source-specific routes ("from"): for a
	// packet from any other source the kernel skips the whole prefix, its
	// plain routes included, and backtracks to a shorter one. siit does the
	// same for every source (counted).
	if slices.ContainsFunc(cands, func(r *rawRoute) bool { return r.srcLen != 0 }) {
		return -1, false
	}
	alt := uint32(len(f.alts))
	plain := f.scratch[:0]
	defer func() { f.scratch = plain[:0] }()
	for _, r := range cands {
		switch {
		case r.tos == 0:
			plain = append(plain, r)
		case r.tos&^tosRouteMask != 0 || p.Addr().Is6():
			// No packet's TOS & 0x1c can equal it (IPv6 has none):
			// counted by buildFIB.
		case !slices.ContainsFunc(f.alts[alt:], func(a tosAlt) bool { return a.tos == uint8(r.tos) }):
			// The first usable route of this TOS, in metric order.
			if e, ok := f.compile([]*rawRoute{r}); ok {
				f.alts = append(f.alts, tosAlt{tos: uint8(r.tos), entry: add(e)})
			}
		}
	}
	base, ok := f.compilePlain(plain)
	if nalt := len(f.alts) - int(alt); nalt > 0 {
		if !ok {
			base, ok = routeEntry{noBase: true}, true
		}
		base.alt, base.nalt = alt, uint32(nalt)
	}
	if !ok {
		return -1, false
	}
	return add(base), true
}

// compilePlain compiles the best usable of a prefix's routes (sorted by
// metric), joining IPv6 gateway routes of equal metric into one ECMP route
// (the kernel's "siblings"; dumps may list them apart).
func (f *fib) compilePlain(cands []*rawRoute) (routeEntry, bool) {
	for j := 0; j < len(cands); {
		k := j + 1
		if cands[j].dst.Addr().Is6() && ecmpCandidate(cands[j]) {
			for k < len(cands) && cands[k].priority == cands[j].priority && ecmpCandidate(cands[k]) {
				k++
			}
		}
		if e, ok := f.compile(cands[j:k]); ok {
			return e, true
		}
		j = k
	}
	return routeEntry{}, false
}

// buildPolicy compiles one family's rules with a trie for every table they
// look up (the local table from the local entries, so that a moved or
// selective "lookup local" rule behaves as the kernel's).
func (f *fib) buildPolicy(rules []rawRule, lo string, routes []rawRoute, localHost map[netip.Prefix]struct{},
	localNet []netip.Prefix, v6 bool) *policy {
	p := &policy{}
	index := map[int]int32{}
	tableIndex := func(table int) int32 {
		if i, ok := index[table]; ok {
			return i
		}
		t := newTrie()
		add := func(pf netip.Prefix, e int32) {
			hi, lo, plen := prefixKey(pf)
			t.insert(hi, lo, plen, e)
		}
		if table == unix.RT_TABLE_LOCAL {
			byLen := map[int]int32{}
			local := func(pf netip.Prefix) {
				if pf.Addr().Is6() != v6 {
					return
				}
				e, ok := byLen[pf.Bits()]
				if !ok {
					f.routes = append(f.routes, routeEntry{result: Local, plen: uint8(pf.Bits())})
					e = int32(len(f.routes) - 1)
					byLen[pf.Bits()] = e
				}
				add(pf, e)
			}
			for pf := range localHost {
				local(pf)
			}
			for _, pf := range localNet {
				local(pf)
			}
		} else {
			var keys []routeKey
			for i := range routes {
				r := &routes[i]
				if r.table == table && r.dst.Addr().Is6() == v6 {
					keys = append(keys, keyOf(r, int32(i)))
				}
			}
			slices.SortFunc(keys, compareRouteKey)
			f.addRoutes(routes, keys, func(netip.Prefix) bool { return false }, add)
		}
		i := int32(-1)
		if !t.empty() {
			t.buildJump(jumpMinNodes)
			p.tables = append(p.tables, t)
			i = int32(len(p.tables) - 1)
		}
		index[table] = i
		return i
	}
	p.rules = compileRules(rules, lo, tableIndex)
	for i := range rules {
		p.text = append(p.text, rules[i].text)
	}
	return p
}

// routeKey orders main-table routes by family, prefix and metric, then dump
// order, so routes for one prefix are adjacent with the best metric first
// and the result never depends on map iteration order.
type routeKey struct {
	hi, lo uint64
	prio   int
	seq    uint64
	idx    int32
	plen   uint8
	v6     bool
}

func keyOf(r *rawRoute, idx int32) routeKey {
	hi, lo, plen := prefixKey(r.dst)
	return routeKey{hi: hi, lo: lo, prio: r.priority, seq: r.seq, idx: idx, plen: plen, v6: r.dst.Addr().Is6()}
}

func compareRouteKey(a, b routeKey) int {
	switch {
	case a.v6 != b.v6:
		if a.v6 {
			return 1
		}
		return -1
	case a.hi != b.hi:
		return cmp.Compare(a.hi, b.hi)
	case a.lo != b.lo:
		return cmp.Compare(a.lo, b.lo)
	case a.plen != b.plen:
		return cmp.Compare(a.plen, b.plen)
	case a.prio != b.prio:
		return cmp.Compare(a.prio, b.prio)
	case a.seq != b.seq:
		return cmp.Compare(a.seq, b.seq)
	}
	return cmp.Compare(a.idx, b.idx)
}

// ecmpCandidate reports whether r may join equal-metric IPv6 siblings into
// one multipath route, as the kernel does; a route using a nexthop object
// never has siblings.
func ecmpCandidate(r *rawRoute) bool {
	if r.typ != unix.RTN_UNICAST || len(r.nhs) == 0 || r.nhid != 0 {
		return false
	}
	for _, nh := range r.nhs {
		if !nh.gw.IsValid() {
			return false
		}
	}
	return true
}

func (f *fib) insert(p netip.Prefix, val int32) {
	hi, lo, plen := prefixKey(p)
	if p.Addr().Is4() {
		f.v4.insert(hi, lo, plen, val)
	} else {
		f.v6.insert(hi, lo, plen, val)
	}
}

// compile turns one route (or a group of IPv6 ECMP siblings) into an entry.
// ok is false when the route cannot carry traffic (every nexthop is on a
// link that is down or gone, or a type the fast path does not follow), so
// the lookup falls back to a shorter prefix as the kernel does.
func (f *fib) compile(group []*rawRoute) (routeEntry, bool) {
	switch group[0].typ {
	case unix.RTN_BLACKHOLE:
		return routeEntry{result: Blackhole}, true
	case unix.RTN_UNREACHABLE:
		return routeEntry{result: Unreachable}, true
	case unix.RTN_PROHIBIT:
		return routeEntry{result: Prohibit}, true
	case unix.RTN_THROW:
		return routeEntry{result: NoRoute}, true
	case unix.RTN_LOCAL:
		return routeEntry{result: Local}, true
	case unix.RTN_UNICAST:
	default:
		return routeEntry{}, false
	}
	type cand struct {
		nh   rawNexthop
		mtu  uint32
		link *linkEntry
	}
	var usable []cand
	ether := 0
	v6 := group[0].dst.Addr().Is6()
	for _, r := range group {
		for _, nh := range r.nhs {
			if nh.flags&unix.RTNH_F_DEAD != 0 {
				continue
			}
			l := f.link(nh.ifindex)
			if l == nil || !l.usable(v6) {
				continue
			}
			if nh.encap {
				// A tunnel header to push: the kernel's job. Usable,
				// so the route is the kernel's choice (SlowPath).
				l = &linkEntry{ifindex: l.ifindex, mtu: l.mtu}
			}
			dup := false
			for _, u := range usable {
				dup = dup || u.nh.ifindex == nh.ifindex && u.nh.gw == nh.gw
			}
			if dup {
				continue
			}
			usable = append(usable, cand{nh: nh, mtu: r.mtu, link: l})
			if l.ether {
				ether++
			}
		}
	}
	if len(usable) == 0 {
		return routeEntry{}, false
	}
	e := routeEntry{result: Found, first: uint32(len(f.nexthops))}
	if ether == 0 {
		// Egress the fast path cannot frame: report the kernel's choice.
		e.result = SlowPath
		usable = usable[:1]
	} else {
		usable = slices.DeleteFunc(usable, func(c cand) bool { return !c.link.ether })
	}
	var total uint64
	for _, c := range usable {
		total += uint64(c.nh.weight)
	}
	var cum uint64
	for _, c := range usable {
		cum += uint64(c.nh.weight)
		nh := nexthop{hop: Hop{Ifindex: c.nh.ifindex, SrcMAC: c.link.mac, MTU: c.link.mtu}}
		if c.mtu != 0 && (c.mtu < nh.hop.MTU || nh.hop.MTU == 0) {
			nh.hop.MTU = c.mtu
		}
		nh.upper = uint32(cum<<32/total - 1)
		if c.nh.gw.IsValid() {
			nh.gateway = true
			nh.hop.Via = c.nh.gw
			nh.khi, nh.klo = addrKey(c.nh.gw)
		}
		f.nexthops = append(f.nexthops, nh)
		if m := nh.hop.MTU; m != 0 && (f.minMTU == 0 || m < f.minMTU) {
			f.minMTU = m
		}
	}
	e.n = uint32(len(usable))
	// Nexthop object groups pass over members whose gateway's neighbour
	// is bad; classic IPv4 multipath routes too with fib_multipath_use_neigh.
	e.group = len(usable) > 1 && (usable[0].nh.member || f.useNeigh4 && !group[0].dst.Addr().Is6())
	return e, true
}

// buildNeigh compiles the usable neighbour entries.
func buildNeigh(neighs map[neighKey]neighInfo) *neighTable {
	n := 0
	for _, v := range neighs {
		if neighClass(v) != neighOther {
			n++
		}
	}
	t := newNeighTable(n)
	for k, v := range neighs {
		if c := neighClass(v); c != neighOther {
			hi, lo := addrKey(k.addr)
			t.put(k.ifindex, hi, lo, v.mac, c == neighBad)
		}
	}
	return t
}

// What a neighbour entry means to lookups.
const (
	neighOther  = iota // absent, or valid without a link-layer address
	neighBad           // not NUD_VALID: incomplete, failed
	neighUsable        // resolved: its MAC can be used
)

func neighClass(v neighInfo) int {
	switch {
	case v.state&usableNUD != 0 && v.hasLL:
		return neighUsable
	case v.state&usableNUD == 0:
		return neighBad
	}
	return neighOther
}
