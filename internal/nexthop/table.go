package nexthop

import "net/netip"

// Result is the outcome of a next-hop lookup.
type Result uint8

const (
	// NoRoute: no usable route covers the destination (none at all, a
	// "throw" route, or every nexthop of the best route is on a link that
	// is down). The caller answers with ICMP unreachable or drops.
	NoRoute Result = iota
	// Found: Hop names an Ethernet egress; check Hop.Resolved before using
	// Hop.DstMAC.
	Found
	// Local: the destination is one of this host's addresses (or a local,
	// broadcast or anycast route of the local table). Not to be forwarded.
	Local
	// Blackhole: a blackhole route covers the destination: drop silently.
	Blackhole
	// Unreachable: an unreachable route: drop, ICMP host unreachable.
	Unreachable
	// Prohibit: a prohibit route: drop, ICMP administratively prohibited.
	Prohibit
	// SlowPath: a usable route exists but its egress is not Ethernet-like
	// (tun, wireguard, loopback, ...), so the fast path cannot build the
	// frame; hand the packet to the kernel. Hop.Ifindex, Hop.MTU and
	// Hop.Via are filled.
	SlowPath
)

var resultNames = [...]string{"no-route", "found", "local", "blackhole", "unreachable", "prohibit", "slow-path"}

func (r Result) String() string {
	if int(r) < len(resultNames) {
		return resultNames[r]
	}
	return "result(?)"
}

// Hop is where a packet leaves: everything needed to write the Ethernet
// header and to decide about fragmentation / Packet Too Big.
type Hop struct {
	// Via is the next-hop address actually used: the gateway, or the
	// destination itself for an on-link route. netip.Addr without a zone
	// is a plain value; copying or building one does not allocate.
	Via      netip.Addr
	MTU      uint32  // min(route MTU (RTAX_MTU), link MTU) if the route sets one, else the link MTU
	Ifindex  int32   // egress interface
	SrcMAC   [6]byte // egress interface MAC
	DstMAC   [6]byte // neighbour MAC, valid only if Resolved
	Resolved bool    // the kernel holds a usable neighbour entry (REACHABLE/STALE/DELAY/PROBE/PERMANENT/NOARP)
}

// ViaAddr returns the next-hop address (for the slow path and logs).
func (h *Hop) ViaAddr() netip.Addr { return h.Via }

// Table is one immutable snapshot of the kernel's forwarding state. All
// methods are safe for concurrent use; the lookups do not allocate, lock or
// block. A Table stays valid (and unchanged) after newer snapshots appear.
type Table struct {
	fib     *fib
	neigh   *neighTable
	version uint64
}

// fib is the part of a snapshot that depends on routes, links and addresses;
// neighbour-only changes reuse it.
type fib struct {
	v4, v6         trie // main table + host-length local entries
	local4, local6 trie // non-host-length local-table prefixes (AnyIP); usually empty
	routes         []routeEntry
	nexthops       []nexthop
	links          []linkEntry // sorted by ifindex
	minMTU         uint32      // smallest non-zero Hop.MTU of nexthops, 0 if none (patches only lower it)
	localAddrs     []netip.Addr
	routeCount     int
	unfollowed     int // routes left out: of source-specific IPv6 prefixes, TOS no packet can match
	alts           []tosAlt
	useNeigh4      bool // net.ipv4.fib_multipath_use_neigh, while building

	pol4, pol6 *policy // nil: the kernel's default rules (local, then main)

	// Only for building and patching (never read by lookups).
	scratch   []*rawRoute
	localHost map[netip.Prefix]struct{} // addresses and host-length local routes: Local entries of v4/v6
	dead      int                       // trie nodes and route entries older versions left behind (patch.go)
}

type routeEntry struct {
	result Result
	plen   uint8  // prefix length of the route (suppress_prefixlength)
	noBase bool   // only TOS-specific routes here: other packets fall back to a shorter prefix
	group  bool   // members with a bad gateway neighbour are passed over (nexthop object groups; fib_multipath_use_neigh)
	first  uint32 // nexthops[first : first+n]
	n      uint32
	alt    uint32 // IPv4 TOS-specific routes of the prefix: alts[alt : alt+nalt]
	nalt   uint32
}

// tosAlt is the route of a prefix that packets with one TOS take (ip route
// add ... tos T): those whose TOS & tosRouteMask equals tos.
type tosAlt struct {
	tos   uint8
	entry int32 // index into fib.routes
}

// tosRouteMask selects the TOS bits an IPv4 route's tos is compared with
// (the kernel's legacy TOS mask, IPTOS_RT_MASK without the lowest bit).
const tosRouteMask = 0x1c

// resolve applies TOS-specific routes to e, the entry trie t found for
// (hi, lo): a matching alternative first, then the prefix's own routes;
// where there are none (noBase), the longest shorter prefix, as the
// kernel's lookup backtracks. -1: no route.
func (f *fib) resolve(t *trie, e int32, hi, lo uint64, tos uint8) int32 {
	for e >= 0 {
		r := &f.routes[e]
		if r.nalt == 0 {
			return e
		}
		if want := tos & tosRouteMask; want != 0 {
			for _, a := range f.alts[r.alt : r.alt+r.nalt] {
				if a.tos == want {
					return a.entry
				}
			}
		}
		if !r.noBase {
			return e
		}
		e = t.lookupShorter(hi, lo, r.plen)
	}
	return -1
}

