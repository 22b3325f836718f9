package xlat

import (
	"bytes"
	"net/netip"
	"testing"
)

// translateOnce runs one packet through a fresh translator and checks the
// invariants every result must satisfy.
func translateOnce(t testing.TB, cfg *Config, in []byte, mtu MTUOracle) (Result, *Translator, []byte) {
	t.Helper()
	const headroom = 128
	buf := frame(in, headroom, 64)
	tr := NewTranslator(nil)
	tr.Seed(1)
	tr.MTU = mtu
	out := NewOutput(4, 2048, 32)
	r := tr.Translate(cfg, buf, headroom, len(in), out)
	checkResult(t, r, in, buf, out, tr, inputChecksumsValid(in))
	return r, tr, buf
}

// checkResult asserts the contract of Result: bounds, parsable output with
// valid checksums, error size limits, and that Drop/Pass reasons were counted.
//
// With strict false (the input's own transport checksum was wrong), a wrong
// TCP/UDP/echo checksum in a translated non-error packet is expected: the
// incremental update carries the corruption over, as it should.
func checkResult(t testing.TB, r Result, in, buf []byte, out *Output, tr *Translator, strict bool) {
	t.Helper()
	switch r.Verdict {
	case Forward:
		if r.Off < 0 || r.Len <= 0 || r.Off+r.Len > len(buf) {
			t.Fatalf("Forward out of bounds: off %d len %d buf %d", r.Off, r.Len, len(buf))
		}
		p := buf[r.Off : r.Off+r.Len]
		// A translated ICMP error must always come out with valid checksums
		// (the translator rebuilds them), unless the input was not ICMP of
		// its own family at all (e.g. protocol 1 inside IPv6: RFC 7915 copies
		// such a payload untouched, garbage checksum included).
		enforceErr := isErrorPacket(p, r.Family) && carriesOwnICMP(in)
		if msg := checkPacket(p, r.Family); msg != "" && (strict || !transportOnly(msg) || enforceErr) {
			t.Fatalf("Forward packet: %s: %x", msg, p)
		}
		// The size limits bind translated errors; a foreign-family payload
		// copied as it is (protocol 1 inside IPv6) is not one.
		if enforceErr && ((r.Family == Family4 && r.Len > 576) || (r.Family == Family6 && r.Len > 1280)) {
			t.Fatalf("translated ICMP error too long: %d", r.Len)
		}
		for i := range out.Len() {
			if msg := checkPacket(out.Packet(i), out.Family(i)); msg != "" && (strict || !transportOnly(msg)) {
				t.Fatalf("extra packet %d: %s", i, msg)
			}
		}
	case Reply:
		if out.Len() != 1 || r.Extra != 1 {
			t.Fatalf("Reply with %d packets", out.Len())
		}
		p := out.Packet(0)
		if msg := checkPacket(p, out.Family(0)); msg != "" {
			t.Fatalf("ICMP error: %s", msg)
		}
		if (out.Family(0) == Family4 && len(p) > 576) || (out.Family(0) == Family6 && len(p) > 1280) {
			t.Fatalf("generated ICMP error too long: %d", len(p))
		}
	case Drop, Pass:
		if tr.Stats.Get(r.Reason) == 0 {
			t.Fatalf("%v reason %s not counted", r.Verdict, r.Reason.Name())
		}
	default:
		t.Fatalf("bad verdict %d", r.Verdict)
	}
}

// inputChecksumsValid reports whether checkPacket could verify the input's
// own transport checksum and found it right (it cannot look past IPv6
// extension headers other than a fragment header).
func inputChecksumsValid(in []byte) bool {
	if len(in) == 0 || checkPacket(in, Family(in[0]>>4)) != "" {
		return false
	}
	if in[0]>>4 == 6 {
		switch in[6] {
		case 6, 17, 58:
			return true
		case 44:
			// Behind a fragment header only what checkPacket can verify.
			switch lastHeader6(in) {
			case 6, 17, 58:
				return true
			}
		}
		return false
	}
	return true
}

func transportOnly(msg string) bool {
	switch msg {
	case "bad TCP checksum", "bad UDP checksum", "bad ICMPv4 checksum", "bad ICMPv6 checksum":
		return true
	}
	return false
}

// carriesOwnICMP reports whether the input packet had ICMP of its own
// family as its transport: ICMPv4 (1) in IPv4, ICMPv6 (58) at the end of the
// IPv6 extension header chain. Unparsable input stays strict (true).
func carriesOwnICMP(in []byte) bool {
	switch {
	case len(in) >= 20 && in[0]>>4 == 4:
		return in[9] == 1
	case len(in) >= 40 && in[0]>>4 == 6:
		return lastHeader6(in) == 58
	}
	return true
}

