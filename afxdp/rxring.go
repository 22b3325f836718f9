package afxdp

// rxRing is a socket's RX ring: the kernel produces descriptors of received
// packets, user space consumes them.
//
// Single owner: only the goroutine driving the socket may call its methods,
// except occupancy.
type rxRing struct {
	ringIndices
	descs []Desc
}

// get reads a peeked entry.
func (r *rxRing) get(idx uint32) Desc { return r.descs[idx&r.mask] }
