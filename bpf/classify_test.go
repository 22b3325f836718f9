package bpf

import (
	"net/netip"
	"testing"

	"github.com/cilium/ebpf"
)

var (
	testP4    = []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("192.0.2.0/24")}
	testP6    = []netip.Prefix{netip.MustParsePrefix("64:ff9b::/96"), netip.MustParsePrefix("2001:db8:6::/48")}
	testLocal = []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.255"),
		netip.MustParseAddr("2001:db8:6::1")}
)

// loadConfigured loads a program with the test prefix and local sets and returns it with the matching model.
func loadConfigured(t testing.TB, vlan bool) (*Program, *model) {
	p := loadTest(t, Options{SteerVLAN: vlan})
	if err := p.SetLocalAddrs(testLocal); err != nil {
		t.Fatal(err)
	}
	if err := p.SetPrefixes(testP4, testP6); err != nil {
		t.Fatal(err)
	}
	m := &model{enabled: true, vlan: vlan, p4: testP4, p6: testP6, local: map[netip.Addr]bool{}}
	for _, a := range testLocal {
		m.local[a] = true
	}
	return p, m
}

type frameCase struct {
	name  string
	frame []byte
	want  int // counter with an AF_XDP socket on queue 0
}

func pad(f []byte, n int) []byte { return append(f, make([]byte, n)...) }

func classifyCases() []frameCase {
	q := vlanTag{0x8100, 10}
	ad := vlanTag{0x88a8, 20}
	v4 := func(dst string) []byte { return ether(0x0800, ipv4("203.0.113.9", dst, 17, udp())) }
	v6 := func(dst string) []byte { return ether(0x86dd, ipv6("2001:db8:1::9", dst, 17, udp())) }
	withOpts := ether(0x0800, func() []byte {
		b := ipv4("203.0.113.9", "198.51.100.7", 17, append([]byte{1, 1, 1, 0}, udp()...))
		b[0] = 0x46 // IHL 6: one word of options (NOP NOP NOP EOL)
		return b
	}())
	frag := ether(0x0800, func() []byte {
		b := ipv4("203.0.113.9", "198.51.100.7", 17, udp())
		b[6] = 0x20 // MF, offset 0
		return b
	}())
	badVer := v4("198.51.100.7")
	badVer[14] = 0x55
	badIHL := v4("198.51.100.7")
	badIHL[14] = 0x44
	longTot := v4("198.51.100.7")
	longTot[17]++ // total length one byte past the frame
	shortTot := v4("198.51.100.7")
	shortTot[16], shortTot[17] = 0, 19 // total length below the header
	badVer6 := v6("64:ff9b::c633:6407")
	badVer6[14] = 0x40
	longPlen6 := v6("64:ff9b::c633:6407")
	longPlen6[19]++
	return []frameCase{
		{"v6 udp to pool6", v6("64:ff9b::c633:6407"), statRedirected6},
		{"v6 udp to eamt prefix", v6("2001:db8:6:1::5"), statRedirected6},
		{"v6 to local addr inside prefix", v6("2001:db8:6::1"), statPassedLocal},
		{"v6 outside prefixes", v6("2001:db8:7::1"), statPassed},
		{"v6 echo request to pool6", ether(0x86dd, ipv6("2001:db8:1::9", "64:ff9b::c633:6407", 58, icmp6(128))), statRedirected6},
		{"v6 neighbor solicitation multicast", ether(0x86dd, ipv6("fe80::9", "ff02::1:ff00:1", 58, icmp6(135))), statPassedSpecial},
		{"v6 neighbor solicitation unicast in pool6", ether(0x86dd, ipv6("2001:db8:1::9", "64:ff9b::1", 58, icmp6(135))), statPassedNDP},
		{"v6 neighbor advertisement unicast", ether(0x86dd, ipv6("2001:db8:1::9", "2001:db8:6::7", 58, icmp6(136))), statPassedNDP},
		{"v6 router advertisement", ether(0x86dd, ipv6("2001:db8:1::9", "2001:db8:6::7", 58, icmp6(134))), statPassedNDP},
		{"v6 mld report", ether(0x86dd, ipv6("fe80::9", "ff02::16", 58, icmp6(143))), statPassedSpecial},
		{"v6 mldv1 unicast query", ether(0x86dd, ipv6("2001:db8:1::9", "64:ff9b::2", 58, icmp6(130))), statPassedNDP},
		{"v6 icmpv6 too short", ether(0x86dd, ipv6("2001:db8:1::9", "64:ff9b::2", 58, []byte{128, 0, 0})), statPassedMalformed},
		{"v6 link-local", v6("fe80::1"), statPassedSpecial},
		{"v6 multicast (ripng)", v6("ff02::9"), statPassedSpecial},
		{"v6 loopback", v6("::1"), statPassedSpecial},
		{"v6 unspecified", v6("::"), statPassedSpecial},
		{"v6 with ethernet padding", pad(v6("64:ff9b::c633:6407"), 6), statRedirected6},
		{"v6 wrong version", badVer6, statPassedMalformed},
		{"v6 payload length past frame", longPlen6, statPassedMalformed},
		{"v4 udp to eamt prefix", v4("198.51.100.7"), statRedirected4},
		{"v4 other prefix", v4("192.0.2.77"), statRedirected4},
		{"v4 local addr inside prefix", v4("192.0.2.1"), statPassedLocal},
		{"v4 directed broadcast listed local", v4("192.0.2.255"), statPassedLocal},
		{"v4 outside prefixes", v4("203.0.113.5"), statPassed},
		{"v4 ospf multicast", ether(0x0800, ipv4("192.0.2.9", "224.0.0.5", 89, udp())), statPassedSpecial},
		{"v4 limited broadcast", v4("255.255.255.255"), statPassedSpecial},
		{"v4 link-local", v4("169.254.1.1"), statPassedSpecial},
		{"v4 loopback", v4("127.0.0.1"), statPassedSpecial},
		{"v4 this network", v4("0.1.2.3"), statPassedSpecial},
		{"v4 with options", withOpts, statRedirected4},
		{"v4 first fragment", frag, statRedirected4},
		{"v4 with ethernet padding", pad(v4("198.51.100.7"), 18), statRedirected4},
		{"v4 wrong version", badVer, statPassedMalformed},
		{"v4 ihl below 5", badIHL, statPassedMalformed},
		{"v4 total length past frame", longTot, statPassedMalformed},
		{"v4 total length below header", shortTot, statPassedMalformed},
		{"arp", ether(0x0806, arp()), statPassedNonIP},
		{"lldp", ether(0x88cc, make([]byte, 46)), statPassedNonIP},
		{"ethertype only", ether(0x0800, nil), statPassedMalformed},
		{"802.1q v6 to pool6", ether(0x86dd, ipv6("2001:db8:1::9", "64:ff9b::c633:6407", 17, udp()), q), -1},
		{"802.1ad+802.1q v4 to prefix", ether(0x0800, ipv4("203.0.113.9", "198.51.100.7", 17, udp()), ad, q), -1},
		{"802.1q arp", ether(0x0806, arp(), q), -1},
		{"three tags", ether(0x0800, ipv4("203.0.113.9", "198.51.100.7", 17, udp()), ad, q, q), statPassedVLAN},
		{"802.1q tag truncated", ether(0x8100, []byte{0, 10}), -1},
	}
}

