package nexthop

import (
	"net/netip"
	"slices"

	"golang.org/x/sys/unix"
)

// Incremental route updates.
//
// A route event that names its route unambiguously is applied to the
// mirrored state (st.applyRoute) instead of causing a dump. If it touches the
// main table of a family that has no policy routing, only the entries of the
// prefixes it changed are recompiled, into a copy of the published fib that
// shares everything else (fib.patch, with copy-on-write tries, trie_cow.go).
// Anything else still takes the full way: events that cannot be placed
// exactly (IPv6 multipath siblings, source-specific routes, an IPv4 route
// prepended to others of the same key) re-dump the routes, and changes to
// other tables or to a family with policy rules rebuild the fib from the
// state without a dump.

// prefixID names the routes of one destination prefix of one table.
type prefixID struct {
	hi, lo uint64
	table  int
	plen   uint8
	v6     bool
}

func idOf(r *rawRoute) prefixID {
	hi, lo, plen := prefixKey(r.dst)
	return prefixID{hi: hi, lo: lo, table: r.table, plen: plen, v6: r.dst.Addr().Is6()}
}

func (id prefixID) prefix() netip.Prefix {
	if !id.v6 {
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(id.hi >> 56), byte(id.hi >> 48), byte(id.hi >> 40),
			byte(id.hi >> 32)}), int(id.plen))
	}
	return netip.PrefixFrom(addrFromKey(id.hi, id.lo), int(id.plen))
}

// index makes sure st.byPrefix chains every route of st.routes by prefix:
// byPrefix holds the first position + 1, rawRoute.next the next one + 1.
func (s *st) index() {
	if s.byPrefix != nil {
		return
	}
	s.byPrefix = make(map[prefixID]int32, len(s.routes))
	for i := range s.routes {
		id := idOf(&s.routes[i])
		s.routes[i].next = s.byPrefix[id]
		s.byPrefix[id] = int32(i) + 1
	}
}

// resetRoutes installs a dumped route set (in dump order).
func (s *st) resetRoutes(routes []rawRoute) {
	for i := range routes {
		routes[i].seq = uint64(i)
	}
	s.routes, s.byPrefix, s.nextSeq = routes, nil, uint64(len(routes))
}

// positions returns the positions of the routes of id.
func (s *st) positions(id prefixID, buf []int32) []int32 {
	for p := s.byPrefix[id]; p != 0; p = s.routes[p-1].next {
		buf = append(buf, p-1)
	}
	return buf
}

// unlink removes position i from the chain that holds it.
func (s *st) unlink(i int32) {
	id := idOf(&s.routes[i])
	if s.byPrefix[id] == i+1 {
		if n := s.routes[i].next; n != 0 {
			s.byPrefix[id] = n
		} else {
			delete(s.byPrefix, id)
		}
		return
	}
	for p := s.byPrefix[id]; p != 0; p = s.routes[p-1].next {
		if s.routes[p-1].next == i+1 {
			s.routes[p-1].next = s.routes[i].next
			return
		}
	}
}

// remove deletes the route at position i: the last route moves into its
// place (order within a prefix is kept by seq, not by position).
func (s *st) remove(i int32) {
	s.unlink(i)
	last := int32(len(s.routes) - 1)
	if i != last {
		id := idOf(&s.routes[last])
		if s.byPrefix[id] == last+1 {
			s.byPrefix[id] = i + 1
		} else {
			for p := s.byPrefix[id]; p != 0; p = s.routes[p-1].next {
				if s.routes[p-1].next == last+1 {
					s.routes[p-1].next = i + 1
					break
				}
			}
		}
		s.routes[i] = s.routes[last]
	}
	s.routes[last] = rawRoute{}
	s.routes = s.routes[:last]
}

// insert appends r, after every route the state holds (seq).
func (s *st) insert(r rawRoute) {
	r.seq = s.nextSeq
	s.nextSeq++
	id := idOf(&r)
	r.next = s.byPrefix[id]
	s.routes = append(s.routes, r)
	s.byPrefix[id] = int32(len(s.routes))
}

// sameRoute reports whether a and b are the same route of the same prefix,
// as a deletion names it: key, type and nexthops.
func sameRoute(a, b *rawRoute) bool {
	return sameKey(a, b) && a.typ == b.typ && a.nhid == b.nhid && slices.EqualFunc(a.nhs, b.nhs,
		func(x, y rawNexthop) bool { return x.ifindex == y.ifindex && x.gw == y.gw })
}

// sameKey: what makes two routes of one prefix and table alternatives of
// each other in the kernel (IPv4: TOS and metric; IPv6: metric).
func sameKey(a, b *rawRoute) bool {
	return a.priority == b.priority && a.tos == b.tos && a.srcLen == b.srcLen
}

