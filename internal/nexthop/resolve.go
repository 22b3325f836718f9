package nexthop

import (
	"context"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/vishvananda/netlink"
	"go.uber.org/zap"
)

// dedupSlots is the size of Resolve's table of recent requests. A slot
// remembers one (ifindex, address) and when it was last requested; two
// neighbours hashing to one slot only cost an extra request.
const dedupSlots = 1024

type dedupSlot struct {
	key  atomic.Uint64 // hash of (ifindex, address), never 0 once used
	when atomic.Int64  // nanoseconds since Mirror.epoch
	_    [48]byte      // one slot per cache line: workers do not share lines
}

type resolveReq struct {
	addr    netip.Addr
	ifindex int32
}

// Resolve asks the kernel to resolve (ARP / neighbour discovery) addr on
// the interface, so that a later snapshot holds its MAC. It is meant for
// the hot path: it does not allocate, block or take locks (one non-blocking
// channel send). Repeats for the same neighbour within
// Options.ResolveInterval are dropped, and the requests actually sent are
// bounded by Options.ResolveRate. The kernel is asked by RTM_NEWNEIGH with
// NTF_USE, which creates the entry if needed and starts probing exactly as a
// transmitted packet would.
func (m *Mirror) Resolve(ifindex int32, addr netip.Addr) {
	if ifindex <= 0 || !addr.IsValid() || m.closing.Load() {
		return
	}
	hi, lo := addrKey(addr)
	h := mix(ifindex, hi, lo)
	s := &m.dedup[h%dedupSlots]
	tag := h | 1
	now := int64(time.Since(m.epoch))
	if s.key.Load() == tag && now-s.when.Load() < int64(m.opts.ResolveInterval) {
		m.resolveDeduped.Add(1)
		return
	}
	// Two workers racing here at worst both send: harmless.
	s.key.Store(tag)
	s.when.Store(now)
	select {
	case m.resolveCh <- resolveReq{addr: addr, ifindex: ifindex}:
	default:
		m.resolveDropped.Add(1)
	}
}

// resolver sends the queued requests, paced by a token bucket.
func (m *Mirror) resolver(ctx context.Context) {
	defer m.wg.Done()
	rate := float64(m.opts.ResolveRate)
	tokens, last := rate, time.Now()
	for {
		var r resolveReq
		select {
		case <-ctx.Done():
			return
		case <-m.stop:
			return
		case r = <-m.resolveCh:
		}
		now := time.Now()
		tokens = min(rate, tokens+now.Sub(last).Seconds()*rate)
		last = now
		if tokens < 1 {
			m.resolveDropped.Add(1)
			continue
		}
		tokens--
		if err := m.sendUse(r); err != nil {
			m.resolveErr.Add(1)
			m.log.Debug("neighbour resolution request refused", zap.Stringer("addr", r.addr),
				zap.Int32("ifindex", r.ifindex), zap.Error(err))
			continue
		}
		m.resolveSent.Add(1)
	}
}

// sendUse sends RTM_NEWNEIGH (create|replace) with NTF_USE and no state or
// link-layer address: the kernel creates the entry if absent and runs
// neigh_event_send on it, i.e. starts ARP/ND (NONE/FAILED -> INCOMPLETE,
// STALE -> DELAY) without changing a known entry.
func (m *Mirror) sendUse(r resolveReq) error {
	return m.rh.NeighSet(&netlink.Neigh{
		LinkIndex: int(r.ifindex),
		IP:        net.IP(r.addr.AsSlice()),
		Flags:     netlink.NTF_USE,
	})
}
