package nexthop

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/vishvananda/netlink/nl"
	"go.uber.org/zap/zaptest"
	"golang.org/x/sys/unix"
)

// policyLab is a namespace with three Ethernet links (veths whose peers
// stay in the namespace, unaddressed), routes in the
// main table and in tables 100, 200 and 300 of both families, and local
// source addresses (the kernel's output lookup `ip route get D from S`
// wants a local IPv4 source).
//
//	d1 192.0.2.1/26    2001:db8:a::1/64   gateway .62 / a::fe
//	d2 192.0.2.65/26   2001:db8:b::1/64   gateway .126 / b::fe   group 7
//	d3 192.0.2.129/26  2001:db8:c::1/64   gateway .190 / c::fe
func policyLab(t *testing.T) *labNS {
	ns := newNS(t, "pol")
	threeLinks(t, ns)
	ns.ip(t, "link set d2 group 7")
	for _, a := range []string{"192.0.2.200/32", "192.0.2.201/32", "203.0.113.250/32"} {
		ns.ip(t, "addr add "+a+" dev lo")
	}
	for _, a := range []string{"2001:db8:5::200/128", "2001:db8:5::201/128", "2001:db8:6::250/128"} {
		ns.ip(t, "addr add "+a+" dev lo nodad")
	}
	ns.ips(t,
		"route add default via 192.0.2.62",
		"route add 198.51.100.0/24 via 192.0.2.126",
		"route add 203.0.113.0/25 dev d3",
		"route add default via 192.0.2.190 table 100",
		"route add 198.51.100.0/25 via 192.0.2.62 table 100",
		"route add 203.0.113.0/24 via 192.0.2.126 table 200",
		"route add blackhole 198.51.100.128/26 table 200",
		"route add throw 198.51.100.0/26 table 200",
		"route add unreachable 203.0.113.64/27 table 200",
		"route add prohibit 198.51.100.192/26 table 300",
		"route add 203.0.113.128/25 dev d2 table 300",
		// TOS-specific routes: beside a plain route of the prefix, alone
		// (other packets fall back to 203.0.113.0/25), of a reject type,
		// and with a TOS no packet can match (0x20 & 0x1c = 0).
		"route add 198.51.100.0/24 tos 0x10 via 192.0.2.190",
		"route add 203.0.113.0/26 tos 0x08 via 192.0.2.62",
		"route add 198.51.100.0/25 tos 0x10 via 192.0.2.126 table 100",
		"route add blackhole 198.51.100.192/26 tos 0x08 table 300",
		"route add 203.0.113.0/24 tos 0x20 via 192.0.2.62 table 200",
		"-6 route add default via 2001:db8:a::fe",
		"-6 route add 2001:db8:100::/48 via 2001:db8:b::fe",
		"-6 route add 2001:db8:200::/48 dev d3",
		"-6 route add default via 2001:db8:c::fe table 100",
		"-6 route add 2001:db8:100::/56 via 2001:db8:a::fe table 100",
		"-6 route add 2001:db8:200::/40 via 2001:db8:b::fe table 200",
		"-6 route add blackhole 2001:db8:100:8000::/49 table 200",
		"-6 route add throw 2001:db8:100::/52 table 200",
		"-6 route add unreachable 2001:db8:200:40::/58 table 200",
		"-6 route add prohibit 2001:db8:100:c000::/50 table 300",
		"-6 route add 2001:db8:200:80::/57 dev d2 table 300",
	)
	return ns
}

// threeLinks gives ns the links d1, d2 and d3 (veths whose peers d1p, d2p,
// d3p stay in ns, unaddressed), up and addressed:
//
//	d1 192.0.2.1/26    2001:db8:a::1/64
//	d2 192.0.2.65/26   2001:db8:b::1/64
//	d3 192.0.2.129/26  2001:db8:c::1/64
func threeLinks(t *testing.T, ns *labNS) {
	for _, l := range []struct{ name, v4, v6 string }{
		{"d1", "192.0.2.1/26", "2001:db8:a::1/64"},
		{"d2", "192.0.2.65/26", "2001:db8:b::1/64"},
		{"d3", "192.0.2.129/26", "2001:db8:c::1/64"},
	} {
		ns.ip(t, "link add "+l.name+" type veth peer name "+l.name+"p")
		ns.ip(t, "link set "+l.name+"p up")
		ns.ip(t, "link set "+l.name+" up")
		ns.ip(t, "addr add "+l.v4+" dev "+l.name)
		ns.ip(t, "addr add "+l.v6+" dev "+l.name+" nodad")
	}
}

