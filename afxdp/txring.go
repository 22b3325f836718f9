package afxdp

// txRing is a socket's TX ring: user space produces descriptors of packets to
// send, the kernel consumes them and later reports each frame on the
// completion ring.
//
// Single owner: only the goroutine driving the socket may call its methods,
// except occupancy and needWakeup.
type txRing struct {
	ringIndices
	descs []Desc
}

// put writes d into a reserved entry.
func (r *txRing) put(idx uint32, d Desc) { r.descs[idx&r.mask] = d }

// pending reports whether the kernel has not yet consumed everything we
// submitted.
func (r *txRing) pending() bool {
	return r.consumer.Load() != r.cachedProd // acquire; cachedProd == published producer after submit
}
