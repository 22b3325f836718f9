package afxdp

import (
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Desc must match struct xdp_desc byte for byte: the RX/TX rings are viewed
// as []Desc.
var _ [16]byte = [unsafe.Sizeof(Desc{})]byte{}
var _ [8]byte = [unsafe.Offsetof(Desc{}.Len)]byte{}

const ringNeedWakeup = unix.XDP_RING_NEED_WAKEUP

func setsockoptPtr(fd, level, opt int, p unsafe.Pointer, size uintptr) error {
	_, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt), uintptr(p), size, 0)
	if e != 0 {
		return e
	}
	return nil
}

func getsockoptPtr(fd, level, opt int, p unsafe.Pointer, size uintptr) (uintptr, error) {
	l := uint32(size)
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt), uintptr(p), uintptr(unsafe.Pointer(&l)), 0)
	if e != 0 {
		return 0, e
	}
	return uintptr(l), nil
}

// registerUmem performs XDP_UMEM_REG for mem on fd.
func registerUmem(fd int, mem []byte, frameSize, headroom uint32) error {
	reg := unix.XDPUmemReg{
		Addr:     uint64(uintptr(unsafe.Pointer(&mem[0]))),
		Len:      uint64(len(mem)),
		Size:     frameSize,
		Headroom: headroom,
	}
	return setsockoptPtr(fd, unix.SOL_XDP, unix.XDP_UMEM_REG, unsafe.Pointer(&reg), unsafe.Sizeof(reg))
}

// mmapOffsets reads XDP_MMAP_OFFSETS: where producer, consumer, flags and
// the descriptors live inside each ring's mapping.
func mmapOffsets(fd int) (unix.XDPMmapOffsets, error) {
	var off unix.XDPMmapOffsets
	n, err := getsockoptPtr(fd, unix.SOL_XDP, unix.XDP_MMAP_OFFSETS, unsafe.Pointer(&off), unsafe.Sizeof(off))
	if err == nil && n != unsafe.Sizeof(off) {
		// Pre-5.4 kernels return offsets without the flags field.
		err = unix.ENOTSUP
	}
	return off, err
}

// xdpOptions reads XDP_OPTIONS (XDP_OPTIONS_ZEROCOPY tells the bound mode).
func xdpOptions(fd int) (uint32, error) {
	var flags uint32
	_, err := getsockoptPtr(fd, unix.SOL_XDP, unix.XDP_OPTIONS, unsafe.Pointer(&flags), unsafe.Sizeof(flags))
	return flags, err
}

// statistics reads XDP_STATISTICS.
func statistics(fd int) (unix.XDPStatistics, error) {
	var st unix.XDPStatistics
	_, err := getsockoptPtr(fd, unix.SOL_XDP, unix.XDP_STATISTICS, unsafe.Pointer(&st), unsafe.Sizeof(st))
	return st, err
}

// mappedRing is one ring's shared memory split into its parts.
type mappedRing struct {
	mem               []byte
	prod, cons, flags *atomic.Uint32
	entries           unsafe.Pointer
}

// mapRing mmaps a ring of n entries of entrySize bytes at pgoff.
func mapRing(fd int, pgoff int64, off unix.XDPRingOffset, n uint32, entrySize uintptr) (mappedRing, error) {
	size := int(off.Desc) + int(n)*int(entrySize)
	mem, err := unix.Mmap(fd, pgoff, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return mappedRing{}, err
	}
	base := unsafe.Pointer(&mem[0])
	return mappedRing{
		mem:     mem,
		prod:    (*atomic.Uint32)(unsafe.Add(base, off.Producer)),
		cons:    (*atomic.Uint32)(unsafe.Add(base, off.Consumer)),
		flags:   (*atomic.Uint32)(unsafe.Add(base, off.Flags)),
		entries: unsafe.Add(base, off.Desc),
	}, nil
}

func (m mappedRing) addrs(n uint32) []uint64 { return unsafe.Slice((*uint64)(m.entries), n) }
func (m mappedRing) descs(n uint32) []Desc   { return unsafe.Slice((*Desc)(m.entries), n) }

const (
	sizeofAddr = unsafe.Sizeof(uint64(0))
	sizeofDesc = unsafe.Sizeof(Desc{})
)

// kickTx asks the kernel to process the TX ring: sendto(fd, NULL, 0,
// MSG_DONTWAIT, NULL, 0). RawSyscall6 skips the scheduler hand-off; the
// call does not block.
func kickTx(fd int) unix.Errno {
	_, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), 0, 0, unix.MSG_DONTWAIT, 0, 0)
	return e
}

// wakeRx asks the driver to process the fill ring: recvfrom(fd, NULL, 0,
// MSG_DONTWAIT, NULL, NULL).
func wakeRx(fd int) unix.Errno {
	_, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), 0, 0, unix.MSG_DONTWAIT, 0, 0)
	return e
}

// pollIn waits up to timeoutMs (-1: forever) for POLLIN on fd with ppoll,
// using caller-provided storage so that it does not allocate (unix.Poll
// allocates its timespec).
func pollIn(fds *[1]unix.PollFd, ts *unix.Timespec, timeoutMs int) unix.Errno {
	var tsp unsafe.Pointer
	if timeoutMs >= 0 {
		*ts = unix.NsecToTimespec(int64(timeoutMs) * 1e6)
		tsp = unsafe.Pointer(ts)
	}
	_, _, e := unix.Syscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), 1, uintptr(tsp), 0, 0, 0)
	return e
}
