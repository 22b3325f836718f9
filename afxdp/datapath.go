package afxdp

import (
	"golang.org/x/sys/unix"
)

// Receive takes up to len(descs) received packets off the RX ring and
// returns how many it stored in descs. The frames are then held by the
// caller, who must eventually Transmit or Free each one. A descriptor the
// kernel should never produce (outside the UMEM, or for a frame that was
// not on the fill side) is counted in Counters.RxInvalid and skipped; a
// frame it names is recycled if possible.
func (s *Socket) Receive(descs []Desc) int {
	first, n := s.rx.peek(uint32(len(descs)))
	if n == 0 {
		return 0
	}
	u := s.umem
	got := 0
	for i := range n {
		d := s.rx.get(first + i)
		f := u.frame(d.Addr)
		if !u.move(f, inFill, inHeld) {
			s.ctr.rxBad.Add(1)
			continue
		}
		if !u.valid(d) {
			u.push(f, inHeld)
			s.ctr.rxBad.Add(1)
			continue
		}
		descs[got] = d
		got++
	}
	s.rx.release()
	s.ctr.rx.Add(uint64(got))
	return got
}

// Transmit queues descs on the TX ring in order and returns how many
// entries of descs it consumed; descs[n:] did not fit and are still held by
// the caller. A consumed descriptor is either queued (the frame now belongs
// to the kernel until Complete) or rejected and counted in
// Counters.TxRejected: one that does not lie inside a single frame is freed
// if the caller held the frame, one for a frame the caller does not hold is
// ignored. Call Kick afterwards.
func (s *Socket) Transmit(descs []Desc) int {
	first, room := s.tx.reserve(uint32(len(descs)))
	u := s.umem
	var queued uint32
	i := 0
	for ; i < len(descs) && queued < room; i++ {
		d := descs[i]
		f := u.frame(d.Addr)
		if !u.valid(d) {
			u.push(f, inHeld) // recycle it if the caller held it
			s.ctr.txRejected.Add(1)
			continue
		}
		if !u.move(f, inHeld, inTx) {
			s.ctr.txRejected.Add(1)
			continue
		}
		s.tx.put(first+queued, d)
		queued++
	}
	// Invalid descriptors may have left reserved entries unwritten.
	s.tx.unreserve(room - queued)
	if queued > 0 {
		s.tx.submit()
		s.ctr.tx.Add(uint64(queued))
	}
	return i
}

// Free returns a held frame (any address inside it) to the free stack. It
// reports false, counting Counters.BadFree, if the caller does not hold it.
func (s *Socket) Free(addr uint64) bool {
	if s.umem.Free(addr) {
		return true
	}
	s.ctr.badFree.Add(1)
	return false
}

// Alloc takes a free frame for building a new packet; see Umem.Alloc.
func (s *Socket) Alloc() (addr uint64, ok bool) { return s.umem.Alloc() }

// Complete moves every frame the kernel has finished sending from the
// completion ring to the free stack and returns how many.
func (s *Socket) Complete() int {
	c := s.comp
	first, n := c.peek(c.size)
	if n == 0 {
		return 0
	}
	u := s.umem
	for i := range n {
		if !u.push(u.frame(c.get(first+i)), inTx) {
			s.ctr.compBad.Add(1)
		}
	}
	c.release()
	s.ctr.completed.Add(uint64(n))
	return int(n)
}

// Refill moves free frames to the fill ring until it is full or the free
// stack is empty and returns how many. If the driver asked for a wakeup
// (zero-copy with need-wakeup) it is woken.
func (s *Socket) Refill() int {
	f := s.fill
	u := s.umem
	want := uint32(min(u.top, int(f.size)))
	first, n := f.reserve(want)
	for i := range n {
		addr, _ := u.pop(inFill) // cannot fail: n <= u.top
		f.put(first+i, addr)
	}
	if n > 0 {
		f.submit()
		s.ctr.refilled.Add(uint64(n))
	}
	if s.wakeup && s.mode == ModeZeroCopy && f.needWakeup() {
		wakeRx(s.fd) // errors surface again on the next RX
	}
	return int(n)
}

// Kick makes the kernel send what Transmit queued, with one non-blocking
// sendto, and only when needed: never when the TX ring is drained; in
// zero-copy mode with need-wakeup only when the kernel set the ring's
// wakeup flag. Copy mode always needs the syscall, which is where the kernel
// builds and sends the skbs (at most Opts.TxSkbBudget per call).
//
// Transient conditions (EAGAIN: budget or completion ring exhausted; EBUSY,
// ENOBUFS: device queue full) are counted in Counters.KickRetries and return
// nil: the descriptors stay queued and the next Kick retries. Other errors
// are returned as a unix.Errno, without allocating.
func (s *Socket) Kick() error {
	if !s.tx.pending() {
		return nil
	}
	if s.mode == ModeZeroCopy && s.wakeup && !s.tx.needWakeup() {
		return nil
	}
	s.ctr.kicks.Add(1)
	switch e := kickTx(s.fd); e {
	case 0:
		return nil
	case unix.EAGAIN, unix.EBUSY, unix.ENOBUFS, unix.EINTR:
		s.ctr.kickRetries.Add(1)
		return nil
	default:
		return e
	}
}

// TxPending reports whether the kernel has not yet taken every descriptor
// queued by Transmit.
func (s *Socket) TxPending() bool { return s.tx.pending() }

// Wait blocks up to timeoutMs milliseconds (-1: forever) until the RX ring
// has packets, for idle back-off. In copy mode, poll also drives pending TX.
// It returns nil on EINTR and does not allocate.
func (s *Socket) Wait(timeoutMs int) error {
	s.pollFds[0] = unix.PollFd{Fd: int32(s.fd), Events: unix.POLLIN}
	switch e := pollIn(&s.pollFds, &s.pollTs, timeoutMs); e {
	case 0, unix.EINTR:
		return nil
	default:
		return e
	}
}
