package afxdp

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Socket is an AF_XDP socket bound to one interface queue.
//
// All methods except Close, Stats, RingCounts, Counters and the getters must
// be called from the single goroutine that drives this socket and every
// other socket on its Umem. Close must not run concurrently with any other
// method.
type Socket struct {
	fd      int
	ifname  string
	ifindex int
	queue   uint32
	mode    Mode
	wakeup  bool // XDP_USE_NEED_WAKEUP in effect

	umem *Umem
	fq   *umemRings // own, or the owner's when sharing its queue
	fill *fillRing
	comp *completionRing
	rx   rxRing
	tx   txRing

	maps    [][]byte // ring mappings to unmap at Close
	closed  bool
	ctr     counters
	pollFds [1]unix.PollFd
	pollTs  unix.Timespec
}

// Open creates a Umem per opts and an AF_XDP socket on ifname's queue that
// owns it (registers it and its fill/completion rings). Bind tries zero-copy
// first and falls back to copy mode unless opts.Mode forces one; Mode reports
// the result.
//
// Open must run in the network namespace of ifname. On error nothing is left
// open or mapped.
func Open(ifname string, queue uint32, opts Opts) (*Socket, error) {
	if err := opts.validate(false); err != nil {
		return nil, err
	}
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, actionError(fmt.Sprintf("find interface %q", ifname), err, "check the name and network namespace")
	}
	s := &Socket{fd: -1, ifname: ifname, ifindex: ifi.Index, queue: queue}
	if err := s.open(opts, nil); err != nil {
		s.teardown()
		return nil, err
	}
	return s, nil
}

// OpenShared creates a socket on ifname's queue that shares owner's Umem
// (XDP_SHARED_UMEM). On another interface or queue it gets its own fill and
// completion rings (sized by opts); on owner's very interface and queue it
// shares owner's rings too. It inherits owner's mode and need-wakeup
// setting; the Umem geometry fields and Mode of opts are ignored.
//
// Both sockets must then be driven by the same goroutine.
func OpenShared(ifname string, queue uint32, owner *Socket, opts Opts) (*Socket, error) {
	if owner == nil || owner.closed {
		return nil, errors.New("open shared af_xdp socket: owner socket is nil or closed")
	}
	if err := opts.validate(true); err != nil {
		return nil, err
	}
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, actionError(fmt.Sprintf("find interface %q", ifname), err, "check the name and network namespace")
	}
	s := &Socket{fd: -1, ifname: ifname, ifindex: ifi.Index, queue: queue}
	if err := s.open(opts, owner); err != nil {
		s.teardown()
		return nil, err
	}
	return s, nil
}

func (s *Socket) where() string { return fmt.Sprintf("%s queue %d", s.ifname, s.queue) }

// open does the setup; on error the caller runs teardown.
func (s *Socket) open(o Opts, owner *Socket) error {
	fd, err := unix.Socket(unix.AF_XDP, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return actionError("create af_xdp socket", err, hintFor("socket", err))
	}
	s.fd = fd

	sameQueue := owner != nil && owner.ifindex == s.ifindex && owner.queue == s.queue
	if owner == nil {
		if err := s.createUmem(o); err != nil {
			return err
		}
	} else {
		s.umem = owner.umem
		s.umem.refs++
	}

	// Rings must exist before bind. A socket sharing its owner's queue uses
	// the owner's fill/completion rings; the kernel refuses its own.
	if !sameQueue {
		if err := s.setRingSize(unix.XDP_UMEM_FILL_RING, "fill", o.FillSize); err != nil {
			return err
		}
		if err := s.setRingSize(unix.XDP_UMEM_COMPLETION_RING, "completion", o.CompletionSize); err != nil {
			return err
		}
	}
	if err := s.setRingSize(unix.XDP_RX_RING, "rx", o.RxSize); err != nil {
		return err
	}
	if err := s.setRingSize(unix.XDP_TX_RING, "tx", o.TxSize); err != nil {
		return err
	}
	if err := s.mapRings(o, owner, sameQueue); err != nil {
		return err
	}
	if err := s.bind(o, owner); err != nil {
		return err
	}
	return s.setOptions(o)
}

// createUmem maps the packet memory and registers it on s.fd.
func (s *Socket) createUmem(o Opts) error {
	size := int(o.FrameCount) * int(o.FrameSize)
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return actionError(fmt.Sprintf("map %d bytes of umem", size), err, hintFor("mmap", err))
	}
	// Ask for transparent huge pages before the memory is faulted in: a
	// worker touches every frame of a batch, and with 4 KiB pages a 16 MiB
	// UMEM costs a TLB miss on most of them. Best effort (THP may be off).
	_ = unix.Madvise(mem, unix.MADV_HUGEPAGE)
	for i := 0; i < len(mem); i += 4096 {
		mem[i] = 0 // fault in now, not on the data path
	}
	s.umem = newUmem(mem, o.FrameSize, o.Headroom)
	s.umem.refs = 1
	s.umem.release = unix.Munmap
	if err := registerUmem(s.fd, mem, o.FrameSize, o.Headroom); err != nil {
		return actionError(fmt.Sprintf("register umem (%d frames of %d bytes, headroom %d)", o.FrameCount, o.FrameSize, o.Headroom), err, hintFor("umem", err))
	}
	return nil
}

