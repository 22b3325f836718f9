package nexthop

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// subscriptions are the netlink multicast subscriptions. netlink's own
// goroutines (and ours, for rules) feed the channels and close them when the
// socket fails or done is closed.
type subscriptions struct {
	closed   atomic.Bool // set before done closes: errors after it are expected
	done     chan struct{}
	routes   chan routeEvent
	links    chan netlink.LinkUpdate
	addrs    chan netlink.AddrUpdate
	neighs   chan netlink.NeighUpdate
	rules    chan struct{} // a rule of either family was added or removed
	nexthops chan struct{} // a nexthop object was added, changed or removed
	netconf  chan struct{} // a netconf object (per-device IP settings) changed
}

// eventQueue is the channel depth between netlink's reader goroutines and
// the mirror; the socket buffer (Options.ReceiveBuffer) absorbs the rest.
const eventQueue = 1024

// emptySubscriptions never deliver anything (nil channels block forever).
func emptySubscriptions() *subscriptions { return &subscriptions{done: make(chan struct{})} }

// subscribe opens the four subscriptions inside the target namespace
// (netlink switches the calling thread into it and back under
// runtime.LockOSThread).
func (m *Mirror) subscribe() (*subscriptions, error) {
	s := &subscriptions{
		done:     make(chan struct{}),
		routes:   make(chan routeEvent, eventQueue),
		links:    make(chan netlink.LinkUpdate, eventQueue),
		addrs:    make(chan netlink.AddrUpdate, eventQueue),
		neighs:   make(chan netlink.NeighUpdate, eventQueue),
		rules:    make(chan struct{}, 1),
		nexthops: make(chan struct{}, 1),
		netconf:  make(chan struct{}, 1),
	}
	var ns = &m.ns
	if !m.ns.IsOpen() {
		ns = nil
	}
	cb := func(kind string) func(error) {
		return func(err error) {
			if !m.closing.Load() && !s.closed.Load() {
				m.log.Warn("netlink subscription error", zap.String("kind", kind), zap.Error(err))
			}
		}
	}
	// Each call starts a reader goroutine only on success; on failure the
	// ones already started are stopped through done.
	started := struct{ routes, links, addrs, neighs, rules, nexthops bool }{}
	fail := func(what string, err error) (*subscriptions, error) {
		s.closed.Store(true)
		close(s.done)
		drain(started.routes, s.routes)
		drain(started.links, s.links)
		drain(started.addrs, s.addrs)
		drain(started.neighs, s.neighs)
		drain(started.rules, s.rules)
		drain(started.nexthops, s.nexthops)
		return nil, fmt.Errorf("subscribe to %s changes: %w (requires CAP_NET_ADMIN in the target namespace)", what, err)
	}
	rb := m.opts.ReceiveBuffer
	target := netns.None()
	if ns != nil {
		target = *ns
	}
	if err := subscribeRoutes(target, s.routes, s.done, rb, cb("route")); err != nil {
		return fail("route", err)
	}
	started.routes = true
	if err := netlink.LinkSubscribeWithOptions(s.links, s.done, netlink.LinkSubscribeOptions{
		Namespace: ns, ErrorCallback: cb("link"), ReceiveBufferSize: rb, ReceiveBufferForceSize: true,
	}); err != nil {
		return fail("link", err)
	}
	started.links = true
	if err := netlink.AddrSubscribeWithOptions(s.addrs, s.done, netlink.AddrSubscribeOptions{
		Namespace: ns, ErrorCallback: cb("address"), ReceiveBufferSize: rb, ReceiveBufferForceSize: true,
	}); err != nil {
		return fail("address", err)
	}
	started.addrs = true
	if err := netlink.NeighSubscribeWithOptions(s.neighs, s.done, netlink.NeighSubscribeOptions{
		Namespace: ns, ErrorCallback: cb("neighbour"), ReceiveBufferSize: rb, ReceiveBufferForceSize: true,
	}); err != nil {
		return fail("neighbour", err)
	}
	started.neighs = true
	if err := subscribeSignal(target, s.rules, s.done, rb, cb("rule"), []uint{unix.RTNLGRP_IPV4_RULE, unix.RTNLGRP_IPV6_RULE},
		unix.RTM_NEWRULE, unix.RTM_DELRULE); err != nil {
		return fail("rule", err)
	}
	started.rules = true
	if err := subscribeSignal(target, s.nexthops, s.done, rb, cb("nexthop"), []uint{unix.RTNLGRP_NEXTHOP},
		unix.RTM_NEWNEXTHOP, unix.RTM_DELNEXTHOP); err != nil {
		return fail("nexthop", err)
	}
	started.nexthops = true
	if err := subscribeSignal(target, s.netconf, s.done, rb, cb("netconf"), []uint{unix.RTNLGRP_IPV4_NETCONF, unix.RTNLGRP_IPV6_NETCONF},
		unix.RTM_NEWNETCONF, unix.RTM_DELNETCONF); err != nil {
		return fail("netconf", err)
	}
	return s, nil
}

