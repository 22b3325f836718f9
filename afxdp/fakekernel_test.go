package afxdp

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

// fakeShared is the memory a real kernel would share with us for one ring.
type fakeShared struct{ prod, cons, flags atomic.Uint32 }

// fakeKernel plays the kernel's side of the four rings of one socket over
// plain Go memory, and checks that user space never hands it a frame twice.
type fakeKernel struct {
	t                     testing.TB
	s                     *Socket
	fill, comp, rx, tx    *fakeShared
	fillAddrs, compAddrs  []uint64
	rxDescs, txDescs      []Desc
	size                  uint32
	owned                 []string // per frame: where the kernel holds it, "" if not
	inflight              fifo     // TX frames sent, not yet completed
	spare                 []uint64 // frames taken off the fill ring but not used (zero-copy style drop)
	rxDropped, rxRingFull uint64
	rxOffset              uint64
	rng                   *rand.Rand
}

// newFakeSocket returns a socket over fake rings of ringSize entries whose
// indices all start at start (to exercise uint32 wraparound).
func newFakeSocket(t testing.TB, frames, frameSize, headroom, ringSize, start uint32) (*Socket, *fakeKernel) {
	mem := make([]byte, int(frames)*int(frameSize))
	u := newUmem(mem, frameSize, headroom)
	u.refs = 1
	k := &fakeKernel{
		t: t, size: ringSize,
		fill: &fakeShared{}, comp: &fakeShared{}, rx: &fakeShared{}, tx: &fakeShared{},
		fillAddrs: make([]uint64, ringSize), compAddrs: make([]uint64, ringSize),
		rxDescs: make([]Desc, ringSize), txDescs: make([]Desc, ringSize),
		owned:    make([]string, frames),
		inflight: fifo{buf: make([]uint64, frames)},
		rxOffset: uint64(headroom) + xdpPacketHeadroom,
		rng:      rand.New(rand.NewPCG(uint64(start), 3)),
	}
	for _, r := range []*fakeShared{k.fill, k.comp, k.rx, k.tx} {
		r.prod.Store(start)
		r.cons.Store(start)
	}
	fq := &umemRings{refs: 1}
	fq.fill = fillRing{newProducerIndices(&k.fill.prod, &k.fill.cons, &k.fill.flags, ringSize), k.fillAddrs}
	fq.comp = completionRing{newConsumerIndices(&k.comp.prod, &k.comp.cons, &k.comp.flags, ringSize), k.compAddrs}
	s := &Socket{
		fd: -1, ifname: "fake", mode: ModeCopy, umem: u, fq: fq, fill: &fq.fill, comp: &fq.comp,
		rx: rxRing{newConsumerIndices(&k.rx.prod, &k.rx.cons, &k.rx.flags, ringSize), k.rxDescs},
		tx: txRing{newProducerIndices(&k.tx.prod, &k.tx.cons, &k.tx.flags, ringSize), k.txDescs},
	}
	k.s = s
	return s, k
}

func (k *fakeKernel) take(addr uint64, where string) uint64 {
	base := addr &^ (k.s.umem.frameSize - 1)
	i := base >> k.s.umem.shift
	if prev := k.owned[i]; prev != "" {
		k.t.Fatalf("frame %#x handed to the kernel (%s) while it already holds it (%s)", base, where, prev)
	}
	k.owned[i] = where
	return base
}

func (k *fakeKernel) give(base uint64) {
	i := base >> k.s.umem.shift
	if k.owned[i] == "" {
		k.t.Fatalf("fake kernel returns frame %#x it does not hold", base)
	}
	k.owned[i] = ""
}

// fifo is an allocation-free queue of frame addresses.
type fifo struct {
	buf       []uint64
	head, len int
}

func (f *fifo) push(a uint64) { f.buf[(f.head+f.len)%len(f.buf)] = a; f.len++ }
func (f *fifo) pop() uint64 {
	a := f.buf[f.head]
	f.head = (f.head + 1) % len(f.buf)
	f.len--
	return a
}