// lastHeader6 follows the IPv6 extension header chain (hop-by-hop, routing,
// fragment, destination options) and returns the upper-layer protocol.
func lastHeader6(p []byte) byte {
	nh, o := p[6], 40
	for range 16 {
		switch nh {
		case 0, 43, 60:
			if o+2 > len(p) {
				return nh
			}
			nh, o = p[o], o+8+int(p[o+1])*8
		case 44:
			if o+8 > len(p) {
				return nh
			}
			nh, o = p[o], o+8
		default:
			return nh
		}
	}
	return nh
}

func isErrorPacket(p []byte, f Family) bool {
	if f == Family4 {
		return len(p) > 20 && p[9] == 1 && isICMP4Error(p[20])
	}
	return len(p) > 40 && p[6] == 58 && p[40] < 128
}

// TestTruncatedEverywhere feeds every prefix of every golden input: the
// result must be a counted drop (or a valid translation of a shorter but
// consistent packet), never a panic.
func TestTruncatedEverywhere(t *testing.T) {
	p := testParams(t)
	p.Globals.AmendUDPChecksumZero = true
	cfg := mustConfig(t, p)
	for name, pk := range goldenPackets {
		in := unhex(t, pk[0])
		for n := 0; n < len(in); n++ {
			if n == 0 {
				continue // Translate needs at least the version nibble
			}
			r, _, _ := translateOnce(t, cfg, in[:n], nil)
			if r.Verdict == Forward {
				t.Errorf("%s truncated to %d bytes was forwarded", name, n)
			}
		}
	}
}

// TestDrops checks verdicts and reasons for malformed and untranslatable
// packets, built by hand.
func TestDrops(t *testing.T) {
	cfg := mustConfig(t, testParams(t))
	udp6 := "04d20035 00140000 68656c6c 6f20786c 61742121" // checksum not checked on 6->4
	cases := []struct {
		name    string
		in      string
		verdict Verdict
		reason  Counter
	}{
		{"bad version", "50000000 00140000", Drop, StatL3HdrOffset},
		{"IPv4 IHL 4", "44000028 00000000 40110000 c6336407 c0000205" + udp6, Drop, StatHdr4},
		{"IPv4 bad header checksum", "45000028 12340000 40110000 c6336407 c0000205" + udp6, Drop, StatHdr4},
		{"IPv4 total length below IHL", "45000010 12340000 40117c69 c6336407 c0000205" + udp6, Drop, StatHdr4},
		{"IPv4 total length beyond packet", "45000100 12340000 40117b69 c6336407 c0000205" + udp6, Drop, StatSKBTruncated},
		{"IPv6 payload length beyond packet", "60000000 00ff1140 20010db8 00060000 00000000 00000005 0064ff9b 00000000 00000000 c6336407" + udp6, Drop, StatSKBTruncated},
		{"IPv6 jumbo", "60000000 00001140 20010db8 00060000 00000000 00000005 0064ff9b 00000000 00000000 c6336407" + udp6, Drop, StatHdr6},
		{"two fragment headers", "60000000 00242c40 20010db8 00060000 00000000 00000005 0064ff9b 00000000 00000000 c6336407" +
			"2c000001 00000001 11000001 00000001" + udp6, Drop, Stat64DoubleFrag},
		{"extension after fragment", "60000000 00242c40 20010db8 00060000 00000000 00000005 0064ff9b 00000000 00000000 c6336407" +
			"3c000001 00000001 11000000 00000000" + udp6, Drop, Stat64FragThenExt},
		{"truncated extension header", "60000000 00083c40 20010db8 00060000 00000000 00000005 0064ff9b 00000000 00000000 c6336407" +
			"11050000 00000000", Drop, StatHdr6Chain},
		{"hop-by-hop not first", "60000000 001c3c40 20010db8 00060000 00000000 00000005 0064ff9b 00000000 00000000 c6336407" +
			"00000000 00000000" + udp6, Drop, StatHdr6},
		{"mobility header", "60000000 00088740 20010db8 00060000 00000000 00000005 0064ff9b 00000000 00000000 c6336407" +
			"3b000000 00000000", Drop, StatUnknownL4Proto},
		{"pool6 mismatch", "60000000 00141140 20010db8 00060000 00000000 00000005 20010db8 00000000 00000000 c6336407" + udp6, Pass, StatPool6Mismatch},
		{"pool6-embedded loopback", "60000000 00141140 20010db8 00060000 00000000 00000005 0064ff9b 00000000 00000000 7f000001" + udp6, Pass, StatUntranslatableAddr4},
		{"link-local source", "60000000 00141140 fe800000 00000000 00000000 00000001 0064ff9b 00000000 00000000 c6336407" + udp6, Drop, StatUntranslatableAddr6},
		{"untranslatable source", "60000000 00141140 20010db8 00070000 00000000 00000005 0064ff9b 00000000 00000000 c6336407" + udp6, Pass, Stat64Src},
		{"ICMPv6 MLD query", "60000000 00083a40 20010db8 00060000 00000000 00000005 0064ff9b 00000000 00000000 c6336407" +
			"82000000 00000000", Drop, StatUnknownICMP6Type},
		{"fragmented ICMPv6", "60000000 00142c40 20010db8 00060000 00000000 00000005 0064ff9b 00000000 00000000 c6336407" +
			"3a000001 00000001 80000000 00000000 00000000", Drop, Stat64FragmentedICMP},
		{"ICMPv6 error with bad checksum", "60000000 00303a40 20010db8 00060000 00000000 00000005 0064ff9b 00000000 00000000 c6336407" +
			"01041234 00000000" + "60000000 00001140 0064ff9b 00000000 00000000 c6336407 20010db8 00060000 00000000 00000005", Drop, Stat64ICMPCsum},
		{"IPv4 loopback source", "45000028 12340000 4011278b 7f000001 c0000205" + udp6, Pass, StatUntranslatableAddr4},
		{"IPv4 multicast destination", "45000028 12340000 40115e51 c6336407 e0000005" + udp6, Pass, StatUntranslatableAddr4},
		{"IPv4 UDP zero checksum (amend off)", "45000028 12340000 40117c51 c6336407 c0000205 003504d2 00140000 68656c6c 6f20786c 61742121", Drop, Stat46FragmentedZeroCsum},
		{"fragmented ICMPv4", "4500001c 12342000 40015c6d c6336407 c0000205 08000000 00000000", Drop, Stat46FragmentedICMP},
		{"ICMPv4 timestamp", "4500001c 12340000 40017c6d c6336407 c0000205 0d00f2ff 00000000", Drop, StatUnknownICMP4Type},
		{"ICMPv4 error with bad checksum", "45000030 12340000 40017c59 c6336407 c0000205 03031234 00000000" +
			"45000014 00000000 40118e99 c0000205 c6336407", Drop, Stat46ICMPCsum},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, _, _ := translateOnce(t, cfg, unhex(t, c.in), nil)
			if r.Verdict != c.verdict || r.Reason != c.reason {
				t.Fatalf("got %v %s, want %v %s", r.Verdict, r.Reason.Name(), c.verdict, c.reason.Name())
			}
		})
	}
}

