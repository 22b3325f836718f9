package eamt

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugeMin is the smallest slab worth backing with transparent huge pages: below one 2 MiB page there is nothing
// to gain.
const hugeMin = 2 << 20

// adviseHuge asks the kernel to back a freshly allocated, not yet written slab with transparent huge pages
// (madvise MADV_HUGEPAGE; the common THP setting is "madvise", so without asking the table sits on 4 KiB pages).
// A lookup in a large table touches one random slot: on 4 KiB pages nearly every one is a TLB miss as well as a
// cache miss, and that miss was most of the cost of a lookup at 1M entries. The slab is an ordinary Go
// allocation; the advice only changes how the kernel backs it. Failure is harmless and ignored.
func adviseHuge[T any](slab []T) {
	if len(slab) == 0 {
		return
	}
	size := uintptr(len(slab)) * unsafe.Sizeof(slab[0])
	if size < hugeMin {
		return
	}
	base := unsafe.Pointer(&slab[0])
	page := uintptr(unix.Getpagesize())
	skip := (page - uintptr(base)%page) % page // madvise wants a page-aligned start
	if size <= skip+page {
		return
	}
	n := (size - skip) &^ (page - 1)
	_ = unix.Madvise(unsafe.Slice((*byte)(unsafe.Add(base, skip)), n), unix.MADV_HUGEPAGE)
}
