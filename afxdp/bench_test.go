package afxdp

import (
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkRingBatch64 measures the index arithmetic of one 64-entry batch:
// reserve + write + submit on a producer ring, peek + read + release on the
// consumer side.
func BenchmarkRingBatch64(b *testing.B) {
	var prod, cons, flags atomic.Uint32
	p := newProducerIndices(&prod, &cons, &flags, 512)
	c := newConsumerIndices(&prod, &cons, &flags, 512)
	addrs := make([]uint64, 512)
	var sum uint64
	b.ReportAllocs()
	for b.Loop() {
		first, n := p.reserve(64)
		for i := range n {
			addrs[(first+i)&p.mask] = uint64(i)
		}
		p.submit()
		first, n = c.peek(64)
		for i := range n {
			sum += addrs[(first+i)&c.mask]
		}
		c.release()
	}
	_ = sum
}

// BenchmarkDataPath64 runs the worker cycle on a 64-packet batch -
// Receive, Transmit (with 20 bytes of growth), Kick, Complete, Refill -
// against the fake kernel (whose own work is included in the time).
func BenchmarkDataPath64(b *testing.B) {
	s, k := newFakeSocket(b, 1024, 2048, 0, 256, 0)
	s.mode, s.wakeup = ModeZeroCopy, true
	in := make([]Desc, 64)
	s.Refill()
	b.ReportAllocs()
	for b.Loop() {
		k.receive(64, 0)
		n := s.Receive(in)
		for i := range in[:n] {
			in[i].Addr -= 20
			in[i].Len += 20
		}
		s.Transmit(in[:n])
		s.Kick()
		k.transmit(64)
		k.complete(64)
		s.Complete()
		s.Refill()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*64), "ns/pkt")
}

// BenchmarkVethEcho measures a copy-mode echo over a veth pair in a fresh
// netns, driven from one goroutine: socket A on afxa generates 64-byte
// frames, socket B on afxb receives each and transmits it back unchanged,
// A receives the echo. b.N counts echoed packets; pkts/s is the echo rate
// (each packet crosses the veth twice and costs two copy-mode sendto skbs).
func BenchmarkVethEcho(b *testing.B) {
	ns := enterNewNetns(b)
	ia, ib := addVeth(b, ns, "afxa", "afxb", 1)
	ma := attachRedirect(b, ia.Index)
	mb := attachRedirect(b, ib.Index)
	o := DefaultOpts()
	o.TxSkbBudget = 256
	sa, err := Open("afxa", 0, o)
	if err != nil {
		b.Fatal(err)
	}
	defer sa.Close()
	sb, err := Open("afxb", 0, o)
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	register(b, ma, sa)
	register(b, mb, sb)
	// A's generator frames: keep 1024 frames for TX, the rest for the fill ring.
	ua := sa.Umem()
	tmpl := testFrame(ib.HardwareAddr, ia.HardwareAddr, 1, 64)
	var gen []uint64
	for range 1024 {
		a, _ := ua.Alloc()
		copy(ua.Bytes(Desc{Addr: a, Len: 64}), tmpl)
		gen = append(gen, a)
	}
	for _, a := range gen {
		ua.Free(a)
	}
	sa.Refill()
	sb.Refill()
	const batch = 256
	out := make([]Desc, 0, batch)
	in := make([]Desc, batch)
	echoed := 0
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	idle := 0
	for echoed < b.N {
		// Generate.
		out = out[:0]
		for len(out) < batch {
			a, ok := sa.Alloc()
			if !ok {
				break
			}
			out = append(out, Desc{Addr: a, Len: 64})
		}
		n := sa.Transmit(out)
		for _, d := range out[n:] {
			sa.Free(d.Addr)
		}
		sa.Kick()
		// Echo.
		m := sb.Receive(in)
		sb.Transmit(in[:m])
		sb.Kick()
		sb.Complete()
		sb.Refill()
		// Collect.
		r := sa.Receive(in)
		for _, d := range in[:r] {
			sa.Free(d.Addr)
		}
		echoed += r
		sa.Complete()
		sa.Refill()
		if r == 0 && m == 0 {
			if idle++; idle > 100000 {
				b.Fatalf("echo stalled after %d packets: a %+v b %+v", echoed, sa.Counters(), sb.Counters())
			}
		} else {
			idle = 0
		}
	}
	el := time.Since(start)
	b.ReportMetric(float64(echoed)/el.Seconds(), "pkts/s")
}
