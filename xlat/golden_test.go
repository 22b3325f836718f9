package xlat

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/siit-project/siit/xlat/eamt"
)

// goldenCase is one RFC rule checked on exact bytes. pkt names an entry of
// goldenPackets: element 0 is the input, element 1 the expected translated
// packet (Forward) or ICMP error (Reply), further elements the expected
// extra packets (fragments).
type goldenCase struct {
	name    string
	rule    string // the requirement checked (see testdata/README.md)
	pkt     string
	setup   func(*Params)
	mtu     MTUOracle
	verdict Verdict
	reason  Counter
	family  Family
}

var goldenCases = []goldenCase{
	{name: "6to4 UDP", rule: "RFC 7915 §5.1, §5.5; RFC 7757 §3.3; RFC 6052 /96", pkt: "6to4-udp", verdict: Forward, family: Family4},
	{name: "4to6 UDP", rule: "RFC 7915 §4.1, §4.5; RFC 7757 §3.2; RFC 6052 /96", pkt: "4to6-udp", verdict: Forward, family: Family6},
	{name: "6to4 TCP", rule: "RFC 7915 §5.1 traffic class -> TOS; §5.5 TCP checksum", pkt: "6to4-tcp", verdict: Forward, family: Family4},
	{name: "4to6 TCP DF", rule: "RFC 7915 §4.1 TOS -> traffic class, no fragment header for DF=1", pkt: "4to6-tcp", verdict: Forward, family: Family6},
	{name: "6to4 echo", rule: "RFC 7915 §5.2 echo request 128 -> 8", pkt: "6to4-echo", verdict: Forward, family: Family4},
	{name: "4to6 echo reply", rule: "RFC 7915 §4.2 echo reply 0 -> 129", pkt: "4to6-echo-reply", verdict: Forward, family: Family6},
	{name: "6to4 echo reply all zero", rule: "RFC 1624 §3: an all-zero ICMPv4 message has checksum 0xffff, never 0",
		pkt: "6to4-echo-reply-zero", verdict: Forward, family: Family4},
	{name: "6to4 hop limit", rule: "RFC 7915 §5.1 hop limit expiry -> ICMPv6 Time Exceeded", pkt: "6to4-hop-limit", verdict: Reply, reason: Stat64TTL, family: Family6},
	{name: "4to6 TTL", rule: "RFC 7915 §4.1 TTL expiry -> ICMPv4 Time Exceeded", pkt: "4to6-ttl", verdict: Reply, reason: Stat46TTL, family: Family4},
	{name: "6to4 segments left", rule: "RFC 7915 §5.1 routing header segments left != 0 -> Parameter Problem", pkt: "6to4-segments-left", verdict: Reply, reason: Stat64SegmentsLeft, family: Family6},
	{name: "6to4 fragment", rule: "RFC 7915 §5.1.1 fragment header -> IPv4 ID/MF/offset", pkt: "6to4-fragment", verdict: Forward, family: Family4},
	{name: "4to6 fragment", rule: "RFC 7915 §4.1 IPv4 fragment -> fragment header", pkt: "4to6-fragment", verdict: Forward, family: Family6},
	{name: "4to6 frag needed", rule: "RFC 7915 §4 DF=1 too big -> Fragmentation Needed, MTU-20", pkt: "4to6-frag-needed",
		mtu: fixedMTU{1500, 1400}, verdict: Reply, reason: StatPktTooBig, family: Family4},
	{name: "6to4 packet too big", rule: "RFC 7915 §5.1 too big for IPv4 -> ICMPv6 PTB, MTU+20", pkt: "6to4-ptb",
		mtu: fixedMTU{1300, 1500}, verdict: Reply, reason: StatPktTooBig, family: Family6},
	{name: "4to6 fragmenting", rule: "RFC 7915 §4.1 DF=0 > lowest-ipv6-mtu -> IPv6 fragments", pkt: "4to6-fragmenting",
		verdict: Forward, family: Family6},
	{name: "4to6 ICMP error", rule: "RFC 7915 §4.2-4.3 Port Unreachable + inner packet", pkt: "4to6-icmp-error", verdict: Forward, family: Family6},
	{name: "6to4 ICMP error RFC 6791", rule: "RFC 7915 §5.2-5.3 PTB -> Frag Needed MTU-20; RFC 6791 source", pkt: "6to4-icmp-error-6791",
		setup: func(p *Params) {
			p.Globals.RFC6791v4Prefix = pfx("203.0.113.8/29")
			p.Globals.RandomizeRFC6791 = false
		}, verdict: Forward, family: Family4},
	{name: "6to4 ICMP error RFC 6791 hop limit", rule: "Jool: randomize-rfc6791-addresses off -> the (hop limit)th address",
		pkt: "6to4-icmp-error-6791-hop61", setup: func(p *Params) {
			p.Globals.RFC6791v4Prefix = pfx("203.0.113.8/29")
			p.Globals.RandomizeRFC6791 = false
		}, verdict: Forward, family: Family4},
	{name: "4to6 ICMP error RFC 6791", rule: "RFC 6791 source for ICMPv4 errors: rfc6791v6-prefix, always random (Jool)",
		pkt: "4to6-icmp-error-6791", setup: func(p *Params) {
			p.Globals.Pool6 = netip.Prefix{}
			p.Globals.RFC6791v6Prefix = pfx("2001:db8:6791::/64")
			p.Globals.RandomizeRFC6791 = false
		}, verdict: Forward, family: Family6},
	{name: "hairpin intrinsic", rule: "RFC 7757 §4.2.2 intrinsic hairpinning", pkt: "hairpin-intrinsic", verdict: Forward, family: Family6},
	{name: "hairpin first fragment", rule: "RFC 7757 §4.2.2: a fragmented datagram U-turns fragment by fragment",
		pkt: "hairpin-fragment-first", verdict: Forward, family: Family6},
	{name: "hairpin later fragment", rule: "RFC 7757 §4.2.2, Jool condition A: non-first fragments U-turn too",
		pkt: "hairpin-fragment-later", verdict: Forward, family: Family6},
	{name: "hairpin simple first fragment", rule: "Jool eam-hairpin-mode simple, fragments",
		pkt: "hairpin-fragment-first-simple", setup: simpleHairpin, verdict: Forward, family: Family6},
	{name: "hairpin simple later fragment", rule: "Jool eam-hairpin-mode simple, non-first fragments U-turn too",
		pkt: "hairpin-fragment-later-simple", setup: simpleHairpin, verdict: Forward, family: Family6},
	{name: "hairpin big intrinsic", rule: "Jool: an intrinsic U-turn skips the IPv4 size check; the IPv6 egress MTU applies",
		pkt: "hairpin-big", mtu: fixedMTU{1500, 9000}, verdict: Forward, family: Family6},
	{name: "hairpin intrinsic too big", rule: "U-turn larger than the IPv6 egress MTU -> ICMPv6 PTB with that MTU",
		pkt: "hairpin-big-ptb6", mtu: fixedMTU{9000, 1500}, verdict: Reply, reason: StatPktTooBig, family: Family6},
	{name: "hairpin simple too big for IPv6", rule: "simple mode: the IPv6 side applies to the way back too",
		pkt: "hairpin-big-ptb6", mtu: fixedMTU{9000, 1500}, setup: simpleHairpin,
		verdict: Reply, reason: StatPktTooBig, family: Family6},
	{name: "hairpin simple too big for IPv4", rule: "Jool simple mode: the packet crosses IPv4 -> PTB with IPv4 MTU + 20",
		pkt: "hairpin-big-simple-ptb4", mtu: fixedMTU{1500, 9000}, setup: simpleHairpin,
		verdict: Reply, reason: StatPktTooBig, family: Family6},
	{name: "4to6 source route", rule: "RFC 7915 §4.1 unexpired source route -> Dest Unreachable/Source Route Failed", pkt: "4to6-source-route",
		verdict: Reply, reason: Stat46SrcRoute, family: Family4},
	{name: "4to6 source route TTL 1", rule: "Jool 4.1: unexpired source route checked before the TTL", pkt: "4to6-source-route-ttl1",
		verdict: Reply, reason: Stat46SrcRoute, family: Family4},
	{name: "4to6 options", rule: "RFC 7915 §4.1 IPv4 options are not translated", pkt: "4to6-options", verdict: Forward, family: Family6},
	{name: "6to4 override-tos", rule: "Jool override-tos / tos", pkt: "6to4-override-tos",
		setup: func(p *Params) { p.Globals.OverrideTOS, p.Globals.TOS = true, 0x28 }, verdict: Forward, family: Family4},
	{name: "4to6 zeroize-traffic-class", rule: "Jool zeroize-traffic-class", pkt: "4to6-zeroize-tc",
		setup: func(p *Params) { p.Globals.ZeroizeTrafficClass = true }, verdict: Forward, family: Family6},
	{name: "4to6 UDP zero checksum", rule: "RFC 7915 §4.5, amend-udp-checksum-zero", pkt: "4to6-udp-zero-csum",
		setup: func(p *Params) { p.Globals.AmendUDPChecksumZero = true }, verdict: Forward, family: Family6},
	{name: "4to6 pool6 /48", rule: "RFC 6052 §2.2 /48 with u-octet", pkt: "4to6-pool6-48",
		setup: func(p *Params) { p.Globals.Pool6 = pfx("2001:db8:122::/48") }, verdict: Forward, family: Family6},
	{name: "4to6 frag needed MTU 0", rule: "RFC 7915 §4.2, RFC 1191 §7: MTU 0 -> largest mtu-plateaus entry below the quoted total length, + 20",
		pkt: "4to6-frag-needed-plateau", mtu: fixedMTU{9000, 9000}, verdict: Forward, family: Family6},
	{name: "6to4 ICMP error cut to 576", rule: "RFC 7915 §5.3: the translated ICMPv4 error is at most 576 bytes",
		pkt: "6to4-icmp-error-576", verdict: Forward, family: Family4},
	{name: "6to4 ICMP error RFC 4884", rule: "RFC 4884 §4-5 via RFC 7915 §5.2: datagram padded to 128, length in 32-bit words",
		pkt: "6to4-icmp-error-rfc4884", verdict: Forward, family: Family4},
	{name: "6to4 ICMP error RFC 4884 length too long", rule: "RFC 4884: a length beyond the message is dropped, counted",
		pkt: "6to4-icmp-error-rfc4884-too-long", verdict: Drop, reason: StatICMPExtBig},
	{name: "4to6 ICMP error RFC 6791 SelfV6", rule: "RFC 6791, Jool: no rfc6791v6-prefix -> the translator's own IPv6 address",
		pkt: "4to6-icmp-error-6791-self", setup: func(p *Params) { p.Globals.Pool6 = netip.Prefix{} }, verdict: Forward, family: Family6},
	{name: "4to6 ICMP error no source", rule: "RFC 6791, Jool: no rfc6791v6-prefix and no own address -> counted drop",
		pkt: "4to6-icmp-error-no-source", setup: func(p *Params) { p.Globals.Pool6, p.SelfV6 = netip.Prefix{}, netip.Addr{} },
		verdict: Drop, reason: Stat46RFC6791ENOENT},
	{name: "6to4 DF above 1260", rule: "RFC 7915 §5.1 + RFC 8021: DF 1 when the IPv4 packet is over 1260 bytes", pkt: "6to4-udp-df",
		verdict: Forward, family: Family4},
	{name: "6to4 extension headers skipped", rule: "RFC 7915 §5.1: hop-by-hop, routing (segments left 0), destination options not translated",
		pkt: "6to4-ext-headers", verdict: Forward, family: Family4},
	{name: "6to4 16 extension headers", rule: "a chain of 16 extension headers is walked", pkt: "6to4-ext-chain-16",
		verdict: Forward, family: Family4},
	{name: "6to4 17 extension headers", rule: "RFC 7872: longer chains are a counted drop (maxExtHeaders)", pkt: "6to4-ext-chain-17",
		verdict: Drop, reason: StatHdr6Chain},
	{name: "6to4 ICMP error about an error", rule: "RFC 7915 §5.3, Jool: an ICMPv6 error quoting an ICMPv6 error is dropped",
		pkt: "6to4-icmp-error-about-error", verdict: Drop, reason: StatDoubleICMP6Error},
	{name: "4to6 ICMP error about an error", rule: "RFC 7915 §4.3, Jool: an ICMPv4 error quoting an ICMPv4 error is dropped",
		pkt: "4to6-icmp-error-about-error", verdict: Drop, reason: StatDoubleICMP4Error},
	{name: "4to6 UDP zero checksum fragment", rule: "RFC 7915 §4.5: a fragment's zero checksum cannot be computed, even with amend-udp-checksum-zero",
		pkt: "4to6-udp-zero-csum-fragment", setup: func(p *Params) { p.Globals.AmendUDPChecksumZero = true },
		verdict: Drop, reason: Stat46FragmentedZeroCsum},
	{name: "4to6 fragmenting at the egress MTU", rule: "RFC 7915 §4.1, Jool: DF=0 fragmented to min(lowest-ipv6-mtu, egress MTU)",
		pkt: "4to6-fragmenting-egress", setup: func(p *Params) { p.Globals.LowestIPv6MTU = 1400 }, mtu: fixedMTU{1500, 1300},
		verdict: Forward, family: Family6},
	{name: "4to6 egress MTU below 1280", rule: "RFC 8200 §5: an IPv6 MTU below 1280 is a configuration error, counted drop",
		pkt: "4to6-bad-mtu", mtu: fixedMTU{1500, 1200}, verdict: Drop, reason: Stat46BadMTU},
	{name: "6to4 EAMT before pool6", rule: "RFC 7757 §3.3: an address in both pool6 and the EAMT is translated by the EAMT",
		pkt: "6to4-eamt-before-pool6", setup: func(p *Params) {
			tab, err := p.EAMT.Add(eamt.Entry{Prefix6: pfx("64:ff9b::c633:6400/120"), Prefix4: pfx("203.0.113.0/24")}, false)
			if err != nil {
				panic(err)
			}
			p.EAMT = tab
		}, verdict: Forward, family: Family4},
}

