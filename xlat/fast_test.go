package xlat

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/siit-project/siit/xlat/eamt"
)

// countingMTU is an MTU oracle with fixed answers that counts its calls.
type countingMTU struct {
	v4, v6 uint32
	calls  int
}

func (m *countingMTU) MTU4(uint32, uint32, uint8, uint8, uint16, uint16) uint32 {
	m.calls++
	return m.v4
}
func (m *countingMTU) MTU6(uint64, uint64, uint64, uint64, uint8, uint8, uint16, uint16) uint32 {
	m.calls++
	return m.v6
}

// fastConfigs varies every setting the fast path reads.
func fastConfigs(t testing.TB) []*Config {
	var cs []*Config
	for i := range 13 {
		p := testParams(t)
		switch i {
		case 1:
			p.Globals.EAMHairpinMode = HairpinSimple
		case 2:
			p.Globals.EAMHairpinMode = HairpinOff
		case 3:
			p.Globals.ZeroizeTrafficClass = true
			p.Globals.OverrideTOS = true
			p.Globals.TOS = 0x28
		case 4:
			p.Denylist4 = []netip.Prefix{pfx("198.51.100.0/28")}
		case 5:
			p.Globals.Pool6 = netip.Prefix{}
		case 6:
			p.EAMT = nil
		case 7:
			p.Globals.Pool6 = pfx("2001:db8:100::/40")
		case 8:
			p.Globals.LowestIPv6MTU = 1400
		case 9:
			p.Globals.AmendUDPChecksumZero = true
		case 10:
			p.Globals.ManuallyEnabled = false
		case 11:
			p.Globals.Pool6 = pfx("64:ff9b:1::/48")
		case 12: // too big to scan inline: the EAMT is looked up by hashing, in fast46Calls/fast64Calls
			es := p.EAMT.Entries()
			for k := range 12 {
				es = append(es, eamt.Entry{Prefix4: netip.PrefixFrom(netip.AddrFrom4([4]byte{203, 0, 113, byte(16 * k)}), 28),
					Prefix6: netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0x77, 14: byte(k)}), 124)})
			}
			tab, err := eamt.New(es)
			if err != nil {
				t.Fatal(err)
			}
			p.EAMT = tab
		}
		cs = append(cs, mustConfig(t, p))
	}
	return cs
}

// mutate returns a copy of in with a few random changes aimed at the fields
// the fast path looks at (version, lengths, protocol, TTL, flags, addresses,
// checksums), sometimes truncated or extended.
func mutate(r *rand.Rand, in []byte) []byte {
	b := append([]byte(nil), in...)
	hot := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 19, 23, 24, 27, 39, 40, 46, 47, 26, 27, 36, 37}
	for range r.IntN(4) {
		var i int
		if r.IntN(3) == 0 {
			i = r.IntN(len(b))
		} else {
			i = hot[r.IntN(len(hot))]
		}
		if i >= len(b) {
			continue
		}
		switch r.IntN(4) {
		case 0:
			b[i] ^= 1 << r.IntN(8)
		case 1:
			b[i] = 0
		case 2:
			b[i] = 0xff
		default:
			b[i] = byte(r.Uint32())
		}
	}
	switch r.IntN(8) {
	case 0:
		b = b[:r.IntN(len(b)+1)]
	case 1:
		b = append(b, make([]byte, r.IntN(1500))...)
	}
	if r.IntN(2) == 0 {
		fixIPv4Checksum(b) // else a changed IPv4 header mostly fails its checksum, before any other check
	}
	return b
}

// fixIPv4Checksum recomputes the header checksum of b if b starts with an IPv4 header (of its IHL) that it holds.
func fixIPv4Checksum(b []byte) {
	if len(b) < IPv4MinLen || b[0]>>4 != 4 {
		return
	}
	ihl := int(b[0]&0xf) * 4
	if ihl < IPv4MinLen || ihl > len(b) {
		return
	}
	put16(b[ip4Csum:], 0)
	put16(b[ip4Csum:], ^uint16(refSum(b[:ihl], 0)))
}

