package afxdp

// fillRing is the UMEM fill ring: user space produces frame addresses, the
// kernel consumes them to receive packets into.
//
// Single owner: only the goroutine driving the socket (and its Umem) may call
// its methods, except occupancy and needWakeup.
type fillRing struct {
	ringIndices
	addrs []uint64 // size entries, shared with the kernel
}

// put writes addr into a reserved entry.
func (r *fillRing) put(idx uint32, addr uint64) { r.addrs[idx&r.mask] = addr }
