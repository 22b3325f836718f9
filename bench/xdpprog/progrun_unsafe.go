package xdpprog

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// progRunAttr mirrors the BPF_PROG_TEST_RUN member of union bpf_attr.
type progRunAttr struct {
	progFd      uint32
	retval      uint32
	dataSizeIn  uint32
	dataSizeOut uint32
	dataIn      uint64
	dataOut     uint64
	repeat      uint32
	duration    uint32
	ctxSizeIn   uint32
	ctxSizeOut  uint32
	ctxIn       uint64
	ctxOut      uint64
	flags       uint32
	cpu         uint32
	batchSize   uint32
	_           uint32
}

// progRun issues one BPF_PROG_TEST_RUN. Unlike ebpf.Program.Run it does not restart on EINTR: an interrupted
// call returns unix.EINTR, which is how a live-frame run is ended early.
func progRun(fd int, data, ctx []byte, repeat, flags, batch uint32) (uint32, error) {
	attr := progRunAttr{
		progFd:     uint32(fd),
		dataSizeIn: uint32(len(data)),
		repeat:     repeat,
		flags:      flags,
		batchSize:  batch,
	}
	if len(data) > 0 {
		attr.dataIn = uint64(uintptr(unsafe.Pointer(&data[0])))
	}
	if len(ctx) > 0 {
		attr.ctxIn = uint64(uintptr(unsafe.Pointer(&ctx[0])))
		attr.ctxSizeIn = uint32(len(ctx))
	}
	_, _, errno := unix.Syscall(unix.SYS_BPF, uintptr(unix.BPF_PROG_TEST_RUN), uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	runtime.KeepAlive(data)
	runtime.KeepAlive(ctx)
	if errno != 0 {
		return 0, errno
	}
	return attr.retval, nil
}
