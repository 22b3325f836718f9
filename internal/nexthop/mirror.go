package nexthop

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// Options configure a Mirror. The zero value mirrors the current network
// namespace with the defaults below.
type Options struct {
	// Netns is the network namespace to mirror. Zero or negative
	// (netns.None()) means the namespace of the thread calling Start. The
	// handle is duplicated; the caller may close its own copy.
	Netns netns.NsHandle
	// Logger receives state changes and errors; nil disables logging.
	Logger *zap.Logger
	// Coalesce is how long the mirror waits after a change before it
	// publishes a snapshot, so a burst of updates yields one rebuild
	// (default 2ms).
	Coalesce time.Duration
	// ResyncInterval is the period of a full re-dump, a safety net
	// against lost notifications (default 60s; negative disables).
	ResyncInterval time.Duration
	// ReceiveBuffer is the netlink socket receive buffer (default 4 MiB).
	ReceiveBuffer int
	// ResolveInterval: Resolve ignores repeated requests for the same
	// neighbour within this window (default 1s).
	ResolveInterval time.Duration
	// ResolveRate bounds the neighbour resolution requests sent to the
	// kernel per second (default 200, burst of the same size).
	ResolveRate int
	// ResolveQueue is the capacity of the request queue (default 256);
	// requests beyond it are dropped and counted.
	ResolveQueue int
}

func (o *Options) setDefaults() {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Coalesce <= 0 {
		o.Coalesce = 2 * time.Millisecond
	}
	if o.ResyncInterval == 0 {
		o.ResyncInterval = time.Minute
	}
	if o.ReceiveBuffer <= 0 {
		o.ReceiveBuffer = 4 << 20
	}
	if o.ResolveInterval <= 0 {
		o.ResolveInterval = time.Second
	}
	if o.ResolveRate <= 0 {
		o.ResolveRate = 200
	}
	if o.ResolveQueue <= 0 {
		o.ResolveQueue = 256
	}
}

// Stats are cumulative counters of a Mirror.
type Stats struct {
	Snapshots      uint64 // snapshots published
	RouteDumps     uint64 // route table dumps (initial, on change, resync)
	FullResyncs    uint64 // complete re-dumps (initial, periodic, after a lost subscription)
	Resubscribes   uint64 // subscriptions re-opened after an error (e.g. ENOBUFS)
	ResolveSent    uint64 // NTF_USE requests the kernel accepted
	ResolveDeduped uint64 // Resolve calls suppressed as repeats
	ResolveDropped uint64 // Resolve calls dropped (queue full or rate limit)
	ResolveErrors  uint64 // NTF_USE requests the kernel refused
	// Route events applied to the mirrored routes without a dump, and those
	// that needed one (they did not name one route exactly; patch.go).
	RouteEventsApplied, RouteEventsDumped uint64
	// Patches: snapshots whose routes were updated in place of a full build.
	Patches uint64
}

// Mirror keeps a Table current with the kernel. Table and Resolve are safe
// for concurrent use from any number of goroutines; everything else is done
// by the mirror's own goroutines.
type Mirror struct {
	cur     atomic.Pointer[Table]
	opts    Options
	log     *zap.Logger
	ns      netns.NsHandle // owned duplicate, or netns.None()
	h       *netlink.Handle
	rh      *netlink.Handle // resolver's own handle
	updates chan struct{}
	stop    chan struct{}
	closing atomic.Bool
	once    sync.Once
	wg      sync.WaitGroup

	resolveCh chan resolveReq
	loseSubs  chan struct{} // tests: simulate a lost subscription
	dedup     [dedupSlots]dedupSlot
	epoch     time.Time

	snapshots, routeDumps, fullResyncs, resubscribes        atomic.Uint64
	routeEventsApplied, routeEventsDumped, patches          atomic.Uint64
	resolveSent, resolveDeduped, resolveDropped, resolveErr atomic.Uint64

	// Owned by the mirror goroutine (and by Start before it runs).
	st                                st
	subs                              *subscriptions
	dirtyRoutes, dirtyFIB, dirtyNeigh bool
	dirtyRules, dirtyNetconf          bool
	nextDump                          time.Time
	// dirtyPrefixes are main-table prefixes whose routes events changed in
	// st since the last snapshot, for fib.patch (patch.go);
	// unfollowedDelta is what those events did to the unfollowed count.
	dirtyPrefixes   map[prefixID]struct{}
	unfollowedDelta int
	appliedEvents   bool // route events were applied since the last rebuild
}