type nexthop struct {
	hop     Hop    // Ifindex, SrcMAC, MTU; Via when gateway
	upper   uint32 // ECMP: chosen when flowHash <= upper (last one is MaxUint32)
	gateway bool
	khi     uint64 // neighbour key of the gateway
	klo     uint64
}

type linkEntry struct {
	ifindex int32
	mtu     uint32
	mac     [6]byte
	ether   bool
	up      bool
	group   uint32 // interface group (suppress_ifgroup)
	// linkdown: administratively up without carrier. The kernel keeps
	// routing through such a link unless ignore_routes_with_linkdown is
	// set for the route's family (ignore4, ignore6).
	linkdown         bool
	ignore4, ignore6 bool
}

// usable reports whether routes of a family may leave through l.
func (l *linkEntry) usable(v6 bool) bool {
	if v6 {
		return l.up || l.linkdown && !l.ignore6
	}
	return l.up || l.linkdown && !l.ignore4
}

var emptyFIB = &fib{v4: newTrie(), v6: newTrie(), local4: newTrie(), local6: newTrie()}

// emptyTable is what a zero Table behaves like: no routes, no neighbours.
func (t *Table) f() *fib {
	if t == nil || t.fib == nil {
		return emptyFIB
	}
	return t.fib
}

// Lookup4 finds the next hop for an IPv4 destination given as a big-endian
// uint32. flowHash selects among equal-cost nexthops; pass a hash of the flow
// (addresses, protocol, ports) so a flow keeps its path.
func (t *Table) Lookup4(dst uint32, flowHash uint32) (Hop, Result) {
	return t.lookup4tos(dst, 0, flowHash)
}

// lookup4tos is Lookup4 for a packet with IPv4 TOS tos.
func (t *Table) lookup4tos(dst uint32, tos uint8, flowHash uint32) (Hop, Result) {
	f := t.f()
	hi := uint64(dst) << 32
	if !f.local4.empty() && f.local4.lookup(hi, 0) >= 0 {
		return Hop{}, Local
	}
	e := f.v4.lookup(hi, 0)
	if e >= 0 && f.routes[e].nalt != 0 { // TOS-specific routes (rare): see resolve
		e = f.resolve(&f.v4, e, hi, 0, tos)
	}
	if e < 0 {
		return Hop{}, NoRoute
	}
	khi, klo := v4Key(dst)
	return t.finish(f, &f.routes[e], flowHash, khi, klo, addrFrom4(dst))
}

// Lookup6 finds the next hop for an IPv6 destination given as big-endian
// halves (hi = bytes 0..7, lo = bytes 8..15).
func (t *Table) Lookup6(hi, lo uint64, flowHash uint32) (Hop, Result) {
	f := t.f()
	if !f.local6.empty() && f.local6.lookup(hi, lo) >= 0 {
		return Hop{}, Local
	}
	e := f.v6.lookup(hi, lo)
	if e < 0 {
		return Hop{}, NoRoute
	}
	return t.finish(f, &f.routes[e], flowHash, hi, lo, addrFromKey(hi, lo))
}

// Policy reports whether policy routing rules other than the kernel's
// defaults apply to the family, or (IPv4) TOS-specific routes: then Route
// must be used, since the route may depend on more than the destination.
func (t *Table) Policy(v6 bool) bool {
	f := t.f()
	if v6 {
		return f.pol6 != nil
	}
	return f.pol4 != nil || len(f.alts) > 0
}

// Route finds the next hop of a translated packet through the policy
// routing rules of its family (see rules.go); with the default rules it is
// Lookup4 / Lookup6 of the destination. It does not allocate.
func (t *Table) Route(fl *Flow, v6 bool, flowHash uint32) (Hop, Result) {
	f := t.f()
	if !v6 {
		dst := uint32(fl.DstHi >> 32)
		if f.pol4 == nil {
			return t.lookup4tos(dst, fl.TOS, flowHash)
		}
		khi, klo := v4Key(dst)
		return t.route(f, f.pol4, fl, flowHash, khi, klo, addrFrom4(dst))
	}
	if f.pol6 == nil {
		return t.Lookup6(fl.DstHi, fl.DstLo, flowHash)
	}
	return t.route(f, f.pol6, fl, flowHash, fl.DstHi, fl.DstLo, addrFromKey(fl.DstHi, fl.DstLo))
}

// addrFrom4 is the IPv4 address a (big-endian uint32).
func addrFrom4(a uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)})
}

// addrFromKey is the IPv6 address with big-endian halves hi, lo.
func addrFromKey(hi, lo uint64) netip.Addr {
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(lo >> (56 - 8*i))
	}
	return netip.AddrFrom16(b)
}

