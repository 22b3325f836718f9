package xlat

import (
	"testing"
)

// fuzzConfigs returns configurations that exercise different paths: EAMT +
// pool6, pool6 /40 with RFC 6791 pools and amend on, simple hairpinning.
func fuzzConfigs(t testing.TB) []*Config {
	a := testParams(t)
	b := testParams(t)
	b.Globals.Pool6 = pfx("2001:db8:100::/40")
	b.Globals.RFC6791v4Prefix = pfx("203.0.113.64/26")
	b.Globals.RFC6791v6Prefix = pfx("2001:db8:6791::/64")
	b.Globals.AmendUDPChecksumZero = true
	b.Globals.EAMHairpinMode = HairpinSimple
	return []*Config{mustConfig(t, a), mustConfig(t, b)}
}

func seedGolden(f *testing.F, family byte) {
	for _, pk := range goldenPackets {
		in := unhex(f, pk[0])
		if family == 0 || in[0]>>4 == family {
			f.Add(in, uint8(0), uint16(1500))
		}
	}
}

// fuzzOne translates in with every config and checks the Result contract
// (bounds, parsable output, valid checksums, ICMP error size limits).
func fuzzOne(t *testing.T, cfgs []*Config, in []byte, sel uint8, mtu uint16, fn func(*Translator, *Config, []byte, int, int, *Output) Result) {
	if len(in) > 9000 {
		return
	}
	cfg := cfgs[int(sel)%len(cfgs)]
	headroom := 128
	if sel&0x80 != 0 {
		headroom = int(sel & 0x3f) // sometimes too little headroom
	}
	if len(in) == 0 {
		return
	}
	buf := frame(in, headroom, 256)
	tr := NewTranslator(nil)
	tr.Seed(uint64(sel))
	if mtu >= 68 {
		tr.MTU = fixedMTU{uint32(mtu), uint32(mtu)}
	}
	out := NewOutput(8, 2048, 16)
	r := fn(tr, cfg, buf, headroom, len(in), out)
	checkResult(t, r, in, buf, out, tr, inputChecksumsValid(in))
}

func FuzzTranslate6to4(f *testing.F) {
	seedGolden(f, 6)
	cfgs := fuzzConfigs(f)
	f.Fuzz(func(t *testing.T, in []byte, sel uint8, mtu uint16) {
		fuzzOne(t, cfgs, in, sel, mtu, (*Translator).Translate6to4)
	})
}

func FuzzTranslate4to6(f *testing.F) {
	seedGolden(f, 4)
	cfgs := fuzzConfigs(f)
	f.Fuzz(func(t *testing.T, in []byte, sel uint8, mtu uint16) {
		fuzzOne(t, cfgs, in, sel, mtu, (*Translator).Translate4to6)
	})
}

// FuzzICMPError mutates only the inner packet of valid ICMP errors (with
// the outer checksum fixed up) so the fuzzer spends its time in the inner
// translation and RFC 4884 code rather than on checksum failures.
func FuzzICMPError(f *testing.F) {
	for _, name := range []string{"4to6-icmp-error", "6to4-icmp-error-6791"} {
		in := unhex(f, goldenPackets[name][0])
		f.Add(in, uint8(0), uint16(1500))
	}
	cfgs := fuzzConfigs(f)
	f.Fuzz(func(t *testing.T, in []byte, sel uint8, mtu uint16) {
		if len(in) < 1 {
			return
		}
		in = append([]byte(nil), in...)
		switch in[0] >> 4 {
		case 4:
			if len(in) < 28 || in[9] != protoICMP {
				return
			}
			ihl := int(in[0]&0xf) * 4
			if ihl < 20 || ihl+8 > len(in) {
				return
			}
			put16(in[2:], uint16(len(in)))
			put16(in[10:], 0)
			put16(in[10:], ^uint16(refSum(in[:ihl], 0)))
			m := in[ihl:]
			put16(m[2:], 0)
			put16(m[2:], ^uint16(refSum(m, 0)))
		case 6:
			if len(in) < 48 || in[6] != protoICMPv6 {
				return
			}
			put16(in[4:], uint16(len(in)-40))
			m := in[40:]
			put16(m[2:], 0)
			put16(m[2:], ^uint16(refSum(m, refPseudo6(in, len(m), 58))))
		default:
			return
		}
		fuzzOne(t, cfgs, in, sel, mtu, (*Translator).Translate)
	})
}