func TestDisabled(t *testing.T) {
	p := testParams(t)
	p.Globals.ManuallyEnabled = false
	r, _, _ := translateOnce(t, mustConfig(t, p), unhex(t, goldenPackets["6to4-udp"][0]), nil)
	if r.Verdict != Pass || r.Reason != StatXlatorDisabled {
		t.Fatalf("got %v %s", r.Verdict, r.Reason.Name())
	}
}

func TestDenylist4(t *testing.T) {
	p := testParams(t)
	p.Denylist4 = []netip.Prefix{pfx("198.51.100.0/28")}
	cfg := mustConfig(t, p)
	// 198.51.100.7 reaches pool6 only: denylisted in both directions.
	r, _, _ := translateOnce(t, cfg, unhex(t, goldenPackets["6to4-udp"][0]), nil)
	if r.Verdict != Pass || r.Reason != Stat64Dst {
		t.Fatalf("6to4: got %v %s", r.Verdict, r.Reason.Name())
	}
	r, _, _ = translateOnce(t, cfg, unhex(t, goldenPackets["4to6-udp"][0]), nil)
	if r.Verdict != Pass || r.Reason != Stat46Src {
		t.Fatalf("4to6: got %v %s", r.Verdict, r.Reason.Name())
	}
	// EAMT addresses are not subject to denylist4 (Jool).
	p.Denylist4 = []netip.Prefix{pfx("192.0.2.0/24")}
	r, _, _ = translateOnce(t, mustConfig(t, p), unhex(t, goldenPackets["4to6-udp"][0]), nil)
	if r.Verdict != Forward {
		t.Fatalf("EAMT destination in denylist4: got %v %s", r.Verdict, r.Reason.Name())
	}
}