// vlanWant is the expected counter of the VLAN cases (want -1), by SteerVLAN.
var vlanWant = map[string][2]int{
	"802.1q v6 to pool6":          {statPassedVLAN, statRedirected6},
	"802.1ad+802.1q v4 to prefix": {statPassedVLAN, statRedirected4},
	"802.1q arp":                  {statPassedVLAN, statPassedNonIP},
	"802.1q tag truncated":        {statPassedVLAN, statPassedMalformed},
}

func TestClassify(t *testing.T) {
	for _, vlan := range []bool{false, true} {
		p, m := loadConfigured(t, vlan)
		fd := xskSocket(t)
		for _, c := range classifyCases() {
			want := c.want
			if want == -1 {
				want = vlanWant[c.name][b2u(vlan)]
			}
			// The hand-written expectation and the Go model must agree, so the model the fuzz target relies
			// on is itself checked.
			m.socket = true
			if got := m.classify(c.frame); got != want {
				t.Errorf("vlan=%v %s: model says %s, case says %s", vlan, c.name, statName(got), statName(want))
			}
			// With a socket on queue 0 the redirect is real: bpf_redirect_map finds it and returns XDP_REDIRECT.
			if err := p.RegisterSocket(0, fd); err != nil {
				t.Fatal(err)
			}
			checkRun(t, p, c.name, c.frame, want)
			// Without one the frame falls back to the kernel and is counted as such.
			if err := p.UnregisterSocket(0); err != nil {
				t.Fatal(err)
			}
			m.socket = false
			checkRun(t, p, c.name+" (no socket)", c.frame, m.classify(c.frame))
		}
	}
}

func checkRun(t *testing.T, p *Program, name string, frame []byte, want int) {
	t.Helper()
	verdict, d := runFrame(t, p, frame)
	if got := onlyStat(d); got != want {
		t.Errorf("%s: counters moved %+v, want only %s", name, d, statName(want))
	}
	if verdict != verdictOf(want) {
		t.Errorf("%s: verdict %d, want %d", name, verdict, verdictOf(want))
	}
}

