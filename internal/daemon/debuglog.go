package daemon

import (
	"context"
	"net/netip"
	"time"

	"go.uber.org/zap"

	"github.com/siit-project/siit/ring"
	"github.com/siit-project/siit/xlat"
)

// Packet-level debug logging (Jool's logging-debug). The hot path never
// logs: while logging-debug is on, a worker copies a few header fields of
// each packet into a fixed-size event and pushes it on its own SPSC ring; a
// logger goroutine drains the rings and writes one line per event through zap
// (whose sampler rate-limits repeats). When a ring is full, events are
// dropped and counted, never waited for.

type debugEvent struct {
	src, dst [16]byte // addresses of the received packet (IPv4 in the first 4 bytes)
	outSrc   [16]byte // addresses after translation (Forward only)
	outDst   [16]byte
	length   uint16
	v6, out6 bool
	verdict  xlat.Verdict
	reason   xlat.Counter
}

const debugRingSize = 1024

func newDebugRing() *ring.SPSC[debugEvent] {
	r, err := ring.NewSPSC[debugEvent](debugRingSize)
	if err != nil {
		panic(err) // constant size: cannot happen
	}
	return r
}

// readAddrs copies the source and destination of an L3 header.
func readAddrs(p []byte, v6 bool, src, dst *[16]byte) {
	if v6 {
		if len(p) >= 40 {
			copy(src[:], p[8:24])
			copy(dst[:], p[24:40])
		}
		return
	}
	if len(p) >= 20 {
		copy(src[:4], p[12:16])
		copy(dst[:4], p[16:20])
	}
}

func addrOf(b *[16]byte, v6 bool) netip.Addr {
	if v6 {
		return netip.AddrFrom16(*b)
	}
	return netip.AddrFrom4([4]byte{b[0], b[1], b[2], b[3]})
}

// logDebug drains the workers' debug rings until ctx ends.
func (d *Daemon) logDebug(ctx context.Context) {
	log := d.log.Named("packet")
	batch := make([]debugEvent, 64)
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, w := range d.workers {
			for {
				n := w.debug.PopBatch(batch)
				for _, e := range batch[:n] {
					fields := []zap.Field{
						zap.Int("worker", w.id),
						zap.Stringer("src", addrOf(&e.src, e.v6)), zap.Stringer("dst", addrOf(&e.dst, e.v6)),
						zap.Uint16("len", e.length), zap.Stringer("verdict", e.verdict),
					}
					if e.verdict == xlat.Forward {
						fields = append(fields, zap.Stringer("out_src", addrOf(&e.outSrc, e.out6)), zap.Stringer("out_dst", addrOf(&e.outDst, e.out6)))
					} else {
						fields = append(fields, zap.String("reason", e.reason.Name()))
					}
					log.Info(e.verdict.String(), fields...)
				}
				if n < len(batch) {
					break
				}
			}
		}
	}
}

// debugPacket completes ev (the received packet's addresses, read before
// translation) with the outcome and queues it for the logger. Worker only;
// called only while logging-debug is on.
func (w *worker) debugPacket(ev *debugEvent, res *xlat.Result, frame []byte) {
	ev.verdict, ev.reason = res.Verdict, res.Reason
	if res.Verdict == xlat.Forward && res.Off >= 0 && res.Off+res.Len <= len(frame) {
		ev.out6 = res.Family == xlat.Family6
		readAddrs(frame[res.Off:res.Off+res.Len], ev.out6, &ev.outSrc, &ev.outDst)
	}
	if !w.debug.Push(*ev) {
		w.ctr.debugDropped.add(1)
	}
}