type st struct {
	links  map[int32]linkInfo
	neighs map[neighKey]neighInfo
	addrs  map[ifAddr]struct{}
	routes []rawRoute
	// nhObjects are the nexthop objects (`ip nexthop`) by id; re-read with
	// the routes.
	nhObjects map[uint32]nhObject
	rules     []rawRule // both families, kernel order
	// netconf holds ignore_routes_with_linkdown per family and device
	// (netconfAll: the "all" setting).
	netconf map[netconfKey]bool
	// useNeigh4 is net.ipv4.fib_multipath_use_neigh (see netconf.go).
	useNeigh4 bool
	tables    map[int]bool // tables whose routes are kept: those the rules look up
	// byPrefix indexes routes by prefix for route events (patch.go); nil
	// until the first event after a dump. nextSeq orders added routes.
	byPrefix map[prefixID]int32
	nextSeq  uint64
}

// Start opens the netlink subscriptions in the target namespace, dumps the
// current state and publishes the first snapshot before returning. The
// mirror runs until ctx ends or Close is called; call Close in any case.
func Start(ctx context.Context, o Options) (*Mirror, error) {
	o.setDefaults()
	m := &Mirror{
		opts:      o,
		log:       o.Logger,
		ns:        netns.None(),
		updates:   make(chan struct{}, 1),
		stop:      make(chan struct{}),
		resolveCh: make(chan resolveReq, o.ResolveQueue),
		loseSubs:  make(chan struct{}),
		epoch:     time.Now(),

		dirtyPrefixes: map[prefixID]struct{}{},
	}
	if o.Netns > 0 {
		fd, err := unix.Dup(int(o.Netns))
		if err != nil {
			return nil, fmt.Errorf("duplicate netns handle: %w (pass an open namespace handle)", err)
		}
		unix.CloseOnExec(fd)
		m.ns = netns.NsHandle(fd)
	}
	ok := false
	defer func() {
		if !ok {
			m.release()
		}
	}()
	var err error
	if m.h, err = netlink.NewHandleAt(m.ns); err != nil {
		return nil, fmt.Errorf("open netlink handle in target namespace: %w (requires CAP_NET_ADMIN)", err)
	}
	if m.rh, err = netlink.NewHandleAt(m.ns); err != nil {
		return nil, fmt.Errorf("open netlink handle in target namespace: %w (requires CAP_NET_ADMIN)", err)
	}
	// Subscribe before dumping: a change made during the dump is then
	// also queued as an event and applied afterwards.
	if m.subs, err = m.subscribe(); err != nil {
		return nil, err
	}
	if err := m.fullDump(); err != nil {
		return nil, err
	}
	m.cur.Store(&Table{}) // version 0, replaced right away
	m.publish()
	ok = true
	m.wg.Add(2)
	go m.run(ctx)
	go m.resolver(ctx)
	return m, nil
}

// Table returns the current snapshot. It never returns nil after Start and
// does not allocate, lock or block.
func (m *Mirror) Table() *Table { return m.cur.Load() }

// Updates delivers a signal after each new snapshot. The channel has a
// buffer of one: a slow reader sees one signal for several snapshots.
func (m *Mirror) Updates() <-chan struct{} { return m.updates }

