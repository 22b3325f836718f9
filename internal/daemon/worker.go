package daemon

import (
	"runtime"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/siit-project/siit/afxdp"
	"github.com/siit-project/siit/internal/nexthop"
	"github.com/siit-project/siit/ring"
	"github.com/siit-project/siit/xlat"
)

// A worker serves one or more RX queue indices on every attached interface:
// it owns the AF_XDP socket of (interface, queue) for each of them, so a
// packet that arrives on one interface and leaves by another never crosses
// goroutines. By default each socket has its own UMEM and leaving by another
// interface costs one copy of the frame into that interface's UMEM; with
// --shared-umem the frame itself leaves. The worker is the single owner of
// all its sockets, its translator, its counters and its slow-path lane.

// counter is a single-writer counter readable from any goroutine.
type counter struct{ v atomic.Uint64 }

func (c *counter) add(n uint64) { c.v.Store(c.v.Load() + n) }
func (c *counter) get() uint64  { return c.v.Load() }

// portCounters are one socket's traffic counters.
type portCounters struct {
	rxPackets, rxBytes counter
	txPackets, txBytes counter
	txDropped          counter // TX ring full or frame allocation failed
	_                  [64]byte
}

// workerCounters are the worker's own drop/hand-off counters.
type workerCounters struct {
	vlan         counter // tagged frame reached the worker
	notIP        counter // neither IPv4 nor IPv6 ethertype, or runt
	noRoute      counter // translated packet had no usable route
	slowPath     counter // handed to the kernel
	resolve      counter // neighbour resolutions requested
	expired      counter // --forward-only: TTL/hop limit expired
	fwdOnly      counter // --forward-only: frames forwarded
	extraPkts    counter // fragments / ICMP errors emitted from Output
	errLimited   counter // generated ICMP errors not sent (rate limit or no route)
	debugDropped counter // logging-debug events dropped (ring full)
	xferOut      counter // frames handed to another worker for an interface this one has no socket on
	xferIn       counter // frames other workers handed to this one, transmitted
	_            [64]byte
}

// xferRoute is an interface this worker has no socket on (it has fewer
// queues than the interface the packets arrived on) and the lane to the
// worker that has one.
type xferRoute struct {
	ifindex int32
	lane    *slowLane
}

type port struct {
	sock    *afxdp.Socket
	umem    *afxdp.Umem
	name    string
	ifindex int32
	mac     [6]byte
	queue   uint32
	tx      []afxdp.Desc
	ctr     portCounters

	// The instance serving this port's interface (iface.cfg, iface.debugOn)
	// and the translator counting into this port's stats.
	cfg     *atomic.Pointer[xlat.Config]
	debugOn *atomic.Bool
	tr      *xlat.Translator
	stats   *xlat.Stats
}

type worker struct {
	id       int
	queues   []uint32   // RX queue indices this worker serves
	cpu      int        // -1: not pinned
	pinned   chan error // run's result of pinning itself to cpu (buffered, one value)
	ports    []*port
	fwdOnly  bool
	busyPoll bool
	batch    int

	out      *xlat.Output
	mirror   *nexthop.Mirror
	lane     *slowLane
	xfer     []xferRoute // interfaces served by other workers' sockets only
	inbound  []*slowLane // lanes from other workers to this one
	inBatch  []slowPkt
	hops     hopCache
	ctr      workerCounters
	errLimit tokenBucket

	debug *ring.SPSC[debugEvent]

	touched uint64 // sink for prefetch loads

	stop    atomic.Bool
	done    chan struct{}
	pollFds []unix.PollFd
}

