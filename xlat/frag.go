package xlat

// fragment46 splits a translated IPv4 packet with DF=0 that is larger than
// min(lowest-ipv6-mtu, egress MTU) into IPv6 fragments (RFC 7915 §4.1,
// Jool's "slow path"): every fragment carries a fragment header whose
// identification is the IPv4 one; the first fragment is built in place, the
// others are copied into out. The upper-layer checksum was already updated.
func (t *Translator) fragment46(buf []byte, end, l4, mpl int, tos, hop, nh uint8, id, ff uint16,
	shi, slo, dhi, dlo uint64, out *Output) Result {
	const hdrs = IPv6HeaderLen + frag6Len
	per := (mpl - hdrs) &^ 7
	total := end - l4
	baseOff := ff & ip4OffsetMask // non-zero when the IPv4 packet was itself a fragment
	lastMF := ff&ip4FlagMF != 0
	o := l4 - hdrs // the caller made the room

	// The extra fragments first: they copy from the untouched payload.
	extra := 0
	for k := per; k < total; k += per {
		chunk := min(per, total-k)
		dst := out.next()
		if dst == nil || len(dst) < hdrs+chunk {
			out.reset()
			return t.drop(StatENOMEM)
		}
		writeIPv6(dst, tos, frag6Len+chunk, protoFragment, hop, shi, slo, dhi, dlo)
		writeFrag6(dst[IPv6HeaderLen:], nh, baseOff+uint16(k/8), k+chunk < total || lastMF, uint32(id))
		copy(dst[hdrs:], buf[l4+k:l4+k+chunk])
		out.commit(hdrs+chunk, Family6)
		extra++
	}
	ip := buf[o:l4]
	writeIPv6(ip, tos, frag6Len+per, protoFragment, hop, shi, slo, dhi, dlo)
	writeFrag6(ip[IPv6HeaderLen:], nh, baseOff, true, uint32(id))
	t.Stats.Add(StatFragmentsOut, uint64(extra))
	return Result{Status: Status{Verdict: Forward, Family: Family6, Extra: extra}, Off: o, Len: hdrs + per}
}