// Stats returns the mirror's counters.
func (m *Mirror) Stats() Stats {
	return Stats{
		Snapshots: m.snapshots.Load(), RouteDumps: m.routeDumps.Load(),
		FullResyncs: m.fullResyncs.Load(), Resubscribes: m.resubscribes.Load(),
		ResolveSent: m.resolveSent.Load(), ResolveDeduped: m.resolveDeduped.Load(),
		ResolveDropped: m.resolveDropped.Load(), ResolveErrors: m.resolveErr.Load(),
		RouteEventsApplied: m.routeEventsApplied.Load(), RouteEventsDumped: m.routeEventsDumped.Load(),
		Patches: m.patches.Load(),
	}
}

// Close stops the mirror and releases its sockets. The last Table stays
// usable. Close is idempotent.
func (m *Mirror) Close() error {
	m.once.Do(func() {
		m.closing.Store(true)
		close(m.stop)
		m.wg.Wait()
		m.release()
	})
	return nil
}

func (m *Mirror) release() {
	m.closing.Store(true)
	if m.subs != nil {
		m.subs.close()
		m.subs = nil
	}
	if m.h != nil {
		m.h.Close()
		m.h = nil
	}
	if m.rh != nil {
		m.rh.Close()
		m.rh = nil
	}
	if m.ns.IsOpen() {
		m.ns.Close()
	}
}

// run applies events and publishes coalesced snapshots.
func (m *Mirror) run(ctx context.Context) {
	defer m.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var timerC <-chan time.Time
	var deadline time.Time
	// arm schedules a rebuild in d unless one is due sooner: a neighbour
	// change must not wait behind a postponed route dump.
	arm := func(d time.Duration) {
		at := time.Now().Add(d)
		if timerC != nil && !at.Before(deadline) {
			return
		}
		timer.Reset(d)
		timerC, deadline = timer.C, at
	}
	var resyncC <-chan time.Time
	if m.opts.ResyncInterval > 0 {
		t := time.NewTicker(m.opts.ResyncInterval)
		defer t.Stop()
		resyncC = t.C
	}
	// changed arms a rebuild after an event, or re-subscribes when the
	// subscription it came from was lost (its channel closed).
	changed := func(ok, dirty bool) {
		switch {
		case !ok:
			m.recover(ctx)
			arm(0)
		case dirty:
			arm(m.opts.Coalesce)
		}
	}
	for {
		s := m.subs
		select {
		case <-ctx.Done():
			return
		case <-m.stop:
			return
		case ev, ok := <-s.routes:
			relevant := ok && ev.ok && m.st.tables[ev.route.table]
			if relevant {
				m.applyRouteEvent(&ev)
			}
			changed(ok, relevant)
		case u, ok := <-s.links:
			changed(ok, ok && m.applyLink(&u))
		case u, ok := <-s.addrs:
			changed(ok, ok && m.applyAddr(&u))
		case u, ok := <-s.neighs:
			changed(ok, ok && m.applyNeigh(u.Type, &u.Neigh))
		case _, ok := <-s.rules:
			m.dirtyRules = m.dirtyRules || ok
			changed(ok, true)
		case _, ok := <-s.nexthops:
			// Routes are re-read with the objects: deleting an object
			// deletes the routes that use it.
			m.dirtyRoutes = m.dirtyRoutes || ok
			changed(ok, true)
		case _, ok := <-s.netconf:
			m.dirtyNetconf = m.dirtyNetconf || ok
			changed(ok, true)
		case <-m.loseSubs:
			m.recover(ctx)
			arm(0)
		case <-timerC:
			timerC = nil
			if again := m.rebuild(); again > 0 {
				arm(again)
			}
		case <-resyncC:
			if err := m.fullDump(); err != nil {
				m.log.Warn("periodic netlink resync failed; keeping the previous state", zap.Error(err))
				continue
			}
			m.publish()
		}
	}
}