// randomRule returns the arguments of one `ip rule add` with priority pref;
// later are the priorities of the rules after it (goto targets).
func randomRule(rng *rand.Rand, v6 bool, pref int, later []int) string {
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	var b strings.Builder
	fmt.Fprintf(&b, "pref %d", pref)
	if rng.IntN(6) == 0 {
		b.WriteString(" not")
	}
	if rng.IntN(3) == 0 {
		if v6 {
			b.WriteString(" from " + pick("2001:db8:5::200/128", "2001:db8:5::/64", "2001:db8:6::/48"))
		} else {
			b.WriteString(" from " + pick("192.0.2.200/32", "192.0.2.200/31", "203.0.113.0/24"))
		}
	}
	if rng.IntN(3) == 0 {
		if v6 {
			b.WriteString(" to " + pick("2001:db8:100::/48", "2001:db8:100:8000::/49", "2001:db8:200::/40"))
		} else {
			b.WriteString(" to " + pick("198.51.100.0/24", "198.51.100.128/25", "203.0.113.0/24"))
		}
	}
	if !v6 && rng.IntN(6) == 0 {
		b.WriteString(" tos " + pick("0x10", "0x08"))
	}
	if rng.IntN(5) == 0 {
		b.WriteString(" ipproto " + pick("udp", "tcp", "icmp"))
	}
	if rng.IntN(6) == 0 {
		b.WriteString(" sport " + pick("1000", "1000-2000", "53"))
	}
	if rng.IntN(6) == 0 {
		b.WriteString(" dport " + pick("80", "443-8443"))
	}
	switch rng.IntN(14) {
	case 0:
		b.WriteString(" iif lo")
	case 1:
		b.WriteString(" iif d1")
	case 2:
		b.WriteString(" oif d2")
	case 3:
		b.WriteString(" fwmark " + pick("0x1", "0/0xff", "0x100/0xff"))
	case 4:
		b.WriteString(" uidrange " + pick("0-10", "100-200"))
	}
	switch a := rng.IntN(12); {
	case a < 6:
		b.WriteString(" lookup " + pick("100", "200", "300", "main", "local", "999"))
		if rng.IntN(4) == 0 {
			b.WriteString(" suppress_prefixlength " + pick("0", "24", "48"))
		}
		if rng.IntN(5) == 0 {
			b.WriteString(" suppress_ifgroup 7")
		}
	case a == 6 && len(later) > 0:
		fmt.Fprintf(&b, " goto %d", later[rng.IntN(len(later))])
	case a == 7:
		b.WriteString(" goto 29999") // unresolved unless a rule has that priority
	case a == 8:
		b.WriteString(" nop")
	case a == 9:
		b.WriteString(" blackhole")
	case a == 10:
		b.WriteString(" unreachable")
	default:
		b.WriteString(" prohibit")
	}
	return b.String()
}

// kernelRoute asks the kernel for the output route of a flow, as `ip route
// get` does, and returns what siit's result should look like.
func kernelRoute(t *testing.T, ns *labNS, v6 bool, fl string) string {
	t.Helper()
	args := []string{"-n", ns.name, "-j"}
	if v6 {
		args = append(args, "-6")
	}
	args = append(args, "route", "get")
	args = append(args, strings.Fields(fl)...)
	out, err := exec.Command("ip", args...).CombinedOutput()
	s := string(out)
	if err != nil {
		switch {
		case strings.Contains(s, "Network is unreachable"):
			return "no-route/unreachable"
		case strings.Contains(s, "No route to host"):
			return "unreachable"
		case strings.Contains(s, "Permission denied"):
			return "prohibit"
		case strings.Contains(s, "Invalid argument"):
			return "blackhole"
		}
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, s)
	}
	var res []struct {
		Type    string `json:"type"`
		Gateway string `json:"gateway"`
		Via     struct {
			Host string `json:"host"`
		} `json:"via"` // a gateway of the other family (IPv4 route via inet6)
		Dev string `json:"dev"`
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res) != 1 {
		t.Fatalf("ip %s: cannot parse %q: %v", strings.Join(args, " "), s, err)
	}
	switch r := res[0]; {
	case r.Type == "local":
		return "local"
	case r.Type == "blackhole" || r.Type == "unreachable" || r.Type == "prohibit":
		return r.Type
	case r.Gateway != "":
		return "dev " + r.Dev + " via " + r.Gateway
	case r.Via.Host != "":
		return "dev " + r.Dev + " via " + r.Via.Host
	default:
		return "dev " + r.Dev
	}
}

