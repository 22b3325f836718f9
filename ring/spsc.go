package ring

import (
	"sync/atomic"

	"golang.org/x/sys/cpu"
)

// SPSC is a bounded single-producer single-consumer ring.
//
// Exactly one goroutine may call Push/PushBatch and exactly one (possibly
// different) goroutine may call Pop/PopBatch; those roles must not change
// while values are in flight without external synchronisation.
//
// Memory ordering: the producer writes slots and then stores tail; the
// consumer loads tail before reading those slots (the Go memory model makes a
// sync/atomic store/load pair a release/acquire edge). Symmetrically the
// consumer reads (and clears) slots before storing head, and the producer
// loads head before overwriting them.
type SPSC[T any] struct {
	_ cpu.CacheLinePad
	// Producer-owned line.
	tail      atomic.Uint64 // next index to write; stored only by the producer
	headCache uint64        // producer's last view of head
	_         cpu.CacheLinePad
	// Consumer-owned line.
	head      atomic.Uint64 // next index to read; stored only by the consumer
	tailCache uint64        // consumer's last view of tail
	_         cpu.CacheLinePad
	// Read-only after construction.
	mask uint64
	buf  []T
	_    cpu.CacheLinePad
}

// NewSPSC returns an empty ring holding up to capacity values; capacity must
// be a power of two.
func NewSPSC[T any](capacity int) (*SPSC[T], error) {
	mask, err := checkCapacity(capacity)
	if err != nil {
		return nil, err
	}
	return &SPSC[T]{mask: mask, buf: make([]T, capacity)}, nil
}

// Cap returns the ring's capacity.
func (r *SPSC[T]) Cap() int { return len(r.buf) }

// Len returns the number of values in the ring. It is exact only when neither
// side is running concurrently.
func (r *SPSC[T]) Len() int {
	h := r.head.Load()
	t := r.tail.Load()
	if t < h { // tail read after a racing head update; clamp
		return 0
	}
	return int(t - h)
}

// Push appends v and reports whether there was room. Producer only.
func (r *SPSC[T]) Push(v T) bool {
	t := r.tail.Load() // own variable: no ordering needed, atomic only for Len
	if t-r.headCache > r.mask {
		// Looks full: refresh our view. Acquire pairs with the consumer's
		// head.Store, so the slot it freed is no longer being read.
		r.headCache = r.head.Load()
		if t-r.headCache > r.mask {
			return false
		}
	}
	r.buf[t&r.mask] = v
	r.tail.Store(t + 1) // release: publishes the slot written above
	return true
}

// PushBatch appends as many values from vs as fit, in order, and returns how
// many it took (vs[n:] were not pushed). Producer only.
func (r *SPSC[T]) PushBatch(vs []T) int {
	t := r.tail.Load()
	size := r.mask + 1
	free := size - (t - r.headCache)
	if free < uint64(len(vs)) {
		r.headCache = r.head.Load() // acquire, see Push
		free = size - (t - r.headCache)
	}
	n := uint64(len(vs))
	if n > free {
		n = free
	}
	for i := uint64(0); i < n; i++ {
		r.buf[(t+i)&r.mask] = vs[i]
	}
	if n > 0 {
		r.tail.Store(t + n) // release: publishes all n slots at once
	}
	return int(n)
}

// Pop removes the oldest value. ok is false when the ring is empty.
// Consumer only.
func (r *SPSC[T]) Pop() (v T, ok bool) {
	h := r.head.Load()
	if h == r.tailCache {
		// Acquire pairs with the producer's tail.Store: slots below the
		// loaded tail are fully written.
		r.tailCache = r.tail.Load()
		if h == r.tailCache {
			return v, false
		}
	}
	slot := &r.buf[h&r.mask]
	v = *slot
	var zero T
	*slot = zero        // drop references so the GC can reclaim them
	r.head.Store(h + 1) // release: the slot may now be overwritten
	return v, true
}

// PopBatch moves up to len(out) of the oldest values into out and returns how
// many it moved. Consumer only.
func (r *SPSC[T]) PopBatch(out []T) int {
	h := r.head.Load()
	avail := r.tailCache - h
	if avail < uint64(len(out)) {
		r.tailCache = r.tail.Load() // acquire, see Pop
		avail = r.tailCache - h
	}
	n := uint64(len(out))
	if n > avail {
		n = avail
	}
	var zero T
	for i := uint64(0); i < n; i++ {
		slot := &r.buf[(h+i)&r.mask]
		out[i] = *slot
		*slot = zero
	}
	if n > 0 {
		r.head.Store(h + n) // release: all n slots may now be overwritten
	}
	return int(n)
}