func (s *Socket) setRingSize(opt int, name string, n uint32) error {
	if err := unix.SetsockoptInt(s.fd, unix.SOL_XDP, opt, int(n)); err != nil {
		return actionError(fmt.Sprintf("create %d-entry af_xdp %s ring", n, name), err, hintFor("ring", err))
	}
	return nil
}

func (s *Socket) mapRings(o Opts, owner *Socket, sameQueue bool) error {
	off, err := mmapOffsets(s.fd)
	if err != nil {
		return actionError("read af_xdp ring offsets", err, "needs Linux 5.4+")
	}
	m, err := s.mapOne(unix.XDP_PGOFF_RX_RING, off.Rx, o.RxSize, sizeofDesc, "rx")
	if err != nil {
		return err
	}
	s.rx = rxRing{newConsumerIndices(m.prod, m.cons, m.flags, o.RxSize), m.descs(o.RxSize)}
	if m, err = s.mapOne(unix.XDP_PGOFF_TX_RING, off.Tx, o.TxSize, sizeofDesc, "tx"); err != nil {
		return err
	}
	s.tx = txRing{newProducerIndices(m.prod, m.cons, m.flags, o.TxSize), m.descs(o.TxSize)}
	if sameQueue {
		s.fq = owner.fq
		s.fq.refs++
		s.fill, s.comp = &s.fq.fill, &s.fq.comp
		return nil
	}
	s.fq = &umemRings{refs: 1}
	if m, err = s.mapOne(unix.XDP_UMEM_PGOFF_FILL_RING, off.Fr, o.FillSize, sizeofAddr, "fill"); err != nil {
		return err
	}
	s.fq.fill = fillRing{newProducerIndices(m.prod, m.cons, m.flags, o.FillSize), m.addrs(o.FillSize)}
	s.moveMap(&s.fq.maps)
	if m, err = s.mapOne(unix.XDP_UMEM_PGOFF_COMPLETION_RING, off.Cr, o.CompletionSize, sizeofAddr, "completion"); err != nil {
		return err
	}
	s.fq.comp = completionRing{newConsumerIndices(m.prod, m.cons, m.flags, o.CompletionSize), m.addrs(o.CompletionSize)}
	s.moveMap(&s.fq.maps)
	s.fill, s.comp = &s.fq.fill, &s.fq.comp
	return nil
}

func (s *Socket) mapOne(pgoff int64, off unix.XDPRingOffset, n uint32, entry uintptr, name string) (mappedRing, error) {
	m, err := mapRing(s.fd, pgoff, off, n, entry)
	if err != nil {
		return m, actionError(fmt.Sprintf("map af_xdp %s ring", name), err, hintFor("mmap", err))
	}
	s.maps = append(s.maps, m.mem)
	return m, nil
}

// moveMap transfers the most recent mapping from s.maps to dst.
func (s *Socket) moveMap(dst *[][]byte) {
	*dst = append(*dst, s.maps[len(s.maps)-1])
	s.maps = s.maps[:len(s.maps)-1]
}

// umemRings are a fill and a completion ring, shared by the sockets bound
// to the same interface queue on one Umem and unmapped with the last one.
type umemRings struct {
	fill fillRing
	comp completionRing
	maps [][]byte
	refs int
}

// bind attaches the socket to its queue: zero-copy first (ModeAuto), then
// copy. A failed bind leaves the socket unbound with its rings intact
// (net/xdp/xsk.c), so the second attempt reuses them.
func (s *Socket) bind(o Opts, owner *Socket) error {
	sa := &unix.SockaddrXDP{Ifindex: uint32(s.ifindex), QueueID: s.queue}
	action := "bind af_xdp socket to " + s.where()
	if owner != nil {
		// The kernel rejects mode and wakeup flags on shared sockets; they
		// are inherited from the owner.
		sa.Flags = unix.XDP_SHARED_UMEM
		sa.SharedUmemFD = uint32(owner.fd)
		if err := unix.Bind(s.fd, sa); err != nil {
			return actionError(action+" sharing the umem of "+owner.where(), err, hintFor("bind", err))
		}
		s.mode, s.wakeup = owner.mode, owner.wakeup
		return s.checkMode()
	}
	var wake uint16
	if o.NeedWakeup {
		wake = unix.XDP_USE_NEED_WAKEUP
	}
	s.wakeup = o.NeedWakeup
	var zcErr error
	if o.Mode == ModeAuto || o.Mode == ModeZeroCopy {
		sa.Flags = unix.XDP_ZEROCOPY | wake
		zcErr = unix.Bind(s.fd, sa)
		if zcErr == nil {
			s.mode = ModeZeroCopy
			return s.checkMode()
		}
		if o.Mode == ModeZeroCopy || errors.Is(zcErr, unix.EBUSY) || errors.Is(zcErr, unix.ENODEV) {
			err := actionError(action+" in zero-copy mode", zcErr, hintFor("bind", zcErr))
			if o.Mode == ModeZeroCopy {
				return fmt.Errorf("%w: %w", ErrZeroCopyUnsupported, err)
			}
			return err
		}
	}
	sa.Flags = unix.XDP_COPY | wake
	if err := unix.Bind(s.fd, sa); err != nil {
		if zcErr != nil {
			return actionError(action+" in copy mode (zero-copy failed: "+zcErr.Error()+")", err, hintFor("bind", err))
		}
		return actionError(action+" in copy mode", err, hintFor("bind", err))
	}
	s.mode = ModeCopy
	return s.checkMode()
}