// TestFastPathsMatchGeneral runs golden packets and random mutations of them
// through the translator with and without the fast path, under many
// configurations, headrooms and MTUs, and requires identical results, bytes,
// extra packets, counters and PRNG state.
func TestFastPathsMatchGeneral(t *testing.T) {
	cfgs := fastConfigs(t)
	var ins [][]byte
	for _, name := range goldenNames() { // sorted: the rounds below must not depend on map order
		ins = append(ins, unhex(t, goldenPackets[name][0]))
	}
	// Bigger plain packets reach the size rules (DF, fragmentation, MTU).
	for _, name := range []string{"4to6-udp", "4to6-tcp", "4to6-fragmenting"} {
		for _, extra := range []int{1200, 1240, 1300, 1460} {
			b := append(unhex(t, goldenPackets[name][0]), make([]byte, extra)...)
			put16(b[2:], uint16(len(b)))
			put16(b[10:], 0)
			put16(b[10:], checksum(b[:20], 0))
			ins = append(ins, b)
			df := append([]byte(nil), b...) // and the same with DF set
			put16(df[6:], be16(df[6:])|ip4FlagDF)
			put16(df[10:], 0)
			put16(df[10:], checksum(df[:20], 0))
			ins = append(ins, df)
		}
	}
	for _, name := range []string{"6to4-udp", "6to4-tcp"} {
		for _, extra := range []int{1200, 1221, 1222, 1300, 1460} { // 6->4 sets DF above 1260 bytes of IPv4
			b := append(unhex(t, goldenPackets[name][0]), make([]byte, extra)...)
			put16(b[4:], uint16(len(b)-IPv6HeaderLen))
			ins = append(ins, b)
		}
	}
	// Echo requests and replies of both kinds and several sizes (the leaves translate them too).
	for _, extra := range []int{0, 1200, 1240, 1300} {
		for _, typ := range []uint8{8, 0} {
			b := append(unhex(t, goldenPackets["4to6-echo-reply"][0]), make([]byte, extra)...)
			b[IPv4MinLen+icmpType] = typ
			for _, ff := range []uint16{0, ip4FlagDF} {
				put16(b[2:], uint16(len(b)))
				put16(b[6:], ff)
				put16(b[10:], 0)
				put16(b[10:], checksum(b[:20], 0))
				ins = append(ins, append([]byte(nil), b...))
			}
		}
	}
	for _, extra := range []int{0, 1221, 1222, 1300} {
		for _, typ := range []uint8{128, 129} {
			b := append(unhex(t, goldenPackets["6to4-echo"][0]), make([]byte, extra)...)
			b[IPv6HeaderLen+icmpType] = typ
			put16(b[4:], uint16(len(b)-IPv6HeaderLen))
			ins = append(ins, b)
		}
	}
	// Every short length field around the transport header minimums, the buffer left as it is (so the packet has
	// trailing bytes): the shape checks' length bounds, with a valid IPv4 header checksum.
	for _, name := range goldenNames() {
		in := unhex(t, goldenPackets[name][0])
		for l := 0; l <= 24; l++ {
			b := append([]byte(nil), in...)
			switch {
			case len(b) >= IPv4MinLen && b[0] == 0x45:
				put16(b[ip4TotalLen:], uint16(IPv4MinLen+l))
				fixIPv4Checksum(b)
			case len(b) >= IPv6HeaderLen && b[0]>>4 == 6:
				put16(b[ip6PayloadLen:], uint16(l))
			default:
				continue
			}
			ins = append(ins, b)
		}
	}
	zero := unhex(t, goldenPackets["6to4-udp"][0]) // IPv6 UDP with the (invalid) zero checksum
	zero[IPv6HeaderLen+udpCsum], zero[IPv6HeaderLen+udpCsum+1] = 0, 0
	ins = append(ins, zero)
	r := rand.New(rand.NewPCG(9, 10))
	mtus := []countingMTU{{}, {v4: 1500, v6: 1500}, {v4: 1280, v6: 1280}, {v4: 576, v6: 1300}, {v4: 1400, v6: 2000},
		{v4: 9000, v6: 9000}}
	var leaf46, calls46, leaf64, calls64, general int
	var echoes46, echoes64 int       // ICMP echo forwarded by a leaf
	var echoCalls46, echoCalls64 int // and by the second tier
	const rounds = 60000
	for i := range rounds {
		in := ins[i%len(ins)]
		if i >= len(ins)*4 {
			in = mutate(r, in)
		}
		if len(in) == 0 {
			continue
		}
		cfg := cfgs[r.IntN(len(cfgs))]
		headroom := []int{128, 20, 19, 8, 0}[r.IntN(5)]
		m := mtus[r.IntN(len(mtus))]
		// A floor, when there is an oracle, is a true lower bound on its
		// answers (see Translator.MTUFloor): none, the lowest answer, lower.
		floor := uint32(mtuOr(min(m.v4, m.v6)))
		switch r.IntN(3) {
		case 0:
			floor = 0
		case 1:
			floor /= 2
		}
		if !fastMatchesGeneral(t, cfg, in, headroom, m, floor) {
			continue
		}
		// Which path forwarded it? Ask the fast paths directly, on a copy.
		tr := NewTranslator(nil)
		if m.v4 != 0 {
			mm := m
			tr.MTU, tr.MTUFloor = &mm, floor
		}
		buf := make([]byte, headroom+len(in)+64)
		copy(buf[headroom:], in)
		switch {
		case !cfg.enabled:
			general++
		case isFast46(buf, headroom, len(in)):
			_, st := tr.fast46(cfg, buf, headroom, len(in))
			switch _, ok := tr.fast46Calls(cfg, buf, headroom, len(in)); {
			case st == fastDone:
				leaf46++
				if in[ip4Proto] == protoICMP {
					echoes46++
				}
			case st == fastCall && ok:
				calls46++
				if in[ip4Proto] == protoICMP {
					echoCalls46++
				}
			default:
				general++
			}
		case isFast64(buf[headroom : headroom+len(in)]):
			h := buf[headroom : headroom+len(in)]
			_, st := tr.fast64(cfg, h)
			switch _, ok := tr.fast64Calls(cfg, h, headroom); {
			case st == fastDone:
				leaf64++
				if in[ip6NextHdr] == protoICMPv6 {
					echoes64++
				}
			case st == fastCall && ok:
				calls64++
				if in[ip6NextHdr] == protoICMPv6 {
					echoCalls64++
				}
			default:
				general++
			}
		default:
			general++
		}
	}
	// The comparison only means something if every path forwards packets.
	t.Logf("packets forwarded: %d by fast46 (%d ICMP echo), %d by fast46Calls (%d), %d by fast64 (%d ICMPv6 echo), "+
		"%d by fast64Calls (%d), %d by the general path", leaf46, echoes46, calls46, echoCalls46, leaf64, echoes64,
		calls64, echoCalls64, general)
	if leaf46 < 250 || calls46 < 250 || leaf64 < 250 || calls64 < 250 || general < 250 ||
		echoes46 < 50 || echoes64 < 50 || echoCalls46 < 50 || echoCalls64 < 50 {
		t.Fatal("a path forwarded too few packets for the comparison to mean something")
	}
}

