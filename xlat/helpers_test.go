package xlat

import (
	"encoding/hex"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/siit-project/siit/xlat/eamt"
)

// unhex parses annotated hex: '#' starts a comment, whitespace is ignored,
// and "xx*N" repeats byte xx N times.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	var out []byte
	for _, line := range strings.Split(s, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		for _, tok := range strings.Fields(line) {
			if b, n, ok := strings.Cut(tok, "*"); ok {
				v, err := hex.DecodeString(b)
				cnt, err2 := strconv.Atoi(n)
				if err != nil || err2 != nil || len(v) != 1 {
					t.Fatalf("bad repeat token %q", tok)
				}
				out = append(out, make([]byte, cnt)...)
				for i := len(out) - cnt; i < len(out); i++ {
					out[i] = v[0]
				}
				continue
			}
			v, err := hex.DecodeString(tok)
			if err != nil {
				t.Fatalf("bad hex %q: %v", tok, err)
			}
			out = append(out, v...)
		}
	}
	return out
}

// refSum is a deliberately plain RFC 1071 sum (16-bit words, end-around
// carry), independent of checksum.go.
func refSum(b []byte, acc uint32) uint32 {
	for i := 0; i+1 < len(b); i += 2 {
		acc += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		acc += uint32(b[len(b)-1]) << 8
	}
	for acc>>16 != 0 {
		acc = acc&0xffff + acc>>16
	}
	return acc
}

func refPseudo6(p []byte, ln int, proto byte) uint32 {
	acc := refSum(p[8:40], 0)
	return refSum([]byte{byte(ln >> 24), byte(ln >> 16), byte(ln >> 8), byte(ln), 0, 0, 0, proto}, acc)
}

func refPseudo4(p []byte, ln int, proto byte) uint32 {
	acc := refSum(p[12:20], 0)
	return refSum([]byte{0, proto, byte(ln >> 8), byte(ln)}, acc)
}

// checkPacket verifies, with the reference sum, every checksum a packet
// produced by the translator must have right: IPv4 header, and the
// upper-layer checksum of whole (unfragmented) TCP/UDP/ICMP packets,
// including an ICMP error's own checksum. It returns a description of the
// first problem, or "".
func checkPacket(p []byte, fam Family) string {
	switch fam {
	case Family4:
		if len(p) < 20 || p[0]>>4 != 4 {
			return "not IPv4"
		}
		ihl := int(p[0]&0xf) * 4
		tl := int(p[2])<<8 | int(p[3])
		if ihl != 20 || tl != len(p) {
			return "bad IHL/total length"
		}
		if refSum(p[:20], 0) != 0xffff {
			return "bad IPv4 header checksum"
		}
		if p[6]&0x3f != 0 || p[7] != 0 { // fragment: transport checksum not checkable
			return ""
		}
		l4 := p[20:]
		switch p[9] {
		case 1:
			if len(l4) >= 8 && refSum(l4, 0) != 0xffff {
				return "bad ICMPv4 checksum"
			}
		case 6:
			if len(l4) >= 20 && refSum(l4, refPseudo4(p, len(l4), 6)) != 0xffff {
				return "bad TCP checksum"
			}
		case 17:
			if len(l4) >= 8 && (l4[6] != 0 || l4[7] != 0) && refSum(l4, refPseudo4(p, len(l4), 17)) != 0xffff {
				return "bad UDP checksum"
			}
		}
	case Family6:
		if len(p) < 40 || p[0]>>4 != 6 {
			return "not IPv6"
		}
		if pl := int(p[4])<<8 | int(p[5]); pl+40 != len(p) {
			return "bad payload length"
		}
		nh, l4 := p[6], p[40:]
		if nh == 44 {
			if len(l4) < 8 {
				return "short fragment header"
			}
			if l4[2] != 0 || l4[3]&0xf9 != 0 || l4[3]&1 != 0 { // offset or M set
				return ""
			}
			nh, l4 = l4[0], l4[8:]
		}
		switch nh {
		case 58:
			if len(l4) >= 8 && refSum(l4, refPseudo6(p, len(l4), 58)) != 0xffff {
				return "bad ICMPv6 checksum"
			}
		case 6:
			if len(l4) >= 20 && refSum(l4, refPseudo6(p, len(l4), 6)) != 0xffff {
				return "bad TCP checksum"
			}
		case 17:
			if len(l4) >= 8 && refSum(l4, refPseudo6(p, len(l4), 17)) != 0xffff {
				return "bad UDP checksum"
			}
		}
	default:
		return "bad family"
	}
	return ""
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// testParams is the configuration the golden packets assume.
func testParams(t testing.TB) Params {
	t.Helper()
	tab, err := eamt.New([]eamt.Entry{{Prefix6: pfx("2001:db8:6::/120"), Prefix4: pfx("192.0.2.0/24")}})
	if err != nil {
		t.Fatal(err)
	}
	g := DefaultGlobals()
	g.Pool6 = pfx("64:ff9b::/96")
	return Params{
		Globals: g,
		EAMT:    tab,
		SelfV4:  netip.MustParseAddr("203.0.113.1"),
		SelfV6:  netip.MustParseAddr("2001:db8:ffff::1"),
	}
}

func mustConfig(t testing.TB, p Params) *Config {
	t.Helper()
	c, err := NewConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fixedMTU is an MTUOracle with one answer per family.
type fixedMTU struct{ v4, v6 uint32 }

func (m fixedMTU) MTU4(uint32, uint32, uint8, uint8, uint16, uint16) uint32 { return m.v4 }
func (m fixedMTU) MTU6(uint64, uint64, uint64, uint64, uint8, uint8, uint16, uint16) uint32 {
	return m.v6
}

// frame copies pkt into a fresh buffer after headroom bytes, with tail
// bytes after it.
func frame(pkt []byte, headroom, tail int) []byte {
	b := make([]byte, headroom+len(pkt)+tail)
	copy(b[headroom:], pkt)
	return b
}

// goldenNames returns the names of goldenPackets sorted, for tests whose
// course must not depend on map iteration order.
func goldenNames() []string {
	return slices.Sorted(maps.Keys(goldenPackets))
}