// checkMode confirms the bound mode with XDP_OPTIONS.
func (s *Socket) checkMode() error {
	flags, err := xdpOptions(s.fd)
	if err != nil {
		return actionError("read af_xdp options of "+s.where(), err, "")
	}
	got := ModeCopy
	if flags&unix.XDP_OPTIONS_ZEROCOPY != 0 {
		got = ModeZeroCopy
	}
	s.mode = got
	return nil
}

// setOptions applies the optional socket options after bind.
func (s *Socket) setOptions(o Opts) error {
	if o.TxSkbBudget != 0 {
		err := unix.SetsockoptInt(s.fd, unix.SOL_XDP, unix.XDP_MAX_TX_SKB_BUDGET, int(o.TxSkbBudget))
		if err != nil && !errors.Is(err, unix.ENOPROTOOPT) {
			return actionError(fmt.Sprintf("set af_xdp tx skb budget %d on %s", o.TxSkbBudget, s.where()), err, hintFor("txbudget", err))
		}
	}
	if o.BusyPollUsec > 0 {
		for _, opt := range []struct {
			name string
			opt  int
			val  uint32
		}{
			{"SO_PREFER_BUSY_POLL", unix.SO_PREFER_BUSY_POLL, 1},
			{"SO_BUSY_POLL", unix.SO_BUSY_POLL, o.BusyPollUsec},
			{"SO_BUSY_POLL_BUDGET", unix.SO_BUSY_POLL_BUDGET, o.BusyPollBudget},
		} {
			if err := unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, opt.opt, int(opt.val)); err != nil {
				return actionError(fmt.Sprintf("enable busy polling (%s=%d) on %s", opt.name, opt.val, s.where()), err, hintFor("busypoll", err))
			}
		}
	}
	return nil
}

// teardown releases whatever open acquired.
func (s *Socket) teardown() error {
	var errs []error
	if s.fd >= 0 {
		if err := unix.Close(s.fd); err != nil {
			errs = append(errs, actionError("close af_xdp socket on "+s.where(), err, ""))
		}
		s.fd = -1
	}
	for _, m := range s.maps {
		if err := unix.Munmap(m); err != nil {
			errs = append(errs, actionError("unmap af_xdp ring of "+s.where(), err, ""))
		}
	}
	s.maps = nil
	if r := s.fq; r != nil {
		r.refs--
		if r.refs == 0 {
			for _, m := range r.maps {
				if err := unix.Munmap(m); err != nil {
					errs = append(errs, actionError("unmap af_xdp fill/completion ring of "+s.where(), err, ""))
				}
			}
			r.maps = nil
		}
		s.fq, s.fill, s.comp = nil, nil, nil
	}
	if u := s.umem; u != nil {
		u.refs--
		if u.refs == 0 && u.release != nil {
			if err := u.release(u.mem); err != nil {
				errs = append(errs, actionError("unmap umem", err, ""))
			}
			u.mem = nil
		}
		s.umem = nil
	}
	return errors.Join(errs...)
}

// Close unbinds the socket and unmaps its rings; the Umem is unmapped when
// its last socket closes. Frames in this socket's rings are lost to a Umem
// that other sockets keep using. Close is idempotent.
func (s *Socket) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.teardown()
}

// Fd returns the socket's file descriptor, for an XSKMAP entry.
func (s *Socket) Fd() int { return s.fd }

// Mode returns the data path the kernel gave this socket.
func (s *Socket) Mode() Mode { return s.mode }

// Interface returns the interface name and index the socket is bound to.
func (s *Socket) Interface() (name string, index int) { return s.ifname, s.ifindex }

// Queue returns the queue id the socket is bound to.
func (s *Socket) Queue() uint32 { return s.queue }

// Umem returns the socket's packet memory.
func (s *Socket) Umem() *Umem { return s.umem }

// NeedWakeup reports whether XDP_USE_NEED_WAKEUP is in effect.
func (s *Socket) NeedWakeup() bool { return s.wakeup }

// counters are the socket's own event counts; updated once per batch by the
// owner, readable from anywhere.
type counters struct {
	rx, tx, completed, refilled atomic.Uint64
	kicks, kickRetries          atomic.Uint64
	rxBad, txRejected, badFree  atomic.Uint64
	compBad                     atomic.Uint64
}