// finish picks the nexthop and joins the neighbour entry. (khi, klo) is the
// neighbour key of the destination, used for on-link routes.
func (t *Table) finish(f *fib, r *routeEntry, flowHash uint32, khi, klo uint64, dst netip.Addr) (Hop, Result) {
	if r.result != Found && r.result != SlowPath {
		return Hop{}, r.result
	}
	nhs := f.nexthops[r.first : r.first+r.n]
	if len(nhs) == 0 {
		return Hop{}, NoRoute
	}
	nh := &nhs[0]
	for i := 1; i < len(nhs) && flowHash > nh.upper; i++ {
		nh = &nhs[i]
	}
	h := nh.hop
	if nh.gateway {
		khi, klo = nh.khi, nh.klo
	} else {
		h.Via = dst
	}
	if r.result == SlowPath {
		return h, SlowPath
	}
	h.DstMAC, h.Resolved = t.neigh.get(h.Ifindex, khi, klo)
	if !h.Resolved && r.group && nh.gateway && t.neigh.isBad(h.Ifindex, khi, klo) {
		if alt := t.goodMember(nhs, nh); alt != nil {
			h = alt.hop
			h.DstMAC, h.Resolved = t.neigh.get(h.Ifindex, alt.khi, alt.klo)
		}
	}
	return h, Found
}

// goodMember is the member of a nexthop object group the kernel takes when
// the hash picked chosen, whose gateway's neighbour is bad: the next member
// whose gateway is not bad, else the first such member; nil when there is
// none (the kernel then keeps the group's first member; the caller keeps
// its choice, equally unresolved).
func (t *Table) goodMember(nhs []nexthop, chosen *nexthop) *nexthop {
	var first *nexthop
	after := false
	for i := range nhs {
		n := &nhs[i]
		if n == chosen {
			after = true
			continue
		}
		if n.gateway && t.neigh.isBad(n.hop.Ifindex, n.khi, n.klo) {
			continue
		}
		if after {
			return n
		}
		if first == nil {
			first = n
		}
	}
	return first
}

// Lookup is the slow-path form of Lookup4/Lookup6 for a netip.Addr.
func (t *Table) Lookup(dst netip.Addr, flowHash uint32) (Hop, Result) {
	if dst.Is4() {
		b := dst.As4()
		return t.Lookup4(uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3]), flowHash)
	}
	if !dst.IsValid() {
		return Hop{}, NoRoute
	}
	hi, lo := addrKey(dst)
	return t.Lookup6(hi, lo, flowHash)
}

// MTUFloor returns a lower bound on the MTU of every next hop a lookup in t can return, an unknown (zero) MTU
// counting as 1500, and at most 1500: the floor for xlat.Translator.MTUFloor when its MTU oracle answers from t
// and takes a result without a hop for 1500.
func (t *Table) MTUFloor() uint32 {
	if t == nil || t.fib == nil {
		return 1500 // no hops
	}
	if m := t.fib.minMTU; m != 0 && m < 1500 {
		return m
	}
	return 1500
}

// LinkMTU returns the MTU of an interface, or 0 if it is unknown.
func (t *Table) LinkMTU(ifindex int32) uint32 {
	if l := t.f().link(ifindex); l != nil {
		return l.mtu
	}
	return 0
}

// LinkMAC returns the MAC of an Ethernet-like interface.
func (t *Table) LinkMAC(ifindex int32) ([6]byte, bool) {
	if l := t.f().link(ifindex); l != nil && l.ether {
		return l.mac, true
	}
	return [6]byte{}, false
}

// LinkUp reports whether an interface is administratively up and running
// (carrier present), i.e. usable as an egress.
func (t *Table) LinkUp(ifindex int32) bool {
	l := t.f().link(ifindex)
	return l != nil && l.up
}

// Neighbour returns the MAC of a usable neighbour entry (slow path / tests).
func (t *Table) Neighbour(ifindex int32, addr netip.Addr) ([6]byte, bool) {
	hi, lo := addrKey(addr)
	return t.neigh.get(ifindex, hi, lo)
}

func (f *fib) link(ifindex int32) *linkEntry {
	ls := f.links
	lo, hi := 0, len(ls)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ls[m].ifindex < ifindex {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(ls) && ls[lo].ifindex == ifindex {
		return &ls[lo]
	}
	return nil
}

// LocalAddrs returns a copy of the host's addresses and of the broadcast
// addresses of its IPv4 subnets (the local table's broadcast routes), sorted
// (slow path).
func (t *Table) LocalAddrs() []netip.Addr {
	return append([]netip.Addr(nil), t.f().localAddrs...)
}

// UnfollowedRoutes is how many routes the snapshot leaves out: IPv6
// source-specific ("from") routes, whose destination prefixes are skipped,
// and TOS-specific routes no packet can match (see the package
// documentation).
func (t *Table) UnfollowedRoutes() int { return t.f().unfollowed }

// Version numbers snapshots; a newer snapshot has a larger version.
func (t *Table) Version() uint64 {
	if t == nil {
		return 0
	}
	return t.version
}