// hopCache answers the translator's MTU questions from the next-hop mirror
// and remembers the last lookup per family, so routing the translated packet
// right after costs nothing extra. With the kernel's default policy routing
// rules (and, for IPv4, no TOS-specific routes) a route depends on the
// destination only and the cache is keyed by it; otherwise (pol4/pol6,
// nexthop.Table.Policy) by the whole flow.
type hopCache struct {
	tbl        *nexthop.Table
	pol4, pol6 bool

	ok4  bool
	dst4 uint32
	fl4  nexthop.Flow
	hop4 nexthop.Hop
	res4 nexthop.Result

	ok6          bool
	dst6h, dst6l uint64
	fl6          nexthop.Flow
	hop6         nexthop.Hop
	res6         nexthop.Result
}

// use switches to table t, keeping the cached lookups while t is unchanged;
// it reports whether t is new.
func (c *hopCache) use(t *nexthop.Table) bool {
	if c.tbl == t {
		return false
	}
	c.tbl, c.ok4, c.ok6 = t, false, false
	c.pol4, c.pol6 = t.Policy(false), t.Policy(true)
	return true
}

func (c *hopCache) lookup4(dst uint32) (*nexthop.Hop, nexthop.Result) {
	if !c.ok4 || c.dst4 != dst {
		c.hop4, c.res4 = c.tbl.Lookup4(dst, dst)
		c.dst4, c.ok4 = dst, true
	}
	return &c.hop4, c.res4
}

func (c *hopCache) lookup6(hi, lo uint64) (*nexthop.Hop, nexthop.Result) {
	if !c.ok6 || c.dst6h != hi || c.dst6l != lo {
		// ECMP picks the next hop by destination, so the cache stays exact.
		c.hop6, c.res6 = c.tbl.Lookup6(hi, lo, ecmpHash6(hi, lo))
		c.dst6h, c.dst6l, c.ok6 = hi, lo, true
	}
	return &c.hop6, c.res6
}

func ecmpHash6(hi, lo uint64) uint32 { return uint32(hi ^ lo ^ (lo >> 32)) }

// route4 and route6 look up a flow through the policy routing rules
// (pol4 / pol6 set).
func (c *hopCache) route4(fl *nexthop.Flow) (*nexthop.Hop, nexthop.Result) {
	if !c.ok4 || c.fl4 != *fl {
		dst := uint32(fl.DstHi >> 32)
		c.hop4, c.res4 = c.tbl.Route(fl, false, dst)
		c.fl4, c.ok4 = *fl, true
	}
	return &c.hop4, c.res4
}

func (c *hopCache) route6(fl *nexthop.Flow) (*nexthop.Hop, nexthop.Result) {
	if !c.ok6 || c.fl6 != *fl {
		c.hop6, c.res6 = c.tbl.Route(fl, true, ecmpHash6(fl.DstHi, fl.DstLo))
		c.fl6, c.ok6 = *fl, true
	}
	return &c.hop6, c.res6
}

// MTU4 implements xlat.MTUOracle.
func (c *hopCache) MTU4(src, dst uint32, proto, tos uint8, sport, dport uint16) uint32 {
	var h *nexthop.Hop
	var r nexthop.Result
	if c.pol4 {
		h, r = c.route4(&nexthop.Flow{SrcHi: uint64(src) << 32, DstHi: uint64(dst) << 32, Proto: proto,
			TOS: tos, Sport: sport, Dport: dport})
	} else {
		h, r = c.lookup4(dst)
	}
	if r == nexthop.Found || r == nexthop.SlowPath {
		return h.MTU
	}
	return 0
}

// MTU6 implements xlat.MTUOracle.
func (c *hopCache) MTU6(shi, slo, dhi, dlo uint64, proto, tos uint8, sport, dport uint16) uint32 {
	var h *nexthop.Hop
	var r nexthop.Result
	if c.pol6 {
		h, r = c.route6(&nexthop.Flow{SrcHi: shi, SrcLo: slo, DstHi: dhi, DstLo: dlo, Proto: proto, TOS: tos,
			Sport: sport, Dport: dport})
	} else {
		h, r = c.lookup6(dhi, dlo)
	}
	if r == nexthop.Found || r == nexthop.SlowPath {
		return h.MTU
	}
	return 0
}

