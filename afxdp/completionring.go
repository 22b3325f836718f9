package afxdp

// completionRing is the UMEM completion ring: the kernel produces the
// addresses of frames it has finished transmitting, user space consumes them.
//
// Single owner: only the goroutine driving the socket may call its methods,
// except occupancy.
type completionRing struct {
	ringIndices
	addrs []uint64
}

// get reads a peeked entry.
func (r *completionRing) get(idx uint32) uint64 { return r.addrs[idx&r.mask] }