// applyRoute applies a route event (RTM_NEWROUTE unless del; nlFlags from
// the message header) of a followed table to the state. It reports false,
// changing nothing, when the event does not name one route exactly; the
// caller then re-dumps. unfollowed is the change in unfollowed routes.
func (s *st) applyRoute(del bool, nlFlags uint16, r rawRoute) (ok bool, unfollowed int) {
	v6 := r.dst.Addr().Is6()
	if r.srcLen != 0 || v6 && len(r.nhs) > 1 {
		return false, 0 // source-specific or IPv6 multipath: siblings the kernel reports one by one
	}
	s.index()
	var buf [8]int32
	var same []int32
	for _, p := range s.positions(idOf(&r), buf[:0]) {
		o := &s.routes[p]
		if v6 && len(o.nhs) > 1 {
			return false, 0 // an IPv6 multipath route of this prefix: an event may change one sibling
		}
		if sameKey(o, &r) {
			same = append(same, p)
		}
	}
	count := func(r *rawRoute) int {
		if unfollowedRoute(r) {
			return 1
		}
		return 0
	}
	switch {
	case del:
		var hit []int32
		for _, p := range same {
			if sameRoute(&s.routes[p], &r) {
				hit = append(hit, p)
			}
		}
		if len(hit) != 1 {
			return false, 0
		}
		unfollowed = -count(&s.routes[hit[0]])
		s.remove(hit[0])
	case nlFlags&unix.NLM_F_REPLACE != 0 && len(same) == 1:
		o := &s.routes[same[0]]
		unfollowed = count(&r) - count(o)
		r.seq, r.next = o.seq, o.next
		*o = r
	case len(same) == 0, !v6 && nlFlags&unix.NLM_F_APPEND != 0:
		// A new key, or an IPv4 route appended after those of its key.
		unfollowed = count(&r)
		s.insert(r)
	default:
		// IPv4 prepended before routes of the same key, an IPv6 sibling, or
		// a replace of several: the kernel's order is not in the event.
		return false, 0
	}
	return true, unfollowed
}

// routesOf returns copies of the routes of id, nexthop objects resolved, in
// compareRouteKey order.
func (s *st) routesOf(id prefixID) []rawRoute {
	var buf [8]int32
	var out []rawRoute
	for _, p := range s.positions(id, buf[:0]) {
		out = append(out, s.routes[p])
	}
	out = resolveNexthops(out, s.nhObjects)
	slices.SortFunc(out, func(a, b rawRoute) int { return compareRouteKey(keyOf(&a, 0), keyOf(&b, 0)) })
	return out
}

// patchDeadMin: a patched fib is rebuilt from scratch once the nodes and
// entries its versions left behind exceed both this and the live ones.
const patchDeadMin = 1 << 14

// patch returns a copy of f in which the main-table entries of the given
// prefixes are compiled again from s; the copy shares everything else with
// f, which does not change. It returns nil when only a full build will do:
// a policy for the family, or too much garbage.
func (f *fib) patch(s *st, prefixes map[prefixID]struct{}, unfollowed int) *fib {
	nf := *f
	c4, c6 := newCowTrie(&nf.v4), newCowTrie(&nf.v6)
	var ptrs []*rawRoute
	for id := range prefixes {
		if id.table != unix.RT_TABLE_MAIN || id.v6 && f.pol6 != nil || !id.v6 && f.pol4 != nil {
			return nil
		}
		p := id.prefix()
		if _, ok := f.localHost[p]; ok {
			continue // a Local entry holds the prefix (as in buildFIB)
		}
		c := c4
		if id.v6 {
			c = c6
		}
		routes := s.routesOf(id)
		ptrs = ptrs[:0]
		for i := range routes {
			ptrs = append(ptrs, &routes[i])
		}
		e, ok := -1, false
		if len(ptrs) > 0 {
			var v int32
			v, ok = nf.compilePrefix(p, ptrs)
			e = int(v)
		}
		switch {
		case ok:
			if !c.set(id.hi, id.lo, id.plen, int32(e)) {
				nf.routeCount++
			}
		case c.del(id.hi, id.lo, id.plen):
			nf.routeCount--
		}
		nf.dead++ // the entry the prefix had (or its absence)
	}
	c4.finish()
	c6.finish()
	nf.dead += c4.dead + c6.dead
	nf.unfollowed += unfollowed
	if nf.dead > patchDeadMin && nf.dead > len(nf.routes)+len(nf.v4.nodes)+len(nf.v6.nodes)-nf.dead {
		return nil
	}
	return &nf
}
