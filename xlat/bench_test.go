package xlat

import (
	"net/netip"
	"testing"

	"github.com/siit-project/siit/xlat/eamt"
)

// Each benchmark iteration copies the input template back into the frame
// (translation is in place) and translates it. BenchmarkResetOnly measures
// that copy alone for the same packet so it can be subtracted; for the
// 60-byte UDP/TCP packets it is about 2-3 ns.

func benchPacket(b *testing.B, name string, setup func(*Params)) {
	benchPacketMTU(b, name, setup, nil, 0)
}

// benchPacketMTU is benchPacket with an MTU oracle, as the daemon has, and
// the floor of its answers (Translator.MTUFloor; 0: unknown).
func benchPacketMTU(b *testing.B, name string, setup func(*Params), oracle MTUOracle, floor uint32) {
	p := testParams(b)
	if setup != nil {
		setup(&p)
	}
	cfg := mustConfig(b, p)
	in := unhex(b, goldenPackets[name][0])
	const headroom = 128
	buf := make([]byte, headroom+len(in)+64)
	tr := NewTranslator(nil)
	tr.MTU, tr.MTUFloor = oracle, floor
	out := NewOutput(4, 2048, 32)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	b.ResetTimer()
	for range b.N {
		copy(buf[headroom:], in)
		r := tr.Translate(cfg, buf, headroom, len(in), out)
		if r.Verdict != Forward {
			b.Fatalf("verdict %v %s", r.Verdict, r.Reason.Name())
		}
	}
}

func BenchmarkTranslate6to4UDP(b *testing.B)       { benchPacket(b, "6to4-udp", nil) }
func BenchmarkTranslate4to6UDP(b *testing.B)       { benchPacket(b, "4to6-udp", nil) }
func BenchmarkTranslate6to4TCP(b *testing.B)       { benchPacket(b, "6to4-tcp", nil) }
func BenchmarkTranslate4to6TCP(b *testing.B)       { benchPacket(b, "4to6-tcp", nil) }
func BenchmarkTranslate6to4ICMPEcho(b *testing.B)  { benchPacket(b, "6to4-echo", nil) }
func BenchmarkTranslate4to6ICMPEcho(b *testing.B)  { benchPacket(b, "4to6-echo-reply", nil) }
func BenchmarkTranslate4to6ICMPError(b *testing.B) { benchPacket(b, "4to6-icmp-error", nil) }
func BenchmarkTranslate6to4ICMPError(b *testing.B) {
	benchPacket(b, "6to4-icmp-error-6791", func(p *Params) { p.Globals.RFC6791v4Prefix = pfx("203.0.113.8/29") })
}
func BenchmarkTranslate4to6Fragmenting(b *testing.B) { benchPacket(b, "4to6-fragmenting", nil) }

// The benchmarks above use testParams' one-entry EAMT, which is looked up by
// comparing entries (as any table of up to 8 entries per family). These give
// the packets' EAM 10,000 neighbours, so its lookup hashes.
//
// The Oracle benchmarks ask an MTU oracle about every packet (no floor known:
// the second tier, prep46/prep64); the OracleFloor ones have the floor the
// daemon gives its translators, which packets this small are within.
func BenchmarkTranslate6to4UDPOracle(b *testing.B) {
	benchPacketMTU(b, "6to4-udp", nil, &countingMTU{v4: 1500, v6: 1500}, 0)
}
func BenchmarkTranslate4to6UDPOracle(b *testing.B) {
	benchPacketMTU(b, "4to6-udp", nil, &countingMTU{v4: 1500, v6: 1500}, 0)
}
func BenchmarkTranslate6to4UDPOracleFloor(b *testing.B) {
	benchPacketMTU(b, "6to4-udp", nil, &countingMTU{v4: 1500, v6: 1500}, 1500)
}
func BenchmarkTranslate4to6UDPOracleFloor(b *testing.B) {
	benchPacketMTU(b, "4to6-udp", nil, &countingMTU{v4: 1500, v6: 1500}, 1500)
}
func BenchmarkTranslate6to4UDPEAMT10k(b *testing.B) { benchPacket(b, "6to4-udp", bigEAMT(b)) }
func BenchmarkTranslate4to6UDPEAMT10k(b *testing.B) { benchPacket(b, "4to6-udp", bigEAMT(b)) }
func BenchmarkTranslate6to4ICMPEchoEAMT10k(b *testing.B) {
	benchPacket(b, "6to4-echo", bigEAMT(b))
}
func BenchmarkTranslate4to6ICMPEchoEAMT10k(b *testing.B) {
	benchPacket(b, "4to6-echo-reply", bigEAMT(b))
}

func bigEAMT(b *testing.B) func(*Params) {
	return func(p *Params) {
		es := p.EAMT.Entries()
		for i := range 10000 {
			es = append(es, eamt.Entry{
				Prefix4: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 0}), 24),
				Prefix6: netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0x10, 0, byte(i >> 8), byte(i)}), 120),
			})
		}
		t, err := eamt.New(es)
		if err != nil {
			b.Fatal(err)
		}
		p.EAMT = t
	}
}

func BenchmarkResetOnly(b *testing.B) {
	in := unhex(b, goldenPackets["6to4-udp"][0])
	buf := make([]byte, 128+len(in)+64)
	b.ReportAllocs()
	for range b.N {
		copy(buf[128:], in)
	}
}

func BenchmarkChecksum1500(b *testing.B) {
	p := make([]byte, 1500)
	for i := range p {
		p[i] = byte(i * 7)
	}
	b.SetBytes(1500)
	for range b.N {
		_ = checksum(p, 0)
	}
}

// TestNoAllocs asserts that no translation path allocates: forward in both
// directions, ICMP errors, fragmentation, generated errors, drops.
func TestNoAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short")
	}
	cases := []struct {
		name string
		mtu  MTUOracle
	}{
		{"6to4-udp", nil}, {"4to6-udp", nil}, {"6to4-tcp", nil}, {"4to6-tcp", nil}, {"6to4-echo", nil},
		{"4to6-echo-reply", nil}, {"4to6-icmp-error", nil}, {"6to4-icmp-error-6791", nil},
		{"4to6-fragmenting", nil}, {"6to4-hop-limit", nil}, {"4to6-ttl", nil}, {"hairpin-intrinsic", nil},
		{"4to6-frag-needed", fixedMTU{1500, 1400}}, {"6to4-ptb", fixedMTU{1300, 1500}},
		{"hairpin-fragment-later", nil}, {"hairpin-big", fixedMTU{1500, 9000}}, {"hairpin-big-ptb6", fixedMTU{9000, 1500}},
	}
	cfg := mustConfig(t, testParams(t))
	tr := NewTranslator(nil)
	out := NewOutput(4, 2048, 32)
	buf := make([]byte, 4096)
	for _, c := range cases {
		in := unhex(t, goldenPackets[c.name][0])
		tr.MTU = c.mtu
		n := testing.AllocsPerRun(200, func() {
			copy(buf[128:], in)
			tr.Translate(cfg, buf, 128, len(in), out)
		})
		if n != 0 {
			t.Errorf("%s: %v allocations per packet", c.name, n)
		}
	}
}
