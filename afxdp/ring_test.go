package afxdp

import (
	"sync/atomic"
	"testing"
)

// TestRingIndicesWraparound drives a producer ring and a consumer ring over
// the same fake shared indices across the uint32 wrap and checks free/avail
// arithmetic and entry placement at every step.
func TestRingIndicesWraparound(t *testing.T) {
	const size = 8
	for _, start := range []uint32{0, 5, 0xFFFFFFF0, 0xFFFFFFFF - 3} {
		var prod, cons, flags atomic.Uint32
		prod.Store(start)
		cons.Store(start)
		p := newProducerIndices(&prod, &cons, &flags, size)
		c := newConsumerIndices(&prod, &cons, &flags, size)
		slots := make([]uint32, size)
		var next, expect uint32
		for step := range 200 {
			want := uint32(step%11) + 1
			first, n := p.reserve(want)
			inRing := next - expect
			if free := size - inRing; n != min(want, free) {
				t.Fatalf("start %#x step %d: reserve(%d) = %d with %d in ring", start, step, want, n, inRing)
			}
			for i := range n {
				slots[(first+i)&p.mask] = next
				next++
			}
			p.submit()
			if got := p.occupancy(); got != next-expect {
				t.Fatalf("start %#x step %d: occupancy %d, want %d", start, step, got, next-expect)
			}
			take := uint32(step%5) + 1
			first, m := c.peek(take)
			if m != min(take, next-expect) {
				t.Fatalf("start %#x step %d: peek(%d) = %d with %d in ring", start, step, take, m, next-expect)
			}
			for i := range m {
				if v := slots[(first+i)&c.mask]; v != expect {
					t.Fatalf("start %#x step %d: read %d, want %d", start, step, v, expect)
				}
				expect++
			}
			c.release()
		}
		if prod.Load()-start != next || cons.Load()-start != expect {
			t.Fatalf("start %#x: indices advanced by %d/%d, want %d/%d", start, prod.Load()-start, cons.Load()-start, next, expect)
		}
	}
}

// TestRingFullEmpty checks the boundaries: a full producer ring reserves
// nothing until the consumer releases, an empty consumer ring peeks nothing,
// and unreserve gives entries back.
func TestRingFullEmpty(t *testing.T) {
	var prod, cons, flags atomic.Uint32
	prod.Store(0xFFFFFFFE)
	cons.Store(0xFFFFFFFE)
	p := newProducerIndices(&prod, &cons, &flags, 4)
	c := newConsumerIndices(&prod, &cons, &flags, 4)
	if _, n := c.peek(4); n != 0 {
		t.Fatalf("peek on empty ring = %d", n)
	}
	c.release()
	if _, n := p.reserve(10); n != 4 {
		t.Fatalf("reserve on empty ring of 4 = %d", n)
	}
	p.unreserve(1)
	p.submit()
	if prod.Load() != 1 { // wrapped: 0xFFFFFFFE + 3
		t.Fatalf("producer = %#x, want 1", prod.Load())
	}
	if _, n := p.reserve(2); n != 1 {
		t.Fatalf("reserve with one free = %d", n)
	}
	p.submit()
	if _, n := p.reserve(1); n != 0 {
		t.Fatal("reserve on full ring succeeded")
	}
	if _, n := c.peek(3); n != 3 {
		t.Fatalf("peek = %d, want 3", n)
	}
	// Not released yet: the producer must still see a full ring.
	if _, n := p.reserve(1); n != 0 {
		t.Fatal("producer reused entries the consumer had not released")
	}
	c.release()
	if _, n := p.reserve(8); n != 3 {
		t.Fatalf("reserve after release = %d, want 3", n)
	}
	flags.Store(ringNeedWakeup)
	if !p.needWakeup() {
		t.Fatal("needWakeup missed the flag")
	}
}