// flowMTU records the flows it is asked about; it answers mtu (0: 1500).
type flowMTU struct {
	f4  []flow4
	f6  []flow6
	mtu uint32
}

type flow4 struct {
	Src, Dst     uint32
	Proto, TOS   uint8
	Sport, Dport uint16
}

type flow6 struct {
	SrcHi, SrcLo, DstHi, DstLo uint64
	Proto, TOS                 uint8
	Sport, Dport               uint16
}

func (m *flowMTU) MTU4(src, dst uint32, proto, tos uint8, sport, dport uint16) uint32 {
	m.f4 = append(m.f4, flow4{src, dst, proto, tos, sport, dport})
	return uint32(mtuOr(m.mtu))
}

func (m *flowMTU) MTU6(shi, slo, dhi, dlo uint64, proto, tos uint8, sport, dport uint16) uint32 {
	m.f6 = append(m.f6, flow6{shi, slo, dhi, dlo, proto, tos, sport, dport})
	return uint32(mtuOr(m.mtu))
}

// TestMTUOracleFlow checks, on the fast and the general paths, that the
// MTU oracle is asked about the translated packet itself: its addresses,
// protocol, TOS / traffic class and ports, which policy routing selects on.
func TestMTUOracleFlow(t *testing.T) {
	for _, name := range []string{"6to4-udp", "6to4-tcp", "6to4-echo", "6to4-override-tos", "6to4-fragment",
		"4to6-udp", "4to6-tcp", "4to6-echo-reply", "4to6-options", "4to6-zeroize-tc", "4to6-fragment"} {
		for _, slow := range []bool{false, true} {
			in := unhex(t, goldenPackets[name][0])
			p := testParams(t)
			if name == "6to4-override-tos" {
				p.Globals.OverrideTOS, p.Globals.TOS = true, 0x28
			}
			if name == "4to6-zeroize-tc" {
				p.Globals.ZeroizeTrafficClass = true
			}
			cfg := mustConfig(t, p)
			noFastPath = slow
			tr := NewTranslator(nil)
			m := &flowMTU{}
			tr.MTU = m
			buf := frame(in, 64, 64)
			r := tr.Translate(cfg, buf, 64, len(in), NewOutput(4, 2048, 32))
			noFastPath = false
			if r.Verdict != Forward {
				t.Fatalf("%s: verdict %v (%v)", name, r.Verdict, r.Reason)
			}
			o := buf[r.Off : r.Off+r.Len]
			if r.Family == Family4 {
				h := IPv4(o)
				want := flow4{Src: h.Src(), Dst: h.Dst(), Proto: h.Protocol(), TOS: h.TOS()}
				if l4 := h.HeaderLen(); h.FragField()&ip4OffsetMask == 0 && (want.Proto == protoTCP || want.Proto == protoUDP) {
					want.Sport, want.Dport = be16(o[l4:]), be16(o[l4+2:])
				}
				if len(m.f4) != 1 || len(m.f6) != 0 || m.f4[0] != want {
					t.Errorf("%s (general path %v): oracle asked %+v / %+v, want %+v", name, slow, m.f4, m.f6, want)
				}
				continue
			}
			h := IPv6(o)
			want := flow6{Proto: o[ip6NextHdr], TOS: h.TrafficClass()}
			want.SrcHi, want.SrcLo = h.Src()
			want.DstHi, want.DstLo = h.Dst()
			l4, first := IPv6HeaderLen, true
			if want.Proto == 44 { // fragment header
				want.Proto, first, l4 = o[l4], be16(o[l4+2:])&0xfff8 == 0, l4+8
			}
			if first && (want.Proto == protoTCP || want.Proto == protoUDP) {
				want.Sport, want.Dport = be16(o[l4:]), be16(o[l4+2:])
			}
			if len(m.f6) != 1 || len(m.f4) != 0 || m.f6[0] != want {
				t.Errorf("%s (general path %v): oracle asked %+v / %+v, want %+v", name, slow, m.f6, m.f4, want)
			}
		}
	}
}