// portFor picks the socket a packet received on in leaves by toward
// ifindex: in itself when it is the same interface (the frame leaves in
// place), else that interface's socket of the same queue index, else any of
// its sockets this worker owns.
func (w *worker) portFor(ifindex int32, in *port) *port {
	if in.ifindex == ifindex {
		return in
	}
	var any *port
	for _, p := range w.ports {
		if p.ifindex == ifindex {
			if p.queue == in.queue {
				return p
			}
			if any == nil {
				any = p
			}
		}
	}
	return any
}

// run is the poll-mode loop. It returns when stop is set.
func (w *worker) run() {
	defer close(w.done)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var pinErr error
	if w.cpu >= 0 {
		var set unix.CPUSet
		set.Set(w.cpu)
		// preflight checked the CPU; a failure now (the CPU went offline in
		// between) leaves the worker unpinned, which startWorkers logs.
		pinErr = unix.SchedSetaffinity(0, &set)
	}
	if w.pinned != nil {
		w.pinned <- pinErr
	}
	descs := make([]afxdp.Desc, w.batch)
	for _, p := range w.ports {
		p.sock.Refill()
	}
	idle := 0
	for !w.stop.Load() {
		w.useTable(w.mirror.Table())
		got := 0
		for _, p := range w.ports {
			cfg := p.cfg.Load()
			n := p.sock.Receive(descs)
			got += n
			w.prefetch(p, descs[:n])
			for i := range n {
				w.handle(p, descs[i], cfg)
			}
		}
		got += w.receiveTransfers()
		for _, p := range w.ports {
			w.flush(p)
			p.sock.Complete()
			p.sock.Refill()
		}
		if got > 0 {
			idle = 0
			continue
		}
		idle++
		w.backoff(idle)
	}
}

// useTable points the hop cache at the mirror's current table. When tbl is
// new, the ports' translators get its MTU floor: the hop cache answers their
// MTU questions from tbl and no answer is below the floor, so packets within
// it need no question.
func (w *worker) useTable(tbl *nexthop.Table) {
	if !w.hops.use(tbl) {
		return
	}
	floor := tbl.MTUFloor()
	for _, p := range w.ports {
		p.tr.MTUFloor = floor
	}
}

// backoff keeps an idle worker cheap: spin a little, then yield, then sleep
// in poll(2) on the RX rings (woken by the first packet). --busy-poll never
// sleeps.
func (w *worker) backoff(idle int) {
	if w.busyPoll {
		return
	}
	switch {
	case idle < 64:
		return
	case idle < 256:
		runtime.Gosched()
	default:
		for _, p := range w.ports {
			if p.sock.TxPending() {
				_ = p.sock.Kick()
				return
			}
		}
		timeout := 10
		for _, l := range w.inbound {
			if l.toSlow.Len() > 0 {
				return
			}
			timeout = 1 // other workers' transfers do not wake poll(2)
		}
		_, _ = unix.Poll(w.pollFds, timeout)
	}
}

// prefetch touches every received frame before any is processed: its
// Ethernet header and its last byte. The kernel wrote the frames on another
// CPU, so each first touch of a cache line is a miss; issuing the
// independent loads back to back lets the CPU overlap them instead of paying
// them one after the other. A minimum-size frame spans two lines (it does
// not start on a line boundary), and the second one, payload the
// translation never reads, was the miss that the copy into another
// interface's UMEM paid; longer frames are streamed by that copy, which the
// hardware prefetcher follows.
func (w *worker) prefetch(p *port, descs []afxdp.Desc) {
	var x byte
	for _, d := range descs {
		if frame, off := p.umem.Chunk(d.Addr); off+int(d.Len) <= len(frame) && d.Len >= 14 {
			x ^= frame[off+12] ^ frame[off+int(d.Len)-1]
		}
	}
	w.touched += uint64(x)
}

