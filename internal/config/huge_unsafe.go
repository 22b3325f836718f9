package config

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugePage is the size of a transparent huge page on x86-64 and arm64 (4 KiB
// base pages).
const hugePage = 2 << 20

// makeHuge returns a zeroed slice of n elements. A big one starts on a 2 MiB
// boundary and is advised into transparent huge pages (madvise
// MADV_HUGEPAGE) before anything writes to it: a fresh buffer of tens of
// megabytes on 4 KiB pages costs one page fault per 4 KiB on first write,
// which in a VM is several times the cost of parsing what goes into it.
// The memory is an ordinary Go allocation; the advice only changes how the
// kernel backs it, and a failure to apply it is harmless.
func makeHuge[T any](n int) []T {
	var zero T
	esize := unsafe.Sizeof(zero)
	size := uintptr(n) * esize
	if size < 2*hugePage || esize == 0 {
		return make([]T, n)
	}
	pad := int((hugePage + esize - 1) / esize)
	b := make([]T, n+pad)
	base := unsafe.Pointer(unsafe.SliceData(b))
	skip := (hugePage - uintptr(base)%hugePage) % hugePage
	if skip%esize != 0 {
		// No element starts on the boundary: advise the huge pages inside instead.
		adviseHuge(base, 0, size)
		return b[:n:n]
	}
	k := int(skip / esize)
	adviseHuge(base, skip, size)
	return b[k : k+n : k+n]
}

// adviseHuge advises the 4 KiB pages wholly inside [base+off, base+off+size).
func adviseHuge(base unsafe.Pointer, off, size uintptr) {
	page := uintptr(unix.Getpagesize())
	start := uintptr(base) + off
	first := (start + page - 1) &^ (page - 1)
	end := (start + size) &^ (page - 1)
	if end <= first {
		return
	}
	p := unsafe.Add(base, off+first-start)
	_ = unix.Madvise(unsafe.Slice((*byte)(p), end-first), unix.MADV_HUGEPAGE)
}
