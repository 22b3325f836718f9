package xlat

import (
	"encoding/binary"
	"math/bits"
)

// Internet checksum (RFC 1071) helpers. Partial sums are kept unfolded in a
// uint64 and folded to 16 bits only at the end.

// sum adds b to the running one's-complement sum acc, eight bytes at a time
// (the carry of each 64-bit addition is added back, which is exactly the
// end-around carry of one's-complement arithmetic). An odd trailing byte is
// padded with zero on the right, as RFC 1071 says.
func sum(b []byte, acc uint64) uint64 {
	var c uint64
	for len(b) >= 32 {
		acc, c = bits.Add64(acc, binary.BigEndian.Uint64(b), c)
		acc, c = bits.Add64(acc, binary.BigEndian.Uint64(b[8:]), c)
		acc, c = bits.Add64(acc, binary.BigEndian.Uint64(b[16:]), c)
		acc, c = bits.Add64(acc, binary.BigEndian.Uint64(b[24:]), c)
		b = b[32:]
	}
	for len(b) >= 8 {
		acc, c = bits.Add64(acc, binary.BigEndian.Uint64(b), c)
		b = b[8:]
	}
	acc, c = bits.Add64(acc, c, 0)
	acc += c
	if len(b) >= 4 {
		acc, c = bits.Add64(acc, uint64(binary.BigEndian.Uint32(b)), 0)
		acc += c
		b = b[4:]
	}
	if len(b) >= 2 {
		acc, c = bits.Add64(acc, uint64(binary.BigEndian.Uint16(b)), 0)
		acc += c
		b = b[2:]
	}
	if len(b) == 1 {
		acc, c = bits.Add64(acc, uint64(b[0])<<8, 0)
		acc += c
	}
	return acc
}

// fold reduces a 64-bit one's-complement sum to 16 bits: the two 32-bit
// halves are added with end-around carry, then x + (x rotated by 16) leaves
// the end-around sum of the two 16-bit halves in the top half (the carry out
// of the bottom half is exactly the end-around carry). The result is 0 only
// for 0, otherwise the representative in 1..0xffff, like the textbook
// four-step fold.
func fold(acc uint64) uint16 {
	x, c := bits.Add32(uint32(acc>>32), uint32(acc), 0)
	x += c // cannot overflow: x <= 0xfffffffe when c == 1
	return uint16((x + bits.RotateLeft32(x, 16)) >> 16)
}

// checksum returns the Internet checksum of b (the complement of its sum).
func checksum(b []byte, acc uint64) uint16 { return ^fold(sum(b, acc)) }

// sum4 is the one's-complement sum contribution of an IPv4 address.
func sum4(a uint32) uint64 { return uint64(a>>16) + uint64(a&0xffff) }

// sum6 is the contribution of an IPv6 address given as two halves.
func sum6(hi, lo uint64) uint64 {
	return (hi >> 32) + (hi & 0xffffffff) + (lo >> 32) + (lo & 0xffffffff)
}

// sum64 is an IPv6 address's one's-complement sum contribution, folded to
// 64 bits with the end-around carry (hi+lo+1 cannot overflow after a carry).
func sum64(hi, lo uint64) uint64 {
	s, c := bits.Add64(hi, lo, 0)
	return s + c
}

// sum6x2 is sum6 of two addresses in one's-complement form: 64-bit words
// added with end-around carry, which folds to the same 16 bits as the sum of
// their 16-bit words (2^64 is 1 modulo 0xffff). Fewer instructions than two
// sum6; the result uses all 64 bits, so it only goes to fold or csumDelta's
// old side, never into a plain addition.
func sum6x2(ahi, alo, bhi, blo uint64) uint64 {
	// One carry chain (ADD, ADC, ADC), then the end-around carry. It cannot
	// overflow: along a chain that starts without carry, every step that
	// carries leaves at most 2^64-2 (a+b+carry-in is at most 2^65-1 only if
	// the previous step left 2^64-1 and carried, which it cannot).
	s, c := bits.Add64(ahi, alo, 0)
	s, c = bits.Add64(s, bhi, c)
	s, c = bits.Add64(s, blo, c)
	return s + c
}

// pseudo6 is the IPv6 pseudo-header sum (RFC 8200 §8.1).
func pseudo6(shi, slo, dhi, dlo uint64, length int, proto uint8) uint64 {
	return sum6(shi, slo) + sum6(dhi, dlo) + uint64(length) + uint64(proto)
}

// csumUpdate applies RFC 1624 eqn. 3 to a stored checksum hc when the data
// it covers loses the words summing to old and gains the words summing to
// new:
//
//	HC' = ~(~HC + ~m + m')
//
// where m and m' are the (folded) one's-complement sums of the old and new
// words. Both sums are unfolded inputs; this never recomputes over payload.
func csumUpdate(hc uint16, old, new uint64) uint16 { return csumApply(hc, csumDelta(old, new)) }

// csumDelta is the ~m + m' part of csumUpdate, computed once per packet when
// several checksums see the same change (an address swap touches the
// pseudo-header of every checksum in the packet).
func csumDelta(old, new uint64) uint64 { return uint64(^fold(old)) + new }

// csumApply finishes csumUpdate: ~(~HC + delta).
func csumApply(hc uint16, delta uint64) uint16 { return ^fold(uint64(^hc) + delta) }

// sumIPv4Header is the one's-complement sum of a 20-byte IPv4 header (no
// options), as five 32-bit loads: a valid header sums to 0xffff (folded).
func sumIPv4Header(h []byte) uint64 {
	_ = h[IPv4MinLen-1]
	be := binary.BigEndian // be32 would cost more than the inlining budget allows here
	return uint64(be.Uint32(h[0:])) + uint64(be.Uint32(h[4:])) + uint64(be.Uint32(h[8:])) +
		uint64(be.Uint32(h[12:])) + uint64(be.Uint32(h[16:]))
}
