package eamt

import "unsafe"

// slot4At and slot6At return &p.s[i&slotMask] for the lookups. Indexing p.s directly makes the compiler check p
// for nil with a load of the page's first byte before the slot itself is read, because the slot's offset is not
// a constant. Pages are 32 KiB (IPv4) and 24 KiB (IPv6) apart, so those first bytes all fall into a handful of
// cache sets and evict one another: in a large table each lookup paid a cache miss for the check alone. Pages
// in a table's page list are never nil, and the slot index is masked into the page, so the address computed
// here is always inside the page.
func slot4At(p *page4, i uint64) *slot4 {
	return (*slot4)(unsafe.Add(unsafe.Pointer(p), uintptr(i&slotMask)*unsafe.Sizeof(slot4{})))
}

func slot6At(p *page6, i uint64) *slot6 {
	return (*slot6)(unsafe.Add(unsafe.Pointer(p), uintptr(i&slotMask)*unsafe.Sizeof(slot6{})))
}