// siitRoute is the same answer from the mirror's table.
func siitRoute(tab *Table, names map[int32]string, fl *Flow, v6 bool, dst netip.Addr) string {
	h, r := tab.Route(fl, v6, 0)
	switch r {
	case Found, SlowPath:
		if h.Via != dst {
			return "dev " + names[h.Ifindex] + " via " + h.Via.String()
		}
		return "dev " + names[h.Ifindex]
	case NoRoute:
		return "no-route/unreachable"
	case Unreachable:
		return "unreachable"
	}
	return r.String()
}

// TestPolicyAgainstKernel sets random policy routing rules in a namespace
// and checks, for many flows, that the mirror's Route picks what the
// kernel's own output lookup (`ip route get`) picks.
func TestPolicyAgainstKernel(t *testing.T) {
	needRoot(t)
	ns := policyLab(t)
	names := linkNames(t, ns, "d1", "d2", "d3")
	srcs := map[bool][]string{
		false: {"192.0.2.200", "192.0.2.201", "203.0.113.250"},
		true:  {"2001:db8:5::200", "2001:db8:5::201", "2001:db8:6::250"},
	}
	dsts := map[bool][]string{
		false: {"198.51.100.7", "198.51.100.77", "198.51.100.140", "198.51.100.200", "203.0.113.9", "203.0.113.70",
			"203.0.113.130", "192.0.2.1", "192.0.2.100"},
		true: {"2001:db8:100::7", "2001:db8:100:1000::7", "2001:db8:100:8000::1", "2001:db8:100:c000::1",
			"2001:db8:200::9", "2001:db8:200:40::1", "2001:db8:200:80::1", "2001:db8:a::1", "2001:db8:77::1"},
	}
	protos := []struct {
		name string
		num  uint8
	}{{"udp", unix.IPPROTO_UDP}, {"tcp", unix.IPPROTO_TCP}, {"icmp", unix.IPPROTO_ICMP}}
	rng := rand.New(rand.NewPCG(7, 11))
	trials := 30
	if testing.Short() {
		trials = 8
	}
	for trial := range trials {
		v6 := trial%2 == 1
		fam := ""
		if v6 {
			fam = "-6 "
		}
		// Back to the kernel's defaults, then 2..6 random rules; now and
		// then the local rule moves.
		ns.ip(t, fam+"rule flush")
		// The IPv4 flush keeps the local rule, IPv6's removes it.
		if out, err := exec.Command("ip", "-n", ns.name, "-"+map[bool]string{false: "4", true: "6"}[v6],
			"rule", "add", "pref", "0", "lookup", "local").CombinedOutput(); err != nil && !strings.Contains(string(out), "File exists") {
			t.Fatalf("restore the local rule: %v: %s", err, out)
		}
		ns.ip(t, fam+"rule add pref 32766 lookup main")
		ns.ip(t, fam+"rule add pref 32767 lookup default")
		n := 2 + rng.IntN(5)
		prefs := make([]int, n)
		for i := range prefs {
			prefs[i] = 100*(i+1) + rng.IntN(50)
		}
		if rng.IntN(5) == 0 {
			ns.ip(t, fam+"rule del pref 0")
			ns.ip(t, fam+fmt.Sprintf("rule add pref %d lookup local", prefs[rng.IntN(n)]+1))
		}
		var ruleText []string
		for i, p := range prefs {
			r := randomRule(rng, v6, p, prefs[i+1:])
			ruleText = append(ruleText, r)
			ns.ip(t, fam+"rule add "+r)
		}
		m, err := Start(context.Background(), Options{Netns: ns.h, Logger: zaptest.NewLogger(t), ResyncInterval: -1})
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		tab := m.Table()
		for range 40 {
			src := srcs[v6][rng.IntN(3)]
			dst := dsts[v6][rng.IntN(len(dsts[v6]))]
			pr := protos[rng.IntN(len(protos))]
			if v6 && pr.num == unix.IPPROTO_ICMP {
				pr.name, pr.num = "ipv6-icmp", unix.IPPROTO_ICMPV6
			}
			fl := Flow{Proto: pr.num}
			args := fmt.Sprintf("%s from %s ipproto %s", dst, src, pr.name)
			if pr.num == unix.IPPROTO_UDP || pr.num == unix.IPPROTO_TCP {
				fl.Sport = []uint16{53, 1000, 1500, 3000}[rng.IntN(4)]
				fl.Dport = []uint16{80, 443, 8000, 9000}[rng.IntN(4)]
				args += fmt.Sprintf(" sport %d dport %d", fl.Sport, fl.Dport)
			}
			if !v6 {
				fl.TOS = []uint8{0, 0x10, 0x30, 0x08}[rng.IntN(4)]
				if fl.TOS != 0 {
					args += fmt.Sprintf(" tos %#x", fl.TOS)
				}
			}
			s, d := netip.MustParseAddr(src), netip.MustParseAddr(dst)
			fl.SrcHi, fl.SrcLo = keyAddr(s)
			fl.DstHi, fl.DstLo = keyAddr(d)
			want := kernelRoute(t, ns, v6, args)
			got := siitRoute(tab, names, &fl, v6, d)
			if got != want && !(want == "no-route/unreachable" && got == "unreachable") {
				t.Errorf("trial %d, rules:\n  %s\nflow %s: siit %q, kernel %q (siit's policy: %q)",
					trial, strings.Join(ruleText, "\n  "), args, got, want, tab.PolicyRules())
			}
		}
		m.Close()
		if t.Failed() {
			return
		}
	}
}