// simpleHairpin selects eam-hairpin-mode simple.
func simpleHairpin(p *Params) { p.Globals.EAMHairpinMode = HairpinSimple }

func runGolden(t *testing.T, gc goldenCase) {
	t.Helper()
	pk, ok := goldenPackets[gc.pkt]
	if !ok {
		t.Fatalf("no golden packet %q", gc.pkt)
	}
	p := testParams(t)
	if gc.setup != nil {
		gc.setup(&p)
	}
	cfg := mustConfig(t, p)
	in := unhex(t, pk[0])
	const headroom = 128
	buf := frame(in, headroom, 64)
	tr := NewTranslator(nil)
	tr.Seed(1)
	tr.MTU = gc.mtu
	out := NewOutput(4, 2048, 32)
	r := tr.Translate(cfg, buf, headroom, len(in), out)
	if r.Verdict != gc.verdict || r.Reason != gc.reason || r.Family != gc.family {
		t.Fatalf("got %v reason %s family %d; want %v reason %s family %d", r.Verdict, r.Reason.Name(), r.Family,
			gc.verdict, gc.reason.Name(), gc.family)
	}
	var got [][]byte
	var fams []Family
	switch r.Verdict {
	case Forward:
		got = append(got, buf[r.Off:r.Off+r.Len])
		fams = append(fams, r.Family)
	case Reply:
		if r.Extra != 1 {
			t.Fatalf("Reply with Extra %d", r.Extra)
		}
	}
	for i := range out.Len() {
		got = append(got, out.Packet(i))
		fams = append(fams, out.Family(i))
	}
	if r.Extra != out.Len() {
		t.Fatalf("Extra %d but %d packets in Output", r.Extra, out.Len())
	}
	if len(got) != len(pk)-1 {
		t.Fatalf("got %d packets, want %d", len(got), len(pk)-1)
	}
	for i, g := range got {
		want := unhex(t, pk[i+1])
		if !bytes.Equal(g, want) {
			t.Errorf("packet %d:\n got %x\nwant %x", i, g, want)
		}
		if msg := checkPacket(g, fams[i]); msg != "" {
			t.Errorf("packet %d: %s", i, msg)
		}
	}
}

// TestGolden runs every case through Translate as it is, then with the fast
// paths off, so that the general path (xlat46/xlat64, the specification) is
// held to the same bytes for the packets the fast paths would take.
func TestGolden(t *testing.T) {
	for _, gc := range goldenCases {
		t.Run(gc.name, func(t *testing.T) { runGolden(t, gc) })
	}
	t.Run("general path", func(t *testing.T) {
		noFastPath = true
		defer func() { noFastPath = false }()
		for _, gc := range goldenCases {
			t.Run(gc.name, func(t *testing.T) { runGolden(t, gc) })
		}
	})
}

// TestGoldenInputsAreValid guards the generator: every golden packet's own
// checksums are right (so a mismatch is the translator's fault).
func TestGoldenInputsAreValid(t *testing.T) {
	for name, pk := range goldenPackets {
		for i, s := range pk {
			b := unhex(t, s)
			fam := Family(b[0] >> 4)
			if msg := checkPacket(b, fam); msg != "" && !(fam == 4 && int(b[0]&0xf) != 5) {
				t.Errorf("%s[%d]: %s", name, i, msg)
			}
		}
	}
}

var _ = netip.Addr{}