// rebuild re-dumps routes if they changed (at most one dump per
// dump-duration window, so a large table cannot eat a core under churn)
// and publishes a snapshot. It returns a delay after which to call it again
// when work was postponed.
func (m *Mirror) rebuild() time.Duration {
	var again time.Duration
	if m.dirtyRules {
		if rules, err := m.dumpRules(); err != nil {
			m.log.Warn("rule dump failed; retrying in 1s", zap.Error(err))
			again = time.Second
		} else {
			m.st.rules, m.dirtyRules, m.dirtyFIB = rules, false, true
			if t := ruleTables(rules); !maps.Equal(t, m.st.tables) {
				m.st.tables, m.dirtyRoutes = t, true
			}
		}
	}
	if m.dirtyNetconf {
		if changed, err := m.refreshNetconf(); err != nil {
			m.log.Warn("netconf dump failed; retrying in 1s", zap.Error(err))
			again = time.Second
		} else {
			m.dirtyNetconf = false
			m.dirtyFIB = m.dirtyFIB || changed
		}
	}
	if m.dirtyRoutes {
		if wait := time.Until(m.nextDump); wait > 0 {
			again = wait
		} else if err := m.dumpRoutes(); err != nil {
			m.log.Warn("route dump failed; retrying in 1s", zap.Error(err))
			again = time.Second
		}
	}
	if m.appliedEvents {
		// net.ipv4.fib_multipath_use_neigh has no notification: it is read
		// with every dump, and so with the route events applied instead.
		if u := m.readUseNeigh(); u != m.st.useNeigh4 {
			m.st.useNeigh4, m.dirtyFIB = u, true
		}
		m.appliedEvents = false
	}
	if m.dirtyFIB || m.dirtyNeigh || len(m.dirtyPrefixes) > 0 {
		m.publish()
	}
	return again
}

// applyRouteEvent applies a route event of a followed table to the state,
// or marks the routes for a re-dump when it cannot be applied exactly (or a
// re-dump is due anyway).
func (m *Mirror) applyRouteEvent(ev *routeEvent) {
	if m.dirtyRoutes {
		return // the dump will bring it
	}
	ok, unfollowed := m.st.applyRoute(ev.del, ev.nlFlags, ev.route)
	switch {
	case !ok:
		m.dirtyRoutes = true
		m.routeEventsDumped.Add(1)
	case ev.route.table == unix.RT_TABLE_MAIN:
		m.dirtyPrefixes[idOf(&ev.route)] = struct{}{}
		m.unfollowedDelta += unfollowed
	default:
		m.dirtyFIB = true // another table: a rebuild, without a dump
	}
	if ok {
		m.appliedEvents = true
		m.routeEventsApplied.Add(1)
	}
}