// handle processes one received frame; afterwards the frame has been queued
// for transmission or freed.
func (w *worker) handle(in *port, d afxdp.Desc, cfg *xlat.Config) {
	frame, off := in.umem.Chunk(d.Addr)
	n := int(d.Len)
	in.ctr.rxPackets.add(1)
	in.ctr.rxBytes.add(uint64(n))
	if frame == nil || n < ethHdrLen+20 || off+n > len(frame) {
		w.ctr.notIP.add(1)
		in.sock.Free(d.Addr)
		return
	}
	et := uint16(frame[off+12])<<8 | uint16(frame[off+13])
	var v6 bool
	switch et {
	case etherTypeV6:
		v6 = true
	case etherTypeV4:
	case 0x8100, 0x88a8, 0x9100:
		w.ctr.vlan.add(1)
		in.sock.Free(d.Addr)
		return
	default:
		w.ctr.notIP.add(1)
		in.sock.Free(d.Addr)
		return
	}
	l3 := off + ethHdrLen
	l3n := n - ethHdrLen

	if w.fwdOnly {
		if !forwardDecrement(frame[l3:l3+l3n], v6) {
			w.ctr.expired.add(1)
			in.sock.Free(d.Addr)
			return
		}
		w.ctr.fwdOnly.add(1)
		w.send(in, d.Addr, frame, l3, l3n, v6)
		return
	}
	if cfg == nil {
		// No instance: behave as if siit were not there.
		w.toKernel(frame[l3:l3+l3n], v6)
		in.sock.Free(d.Addr)
		return
	}
	var ev debugEvent
	debug := in.debugOn.Load()
	if debug {
		ev.v6, ev.length = v6, uint16(l3n)
		readAddrs(frame[l3:l3+l3n], v6, &ev.src, &ev.dst)
	}
	res := in.tr.Translate(cfg, frame, l3, l3n, w.out)
	if debug {
		w.debugPacket(&ev, &res, frame)
	}
	switch res.Verdict {
	case xlat.Forward:
		w.send(in, d.Addr, frame, res.Off, res.Len, res.Family == xlat.Family6)
		w.sendExtra(in, res.Extra)
	case xlat.Reply:
		// A generated ICMP error (Time Exceeded, Packet Too Big, ...):
		// rate-limited per worker, as routers limit theirs (RFC 4443 §2.4).
		in.sock.Free(d.Addr)
		if !w.errLimit.allow(nanotime()) || w.sendExtra(in, res.Extra) > 0 {
			w.ctr.errLimited.add(1)
			errorNotSent(in.stats, res.Family)
		}
	case xlat.Pass:
		w.toKernel(frame[l3:l3+l3n], v6)
		in.sock.Free(d.Addr)
	default:
		in.sock.Free(d.Addr)
	}
}

// route finds the next hop of an L3 packet.
func (w *worker) route(pkt []byte, v6 bool) (*nexthop.Hop, nexthop.Result) {
	if v6 {
		if w.hops.pol6 {
			var fl nexthop.Flow
			flowOf6(pkt, &fl)
			return w.hops.route6(&fl)
		}
		hi, lo := dst6(pkt)
		return w.hops.lookup6(hi, lo)
	}
	if w.hops.pol4 {
		var fl nexthop.Flow
		flowOf4(pkt, &fl)
		return w.hops.route4(&fl)
	}
	return w.hops.lookup4(dst4(pkt))
}