// TestMirrorFollowsRuleChanges adds and removes a rule: the mirror's route
// for a flow follows without a resync (rule notifications).
func TestMirrorFollowsRuleChanges(t *testing.T) {
	needRoot(t)
	ns := policyLab(t)
	m := startQuiet(t, ns)
	d3, _ := ns.link(t, "d3")
	d1, _ := ns.link(t, "d1")
	fl := Flow{Proto: unix.IPPROTO_UDP}
	fl.SrcHi, _, _ = prefixKey(netip.MustParsePrefix("192.0.2.200/32"))
	fl.DstHi, _, _ = prefixKey(netip.MustParsePrefix("203.0.113.200/32"))
	route := func() (Hop, Result) { return m.Table().Route(&fl, false, 0) }
	// The lab's TOS-specific routes make IPv4 routing flow-keyed
	// (Policy); the rules are the kernel's defaults (no PolicyRules).
	if h, r := route(); r != Found || h.Ifindex != d1 || m.Table().PolicyRules() != nil || !m.Table().Policy(false) {
		t.Fatalf("default rules: %v via ifindex %d (policy %q), want found via d1 (%d)", r, h.Ifindex, m.Table().PolicyRules(), d1)
	}
	ns.ip(t, "rule add from 192.0.2.200 lookup 100 pref 100")
	eventually(t, "the rule followed", func() (bool, string) {
		h, r := route()
		return r == Found && h.Ifindex == d3, fmt.Sprintf("%v via %d, policy %q", r, h.Ifindex, m.Table().PolicyRules())
	})
	if want := []string{"ip -4 rule pref 0 lookup 255", "ip -4 rule pref 100 from 192.0.2.200/32 lookup 100",
		"ip -4 rule pref 32766 lookup 254", "ip -4 rule pref 32767 lookup 253"}; fmt.Sprint(m.Table().PolicyRules()) != fmt.Sprint(want) {
		t.Errorf("PolicyRules = %q, want %q", m.Table().PolicyRules(), want)
	}
	ns.ip(t, "rule del pref 100")
	eventually(t, "the rule gone", func() (bool, string) {
		h, r := route()
		return r == Found && h.Ifindex == d1 && m.Table().PolicyRules() == nil, fmt.Sprintf("%v via %d", r, h.Ifindex)
	})
	// A route added later to a table a rule names is followed too.
	ns.ip(t, "rule add to 203.0.113.200 lookup 400 pref 100")
	ns.ip(t, "route add 203.0.113.192/26 via 192.0.2.190 table 400")
	eventually(t, "the new table followed", func() (bool, string) {
		h, r := route()
		return r == Found && h.Ifindex == d3, fmt.Sprintf("%v via %d", r, h.Ifindex)
	})
}

