package frames

import "encoding/binary"

// sumNative adds b to sum as 16-bit words in host byte order. RFC 1071 §2(B): the ones' complement sum is
// independent of byte order as long as it is computed and stored in the same order, which is what the XDP
// generator does when it patches checksums with native loads.
func sumNative(sum uint32, b []byte) uint32 {
	for len(b) >= 2 {
		sum += uint32(binary.NativeEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		var w [2]byte
		w[0] = b[0]
		sum += uint32(binary.NativeEndian.Uint16(w[:]))
	}
	return sum
}

// fold reduces a 32-bit ones' complement accumulator to 16 bits.
func fold(sum uint32) uint32 {
	sum = (sum & 0xffff) + (sum >> 16)
	sum = (sum & 0xffff) + (sum >> 16)
	return sum
}

// Checksum returns the Internet checksum (RFC 1071) of the concatenation of parts, as a big-endian value ready
// to be stored with binary.BigEndian.PutUint16. Parts of odd length are only allowed last.
func Checksum(parts ...[]byte) uint16 {
	var sum uint32
	for _, p := range parts {
		for len(p) >= 2 {
			sum += uint32(p[0])<<8 | uint32(p[1])
			sum = fold(sum)
			p = p[2:]
		}
		if len(p) == 1 {
			sum += uint32(p[0]) << 8
			sum = fold(sum)
		}
	}
	return ^uint16(fold(sum))
}

// pseudoHeader returns the IPv4 or IPv6 pseudo header used by UDP, TCP and ICMPv6 checksums.
func pseudoHeader(src, dst []byte, proto uint8, l4len int) []byte {
	ph := make([]byte, 0, 40)
	ph = append(ph, src...)
	ph = append(ph, dst...)
	if len(src) == 4 {
		ph = append(ph, 0, proto)
		return binary.BigEndian.AppendUint16(ph, uint16(l4len))
	}
	ph = binary.BigEndian.AppendUint32(ph, uint32(l4len))
	return append(ph, 0, 0, 0, proto)
}
