package ring

import (
	"sync/atomic"

	"golang.org/x/sys/cpu"
)

// mpscSlot is one cell of an MPSC ring. seq == i+1 means the cell holds the
// value pushed with index i and that value is fully written.
type mpscSlot[T any] struct {
	seq atomic.Uint64
	val T
}

// MPSC is a bounded multi-producer single-consumer ring.
//
// Any number of goroutines may call Push/PushBatch concurrently; exactly one
// goroutine may call Pop/PopBatch.
//
// Protocol: a producer reserves a run of indices [t, t+n) by compare-and-swap
// on tail, after checking against the consumer's published head that all n
// cells are free; it then writes the values and marks each cell ready by
// storing seq = index+1. The consumer takes cells in index order while
// seq == index+1, so a producer that reserved early but writes late only
// delays the consumer, never reorders or loses values.
//
// Memory ordering: the value write happens before the seq store (release),
// and the consumer's seq load (acquire) happens before its value read. The
// consumer clears the cell and then stores headPub (release); a producer
// loads headPub (acquire) before reusing any cell below it.
type MPSC[T any] struct {
	_ cpu.CacheLinePad
	// Shared by producers.
	tail atomic.Uint64 // next index to reserve
	_    cpu.CacheLinePad
	// Written by the consumer only.
	headPub atomic.Uint64 // every index below it has been consumed
	head    uint64        // consumer-private copy of headPub
	_       cpu.CacheLinePad
	// Read-only after construction.
	mask  uint64
	slots []mpscSlot[T]
	_     cpu.CacheLinePad
}

// NewMPSC returns an empty ring holding up to capacity values; capacity must
// be a power of two.
func NewMPSC[T any](capacity int) (*MPSC[T], error) {
	mask, err := checkCapacity(capacity)
	if err != nil {
		return nil, err
	}
	return &MPSC[T]{mask: mask, slots: make([]mpscSlot[T], capacity)}, nil
}

// Cap returns the ring's capacity.
func (r *MPSC[T]) Cap() int { return len(r.slots) }

// Len returns the number of values pushed (or being pushed) and not yet
// popped. It is exact only when the ring is quiescent.
func (r *MPSC[T]) Len() int {
	h := r.headPub.Load()
	t := r.tail.Load()
	if t < h {
		return 0
	}
	return int(t - h)
}

// reserve claims up to want consecutive free indices and returns the first
// index and how many were claimed (0 when the ring is full).
func (r *MPSC[T]) reserve(want uint64) (first, n uint64) {
	size := r.mask + 1
	for {
		t := r.tail.Load()
		// Acquire: cells below head+size are no longer read by the consumer.
		free := size - (t - r.headPub.Load())
		if free > size { // headPub raced past our tail snapshot; retry
			continue
		}
		n = want
		if n > free {
			n = free
		}
		if n == 0 {
			return t, 0
		}
		if r.tail.CompareAndSwap(t, t+n) {
			return t, n
		}
	}
}

// Push appends v and reports whether there was room. Safe for concurrent use
// by producers.
func (r *MPSC[T]) Push(v T) bool {
	t, n := r.reserve(1)
	if n == 0 {
		return false
	}
	s := &r.slots[t&r.mask]
	s.val = v
	s.seq.Store(t + 1) // release: the value is visible before the cell is ready
	return true
}

// PushBatch appends as many values from vs as fit, in order and contiguously,
// and returns how many it took (vs[n:] were not pushed). Safe for concurrent
// use by producers; one batch is never interleaved with another producer's.
func (r *MPSC[T]) PushBatch(vs []T) int {
	if len(vs) == 0 {
		return 0
	}
	t, n := r.reserve(uint64(len(vs)))
	for i := uint64(0); i < n; i++ {
		s := &r.slots[(t+i)&r.mask]
		s.val = vs[i]
		s.seq.Store(t + i + 1) // release, see Push
	}
	return int(n)
}

// Pop removes the oldest ready value. ok is false when the ring is empty or
// the oldest reserved cell is still being written. Consumer only.
func (r *MPSC[T]) Pop() (v T, ok bool) {
	h := r.head
	s := &r.slots[h&r.mask]
	if s.seq.Load() != h+1 { // acquire: pairs with the producer's seq store
		return v, false
	}
	v = s.val
	var zero T
	s.val = zero
	r.head = h + 1
	r.headPub.Store(h + 1) // release: the cell may be reused
	return v, true
}

// PopBatch moves up to len(out) of the oldest ready values into out and
// returns how many it moved. Consumer only.
func (r *MPSC[T]) PopBatch(out []T) int {
	h := r.head
	var zero T
	n := uint64(0)
	for n < uint64(len(out)) {
		s := &r.slots[(h+n)&r.mask]
		if s.seq.Load() != h+n+1 { // acquire, see Pop
			break
		}
		out[n] = s.val
		s.val = zero
		n++
	}
	if n > 0 {
		r.head = h + n
		r.headPub.Store(h + n) // release: the n cells may be reused
	}
	return int(n)
}
