package eamt

import "math/bits"

// Both families use the same storage scheme (see doc.go): an open-addressing hash set keyed by (masked prefix,
// length), split into fixed-size pages. A page is never modified once a Table that can see it is published;
// writers copy the page first (copy-on-write), so every version stays readable while the next one is built.

const (
	pageBits  = 10
	pageSlots = 1 << pageBits // slots per page
	slotMask  = pageSlots - 1
	// maxLoad is the most entries one page may hold before the whole table doubles its page count. Linear probing
	// stays short at this load and a page can never fill up, so a probe always reaches an empty slot.
	maxLoad = pageSlots * 3 / 4
	// buildLoad is the average load a freshly sized table aims for (New and big AddAll calls).
	buildLoad = pageSlots / 2
	// smallMax is the most entries a family's table may hold for lookups to compare the address with each entry
	// in turn (longest prefix first) rather than hash it once per prefix length present: a handful of compares
	// costs less than one hash probe. smallPages bounds the pages endWrite scans to find them.
	smallMax   = 8
	smallPages = 4
)

// mix is a 64-bit finalizer (xor-shift, multiply, xor-shift); the high bits pick the page, the low bits the slot.
// One multiply is enough for page and slot (TestHashSpread), and a lookup waits for the hash before any load, so
// a second round would only add latency.
func mix(x uint64) uint64 {
	x ^= x >> 32
	x *= 0xd6e8feb86659fd93
	x ^= x >> 32
	return x
}

func hash4(addr uint32, l uint) uint64 { return mix(uint64(addr)<<8 | uint64(l)) }

func hash6(hi, lo uint64, l uint) uint64 { return hash6s(hi, lo, salt6(l)) }

// salt6 is the part of hash6 that depends on the prefix length only; Lookup6's probes keep it precomputed.
func salt6(l uint) uint64 { return uint64(l) * 0xc2b2ae3d27d4eb4f }

// hash6s is hash6 with the length's salt (salt6) given.
func hash6s(hi, lo, salt uint64) uint64 { return mix(hi*0x9e3779b97f4a7c15 ^ lo ^ salt) }

// mask4 returns the netmask of an IPv4 prefix of length l (0..32). Go defines shifts >= the width as 0.
func mask4(l uint) uint32 { return ^uint32(0) << (32 - l) }

// mask6 returns the netmask of an IPv6 prefix of length l (0..128) as two halves.
func mask6(l uint) (mh, ml uint64) {
	if l >= 64 {
		return ^uint64(0), ^uint64(0) << (128 - l)
	}
	return ^uint64(0) << (64 - l), 0
}

// pagesFor returns the page count (a power of two) that holds n entries at about buildLoad per page.
func pagesFor(n int) int {
	p := (n + buildLoad - 1) / buildLoad
	if p <= 1 {
		return 1
	}
	return 1 << bits.Len(uint(p-1))
}

// shiftFor returns the right shift that turns a 64-bit hash into a page index among n (a power of two) pages.
func shiftFor(n int) uint8 { return uint8(64 - bits.TrailingZeros(uint(n))) }

// inRange reports whether home position k lies cyclically in (i, j]: a backward-shift delete leaves such a
// slot where it is.
func inRange(i, j, k uint64) bool {
	if i <= j {
		return i < k && k <= j
	}
	return i < k || k <= j
}