// send transmits the L3 packet frame[l3:l3+n], which lives in in's UMEM
// frame addr. On every path the frame is queued or freed.
func (w *worker) send(in *port, addr uint64, frame []byte, l3, n int, v6 bool) {
	pkt := frame[l3 : l3+n]
	hop, res := w.route(pkt, v6)
	out, _ := w.egress(in, hop, res, pkt, v6)
	if out == nil {
		in.sock.Free(addr)
		return
	}
	if l3 < ethHdrLen {
		in.sock.Free(addr)
		out.ctr.txDropped.add(1)
		return
	}
	writeEther(frame[l3-ethHdrLen:l3], &hop.DstMAC, &out.mac, v6)
	base := addr - addr%uint64(in.umem.FrameSize())
	if out.umem == in.umem {
		// Same socket, or another socket on the same (shared) UMEM: the frame
		// itself leaves, no copy.
		if len(out.tx) == cap(out.tx) {
			w.flush(out)
		}
		out.tx = append(out.tx, afxdp.Desc{Addr: base + uint64(l3-ethHdrLen), Len: uint32(n + ethHdrLen)})
		return
	}
	// Another interface: copy into a frame of its UMEM.
	w.copyOut(out, frame[l3-ethHdrLen:l3+n])
	in.sock.Free(addr)
}

// errorNotSent moves a generated ICMP error from the *ErrSuccess counter the
// translator incremented to *ErrFailure.
func errorNotSent(st *xlat.Stats, f xlat.Family) {
	ok, fail := xlat.StatICMP4ErrSuccess, xlat.StatICMP4ErrFailure
	if f == xlat.Family6 {
		ok, fail = xlat.StatICMP6ErrSuccess, xlat.StatICMP6ErrFailure
	}
	st.Add(ok, ^uint64(0)) // minus one
	st.Inc(fail)
}

// sendExtra transmits the packets the translator left in the Output and
// returns how many could not be sent.
func (w *worker) sendExtra(in *port, k int) (failed int) {
	for i := range k {
		buf, off, n := w.out.Frame(i)
		v6 := w.out.Family(i) == xlat.Family6
		pkt := buf[off : off+n]
		hop, res := w.route(pkt, v6)
		out, routed := w.egress(in, hop, res, pkt, v6)
		if !routed {
			failed++
		}
		if out == nil {
			continue
		}
		w.ctr.extraPkts.add(1)
		writeEther(buf[off-ethHdrLen:off], &hop.DstMAC, &out.mac, v6)
		w.copyOut(out, buf[off-ethHdrLen:off+n])
	}
	return failed
}

// egress decides where a routed packet goes. It returns the fast-path port,
// or nil after handing the packet to the kernel or dropping it; routed is
// false when there was no usable route (the packet was dropped and counted).
func (w *worker) egress(in *port, hop *nexthop.Hop, res nexthop.Result, pkt []byte, v6 bool) (out *port, routed bool) {
	switch res {
	case nexthop.Found:
		out := w.portFor(hop.Ifindex, in)
		if out != nil && hop.Resolved {
			return out, true
		}
		if out == nil && hop.Resolved && w.transfer(hop, pkt, v6) {
			return nil, true
		}
		if !hop.Resolved {
			w.ctr.resolve.add(1)
			w.mirror.Resolve(hop.Ifindex, hop.Via)
		}
		w.toKernel(pkt, v6)
	case nexthop.Local, nexthop.SlowPath:
		w.toKernel(pkt, v6)
	default:
		w.ctr.noRoute.add(1)
		in.stats.Inc(xlat.StatFailedRoutes)
		return nil, false
	}
	return nil, true
}

// transfer hands a routed packet to the worker that owns a socket of the
// egress interface, when this worker has none (the interface has fewer
// queues than this worker's); it reports false when no worker does, so
// the kernel forwards it instead. The frame is copied into a buffer of a
// bounded lane (no allocation, no lock); a full lane drops it, counted.
func (w *worker) transfer(hop *nexthop.Hop, pkt []byte, v6 bool) bool {
	for i := range w.xfer {
		if x := &w.xfer[i]; x.ifindex == hop.Ifindex {
			var hdr [ethHdrLen]byte
			writeEther(hdr[:], &hop.DstMAC, &hop.SrcMAC, v6)
			if x.lane.handOffFrame(hdr[:], pkt, hop.Ifindex) {
				w.ctr.xferOut.add(1)
			}
			return true
		}
	}
	return false
}