// subscribeSignal reports, on ch, that a message of one of the types
// arrived on the multicast groups (coalesced: one pending signal at most),
// for the rtnetlink objects the netlink package cannot subscribe to: policy
// routing rules, nexthop objects. It closes ch when the socket fails or done
// is closed.
func subscribeSignal(target netns.NsHandle, ch chan struct{}, done <-chan struct{}, rcvbuf int, cberr func(error),
	groups []uint, types ...uint16) error {
	return subscribeRaw(target, done, rcvbuf, cberr, groups, func() { close(ch) }, func(msg *syscall.NetlinkMessage) bool {
		if slices.Contains(types, msg.Header.Type) {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
		return true
	})
}

// routeEvent is one route message from the kernel: the route as a dump
// gives it, whether it was deleted, and the header flags (NLM_F_REPLACE,
// NLM_F_APPEND) that say where an added route goes. ok is false for a
// message that is not a route siit could mirror (another family, a cached
// clone).
type routeEvent struct {
	del     bool
	nlFlags uint16
	route   rawRoute
	ok      bool
}

// subscribeRoutes delivers the route messages of both families on ch, parsed
// as dumps are (routeFromMessage). It closes ch when the socket fails or done
// is closed.
func subscribeRoutes(target netns.NsHandle, ch chan routeEvent, done <-chan struct{}, rcvbuf int, cberr func(error)) error {
	groups := []uint{unix.RTNLGRP_IPV4_ROUTE, unix.RTNLGRP_IPV6_ROUTE}
	return subscribeRaw(target, done, rcvbuf, cberr, groups, func() { close(ch) }, func(msg *syscall.NetlinkMessage) bool {
		t := msg.Header.Type
		if t != unix.RTM_NEWROUTE && t != unix.RTM_DELROUTE {
			return true
		}
		r, ok := routeFromMessage(msg.Data)
		select {
		case ch <- routeEvent{del: t == unix.RTM_DELROUTE, nlFlags: msg.Header.Flags, route: r, ok: ok}:
			return true
		case <-done:
			return false
		}
	})
}

// subscribeRaw opens a socket on the rtnetlink multicast groups in target
// and hands every message from the kernel to deliver (false: stop) until
// the socket fails (reported to cberr) or done is closed; then it calls
// closed.
func subscribeRaw(target netns.NsHandle, done <-chan struct{}, rcvbuf int, cberr func(error), groups []uint,
	closed func(), deliver func(*syscall.NetlinkMessage) bool) error {
	s, err := nl.SubscribeAt(target, netns.None(), unix.NETLINK_ROUTE, groups...)
	if err != nil {
		return err
	}
	if err := s.SetReceiveBufferSize(rcvbuf, true); err != nil {
		s.Close()
		return err
	}
	go func() {
		<-done
		s.Close()
	}()
	go func() {
		defer closed()
		for {
			msgs, from, err := s.Receive()
			if err != nil {
				cberr(err)
				return
			}
			if from.Pid != nl.PidKernel {
				continue
			}
			for i := range msgs {
				if !deliver(&msgs[i]) {
					return
				}
			}
		}
	}()
	return nil
}

// drain empties a channel until netlink's reader closes it, so the reader
// (possibly blocked sending) can exit.
func drain[T any](started bool, ch chan T) {
	if !started || ch == nil {
		return
	}
	for range ch {
	}
}

func (s *subscriptions) close() {
	if s.closed.Swap(true) {
		return
	}
	close(s.done)
	drain(true, s.routes)
	drain(true, s.links)
	drain(true, s.addrs)
	drain(true, s.neighs)
	drain(true, s.rules)
	drain(true, s.nexthops)
	drain(true, s.netconf)
}

// dumpRetries bounds the retries of a dump the kernel reports as
// interrupted by a concurrent change (NLM_F_DUMP_INTR).
const dumpRetries = 3

func retryInterrupted(what string, f func() error) error {
	var err error
	for range dumpRetries {
		if err = f(); !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return fmt.Errorf("dump %s: %w", what, err)
	}
	// Still interrupted: use the (possibly inconsistent) result; the
	// change that interrupted it is queued as an event and triggers a
	// new dump.
	return nil
}

// fullDump replaces the whole mirrored state.
func (m *Mirror) fullDump() error {
	links := map[int32]linkInfo{}
	if err := retryInterrupted("links", func() error {
		clear(links)
		ls, err := m.h.LinkList()
		for _, l := range ls {
			if l != nil && l.Attrs() != nil {
				li := linkFromNetlink(l)
				links[li.ifindex] = li
			}
		}
		return err
	}); err != nil {
		return err
	}
	addrs := map[ifAddr]struct{}{}
	if err := retryInterrupted("addresses", func() error {
		clear(addrs)
		as, err := m.h.AddrList(nil, netlink.FAMILY_ALL)
		for _, a := range as {
			if a.IPNet == nil {
				continue
			}
			if ad, ok := ipToAddr(a.IP); ok {
				ones, _ := a.Mask.Size()
				addrs[ifAddr{ifindex: int32(a.LinkIndex), prefix: netip.PrefixFrom(ad, ones)}] = struct{}{}
			}
		}
		return err
	}); err != nil {
		return err
	}
	neighs := map[neighKey]neighInfo{}
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		if err := retryInterrupted("neighbours", func() error {
			ns, err := m.h.NeighList(0, fam)
			for i := range ns {
				if k, v, ok := neighFromNetlink(&ns[i]); ok {
					neighs[k] = v
				}
			}
			return err
		}); err != nil {
			return err
		}
	}
	rules, err := m.dumpRules()
	if err != nil {
		return err
	}
	netconf, err := m.dumpNetconf()
	if err != nil {
		return err
	}
	m.st.links, m.st.addrs, m.st.neighs, m.st.netconf = links, addrs, neighs, netconf
	m.st.rules, m.st.tables = rules, ruleTables(rules)
	m.dirtyRules = false
	if err := m.dumpRoutes(); err != nil {
		return err
	}
	m.dirtyFIB, m.dirtyNeigh = true, true
	m.fullResyncs.Add(1)
	return nil
}

// dumpRoutes re-reads the tables the rules look up (at least local and main)
// and the nexthop objects routes may name.
func (m *Mirror) dumpRoutes() error {
	start := time.Now()
	objs, err := m.dumpNexthops()
	if err != nil {
		return err
	}
	var routes []rawRoute
	// The all-zero rtmsg (AF_UNSPEC, no table) dumps every family and table.
	err = m.dumpRaw("routes", unix.RTM_GETROUTE, &nl.RtMsg{}, unix.RTM_NEWROUTE, func() { routes = routes[:0] }, func(msg []byte) {
		if r, ok := routeFromMessage(msg); ok && m.st.tables[r.table] {
			routes = append(routes, r)
		}
	})
	if err != nil {
		return err
	}
	m.st.resetRoutes(routes)
	m.st.nhObjects, m.st.useNeigh4 = objs, m.readUseNeigh()
	m.dirtyRoutes, m.dirtyFIB = false, true
	clear(m.dirtyPrefixes)
	m.unfollowedDelta = 0
	m.routeDumps.Add(1)
	// Leave the CPU alone for three times as long as the dump took.
	m.nextDump = time.Now().Add(3 * time.Since(start))
	return nil
}