// receive delivers up to n packets of random length. With dropEvery > 0,
// every so often a frame is taken off the fill ring and kept (as zero-copy
// drivers do when the RX ring is full) to be reused for a later packet.
func (k *fakeKernel) receive(n int, dropEvery int) int {
	done := 0
	for ; done < n; done++ {
		if k.rx.prod.Load()-k.rx.cons.Load() == k.size {
			k.rxRingFull++
			break
		}
		var base uint64
		if len(k.spare) > 0 {
			base = k.spare[len(k.spare)-1]
			k.spare = k.spare[:len(k.spare)-1]
		} else {
			fc := k.fill.cons.Load()
			if fc == k.fill.prod.Load() {
				break
			}
			base = k.take(k.fillAddrs[fc&(k.size-1)], "fill")
			k.fill.cons.Store(fc + 1)
			if dropEvery > 0 && k.rng.IntN(dropEvery) == 0 {
				k.rxDropped++
				k.spare = append(k.spare, base)
				continue
			}
		}
		k.give(base)
		room := k.s.umem.frameSize - k.rxOffset
		l := 60 + k.rng.Uint64N(room-60+1)
		p := k.rx.prod.Load()
		k.rxDescs[p&(k.size-1)] = Desc{Addr: base + k.rxOffset, Len: uint32(l)}
		k.rx.prod.Store(p + 1)
	}
	return done
}

// transmit consumes up to n TX descriptors (validating them like the kernel).
func (k *fakeKernel) transmit(n int) {
	for range n {
		c := k.tx.cons.Load()
		if c == k.tx.prod.Load() {
			return
		}
		d := k.txDescs[c&(k.size-1)]
		fs := k.s.umem.frameSize
		if d.Len == 0 || d.Addr&(fs-1)+uint64(d.Len) > fs || d.Addr >= uint64(len(k.s.umem.mem)) {
			k.t.Fatalf("user space queued invalid tx descriptor %+v", d)
		}
		k.inflight.push(k.take(d.Addr, "tx"))
		k.tx.cons.Store(c + 1)
	}
}

// complete reports up to n sent frames on the completion ring.
func (k *fakeKernel) complete(n int) {
	for ; n > 0 && k.inflight.len > 0; n-- {
		p := k.comp.prod.Load()
		if p-k.comp.cons.Load() == k.size {
			return
		}
		base := k.inflight.pop()
		k.give(base)
		k.compAddrs[p&(k.size-1)] = base
		k.comp.prod.Store(p + 1)
	}
}

// audit lists every frame's location - fill ring, kernel, RX ring, TX ring,
// completion ring, free stack, and the caller's held list - and checks that
// each frame appears exactly once and that the Umem's counts agree.
func (k *fakeKernel) audit(held []uint64) error {
	u := k.s.umem
	seen := make(map[uint64]string, len(u.where))
	add := func(addr uint64, where string) error {
		base := addr &^ (u.frameSize - 1)
		if prev, dup := seen[base]; dup {
			return fmt.Errorf("frame %#x is both in %s and in %s", base, prev, where)
		}
		seen[base] = where
		return nil
	}
	var errs []error
	walk := func(r *fakeShared, where string, at func(uint32) uint64) {
		for i := r.cons.Load(); i != r.prod.Load(); i++ {
			if err := add(at(i&(k.size-1)), where); err != nil {
				errs = append(errs, err)
			}
		}
	}
	walk(k.fill, "fill ring", func(i uint32) uint64 { return k.fillAddrs[i] })
	walk(k.rx, "rx ring", func(i uint32) uint64 { return k.rxDescs[i].Addr })
	walk(k.tx, "tx ring", func(i uint32) uint64 { return k.txDescs[i].Addr })
	walk(k.comp, "completion ring", func(i uint32) uint64 { return k.compAddrs[i] })
	for _, a := range k.spare {
		errs = append(errs, add(a, "kernel (rx spare)"))
	}
	for i := range k.inflight.len {
		errs = append(errs, add(k.inflight.buf[(k.inflight.head+i)%len(k.inflight.buf)], "kernel (tx in flight)"))
	}
	for _, a := range u.stack[:u.top] {
		errs = append(errs, add(a, "free stack"))
	}
	for _, a := range held {
		errs = append(errs, add(a, "held by worker"))
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if len(seen) != len(u.where) {
		return fmt.Errorf("found %d frames in all places, umem has %d (leak)", len(seen), len(u.where))
	}
	c := u.Counts()
	if c.Total() != len(u.where) {
		return fmt.Errorf("counts %+v sum to %d, want %d", c, c.Total(), len(u.where))
	}
	if c.Held != len(held) || c.Free != u.top {
		return fmt.Errorf("counts %+v disagree with %d held and %d free", c, len(held), u.top)
	}
	var fillSide, txSide int
	for _, w := range seen {
		switch w {
		case "fill ring", "rx ring", "kernel (rx spare)":
			fillSide++
		case "tx ring", "completion ring", "kernel (tx in flight)":
			txSide++
		}
	}
	if c.Fill != fillSide || c.Tx != txSide {
		return fmt.Errorf("counts %+v disagree with %d frames on the fill side and %d on the tx side", c, fillSide, txSide)
	}
	return nil
}