func TestRFC6791NoSource(t *testing.T) {
	p := testParams(t)
	p.SelfV4 = netip.Addr{}
	r, _, _ := translateOnce(t, mustConfig(t, p), unhex(t, goldenPackets["6to4-icmp-error-6791"][0]), nil)
	if r.Verdict != Drop || r.Reason != Stat64RFC6791ENOENT {
		t.Fatalf("got %v %s", r.Verdict, r.Reason.Name())
	}
	// With SelfV4 as the fallback the error is translated from it.
	p = testParams(t)
	r, _, buf := translateOnce(t, mustConfig(t, p), unhex(t, goldenPackets["6to4-icmp-error-6791"][0]), nil)
	if r.Verdict != Forward || fromAddr4(IPv4(buf[r.Off:]).Src()) != p.SelfV4 {
		t.Fatalf("got %v", r.Verdict)
	}
	// Randomized: inside the prefix.
	p.Globals.RFC6791v4Prefix = pfx("203.0.113.64/26")
	r, _, buf = translateOnce(t, mustConfig(t, p), unhex(t, goldenPackets["6to4-icmp-error-6791"][0]), nil)
	if a := fromAddr4(IPv4(buf[r.Off:]).Src()); r.Verdict != Forward || !p.Globals.RFC6791v4Prefix.Contains(a) {
		t.Fatalf("got %v %s", r.Verdict, a)
	}
}

// TestRFC6791HopLimit: with randomize-rfc6791-addresses off, the source of
// a translated ICMPv6 error from an untranslatable router is the (received
// hop limit)th address of rfc6791v4-prefix, wrapped into it (Jool); on, a
// random one. rfc6791v6-prefix is random either way (TestGolden).
func TestRFC6791HopLimit(t *testing.T) {
	in := unhex(t, goldenPackets["6to4-icmp-error-6791"][0])
	for _, c := range []struct {
		prefix string
		hop    uint8
		want   string
	}{
		{"203.0.113.8/29", 50, "203.0.113.10"}, {"203.0.113.8/29", 51, "203.0.113.11"},
		{"203.0.113.8/29", 52, "203.0.113.12"}, {"203.0.113.8/29", 2, "203.0.113.10"},
		{"203.0.113.0/24", 255, "203.0.113.255"}, {"203.0.113.0/24", 9, "203.0.113.9"},
		{"203.0.113.7/32", 200, "203.0.113.7"},
	} {
		p := testParams(t)
		p.Globals.RFC6791v4Prefix = pfx(c.prefix)
		p.Globals.RandomizeRFC6791 = false
		pk := append([]byte(nil), in...)
		pk[ip6HopLimit] = c.hop // not covered by the ICMPv6 checksum
		r, _, buf := translateOnce(t, mustConfig(t, p), pk, nil)
		if a := fromAddr4(IPv4(buf[r.Off:]).Src()); r.Verdict != Forward || a != netip.MustParseAddr(c.want) {
			t.Errorf("%s, hop limit %d: %v from %s, want %s", c.prefix, c.hop, r.Verdict, a, c.want)
		}
	}
	// Randomized: several hop limits, one address each, all in the prefix,
	// not all the same.
	p := testParams(t)
	p.Globals.RFC6791v4Prefix = pfx("203.0.113.0/24")
	cfg := mustConfig(t, p)
	seen := map[netip.Addr]bool{}
	for s := range uint64(16) {
		buf := frame(in, 128, 64)
		tr := NewTranslator(nil)
		tr.Seed(s)
		r := tr.Translate(cfg, buf, 128, len(in), NewOutput(4, 2048, 32))
		a := fromAddr4(IPv4(buf[r.Off:]).Src())
		if r.Verdict != Forward || !p.Globals.RFC6791v4Prefix.Contains(a) {
			t.Fatalf("randomized: %v from %s", r.Verdict, a)
		}
		seen[a] = true
	}
	if len(seen) < 2 {
		t.Errorf("randomized: always %v", seen)
	}
}

// TestTranslateBadBounds gives Translate offsets and lengths that do not
// describe a packet inside buf, including ones whose sum overflows: each is a
// counted drop, never a panic.
func TestTranslateBadBounds(t *testing.T) {
	cfg := mustConfig(t, testParams(t))
	const maxInt = int(^uint(0) >> 1)
	for _, c := range []struct{ off, n int }{
		{-1, 20}, {-maxInt - 1, 20}, {128, 0}, {128, -1}, {128, -maxInt - 1}, {256, 1}, {255, 2}, {0, 257},
		{128, maxInt}, {maxInt, 1}, {maxInt, maxInt}, {1, maxInt},
	} {
		for _, fill := range []byte{0x45, 0x60} {
			buf := bytes.Repeat([]byte{fill}, 256)
			tr := NewTranslator(nil)
			r := tr.Translate(cfg, buf, c.off, c.n, NewOutput(4, 2048, 32))
			if r.Verdict != Drop || r.Reason != StatL3HdrOffset {
				t.Errorf("off %d n %d: %v %s; want a drop for %s", c.off, c.n, r.Verdict, r.Reason.Name(), StatL3HdrOffset.Name())
			}
			if got := tr.Stats.Get(StatL3HdrOffset); got != 1 {
				t.Errorf("off %d n %d: %s counted %d times", c.off, c.n, StatL3HdrOffset.Name(), got)
			}
		}
	}
}
