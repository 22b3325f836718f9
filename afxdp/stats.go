package afxdp

// Stats are the kernel's XDP_STATISTICS for one socket.
type Stats struct {
	RxDropped            uint64 // dropped for other reasons (e.g. packet larger than a frame)
	RxInvalidDescs       uint64 // fill ring entries the kernel rejected
	TxInvalidDescs       uint64 // TX descriptors the kernel rejected
	RxRingFull           uint64 // dropped because the RX ring was full
	RxFillRingEmptyDescs uint64 // times the fill ring was empty when a packet arrived
	TxRingEmptyDescs     uint64 // times the kernel found the TX ring empty
}

// Stats reads the kernel's counters. Safe from any goroutine.
func (s *Socket) Stats() (Stats, error) {
	st, err := statistics(s.fd)
	if err != nil {
		return Stats{}, actionError("read af_xdp statistics of "+s.where(), err, "")
	}
	return Stats{
		RxDropped:            st.Rx_dropped,
		RxInvalidDescs:       st.Rx_invalid_descs,
		TxInvalidDescs:       st.Tx_invalid_descs,
		RxRingFull:           st.Rx_ring_full,
		RxFillRingEmptyDescs: st.Rx_fill_ring_empty_descs,
		TxRingEmptyDescs:     st.Tx_ring_empty_descs,
	}, nil
}

// Counters are the socket's own counts of what its methods did.
type Counters struct {
	Rx          uint64 // packets handed out by Receive
	Tx          uint64 // descriptors queued by Transmit
	Completed   uint64 // frames recycled by Complete
	Refilled    uint64 // frames given to the fill ring by Refill
	Kicks       uint64 // sendto calls made by Kick
	KickRetries uint64 // of which hit a transient condition
	RxInvalid   uint64 // RX descriptors that made no sense (kernel/driver bug)
	TxRejected  uint64 // descriptors Transmit refused (bad bounds or frame not held)
	BadFree     uint64 // Free of a frame the caller did not hold
	CompInvalid uint64 // completion addresses for frames not on the TX side
}

// Counters returns a snapshot of the socket's counters. Safe from any
// goroutine.
func (s *Socket) Counters() Counters {
	c := &s.ctr
	return Counters{
		Rx: c.rx.Load(), Tx: c.tx.Load(), Completed: c.completed.Load(), Refilled: c.refilled.Load(),
		Kicks: c.kicks.Load(), KickRetries: c.kickRetries.Load(),
		RxInvalid: c.rxBad.Load(), TxRejected: c.txRejected.Load(), BadFree: c.badFree.Load(),
		CompInvalid: c.compBad.Load(),
	}
}

// RingCounts are the entries in each of a socket's rings right now, as
// published in the shared indices.
type RingCounts struct {
	Fill, Completion, Rx, Tx uint32
}

// RingCounts reads the four rings' occupancy. Safe from any goroutine; exact
// only when neither side is moving.
func (s *Socket) RingCounts() RingCounts {
	return RingCounts{
		Fill:       s.fill.occupancy(),
		Completion: s.comp.occupancy(),
		Rx:         s.rx.occupancy(),
		Tx:         s.tx.occupancy(),
	}
}