// fastMatchesGeneral translates in (at headroom, with oracle m and floor when m has answers) with the fast paths
// and without, fails t unless the results, bytes, extra packets, counters and PRNG state are the same, and reports
// whether the packet was forwarded. The fast path may ask the oracle once more before giving up on a packet too
// big for the path, or not at all within the floor.
func fastMatchesGeneral(t *testing.T, cfg *Config, in []byte, headroom int, m countingMTU, floor uint32) bool {
	t.Helper()
	type outcome struct {
		r     Result
		buf   string
		extra []string
		stats [NumCounters]uint64
		rng   uint64
		calls int
	}
	run := func(disable bool) outcome {
		noFastPath = disable
		defer func() { noFastPath = false }()
		tr := NewTranslator(nil)
		tr.Seed(42)
		mm := m
		if m.v4 != 0 {
			tr.MTU, tr.MTUFloor = &mm, floor
		}
		out := NewOutput(4, 2048, 32)
		buf := make([]byte, headroom+len(in)+64)
		copy(buf[headroom:], in)
		var o outcome
		o.r = tr.Translate(cfg, buf, headroom, len(in), out)
		o.buf = string(buf)
		for k := range out.Len() {
			o.extra = append(o.extra, string(out.Packet(k)))
		}
		tr.Stats.Snapshot(&o.stats)
		o.rng, o.calls = tr.rng, mm.calls
		return o
	}
	g, f := run(true), run(false)
	if f.calls > g.calls+1 {
		t.Fatalf("input % x: MTU oracle called %d times (fast) vs %d (general)", in, f.calls, g.calls)
	}
	if g.r != f.r || g.buf != f.buf || len(g.extra) != len(f.extra) || g.stats != f.stats || g.rng != f.rng {
		t.Fatalf("input % x (headroom %d, mtu %v, floor %d):\nfast    %+v\ngeneral %+v", in, headroom, m, floor, f.r, g.r)
	}
	for k := range g.extra {
		if g.extra[k] != f.extra[k] {
			t.Fatalf("input % x: extra packet %d differs", in, k)
		}
	}
	return f.r.Verdict == Forward
}

// FuzzFastPathsMatchGeneral is TestFastPathsMatchGeneral driven by the fuzzer: any packet, under any of
// fastConfigs, headroom, MTU oracle and floor, must come out of the fast paths exactly as out of the general path.
func FuzzFastPathsMatchGeneral(f *testing.F) {
	for _, pk := range goldenPackets {
		f.Add(unhex(f, pk[0]), uint8(0), uint8(0), uint8(1), uint8(1|4))
	}
	cfgs := fastConfigs(f)
	f.Fuzz(func(t *testing.T, in []byte, sel, room, mtu, fl uint8) {
		if len(in) == 0 {
			return
		}
		mtus := []countingMTU{{}, {v4: 1500, v6: 1500}, {v4: 1280, v6: 1280}, {v4: 576, v6: 1300},
			{v4: 1400, v6: 2000}, {v4: 9000, v6: 9000}}
		m := mtus[int(mtu)%len(mtus)]
		floor := uint32(mtuOr(min(m.v4, m.v6)))
		switch fl % 3 {
		case 0:
			floor = 0
		case 1:
			floor /= 2
		}
		headroom := []int{128, 20, 19, 8, 0}[int(room)%5]
		if fl&4 != 0 {
			in = append([]byte(nil), in...)
			fixIPv4Checksum(in)
		}
		fastMatchesGeneral(t, cfgs[int(sel)%len(cfgs)], in, headroom, m, floor)
	})
}
