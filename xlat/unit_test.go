package xlat

import (
	"math/rand/v2"
	"net/netip"
	"runtime"
	"testing"

	"github.com/siit-project/siit/internal/testutil"
)

// RFC 6052 §2.4, Table 1: 192.0.2.33 under each prefix length.
func TestPool6AllLengths(t *testing.T) {
	cases := []struct{ prefix, addr string }{
		{"2001:db8::/32", "2001:db8:c000:221::"},
		{"2001:db8:100::/40", "2001:db8:1c0:2:21::"},
		{"2001:db8:122::/48", "2001:db8:122:c000:2:2100::"},
		{"2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::"},
		{"2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0"},
		{"2001:db8:122:344::/96", "2001:db8:122:344::192.0.2.33"},
	}
	const v4 = 0xc0000221
	for _, c := range cases {
		p := toPrefix6(pfx(c.prefix))
		hi, lo := embed6052(p.hi, p.lo, p.bits, v4)
		if got := fromAddr6(hi, lo); got != netip.MustParseAddr(c.addr) {
			t.Errorf("%s: embed gave %s, want %s", c.prefix, got, c.addr)
		}
		// 6->4 ignores the suffix (and the u-octet).
		suffix := uint64(0xff) // bits 120..127: suffix for every length but 96
		if p.bits == 96 {
			suffix = 0
		}
		if got := extract6052(hi, lo|suffix|0xff<<56, p.bits); got != v4 && p.bits != 64 {
			t.Errorf("%s: extract with suffix and u-octet gave %08x", c.prefix, got)
		}
		if got := extract6052(hi, lo|suffix, p.bits); got != v4 {
			t.Errorf("%s: extract gave %08x", c.prefix, got)
		}
		if err := ValidatePool6(pfx(c.prefix)); err != nil {
			t.Errorf("%s: %v", c.prefix, err)
		}
	}
	for _, bad := range []string{"2001:db8::/33", "64:ff9b::/95", "2001:db8:0:0:100::/64"} {
		if err := ValidatePool6(pfx(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestNewConfigValidation(t *testing.T) {
	bad := []func(*Params){
		func(p *Params) { p.Globals.Pool6 = pfx("64:ff9b::/95") },
		func(p *Params) { p.Globals.LowestIPv6MTU = 1000 },
		func(p *Params) { p.Denylist4 = []netip.Prefix{pfx("192.0.2.1/24")} },
		func(p *Params) { p.Denylist4 = []netip.Prefix{pfx("2001:db8::/32")} },
		func(p *Params) { p.SelfV4 = netip.MustParseAddr("2001:db8::1") },
		func(p *Params) { p.SelfV6 = netip.MustParseAddr("192.0.2.1") },
		func(p *Params) { p.Globals.RFC6791v4Prefix = pfx("2001:db8::/64") },
		func(p *Params) { p.Globals.MTUPlateaus = nil },
	}
	for i, mod := range bad {
		p := testParams(t)
		mod(&p)
		if _, err := NewConfig(p); err == nil {
			t.Errorf("case %d accepted", i)
		}
	}
	p := testParams(t)
	p.Globals.MTUPlateaus = []uint16{1500, 9000, 1500}
	p.Denylist4 = []netip.Prefix{pfx("198.51.100.0/24")}
	c := mustConfig(t, p)
	got := c.Params()
	if len(got.Globals.MTUPlateaus) != 2 || got.Globals.MTUPlateaus[0] != 9000 {
		t.Errorf("plateaus not normalized: %v", got.Globals.MTUPlateaus)
	}
	got.Denylist4[0] = pfx("10.0.0.0/8") // deep copy: must not leak into c
	if c.Params().Denylist4[0] != pfx("198.51.100.0/24") {
		t.Error("Params is not a deep copy")
	}
}

// RFC 7915 §4.2 Figure 3 and §5.2 Figure 6.
func TestParamProblemPointers(t *testing.T) {
	want46 := map[uint8]int{0: 0, 1: 1, 2: 4, 3: 4, 4: -1, 7: -1, 8: 7, 9: 6, 10: -1, 11: -1, 12: 8, 15: 8, 16: 24, 19: 24, 20: -1, 255: -1}
	for in, w := range want46 {
		if got := paramPtr46(in); got != w {
			t.Errorf("4->6 pointer %d: got %d want %d", in, got, w)
		}
	}
	want64 := map[uint32]int{0: 0, 1: 1, 2: -1, 3: -1, 4: 2, 5: 2, 6: 9, 7: 8, 8: 12, 23: 12, 24: 16, 39: 16, 40: -1}
	for in, w := range want64 {
		if got := paramPtr64(in); got != w {
			t.Errorf("6->4 pointer %d: got %d want %d", in, got, w)
		}
	}
}

// The optimized sum agrees with the plain reference on random input, at
// every length and alignment.
func TestChecksumMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, 2000)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	for n := 0; n < 300; n++ {
		for start := 0; start < 4; start += 2 {
			p := b[start : start+n+r.IntN(1500)]
			if got, want := fold(sum(p, 0)), uint16(refSum(p, 0)); got != want {
				t.Fatalf("len %d: got %04x want %04x", len(p), got, want)
			}
		}
	}
	// RFC 1624 incremental update equals recomputation.
	for range 1000 {
		p := b[:64]
		for i := range p {
			p[i] = byte(r.Uint32())
		}
		put16(p[10:], 0)
		put16(p[10:], checksum(p, 0))
		old := sum(p[20:28], 0)
		for i := 20; i < 28; i++ {
			p[i] = byte(r.Uint32())
		}
		upd := csumUpdate(be16(p[10:]), old, sum(p[20:28], 0))
		put16(p[10:], 0)
		if full := checksum(p, 0); full != upd && !(full == 0 && upd == 0xffff) && !(full == 0xffff && upd == 0) {
			t.Fatalf("incremental %04x != full %04x", upd, full)
		}
	}
}

// ICMP type/code mapping, RFC 7915 §4.2 (ICMPv4 -> ICMPv6).
func TestICMP4ErrorMapping(t *testing.T) {
	cfg := mustConfig(t, testParams(t))
	base := unhex(t, goldenPackets["4to6-icmp-error"][0])
	cases := []struct {
		typ, code uint8
		rest      uint32
		t6, c6    uint8
		rest6     uint32
		verdict   Verdict
		reason    Counter
	}{
		{3, 0, 0, 1, 0, 0, Forward, 0},
		{3, 1, 0, 1, 0, 0, Forward, 0},
		{3, 2, 0, 4, 1, 6, Forward, 0},
		{3, 3, 0, 1, 4, 0, Forward, 0},
		{3, 4, 1400, 2, 0, 1420, Forward, 0},
		{3, 4, 0, 2, 0, 1280, Forward, 0}, // no plateau below the inner length 40: clamped to 1280
		{3, 5, 0, 1, 0, 0, Forward, 0},
		{3, 9, 0, 1, 1, 0, Forward, 0},
		{3, 13, 0, 1, 1, 0, Forward, 0},
		{3, 14, 0, 0, 0, 0, Drop, StatUnknownICMP4Type},
		{11, 0, 0, 3, 0, 0, Forward, 0},
		{11, 1, 0, 3, 1, 0, Forward, 0},
		{12, 0, 12 << 24, 4, 0, 8, Forward, 0},
		{12, 0, 5 << 24, 0, 0, 0, Drop, Stat46UntranslatableParamProblemPtr},
		{12, 1, 0, 0, 0, 0, Drop, StatUnknownICMP4Type},
		{4, 0, 0, 0, 0, 0, Drop, StatUnknownICMP4Type},
		{5, 0, 0, 0, 0, 0, Drop, StatUnknownICMP4Type},
	}
	for _, c := range cases {
		in := append([]byte(nil), base...)
		m := in[20:]
		m[0], m[1] = c.typ, c.code
		put32(m[4:], c.rest)
		put16(m[2:], 0)
		put16(m[2:], ^uint16(refSum(m, 0)))
		r, _, buf := translateOnce(t, cfg, in, nil)
		if r.Verdict != c.verdict || (r.Verdict == Drop && r.Reason != c.reason) {
			t.Errorf("%d/%d: got %v %s", c.typ, c.code, r.Verdict, r.Reason.Name())
			continue
		}
		if r.Verdict == Forward {
			o := buf[r.Off+40:]
			if o[0] != c.t6 || o[1] != c.c6 || be32(o[4:]) != c.rest6 {
				t.Errorf("%d/%d: got %d/%d rest %d, want %d/%d rest %d", c.typ, c.code, o[0], o[1], be32(o[4:]), c.t6, c.c6, c.rest6)
			}
		}
	}
}

// ICMP type/code mapping, RFC 7915 §5.2 (ICMPv6 -> ICMPv4).
func TestICMP6ErrorMapping(t *testing.T) {
	p := testParams(t)
	cfg := mustConfig(t, p)
	base := unhex(t, goldenPackets["6to4-icmp-error-6791"][0])
	cases := []struct {
		typ, code uint8
		rest      uint32
		t4, c4    uint8
		rest4     uint32
		verdict   Verdict
		reason    Counter
	}{
		{1, 0, 0, 3, 1, 0, Forward, 0},
		{1, 1, 0, 3, 10, 0, Forward, 0},
		{1, 3, 0, 3, 1, 0, Forward, 0},
		{1, 4, 0, 3, 3, 0, Forward, 0},
		{1, 5, 0, 0, 0, 0, Drop, StatUnknownICMP6Type},
		{2, 0, 1500, 3, 4, 1480, Forward, 0},
		{3, 0, 0, 11, 0, 0, Forward, 0},
		{3, 1, 0, 11, 1, 0, Forward, 0},
		{4, 0, 6, 12, 0, 9 << 24, Forward, 0},
		{4, 0, 2, 0, 0, 0, Drop, Stat64UntranslatableParamProbPtr},
		{4, 1, 0, 3, 2, 0, Forward, 0},
		{4, 2, 0, 0, 0, 0, Drop, StatUnknownICMP6Type},
		{100, 0, 0, 0, 0, 0, Drop, StatUnknownICMP6Type},
	}
	for _, c := range cases {
		in := append([]byte(nil), base...)
		m := in[40:]
		m[0], m[1] = c.typ, c.code
		put32(m[4:], c.rest)
		put16(m[2:], 0)
		put16(m[2:], ^uint16(refSum(m, refPseudo6(in, len(m), 58))))
		r, _, buf := translateOnce(t, cfg, in, nil)
		if r.Verdict != c.verdict || (r.Verdict == Drop && r.Reason != c.reason) {
			t.Errorf("%d/%d: got %v %s", c.typ, c.code, r.Verdict, r.Reason.Name())
			continue
		}
		if r.Verdict == Forward {
			o := buf[r.Off+20:]
			if o[0] != c.t4 || o[1] != c.c4 || be32(o[4:]) != c.rest4 {
				t.Errorf("%d/%d: got %d/%d rest %d, want %d/%d rest %d", c.typ, c.code, o[0], o[1], be32(o[4:]), c.t4, c.c4, c.rest4)
			}
		}
	}
}

func TestHairpinModes(t *testing.T) {
	in := unhex(t, goldenPackets["hairpin-intrinsic"][0])
	for _, m := range []HairpinMode{HairpinOff, HairpinSimple, HairpinIntrinsic} {
		p := testParams(t)
		p.Globals.EAMHairpinMode = m
		r, _, buf := translateOnce(t, mustConfig(t, p), in, nil)
		if r.Verdict != Forward {
			t.Fatalf("%s: %v %s", m, r.Verdict, r.Reason.Name())
		}
		switch m {
		case HairpinOff: // leaves as IPv4 toward 192.0.2.6
			if r.Family != Family4 || IPv4(buf[r.Off:]).Dst() != 0xc0000206 {
				t.Errorf("off: family %d", r.Family)
			}
		default: // back to IPv6: 64:ff9b::192.0.2.5 -> 2001:db8:6::6
			h := IPv6(buf[r.Off:])
			shi, slo := h.Src()
			dhi, dlo := h.Dst()
			if r.Family != Family6 || fromAddr6(shi, slo) != netip.MustParseAddr("64:ff9b::192.0.2.5") ||
				fromAddr6(dhi, dlo) != netip.MustParseAddr("2001:db8:6::6") {
				t.Errorf("%s: family %d %s -> %s", m, r.Family, fromAddr6(shi, slo), fromAddr6(dhi, dlo))
			}
			wantHop := uint8(63)
			if m == HairpinSimple {
				wantHop = 62 // simple mode routes through the translator twice
			}
			if h.HopLimit() != wantHop {
				t.Errorf("%s: hop limit %d", m, h.HopLimit())
			}
		}
	}
}

// TestHairpinFragments U-turns both fragments of one UDP datagram in both
// hairpin modes and reassembles the results: every fragment must come back
// as IPv6 with the same identification, and the reassembled datagram must
// carry a UDP checksum that is right for the U-turned addresses (checked
// with the reference sum, not the translator's).
func TestHairpinFragments(t *testing.T) {
	for _, m := range []HairpinMode{HairpinIntrinsic, HairpinSimple} {
		p := testParams(t)
		p.Globals.EAMHairpinMode = m
		cfg := mustConfig(t, p)
		sfx := ""
		if m == HairpinSimple {
			sfx = "-simple"
		}
		var first []byte
		var whole []byte
		for _, name := range []string{"hairpin-fragment-first", "hairpin-fragment-later"} {
			r, _, buf := translateOnce(t, cfg, unhex(t, goldenPackets[name+sfx][0]), nil)
			if r.Verdict != Forward || r.Family != Family6 {
				t.Fatalf("%s %s: %v family %d (%s)", m, name, r.Verdict, r.Family, r.Reason.Name())
			}
			o := buf[r.Off : r.Off+r.Len]
			if o[ip6NextHdr] != protoFragment || o[IPv6HeaderLen] != protoUDP {
				t.Fatalf("%s %s: no fragment header: %x", m, name, o[:48])
			}
			if first == nil {
				first = o
			}
			if be32(o[IPv6HeaderLen+frag6ID:]) != 0x5678 || string(o[8:40]) != string(first[8:40]) {
				t.Errorf("%s %s: id %#x, addresses %x", m, name, be32(o[IPv6HeaderLen+frag6ID:]), o[8:40])
			}
			if off := int(be16(o[IPv6HeaderLen+frag6Off:]) >> 3 * 8); off != len(whole) {
				t.Errorf("%s %s: fragment offset %d, want %d", m, name, off, len(whole))
			}
			whole = append(whole, o[IPv6HeaderLen+frag6Len:]...)
		}
		if len(whole) != int(be16(whole[4:])) || refSum(whole, refPseudo6(first, len(whole), protoUDP)) != 0xffff {
			t.Errorf("%s: reassembled datagram (%d bytes) has a bad UDP length or checksum", m, len(whole))
		}
	}
}

// TestHairpinSize covers the size rules of a U-turn around the golden cases:
// the MTU oracle is asked (only) about the IPv6 flow of the U-turned packet
// in intrinsic mode, and what the second half rejects first keeps its own
// outcome instead of a Packet Too Big.
func TestHairpinSize(t *testing.T) {
	big := unhex(t, goldenPackets["hairpin-big"][0])
	want := unhex(t, goldenPackets["hairpin-big"][1])
	for _, m := range []HairpinMode{HairpinIntrinsic, HairpinSimple} {
		p := testParams(t)
		p.Globals.EAMHairpinMode = m
		cfg := mustConfig(t, p)
		// The flows asked about: the U-turned packet's (the golden output's).
		rec := &flowMTU{mtu: 9000}
		r, _, _ := translateOnce(t, cfg, big, rec)
		if r.Verdict != Forward || r.Family != Family6 {
			t.Fatalf("%s: %v %s", m, r.Verdict, r.Reason.Name())
		}
		f6 := flow6{Proto: protoUDP, Sport: 1234, Dport: 53}
		f6.SrcHi, f6.SrcLo = IPv6(want).Src()
		f6.DstHi, f6.DstLo = IPv6(want).Dst()
		if len(rec.f6) == 0 || (m == HairpinIntrinsic) != (len(rec.f4) == 0) {
			t.Errorf("%s: oracle asked %d IPv4 and %d IPv6 flows", m, len(rec.f4), len(rec.f6))
		}
		for _, f := range rec.f6 {
			if f != f6 {
				t.Errorf("%s: oracle asked about %+v, want %+v", m, f, f6)
			}
		}
	}
	tooSmall := fixedMTU{9000, 1500}
	cases := []struct {
		name    string
		mode    HairpinMode
		edit    func(p []byte)
		verdict Verdict
		reason  Counter
	}{
		// The first half's hop limit check comes first (Time Exceeded).
		{"intrinsic hop limit 1", HairpinIntrinsic, func(p []byte) { p[ip6HopLimit] = 1 }, Reply, Stat64TTL},
		// Simple mode: the way back expires the TTL before it sizes the packet.
		{"simple hop limit 2", HairpinSimple, func(p []byte) { p[ip6HopLimit] = 2 }, Drop, Stat46TTL},
		// A U-turned fragment has no DF: it is fragmented, not refused.
		{"fragment", HairpinIntrinsic, nil, Forward, 0},
	}
	for _, c := range cases {
		p := testParams(t)
		p.Globals.EAMHairpinMode = c.mode
		in := append([]byte(nil), big...)
		if c.edit != nil {
			c.edit(in)
		} else { // the same bytes behind a fragment header: offset 0, M=0 (atomic)
			in = append(append(in[:IPv6HeaderLen:IPv6HeaderLen], protoUDP, 0, 0, 0, 0, 0, 0, 9), big[IPv6HeaderLen:]...)
			in[ip6NextHdr] = protoFragment
			put16(in[ip6PayloadLen:], uint16(len(in)-IPv6HeaderLen))
		}
		r, _, _ := translateOnce(t, mustConfig(t, p), in, tooSmall)
		if r.Verdict != c.verdict || r.Reason != c.reason {
			t.Errorf("%s: %v %s, want %v %s", c.name, r.Verdict, r.Reason.Name(), c.verdict, c.reason.Name())
		}
	}
}

// RFC 4884: a Time Exceeded with a 128-byte original datagram and an
// 8-byte extension keeps the extension, re-padded to 64-bit words.
func TestICMPExtension46(t *testing.T) {
	cfg := mustConfig(t, testParams(t))
	inner := unhex(t, goldenPackets["4to6-udp"][0]) // reversed roles do not matter for the layout
	_ = inner
	// Inner IPv4: 192.0.2.5 -> 198.51.100.7 UDP, total length 128.
	dg := make([]byte, 128)
	copy(dg, unhex(t, "45000080 00990000 3e110000 c0000205 c6336407 04d20035 006c0000"))
	put16(dg[10:], ^uint16(refSum(dg[:20], 0)))
	ext := unhex(t, "20000000 00080101")              // extension header + one empty object header
	m := append(unhex(t, "0b000000 00200000"), dg...) // length 32 words = 128 bytes
	m = append(m, ext...)
	put16(m[2:], ^uint16(refSum(m, 0)))
	hdr := unhex(t, "45000000 00100000 40010000 c6336407 c0000205")
	put16(hdr[2:], uint16(20+len(m)))
	put16(hdr[10:], ^uint16(refSum(hdr, 0)))
	in := append(hdr, m...)
	r, _, buf := translateOnce(t, cfg, in, nil)
	if r.Verdict != Forward {
		t.Fatalf("%v %s", r.Verdict, r.Reason.Name())
	}
	o := buf[r.Off : r.Off+r.Len]
	icmp := o[40:]
	// inner grows by 20: 148 bytes, rounded down to 144 (18 words), then the extension.
	if icmp[0] != 3 || icmp[4] != 18 || len(icmp) != 8+144+8 {
		t.Fatalf("type %d length field %d body %d", icmp[0], icmp[4], len(icmp)-8)
	}
	if string(icmp[8+144:]) != string(ext) {
		t.Fatalf("extension moved wrong: %x", icmp[8+144:])
	}
	bad := append([]byte(nil), in...)
	bad[20+5] = 8 // 32 bytes < 128
	put16(bad[22:], 0)
	put16(bad[22:], ^uint16(refSum(bad[20:], 0)))
	if r, _, _ := translateOnce(t, cfg, bad, nil); r.Verdict != Drop || r.Reason != StatICMPExtSmall {
		t.Fatalf("short length: %v %s", r.Verdict, r.Reason.Name())
	}
}

// TestHeadroomFallback: with too little headroom the packet is moved inside
// buf and still translated correctly.
func TestHeadroomFallback(t *testing.T) {
	cfg := mustConfig(t, testParams(t))
	for _, name := range []string{"4to6-udp", "4to6-icmp-error", "4to6-fragmenting"} {
		pk := goldenPackets[name]
		in := unhex(t, pk[0])
		buf := frame(in, 0, 256)
		tr := NewTranslator(nil)
		out := NewOutput(4, 2048, 0)
		r := tr.Translate(cfg, buf, 0, len(in), out)
		if r.Verdict != Forward || string(buf[r.Off:r.Off+r.Len]) != string(unhex(t, pk[1])) {
			t.Errorf("%s: %v %s", name, r.Verdict, r.Reason.Name())
		}
	}
	// No room at all: counted drop.
	in := unhex(t, goldenPackets["4to6-udp"][0])
	tr := NewTranslator(nil)
	if r := tr.Translate(cfg, in, 0, len(in), nil); r.Verdict != Drop || r.Reason != StatENOMEM {
		t.Errorf("no room: %v %s", r.Verdict, r.Reason.Name())
	}
}

// The tiniest helpers must stay inlinable (like net/netip's inlining_test).
func TestInlining(t *testing.T) {
	if testing.Short() || runtime.GOARCH != "amd64" {
		t.Skip("needs the compiler's -m output on amd64")
	}
	testutil.CheckInlinable(t, "fold", "sum4", "sum6", "reserved4", "reserved6", "be16", "put16",
		"IPv4.HeaderLen", "IPv6.Src", "(*Output).next", "(*Translator).rand",
		// per-packet helpers of the fast path (see "Performance notes" in doc.go)
		"(*Stats).Inc", "(*Stats).add", "csumDelta", "csumApply", "sumIPv4Header", "mtuOr",
		// and of the leaves fast46 / fast64, which must call nothing
		"be32", "put32", "IPv6.Dst", "IPv6.TrafficClass", "sum64", "sum6x2", "writeIPv6", "forward4", "forward6",
		"(*Translator).mtuFloor", "(*Config).pool96ok", "(*prefix6).contains",
		// Translate's pre-checks for the fast paths
		"isFast46", "isFast64")
	// And the leaves call nothing (fast.go): a helper that stops being inlined becomes a call there.
	testutil.CheckLeaves(t, "(*Translator).fast46", "(*Translator).fast64")
}

// reserved4 against the plain definition, for every first octet with the
// addresses around each boundary of the ranges it names.
func TestReserved4(t *testing.T) {
	ref := func(a uint32) bool {
		o := a >> 24
		return o == 0 || o == 127 || a>>16 == 0xa9fe || (o >= 224 && o <= 239) || a == 0xffffffff
	}
	for o := uint32(0); o < 256; o++ {
		for _, rest := range []uint32{0, 1, 0xfe0000, 0xfdffff, 0xfeffff, 0xff0000, 0xfffffe, 0xffffff, 0x123456} {
			if a := o<<24 | rest; reserved4(a) != ref(a) {
				t.Errorf("reserved4(%08x) = %v; want %v", a, reserved4(a), ref(a))
			}
		}
	}
}

// reserved6 against the plain definition, around each range it names.
func TestReserved6(t *testing.T) {
	ref := func(hi, lo uint64) bool {
		return hi == 0 && lo <= 1 || hi>>54 == 0xfe80>>6 || hi>>56 == 0xff
	}
	his := []uint64{0, 1, 0x00ff000000000000, 0x0064ff9b00000000, 0x20010db800000000, 0xfe7fffffffffffff, 0xfe80000000000000,
		0xfebfffffffffffff, 0xfec0000000000000, 0xfeffffffffffffff, 0xff00000000000000, 0xff02000000000000, 0xffffffffffffffff}
	los := []uint64{0, 1, 2, 0xffffffffffffffff}
	for _, hi := range his {
		for _, lo := range los {
			if reserved6(hi, lo) != ref(hi, lo) {
				t.Errorf("reserved6(%016x, %016x) = %v; want %v", hi, lo, reserved6(hi, lo), ref(hi, lo))
			}
		}
	}
}
