package xlat

// RFC 4884 multi-part ICMP messages: Destination Unreachable and Time
// Exceeded (and ICMPv4 Parameter Problem) may carry a length field that says
// how much of the body is the original datagram (at least 128 bytes,
// zero-padded to a 32-bit boundary in ICMPv4, 64-bit in ICMPv6); an
// extension structure follows it. The translator treats the extension as
// opaque bytes (as Jool does) and only re-lays it out.

// icmpBody locates the original datagram and the extension in an incoming
// ICMP error body [q, end) given the length field in bytes (0: none). It
// returns where the datagram ends and the extension's position and length.
func icmpBody(q, end, lenBytes int) (dgEnd, extStart, extLen int, c Counter) {
	if lenBytes == 0 {
		return end, end, 0, none
	}
	if lenBytes < 128 {
		return 0, 0, 0, StatICMPExtSmall
	}
	if lenBytes > end-q {
		return 0, 0, 0, StatICMPExtBig
	}
	return q + lenBytes, q + lenBytes, end - q - lenBytes, none
}

// extLayout lays out a translated ICMP error body that starts at bs: the
// translated original datagram is [bs, bs+ipl) and the extension still sits
// at its incoming position [es, es+el). maxBody is what the outgoing error
// may hold after its outer IP and ICMP headers; word is 4 (ICMPv4) or 8
// (ICMPv6); keepExt is false when the outgoing type has no length field.
// If the extension does not fit next to a 128-byte datagram it is dropped
// (the datagram is then just truncated). It returns the body length and the
// outgoing length field in words (0: no extension), ok=false if buf is too
// short for the padded layout.
func extLayout(buf []byte, bs, ipl, es, el, maxBody, word int, keepExt bool) (body, lenWords int, ok bool) {
	if el == 0 || !keepExt || el > maxBody-128 {
		return min(ipl, maxBody), 0, true
	}
	outIPL := min(ipl, maxBody-el) &^ (word - 1)
	pad := 0
	if outIPL < 128 {
		pad = 128 - outIPL
	}
	ns := bs + outIPL + pad
	if ns+el > len(buf) {
		return 0, 0, false
	}
	copy(buf[ns:ns+el], buf[es:es+el])
	clear(buf[bs+outIPL : ns])
	return outIPL + pad + el, (outIPL + pad) / word, true
}