// TestTruncated runs every prefix of every test frame: a cut frame is never redirected unless what remains is
// still a complete packet (Ethernet padding cut off), and the program never fails.
func TestTruncated(t *testing.T) {
	for _, vlan := range []bool{false, true} {
		p, m := loadConfigured(t, vlan)
		if err := p.RegisterSocket(0, xskSocket(t)); err != nil {
			t.Fatal(err)
		}
		m.socket = true
		n := 0
		for _, c := range classifyCases() {
			for l := 14; l < len(c.frame); l++ {
				f := c.frame[:l:l]
				want := m.classify(f)
				verdict, d := runFrame(t, p, f)
				if got := onlyStat(d); got != want || verdict != verdictOf(want) {
					t.Fatalf("vlan=%v %s cut to %d bytes: verdict %d counters %+v, want %s", vlan, c.name, l, verdict,
						d, statName(want))
				}
				if verdict == xdpRedirect && c.want != statRedirected4 && c.want != statRedirected6 &&
					vlanWant[c.name][1] != want {
					t.Fatalf("%s cut to %d bytes redirected", c.name, l)
				}
				n++
			}
		}
		t.Logf("vlan=%v: %d truncated frames", vlan, n)
	}
}

// TestShortFramesRejected: BPF_PROG_RUN refuses frames shorter than an Ethernet header; real drivers never
// deliver them. Whatever happens, nothing is redirected.
func TestShortFramesRejected(t *testing.T) {
	p, _ := loadConfigured(t, true)
	for l := 0; l < 14; l++ {
		ret, err := p.objs.XdpSteer.Run(&ebpf.RunOptions{Data: make([]byte, l)})
		if err == nil && ret != xdpPass {
			t.Errorf("%d-byte frame: verdict %d", l, ret)
		}
	}
}

func TestDisabled(t *testing.T) {
	p, m := loadConfigured(t, true)
	if err := p.RegisterSocket(0, xskSocket(t)); err != nil {
		t.Fatal(err)
	}
	if !p.Enabled() {
		t.Fatal("a freshly loaded program is not enabled")
	}
	if err := p.SetEnabled(false); err != nil {
		t.Fatal(err)
	}
	for _, c := range classifyCases() {
		checkRun(t, p, "disabled "+c.name, c.frame, statPassedDisabled)
	}
	if err := p.SetEnabled(true); err != nil {
		t.Fatal(err)
	}
	m.socket = true
	for _, c := range classifyCases() {
		checkRun(t, p, "re-enabled "+c.name, c.frame, m.classify(c.frame))
	}
}

func TestSetUpdatesTakeEffect(t *testing.T) {
	p, _ := loadConfigured(t, false)
	if err := p.RegisterSocket(0, xskSocket(t)); err != nil {
		t.Fatal(err)
	}
	v4 := func(dst string) []byte { return ether(0x0800, ipv4("203.0.113.9", dst, 17, udp())) }
	v6 := func(dst string) []byte { return ether(0x86dd, ipv6("2001:db8:1::9", dst, 17, udp())) }
	pfx := func(s ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, x := range s {
			out = append(out, netip.MustParsePrefix(x))
		}
		return out
	}
	steps := []struct {
		name   string
		p4, p6 []netip.Prefix
		local  []netip.Addr
		checks map[string]int // destination -> counter
	}{
		{"swap prefixes", pfx("203.0.113.0/24"), pfx("2001:db8:9::/64"), testLocal, map[string]int{
			"198.51.100.7": statPassed, "203.0.113.5": statRedirected4, "192.0.2.1": statPassedLocal,
			"64:ff9b::c633:6407": statPassed, "2001:db8:9::1": statRedirected6}},
		{"halves merge then split", pfx("198.51.100.0/25", "198.51.100.128/25"), nil, testLocal, map[string]int{
			"198.51.100.7": statRedirected4, "198.51.100.200": statRedirected4, "203.0.113.5": statPassed,
			"2001:db8:9::1": statPassed}},
		{"one half", pfx("198.51.100.0/25"), nil, testLocal, map[string]int{
			"198.51.100.7": statRedirected4, "198.51.100.200": statPassed}},
		{"local address removed", pfx("192.0.2.0/24"), nil, nil, map[string]int{
			"192.0.2.1": statRedirected4, "198.51.100.7": statPassed}},
		{"default routes", pfx("0.0.0.0/0"), pfx("::/0"), testLocal, map[string]int{
			"192.0.2.1": statPassedLocal, "203.0.113.5": statRedirected4, "2001:db8:77::1": statRedirected6,
			"ff02::1": statPassedSpecial}},
		{"empty", nil, nil, testLocal, map[string]int{"203.0.113.5": statPassed, "64:ff9b::1": statPassed}},
	}
	for _, s := range steps {
		if err := p.SetLocalAddrs(s.local); err != nil {
			t.Fatal(err)
		}
		if err := p.SetPrefixes(s.p4, s.p6); err != nil {
			t.Fatal(err)
		}
		for dst, want := range s.checks {
			f := v6(dst)
			if netip.MustParseAddr(dst).Is4() {
				f = v4(dst)
			}
			checkRun(t, p, s.name+" "+dst, f, want)
		}
	}
	if n := len(p.prefixes); n != 0 {
		t.Errorf("prefix state holds %d entries after emptying", n)
	}
	var k steerLpm4Key
	if err := p.objs.Prefixes4.NextKey(nil, &k); err == nil {
		t.Errorf("prefixes4 map not empty: %+v", k)
	}
}
