package xlat

// ICMP errors the translator generates itself (RFC 7915 §4.1/§5.1, RFC 792,
// RFC 4443): Time Exceeded, Packet Too Big / Fragmentation Needed, Parameter
// Problem (segments left), Destination Unreachable (source route failed).
// They quote as much of the offending packet as fits in the minimum MTU of
// their family and go back to its source from SelfV4 / SelfV6.

const (
	icmpErrHop  = 64
	maxICMP4Err = 576
	maxICMP6Err = 1280
	icmpErrTOS  = 0
	icmpErrTC   = 0
)

// reply6 builds an ICMPv6 error (type, code, 32-bit info field) about the
// IPv6 packet buf[off:end] in out. quiet means "never reply to this one" (it
// is an ICMP error or a non-first fragment, RFC 4443 §2.4): drop instead.
func (t *Translator) reply6(c *Config, buf []byte, off, end int, quiet bool, typ, code uint8, info uint32,
	reason Counter, out *Output) Result {
	if quiet {
		return t.drop(reason)
	}
	d := out.next()
	if !c.hasSelf6 || d == nil || len(d) < IPv6HeaderLen+icmpHdrLen+IPv6HeaderLen {
		t.Stats.Inc(StatICMP6ErrFailure)
		return t.drop(reason)
	}
	quote := min(end-off, maxICMP6Err-IPv6HeaderLen-icmpHdrLen, len(d)-IPv6HeaderLen-icmpHdrLen)
	ln := icmpHdrLen + quote
	shi, slo := IPv6(buf[off:end]).Src()
	writeIPv6(d, icmpErrTC, ln, protoICMPv6, icmpErrHop, c.self6hi, c.self6lo, shi, slo)
	m := d[IPv6HeaderLen : IPv6HeaderLen+ln]
	copy(m[icmpHdrLen:], buf[off:off+quote])
	m[icmpType], m[icmpCode] = typ, code
	put16(m[icmpCsum:], 0)
	put32(m[icmpRest:], info)
	put16(m[icmpCsum:], checksum(m, pseudo6(c.self6hi, c.self6lo, shi, slo, ln, protoICMPv6)))
	out.commit(IPv6HeaderLen+ln, Family6)
	t.Stats.Inc(reason)
	t.Stats.Inc(StatICMP6ErrSuccess)
	return Result{Status: Status{Verdict: Reply, Reason: reason, Family: Family6, Extra: 1}}
}

// reply4 builds an ICMPv4 error about the IPv4 packet buf[off:end]; info is
// the 32-bit field after the checksum (e.g. the next-hop MTU in its low 16
// bits for Fragmentation Needed).
func (t *Translator) reply4(c *Config, buf []byte, off, end int, quiet bool, typ, code uint8, info uint32,
	reason Counter, out *Output) Result {
	if quiet {
		return t.drop(reason)
	}
	d := out.next()
	if !c.hasSelf4 || d == nil || len(d) < IPv4MinLen+icmpHdrLen+IPv4MinLen {
		t.Stats.Inc(StatICMP4ErrFailure)
		return t.drop(reason)
	}
	quote := min(end-off, maxICMP4Err-IPv4MinLen-icmpHdrLen, len(d)-IPv4MinLen-icmpHdrLen)
	ln := icmpHdrLen + quote
	writeIPv4(d, icmpErrTOS, IPv4MinLen+ln, uint16(t.rand()), 0, icmpErrHop, protoICMP, c.self4, IPv4(buf[off:end]).Src())
	m := d[IPv4MinLen : IPv4MinLen+ln]
	copy(m[icmpHdrLen:], buf[off:off+quote])
	m[icmpType], m[icmpCode] = typ, code
	put16(m[icmpCsum:], 0)
	put32(m[icmpRest:], info)
	put16(m[icmpCsum:], checksum(m, 0))
	out.commit(IPv4MinLen+ln, Family4)
	t.Stats.Inc(reason)
	t.Stats.Inc(StatICMP4ErrSuccess)
	return Result{Status: Status{Verdict: Reply, Reason: reason, Family: Family4, Extra: 1}}
}