// TestPolicySynthetic checks a source/port rule on a synthetic snapshot (no
// root) and that Route does not allocate with or without a policy.
func TestPolicySynthetic(t *testing.T) {
	routes := []rawRoute{
		uni("0.0.0.0/0", 0, nh(2, "192.0.2.254")),
		uni("198.51.100.0/24", 0, nh(3, "")),
		{dst: pfx("0.0.0.0/0"), table: 100, typ: unix.RTN_UNICAST, nhs: []rawNexthop{nh(3, "198.51.100.254")}},
	}
	lookup := func(pref, table int) rawRule {
		return rawRule{pref: pref, action: unix.FR_ACT_TO_TBL, table: table, supLen: -1, supGroup: -1,
			markOK: true, uidOK: true, labelOK: true}
	}
	dns := lookup(100, 100)
	dns.src, dns.proto, dns.dport = pfx("192.0.2.200/32"), unix.IPPROTO_UDP, portSel{lo: 53, hi: 53, set: true}
	rules := []rawRule{lookup(0, unix.RT_TABLE_LOCAL), dns, lookup(32766, unix.RT_TABLE_MAIN), lookup(32767, unix.RT_TABLE_DEFAULT)}
	def := &Table{fib: buildFIB(&st{routes: routes, links: testLinks(), rules: []rawRule{rules[0], rules[2], rules[3]}})}
	pol := &Table{fib: buildFIB(&st{routes: routes, links: testLinks(), rules: rules})}
	if def.Policy(false) || !pol.Policy(false) || pol.Policy(true) {
		t.Fatalf("Policy: default rules %v, with the dns rule %v (IPv6 %v)", def.Policy(false), pol.Policy(false), pol.Policy(true))
	}
	flow := func(src, dst string, proto uint8, dport uint16) *Flow {
		f := &Flow{Proto: proto, Dport: dport}
		f.SrcHi, _, _ = prefixKey(netip.PrefixFrom(addr(src), 32))
		f.DstHi, _, _ = prefixKey(netip.PrefixFrom(addr(dst), 32))
		return f
	}
	for _, c := range []struct {
		tab     *Table
		fl      *Flow
		ifindex int32
		via     string
	}{
		{def, flow("192.0.2.200", "203.0.113.1", unix.IPPROTO_UDP, 53), 2, "192.0.2.254"},
		{pol, flow("192.0.2.200", "203.0.113.1", unix.IPPROTO_UDP, 53), 3, "198.51.100.254"},
		{pol, flow("192.0.2.200", "203.0.113.1", unix.IPPROTO_UDP, 54), 2, "192.0.2.254"},
		{pol, flow("192.0.2.200", "203.0.113.1", unix.IPPROTO_TCP, 53), 2, "192.0.2.254"},
		{pol, flow("192.0.2.201", "203.0.113.1", unix.IPPROTO_UDP, 53), 2, "192.0.2.254"},
		{pol, flow("192.0.2.201", "198.51.100.9", unix.IPPROTO_UDP, 53), 3, "198.51.100.9"},
	} {
		h, r := c.tab.Route(c.fl, false, 0)
		if r != Found || h.Ifindex != c.ifindex || h.Via != addr(c.via) {
			t.Errorf("flow %+v: %v via %v on %d, want via %s on %d", *c.fl, r, h.Via, h.Ifindex, c.via, c.ifindex)
		}
	}
	fl := flow("192.0.2.200", "203.0.113.1", unix.IPPROTO_UDP, 53)
	for name, tab := range map[string]*Table{"default rules": def, "policy": pol} {
		if a := testing.AllocsPerRun(1000, func() { tab.Route(fl, false, 7) }); a != 0 {
			t.Errorf("Route (%s) allocates %v per run", name, a)
		}
	}
}

// ruleMsg builds an RTM_NEWRULE payload: struct fib_rule_hdr and attributes.
func ruleMsg(fam, dstLen, srcLen, tos, action byte, flags uint32, attrs ...[]byte) []byte {
	b := []byte{fam, dstLen, srcLen, tos, 0, 0, 0, action}
	b = binary.NativeEndian.AppendUint32(b, flags)
	for _, a := range attrs {
		b = append(b, a...)
	}
	return b
}

