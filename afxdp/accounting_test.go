package afxdp

import (
	"math/rand/v2"
	"testing"
)

// TestFrameAccountingMillions runs millions of packets through a socket over
// a fake kernel with random drops (by the worker and by the "kernel"),
// invalid transmits, double frees, frames grown into the headroom, frames
// held across iterations, allocated frames, full rings and a small frame
// pool; at random points and at the end every frame must be in exactly one
// place.
func TestFrameAccountingMillions(t *testing.T) {
	packets := 2_000_000
	if testing.Short() {
		packets = 200_000
	}
	s, k := newFakeSocket(t, 192, 2048, 64, 64, 0xFFFFF000)
	rng := rand.New(rand.NewPCG(42, 42))
	u := s.umem
	in := make([]Desc, 48)
	var out []Desc
	var held []uint64 // frames kept across iterations
	var rx, sent, dropped, rejected, badFrees int
	var lastSent uint64
	s.Refill()
	for rx < packets {
		k.receive(rng.IntN(80), 50)
		n := s.Receive(in[:1+rng.IntN(len(in))])
		rx += n
		out = out[:0]
		lastSent = 0
		for _, d := range in[:n] {
			frame, off := u.Chunk(d.Addr)
			if off != int(k.rxOffset) || frame == nil {
				t.Fatalf("received packet at offset %d, want %d", off, k.rxOffset)
			}
			switch r := rng.IntN(100); {
			case r < 10: // drop
				if !s.Free(d.Addr) {
					t.Fatalf("free of a held frame failed")
				}
				dropped++
			case r < 13: // invalid: runs past the frame end
				out = append(out, Desc{Addr: d.Addr, Len: uint32(u.frameSize)})
			case r < 23: // grow 28 bytes in front (4->6 translation)
				out = append(out, Desc{Addr: d.Addr - 28, Len: d.Len + 28})
			case r < 26: // keep for later
				held = append(held, d.Addr)
			default:
				out = append(out, d)
			}
		}
		if len(held) > 0 && rng.IntN(4) == 0 { // release an old held frame
			i := rng.IntN(len(held))
			out = append(out, Desc{Addr: held[i], Len: 64})
			held = append(held[:i], held[i+1:]...)
		}
		if rng.IntN(20) == 0 { // a generated packet (ICMP error)
			if a, ok := s.Alloc(); ok {
				out = append(out, Desc{Addr: a + 100, Len: 70})
			}
		}
		for len(out) > 0 {
			m := s.Transmit(out)
			for _, d := range out[:m] {
				if !u.valid(d) {
					rejected++
				} else {
					lastSent = d.Addr
				}
			}
			sent += m
			out = out[m:]
			if len(out) > 0 { // TX ring full: let the kernel make room
				k.transmit(rng.IntN(64) + 1)
				k.complete(rng.IntN(64))
				s.Complete()
			}
		}
		if rng.IntN(50) == 0 && lastSent != 0 { // double free of something sent (now tx or free)
			if s.Free(lastSent) {
				t.Fatal("free of a frame owned by the kernel succeeded")
			}
			badFrees++
		}
		k.transmit(rng.IntN(64))
		k.complete(rng.IntN(64))
		s.Complete()
		s.Refill()
		if rng.IntN(20000) == 0 {
			if err := k.audit(held); err != nil {
				t.Fatalf("after %d packets: %v", rx, err)
			}
		}
	}
	// Quiesce: hand back held frames, let the kernel finish.
	for _, a := range held {
		s.Free(a)
	}
	held = nil
	for range 100 {
		k.transmit(1 << 20)
		k.complete(1 << 20)
		s.Complete()
	}
	if err := k.audit(held); err != nil {
		t.Fatal(err)
	}
	c := u.Counts()
	if c.Tx != 0 || c.Held != 0 || c.Fill+c.Free != u.FrameCount() {
		t.Fatalf("quiescent counts %+v", c)
	}
	ctr := s.Counters()
	if ctr.TxRejected != uint64(rejected) || ctr.BadFree != uint64(badFrees) || ctr.RxInvalid != 0 || ctr.CompInvalid != 0 {
		t.Fatalf("counters %+v, want %d rejected, %d bad frees", ctr, rejected, badFrees)
	}
	if ctr.Rx != uint64(rx) || ctr.Completed != ctr.Tx {
		t.Fatalf("counters %+v: rx %d; every queued frame must complete", ctr, rx)
	}
	t.Logf("%d packets, %d sent, %d dropped by worker, %d rejected, %d kernel drops, %d rx-ring-full events",
		rx, sent, dropped, rejected, k.rxDropped, k.rxRingFull)
}