// receiveTransfers transmits the frames other workers handed over and
// returns how many there were.
func (w *worker) receiveTransfers() int {
	got := 0
	for _, l := range w.inbound {
		n := l.toSlow.PopBatch(w.inBatch)
		for _, p := range w.inBatch[:n] {
			var out *port
			for _, q := range w.ports {
				if q.ifindex == p.ifindex {
					out = q
					break
				}
			}
			if out != nil {
				w.copyOut(out, l.bufs[p.idx][:p.n])
				w.ctr.xferIn.add(1)
			}
			for !l.free.Push(p.idx) {
				runtime.Gosched() // cannot happen: the pool fits the ring
			}
		}
		got += n
	}
	return got
}

// toKernel hands an L3 packet to the kernel through the slow path.
func (w *worker) toKernel(pkt []byte, v6 bool) {
	if w.lane.handOff(pkt, v6) {
		w.ctr.slowPath.add(1)
	}
}

// copyOut copies an Ethernet frame into a free frame of out's UMEM and
// queues it.
func (w *worker) copyOut(out *port, eth []byte) {
	addr, ok := out.sock.Alloc()
	if !ok {
		out.sock.Complete()
		addr, ok = out.sock.Alloc()
	}
	if !ok {
		out.ctr.txDropped.add(1)
		out.stats.Inc(xlat.StatDstOutput)
		return
	}
	frame, off := out.umem.Chunk(addr)
	start := out.umem.RxOffset()
	if off > start {
		start = off
	}
	if start+len(eth) > len(frame) {
		out.sock.Free(addr)
		out.ctr.txDropped.add(1)
		out.stats.Inc(xlat.StatDstOutput)
		return
	}
	copy(frame[start:], eth)
	base := addr - uint64(off)
	if len(out.tx) == cap(out.tx) {
		w.flush(out)
	}
	out.tx = append(out.tx, afxdp.Desc{Addr: base + uint64(start), Len: uint32(len(eth))})
}

// flush queues p's pending TX batch and kicks the kernel. Whatever the TX
// ring cannot take is freed and counted.
func (w *worker) flush(p *port) {
	if len(p.tx) == 0 {
		_ = p.sock.Kick() // a no-op unless earlier descriptors still wait
		return
	}
	k := p.sock.Transmit(p.tx)
	if k < len(p.tx) {
		p.sock.Complete()
		_ = p.sock.Kick()
		k += p.sock.Transmit(p.tx[k:])
	}
	var bytes uint64
	for _, d := range p.tx[:k] {
		bytes += uint64(d.Len)
	}
	p.ctr.txPackets.add(uint64(k))
	p.ctr.txBytes.add(bytes)
	for _, d := range p.tx[k:] {
		p.sock.Free(d.Addr)
		p.ctr.txDropped.add(1)
		p.stats.Inc(xlat.StatDstOutput)
	}
	p.tx = p.tx[:0]
	_ = p.sock.Kick()
}

// tokenBucket limits the ICMP errors one worker generates: icmpErrRate per
// second with bursts of icmpErrBurst. Owned by the worker; no atomics.
type tokenBucket struct {
	tokens int64
	last   int64 // ns
}

const (
	icmpErrRate  = 1000
	icmpErrBurst = 100
)

func (b *tokenBucket) refill(now int64) {
	if b.last == 0 {
		b.last, b.tokens = now, icmpErrBurst
		return
	}
	add := (now - b.last) * icmpErrRate / 1e9
	if add > 0 {
		b.tokens = min(b.tokens+add, icmpErrBurst)
		b.last += add * 1e9 / icmpErrRate
	}
}

// allow refills by the time elapsed and takes one token if there is one.
func (b *tokenBucket) allow(now int64) bool {
	b.refill(now)
	if b.tokens <= 0 {
		return false
	}
	b.tokens--
	return true
}