// rtattr encodes one netlink attribute, padded to 4 bytes.
func rtattr(typ uint16, v []byte) []byte {
	b := binary.NativeEndian.AppendUint16(nil, uint16(4+len(v)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func u32le(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

// TestRuleFromMessage parses hand-built dumps of the selectors and actions
// the netlink package does not decode.
func TestRuleFromMessage(t *testing.T) {
	for _, c := range []struct {
		msg  []byte
		want string
	}{
		{ruleMsg(unix.AF_INET, 0, 24, 0x10, unix.FR_ACT_PROHIBIT, 0, rtattr(nl.FRA_PRIORITY, u32le(100)),
			rtattr(nl.FRA_SRC, []byte{192, 0, 2, 0})), "ip -4 rule pref 100 from 192.0.2.0/24 tos 0x10 prohibit"},
		{ruleMsg(unix.AF_INET6, 0, 0, 0, unix.FR_ACT_GOTO, fibRuleInvert, rtattr(nl.FRA_PRIORITY, u32le(5)),
			rtattr(nl.FRA_GOTO, u32le(50)), rtattr(nl.FRA_IP_PROTO, []byte{17}),
			rtattr(nl.FRA_DPORT_RANGE, []byte{0, 0, 0, 0}), rtattr(fraDportMask, []byte{0, 0})),
			"ip -6 rule pref 5 not ipproto 17 dport 0 goto 50"},
		{ruleMsg(unix.AF_INET, 0, 0, 0, unix.FR_ACT_TO_TBL, 0, rtattr(nl.FRA_PRIORITY, u32le(1000)),
			rtattr(nl.FRA_L3MDEV, []byte{1}), rtattr(nl.FRA_TABLE, u32le(0))), "ip -4 rule pref 1000 l3mdev/tun_id lookup 0"},
		{ruleMsg(unix.AF_INET, 0, 0, 0, unix.FR_ACT_TO_TBL, 0, rtattr(nl.FRA_FWMARK, u32le(0x100)),
			rtattr(nl.FRA_FWMASK, u32le(0xff)), rtattr(nl.FRA_TABLE, u32le(7)),
			rtattr(nl.FRA_SUPPRESS_PREFIXLEN, u32le(0))), "ip -4 rule pref 0 fwmark 0x100/0xff lookup 7 suppress_prefixlength 0"},
	} {
		r, ok := ruleFromMessage(c.msg)
		if !ok || r.text != c.want {
			t.Errorf("parsed %q (ok %v), want %q", r.text, ok, c.want)
		}
	}
	if r, _ := ruleFromMessage(ruleMsg(unix.AF_INET, 0, 0, 0, unix.FR_ACT_TO_TBL, 0, rtattr(nl.FRA_FWMARK, u32le(0x100)),
		rtattr(nl.FRA_FWMASK, u32le(0xff)))); !r.markOK {
		t.Errorf("fwmark 0x100/0xff must accept mark 0")
	}
	if r, _ := ruleFromMessage(ruleMsg(unix.AF_INET, 0, 0, 0, unix.FR_ACT_TO_TBL, 0, rtattr(nl.FRA_FWMARK, u32le(1)))); r.markOK {
		t.Errorf("fwmark 1 must not accept mark 0")
	}
}

// FuzzRuleFromMessage: any dump message parses without panicking, and a
// parsed rule compiles and matches without panicking.
func FuzzRuleFromMessage(f *testing.F) {
	f.Add(ruleMsg(unix.AF_INET, 32, 24, 0x10, unix.FR_ACT_TO_TBL, fibRuleInvert, rtattr(nl.FRA_SRC, []byte{192, 0, 2, 0}),
		rtattr(nl.FRA_DST, []byte{198, 51, 100, 7}), rtattr(nl.FRA_TABLE, u32le(100)), rtattr(nl.FRA_SPORT_RANGE, []byte{0, 1, 0, 2})))
	f.Add(ruleMsg(unix.AF_INET6, 0, 0, 0, unix.FR_ACT_GOTO, 0, rtattr(nl.FRA_GOTO, u32le(9)), rtattr(fraDSCP, []byte{4})))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, ok := ruleFromMessage(b)
		if !ok {
			return
		}
		if r.text == "" {
			t.Fatal("parsed rule without text")
		}
		rules := []rawRule{r}
		p := compileRules(rules, "lo", func(int) int32 { return -1 })
		p[0].match(&Flow{Proto: 17, Sport: 1, Dport: 2})
		isDefault(rules, "lo", func(int) bool { return false })
	})
}