// recover re-opens lost subscriptions (the netlink socket overflowed or
// failed) and re-dumps everything, since events were lost.
func (m *Mirror) recover(ctx context.Context) {
	m.subs.close()
	if m.closing.Load() {
		m.subs = emptySubscriptions()
		return
	}
	m.log.Warn("netlink subscription lost; re-subscribing and re-dumping")
	backoff := 100 * time.Millisecond
	for {
		s, err := m.subscribe()
		if err == nil {
			m.subs = s
			break
		}
		m.log.Error("re-subscribe to netlink failed; retrying", zap.Error(err), zap.Duration("in", backoff))
		select {
		case <-ctx.Done():
			m.subs = emptySubscriptions()
			return
		case <-m.stop:
			m.subs = emptySubscriptions()
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
	m.resubscribes.Add(1)
	if err := m.fullDump(); err != nil {
		m.log.Warn("re-dump after re-subscribe failed; will retry on the next change", zap.Error(err))
		m.dirtyRoutes = true
	}
}

// publish builds what changed and stores a new snapshot.
func (m *Mirror) publish() {
	old := m.cur.Load()
	t := &Table{fib: old.fib, neigh: old.neigh, version: old.version + 1}
	switch {
	case m.dirtyFIB || t.fib == nil:
		t.fib = buildFIB(&m.st)
	case len(m.dirtyPrefixes) > 0:
		if t.fib = old.fib.patch(&m.st, m.dirtyPrefixes, m.unfollowedDelta); t.fib != nil {
			m.patches.Add(1)
		} else {
			t.fib = buildFIB(&m.st)
		}
	}
	clear(m.dirtyPrefixes)
	m.unfollowedDelta = 0
	if m.dirtyNeigh || t.neigh == nil {
		t.neigh = buildNeigh(m.st.neighs)
	}
	m.dirtyFIB, m.dirtyNeigh = false, false
	// The atomic store orders every write that built t before it: a
	// worker that loads t sees it complete, and nothing writes it again.
	m.cur.Store(t)
	m.snapshots.Add(1)
	select {
	case m.updates <- struct{}{}:
	default:
	}
	m.log.Debug("published next-hop snapshot", zap.Uint64("version", t.version),
		zap.Int("routes", t.fib.routeCount), zap.Int("neighbours", t.neigh.n))
}

// applyLink records a link change; it reports whether a rebuild is needed.
func (m *Mirror) applyLink(u *netlink.LinkUpdate) bool {
	if u.IfInfomsg.Family == unix.AF_BRIDGE || u.Link == nil || u.Link.Attrs() == nil {
		return false // bridge-port notifications repeat the real ones
	}
	idx := int32(u.Link.Attrs().Index)
	old, had := m.st.links[idx]
	if u.Header.Type == unix.RTM_DELLINK {
		if !had {
			return false
		}
		delete(m.st.links, idx)
		m.dirtyFIB, m.dirtyRoutes = true, true
		return true
	}
	li := linkFromNetlink(u.Link)
	m.st.links[idx] = li
	if had && old.mtu == li.mtu && old.mac == li.mac && old.ether == li.ether && old.up == li.up && old.linkdown == li.linkdown {
		return false
	}
	m.dirtyFIB = true
	if !had || old.up != li.up || old.linkdown != li.linkdown {
		// IPv4 routes through a link that goes down are flushed
		// without notifications: re-read the table.
		m.dirtyRoutes = true
	}
	m.log.Debug("link changed", zap.String("name", li.name), zap.Int32("ifindex", idx),
		zap.Uint32("mtu", li.mtu), zap.Bool("up", li.up))
	return true
}

func (m *Mirror) applyAddr(u *netlink.AddrUpdate) bool {
	a, ok := ipToAddr(u.LinkAddress.IP)
	if !ok {
		return false
	}
	ones, _ := u.LinkAddress.Mask.Size()
	k := ifAddr{ifindex: int32(u.LinkIndex), prefix: netip.PrefixFrom(a, ones)}
	_, had := m.st.addrs[k]
	if u.NewAddr == had {
		return false
	}
	if u.NewAddr {
		m.st.addrs[k] = struct{}{}
	} else {
		delete(m.st.addrs, k)
	}
	m.dirtyFIB = true
	return true
}

func (m *Mirror) applyNeigh(typ uint16, n *netlink.Neigh) bool {
	k, v, ok := neighFromNetlink(n)
	if !ok {
		return false
	}
	old, had := m.st.neighs[k]
	before := neighOther
	if had {
		before = neighClass(old)
	}
	after := neighOther
	if typ == unix.RTM_DELNEIGH {
		if !had {
			return false
		}
		delete(m.st.neighs, k)
	} else {
		m.st.neighs[k] = v
		after = neighClass(v)
	}
	// REACHABLE <-> STALE <-> DELAY churn (and INCOMPLETE <-> FAILED) does
	// not change what a lookup returns; only the class and the MAC matter.
	if before == after && (after != neighUsable || old.mac == v.mac) {
		return false
	}
	m.dirtyNeigh = true
	return true
}