// TestRejects covers the refusal paths one by one.
func TestRejects(t *testing.T) {
	s, k := newFakeSocket(t, 16, 2048, 0, 8, 0)
	u := s.umem
	s.Refill()
	if c := u.Counts(); c.Fill != 8 || c.Free != 8 {
		t.Fatalf("after refill %+v", c)
	}
	k.receive(2, 0)
	in := make([]Desc, 4)
	if n := s.Receive(in); n != 2 {
		t.Fatalf("received %d, want 2", n)
	}
	// Transmit of a frame that is free (never received) is refused.
	free := u.stack[u.top-1]
	if n := s.Transmit([]Desc{{Addr: free, Len: 60}}); n != 1 || s.Counters().TxRejected != 1 {
		t.Fatalf("transmit of a free frame: consumed %d, counters %+v", n, s.Counters())
	}
	// Out-of-UMEM and zero-length descriptors are refused; the held frame
	// named by the zero-length one is recycled, not leaked.
	if n := s.Transmit([]Desc{{Addr: 1 << 40, Len: 60}, {Addr: in[0].Addr, Len: 0}}); n != 2 {
		t.Fatalf("consumed %d", n)
	}
	if c := u.Counts(); c.Held != 1 {
		t.Fatalf("held %d after rejecting a held frame, want 1", c.Held)
	}
	if s.Free(1<<40) || s.Free(in[0].Addr) {
		t.Fatal("bad frees succeeded")
	}
	if s.Free(in[1].Addr+5) != true { // any address inside the frame
		t.Fatal("free by inner address failed")
	}
	// The kernel reporting a frame it was never given is counted, ignored.
	k.rxDescs[k.rx.prod.Load()&7] = Desc{Addr: free, Len: 60}
	k.rx.prod.Add(1)
	if n := s.Receive(in); n != 0 || s.Counters().RxInvalid != 1 {
		t.Fatalf("bogus rx: got %d, counters %+v", n, s.Counters())
	}
	k.compAddrs[k.comp.prod.Load()&7] = free
	k.comp.prod.Add(1)
	s.Complete()
	if s.Counters().CompInvalid != 1 {
		t.Fatalf("bogus completion not counted: %+v", s.Counters())
	}
	if err := k.audit(nil); err != nil {
		t.Fatal(err)
	}
}

// TestTransmitRingFull checks that Transmit stops at a full TX ring and
// leaves the rest with the caller.
func TestTransmitRingFull(t *testing.T) {
	s, k := newFakeSocket(t, 32, 2048, 0, 4, 0)
	var out []Desc
	for range 6 {
		a, ok := s.Alloc()
		if !ok {
			t.Fatal("alloc failed")
		}
		out = append(out, Desc{Addr: a, Len: 64})
	}
	if n := s.Transmit(out); n != 4 {
		t.Fatalf("transmit into 4-entry ring consumed %d", n)
	}
	if c := s.umem.Counts(); c.Held != 2 || c.Tx != 4 {
		t.Fatalf("counts %+v", c)
	}
	if !s.TxPending() {
		t.Fatal("TxPending false with 4 queued")
	}
	k.transmit(4)
	if s.TxPending() {
		t.Fatal("TxPending true after the kernel took everything")
	}
	if err := k.audit([]uint64{out[4].Addr, out[5].Addr}); err != nil {
		t.Fatal(err)
	}
}

// TestNoAllocs proves the data path functions do not allocate.
func TestNoAllocs(t *testing.T) {
	s, k := newFakeSocket(t, 1024, 2048, 0, 256, 0)
	s.mode = ModeZeroCopy // Kick then needs the wakeup flag, which stays clear: no syscall on fd -1
	s.wakeup = true
	in := make([]Desc, 64)
	s.Refill()
	allocs := testing.AllocsPerRun(200, func() {
		k.receive(64, 0)
		n := s.Receive(in)
		for i := range in[:n] {
			in[i].Addr -= 20
			in[i].Len += 20
		}
		m := s.Transmit(in[:n])
		for _, d := range in[m:n] {
			s.Free(d.Addr)
		}
		if err := s.Kick(); err != nil {
			t.Fatal(err)
		}
		k.transmit(64)
		k.complete(64)
		s.Complete()
		s.Refill()
		if a, ok := s.Alloc(); ok {
			s.Free(a)
		}
		_ = s.umem.Bytes(Desc{Addr: 300, Len: 10})
		_, _ = s.umem.Chunk(300)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per batch, want 0", allocs)
	}
}
