package daemon

import (
	"encoding/hex"
	"testing"

	"github.com/siit-project/siit/internal/nexthop"
)

func unhexT(t testing.TB, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFlowOf reads the policy routing flow of IPv4 and IPv6 packets, with
// and without fragmentation.
func TestFlowOf(t *testing.T) {
	// IPv4 UDP 192.0.2.1:1000 -> 198.51.100.2:53, TOS 0x28.
	v4 := unhexT(t, "45280024"+"00000000"+"40110000"+"c0000201"+"c6336402"+"03e80035"+"00100000"+"0102030405060708")
	var fl nexthop.Flow
	flowOf4(v4, &fl)
	want := nexthop.Flow{SrcHi: 0xc0000201 << 32, DstHi: 0xc6336402 << 32, Proto: 17, TOS: 0x28, Sport: 1000, Dport: 53}
	if fl != want {
		t.Errorf("IPv4: %+v, want %+v", fl, want)
	}
	v4[6], v4[7] = 0, 8 // a later fragment: no ports
	fl = nexthop.Flow{}
	flowOf4(v4, &fl)
	want.Sport, want.Dport = 0, 0
	if fl != want {
		t.Errorf("IPv4 fragment: %+v, want %+v", fl, want)
	}
	// IPv6 TCP 2001:db8::1:443 -> 2001:db8::2:8080 behind a first-fragment header, traffic class 0xb8.
	v6 := unhexT(t, "6b80000000182c40"+"20010db8000000000000000000000001"+"20010db8000000000000000000000002"+
		"0600000100000007"+"01bb1f90")
	fl = nexthop.Flow{}
	flowOf6(v6, &fl)
	want6 := nexthop.Flow{SrcHi: 0x20010db800000000, SrcLo: 1, DstHi: 0x20010db800000000, DstLo: 2, Proto: 6, TOS: 0xb8,
		Sport: 443, Dport: 8080}
	if fl != want6 {
		t.Errorf("IPv6: %+v, want %+v", fl, want6)
	}
	v6[42], v6[43] = 0, 0x10 // offset 2: a later fragment
	fl = nexthop.Flow{}
	flowOf6(v6, &fl)
	want6.Sport, want6.Dport = 0, 0
	if fl != want6 {
		t.Errorf("IPv6 fragment: %+v, want %+v", fl, want6)
	}
}

// FuzzFlowOf: any bytes, never a panic.
func FuzzFlowOf(f *testing.F) {
	f.Add([]byte{0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 198, 51, 100, 2}, false)
	f.Add(make([]byte, 48), true)
	f.Fuzz(func(t *testing.T, b []byte, v6 bool) {
		var fl nexthop.Flow
		if v6 {
			flowOf6(b, &fl)
		} else {
			flowOf4(b, &fl)
		}
	})
}
