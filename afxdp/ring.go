package afxdp

import "sync/atomic"

// ringIndices is the index arithmetic shared by the four AF_XDP rings.
//
// The kernel and user space share producer and consumer as free-running
// uint32 counters; an entry lives at index & mask, and all differences are
// computed modulo 2^32 so wraparound needs no special case. Each side keeps a
// cached copy of the other side's index and refreshes it with one atomic load
// only when the cached view cannot satisfy a request, so a batch costs one
// acquire load (at most) and one release store.
//
// Memory ordering (matching the kernel's smp_load_acquire/smp_store_release
// in net/xdp/xsk_queue.h; Go's sync/atomic operations are sequentially
// consistent, which implies both):
//   - producer side: write entries, then Store(producer)  — release
//   - consumer side: Load(producer), then read entries    — acquire
//   - consumer side: read entries, then Store(consumer)   — release
//   - producer side: Load(consumer), then overwrite slots — acquire
//
// A ringIndices value has one owner goroutine (see the package comment).
type ringIndices struct {
	producer *atomic.Uint32
	consumer *atomic.Uint32
	flags    *atomic.Uint32
	mask     uint32
	size     uint32

	// For a user-space producer ring (fill, TX): cachedProd is the next index
	// we will write; cachedCons is the kernel consumer seen last plus size,
	// so cachedCons-cachedProd is the free space.
	// For a user-space consumer ring (RX, completion): cachedCons is the
	// next index we will read; cachedProd the kernel producer seen last.
	cachedProd uint32
	cachedCons uint32
}

func newProducerIndices(prod, cons, flags *atomic.Uint32, size uint32) ringIndices {
	return ringIndices{
		producer: prod, consumer: cons, flags: flags,
		mask: size - 1, size: size,
		cachedProd: prod.Load(),
		cachedCons: cons.Load() + size,
	}
}

func newConsumerIndices(prod, cons, flags *atomic.Uint32, size uint32) ringIndices {
	return ringIndices{
		producer: prod, consumer: cons, flags: flags,
		mask: size - 1, size: size,
		cachedProd: prod.Load(),
		cachedCons: cons.Load(),
	}
}

// free returns the number of entries a producer can reserve, refreshing the
// kernel's consumer index only if the cached view has fewer than want.
func (r *ringIndices) free(want uint32) uint32 {
	n := r.cachedCons - r.cachedProd
	if n >= want {
		return n
	}
	// Acquire: the kernel has finished reading every entry below consumer.
	r.cachedCons = r.consumer.Load() + r.size
	return r.cachedCons - r.cachedProd
}

// reserve claims up to want entries for writing and returns the first index
// and the count. The entries become visible to the kernel only at submit.
func (r *ringIndices) reserve(want uint32) (first, n uint32) {
	n = r.free(want)
	if n > want {
		n = want
	}
	first = r.cachedProd
	r.cachedProd += n
	return first, n
}

// unreserve gives back the last n reserved, unwritten entries.
func (r *ringIndices) unreserve(n uint32) { r.cachedProd -= n }

// submit publishes every reserved entry to the kernel.
func (r *ringIndices) submit() {
	// Release: the entries written since the last submit are visible before
	// the kernel can observe the new producer index.
	r.producer.Store(r.cachedProd)
}

// avail returns the number of entries a consumer can peek, refreshing the
// kernel's producer index only if the cached view has fewer than want.
func (r *ringIndices) avail(want uint32) uint32 {
	n := r.cachedProd - r.cachedCons
	if n >= want {
		return n
	}
	// Acquire: every entry below producer is fully written.
	r.cachedProd = r.producer.Load()
	return r.cachedProd - r.cachedCons
}

// peek claims up to want entries for reading and returns the first index and
// the count. The kernel may reuse the entries only after release.
func (r *ringIndices) peek(want uint32) (first, n uint32) {
	n = r.avail(want)
	if n > want {
		n = want
	}
	first = r.cachedCons
	r.cachedCons += n
	return first, n
}

// release hands every peeked entry back to the kernel.
func (r *ringIndices) release() {
	// Release: our reads of the peeked entries complete before the kernel
	// sees the slots as free.
	r.consumer.Store(r.cachedCons)
}

// occupancy returns producer-consumer as published in shared memory: the
// number of entries in the ring right now. Safe from any goroutine.
func (r *ringIndices) occupancy() uint32 {
	c := r.consumer.Load()
	p := r.producer.Load()
	return p - c
}

// needWakeup reports whether the kernel set XDP_RING_NEED_WAKEUP.
func (r *ringIndices) needWakeup() bool {
	return r.flags.Load()&ringNeedWakeup != 0
}
