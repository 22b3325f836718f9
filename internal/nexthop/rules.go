package nexthop

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// Policy routing. siit routes a translated packet the way kernel Jool does:
// as an output route lookup of the translated packet (no input interface,
// so the kernel's flow has iif lo; no output interface; firewall mark 0,
// since XDP runs before netfilter marks anything; uid 0), through the
// kernel's policy routing rules of that family. The selectors that can
// match such a flow are evaluated exactly: from, to, tos (DSCP), ipproto,
// sport, dport (ranges or masks), iif lo, fwmark/mask against mark 0,
// uidrange against uid 0, flowlabel against label 0, and not. Rules with any other selector (oif, iif of a real interface,
// l3mdev, tun_id) never match it, as in the kernel. Actions: lookup (with
// suppress_prefixlength and suppress_ifgroup), goto, nop, blackhole,
// unreachable, prohibit.
//
// When the rules of a family are the kernel's defaults (lookup local, then
// main, then an empty default table), the lookup is the plain
// destination-keyed one and costs nothing extra.

// rawRule is a policy routing rule as the mirror keeps it (in kernel list
// order, which is priority order).
type rawRule struct {
	v6       bool
	pref     int
	invert   bool
	src, dst netip.Prefix // invalid: any
	dscp     uint8        // in the TOS byte's bits: matches when (tos ^ dscp) & dscpMask == 0
	dscpMask uint8        // 0: no DSCP selector
	proto    uint8
	sport    portSel
	dport    portSel
	iif      string // "" any
	oif      string // a flow without an output interface never matches one
	otherSel bool   // l3mdev or tun_id: never matches a translated packet
	markOK   bool   // the fwmark selector (if any) accepts mark 0
	uidOK    bool   // the uidrange selector (if any) accepts uid 0
	labelOK  bool   // the flowlabel selector (if any) accepts label 0
	action   uint8  // FR_ACT_*
	table    int
	gotoPref int
	supLen   int // suppress_prefixlength, -1 none
	supGroup int // suppress_ifgroup, -1 none
	text     string
}

// portSel is a port selector: a range, or with mask != 0 a value/mask.
type portSel struct {
	lo, hi, mask uint16
	set          bool
}

func (p portSel) match(port uint16) bool {
	switch {
	case !p.set:
		return true
	case p.mask != 0:
		return (port^p.lo)&p.mask == 0
	}
	return port >= p.lo && port <= p.hi
}

func (p portSel) String() string {
	switch {
	case p.mask != 0:
		return fmt.Sprintf("%d/%#x", p.lo, p.mask)
	case p.lo == p.hi:
		return fmt.Sprint(p.lo)
	}
	return fmt.Sprintf("%d-%d", p.lo, p.hi)
}

// Rule attributes newer than the netlink package's constants.
const (
	fraDSCP          = 25
	fraFlowlabel     = 26
	fraFlowlabelMask = 27
	fraSportMask     = 28
	fraDportMask     = 29
	fraDSCPMask      = 30
	fibRuleInvert    = 0x2
)

// ruleFromMessage parses one RTM_NEWRULE message (struct fib_rule_hdr and
// its attributes).
func ruleFromMessage(b []byte) (rawRule, bool) {
	if len(b) < 12 {
		return rawRule{}, false
	}
	fam, dstLen, srcLen, tos := b[0], int(b[1]), int(b[2]), b[3]
	if fam != unix.AF_INET && fam != unix.AF_INET6 {
		return rawRule{}, false
	}
	r := rawRule{v6: fam == unix.AF_INET6, table: int(b[4]), action: b[7],
		invert: nl.NativeEndian().Uint32(b[8:12])&fibRuleInvert != 0,
		dscp:   tos & 0xfc, supLen: -1, supGroup: -1, markOK: true, uidOK: true, labelOK: true}
	if r.dscp != 0 {
		// IPv4's legacy tos selector compares only the old TOS bits
		// (IPTOS_RT_MASK) of the packet; IPv6's the whole DSCP.
		r.dscpMask = 0xfc
		if !r.v6 {
			r.dscpMask = 0x1c
		}
	}
	attrs, ok := parseAttrs(b[12:])
	if !ok {
		return rawRule{}, false
	}
	ne := nl.NativeEndian()
	u32 := attrU32
	var mark, markMask uint32
	var hasMark, hasMask bool
	var label, labelMask uint32
	var hasLabel bool
	prefix := func(v []byte, bits int) netip.Prefix {
		a, ok := netip.AddrFromSlice(v)
		if !ok || a.Is6() != r.v6 || bits > a.BitLen() {
			return netip.Prefix{}
		}
		return netip.PrefixFrom(a, bits).Masked()
	}
	for _, a := range attrs {
		v := a.v
		switch a.typ {
		case nl.FRA_DST:
			r.dst = prefix(v, dstLen)
		case nl.FRA_SRC:
			r.src = prefix(v, srcLen)
		case nl.FRA_IIFNAME:
			r.iif = strings.TrimRight(string(v), "\x00")
		case nl.FRA_OIFNAME:
			r.oif = strings.TrimRight(string(v), "\x00")
		case nl.FRA_GOTO:
			r.gotoPref = int(u32(v))
		case nl.FRA_PRIORITY:
			r.pref = int(u32(v))
		case nl.FRA_FWMARK:
			mark, hasMark = u32(v), true
		case nl.FRA_FWMASK:
			markMask, hasMask = u32(v), true
		case nl.FRA_TUN_ID:
			r.otherSel = r.otherSel || len(v) < 8 || ne.Uint64(v) != 0
		case nl.FRA_SUPPRESS_IFGROUP:
			if x := u32(v); x != 0xffffffff {
				r.supGroup = int(x)
			}
		case nl.FRA_SUPPRESS_PREFIXLEN:
			if x := u32(v); x != 0xffffffff {
				r.supLen = int(x)
			}
		case nl.FRA_TABLE:
			r.table = int(u32(v))
		case nl.FRA_L3MDEV:
			r.otherSel = r.otherSel || len(v) == 0 || v[0] != 0
		case nl.FRA_UID_RANGE:
			r.uidOK = u32(v) == 0
		case nl.FRA_IP_PROTO:
			if len(v) > 0 {
				r.proto = v[0]
			}
		case nl.FRA_SPORT_RANGE, nl.FRA_DPORT_RANGE, fraSportMask, fraDportMask:
			sel := &r.dport
			if a.typ == nl.FRA_SPORT_RANGE || a.typ == fraSportMask {
				sel = &r.sport
			}
			switch {
			case (a.typ == fraSportMask || a.typ == fraDportMask) && len(v) >= 2:
				sel.mask = ne.Uint16(v)
			case len(v) >= 4:
				sel.lo, sel.hi, sel.set = ne.Uint16(v[0:2]), ne.Uint16(v[2:4]), true
			}
		case fraDSCP:
			if len(v) > 0 {
				r.dscp, r.dscpMask = v[0]<<2, 0xfc
			}
		case fraDSCPMask:
			if len(v) > 0 {
				r.dscpMask = v[0] << 2
			}
		case fraFlowlabel:
			label, hasLabel = u32(v), true
		case fraFlowlabelMask:
			labelMask = u32(v)
		}
	}
	if hasMark || hasMask {
		if !hasMask {
			markMask = ^uint32(0)
		}
		r.markOK = mark&markMask == 0 // the kernel: (rule mark ^ flow mark) & mask == 0
	}
	if hasLabel {
		r.labelOK = label&labelMask == 0 // siit's flow label is 0
	}
	if r.action == unix.FR_ACT_UNSPEC {
		r.action = unix.FR_ACT_TO_TBL
	}
	r.text = describeRule(&r, hasMark || hasMask, mark, markMask)
	return r, true
}

type attr struct {
	typ uint16
	v   []byte
}

// parseAttrs splits netlink attributes (the netlink package's parser
// panics on a length that overruns the message).
func parseAttrs(b []byte) ([]attr, bool) {
	var out []attr
	ne := nl.NativeEndian()
	for len(b) >= 4 {
		l := int(ne.Uint16(b))
		if l < 4 || l > len(b) {
			return nil, false
		}
		out = append(out, attr{typ: ne.Uint16(b[2:]) &^ (unix.NLA_F_NESTED | unix.NLA_F_NET_BYTEORDER), v: b[4:l]})
		b = b[min((l+3)&^3, len(b)):]
	}
	return out, true
}

// describeRule is r in the words of `ip rule`, for logs.
func describeRule(r *rawRule, hasMark bool, mark, mask uint32) string {
	fam := "-4"
	if r.v6 {
		fam = "-6"
	}
	s := fmt.Sprintf("ip %s rule pref %d", fam, r.pref)
	if r.invert {
		s += " not"
	}
	if r.src.IsValid() {
		s += " from " + r.src.String()
	}
	if r.dst.IsValid() {
		s += " to " + r.dst.String()
	}
	if r.dscpMask != 0 {
		s += fmt.Sprintf(" tos %#x", r.dscp)
		if def := map[bool]uint8{false: 0x1c, true: 0xfc}[r.v6]; r.dscpMask != def {
			s += fmt.Sprintf("/%#x", r.dscpMask)
		}
	}
	if r.iif != "" {
		s += " iif " + r.iif
	}
	if r.oif != "" {
		s += " oif " + r.oif
	}
	if hasMark {
		s += fmt.Sprintf(" fwmark %#x/%#x", mark, mask)
	}
	if !r.uidOK {
		s += " uidrange (excludes 0)"
	}
	if !r.labelOK {
		s += " flowlabel (excludes 0)"
	}
	if r.otherSel {
		s += " l3mdev/tun_id"
	}
	if r.proto != 0 {
		s += fmt.Sprintf(" ipproto %d", r.proto)
	}
	if r.sport.set {
		s += " sport " + r.sport.String()
	}
	if r.dport.set {
		s += " dport " + r.dport.String()
	}
	switch r.action {
	case unix.FR_ACT_BLACKHOLE:
		s += " blackhole"
	case unix.FR_ACT_UNREACHABLE:
		s += " unreachable"
	case unix.FR_ACT_PROHIBIT:
		s += " prohibit"
	case unix.FR_ACT_GOTO:
		s += fmt.Sprintf(" goto %d", r.gotoPref)
	case unix.FR_ACT_NOP:
		s += " nop"
	case unix.FR_ACT_TO_TBL:
		s += fmt.Sprintf(" lookup %d", r.table)
	default:
		s += fmt.Sprintf(" action %d", r.action)
	}
	if r.supLen >= 0 {
		s += fmt.Sprintf(" suppress_prefixlength %d", r.supLen)
	}
	if r.supGroup >= 0 {
		s += fmt.Sprintf(" suppress_ifgroup %d", r.supGroup)
	}
	return s
}

// dumpRules reads the rules of both families, in the kernel's order. The
// netlink package's rule list drops the action (and l3mdev), so the dump is
// parsed here, on a socket opened in the mirrored namespace.
func (m *Mirror) dumpRules() ([]rawRule, error) {
	var out []rawRule
	err := m.dumpRaw("rules", unix.RTM_GETRULE, nl.NewRtMsg(), unix.RTM_NEWRULE, func() { out = out[:0] }, func(msg []byte) {
		if r, ok := ruleFromMessage(msg); ok {
			out = append(out, r)
		}
	})
	return out, err
}

// ruleTables returns the tables that lookup rules name, plus local and main.
func ruleTables(rules []rawRule) map[int]bool {
	t := map[int]bool{unix.RT_TABLE_LOCAL: true, unix.RT_TABLE_MAIN: true}
	for i := range rules {
		if rules[i].action == unix.FR_ACT_TO_TBL && rules[i].table != 0 {
			t[rules[i].table] = true
		}
	}
	return t
}

// Flow is what policy routing selects a translated packet's route by.
// Addresses are in trie-key form: an IPv4 address a is Hi = a<<32, Lo = 0;
// an IPv6 address is its big-endian halves.
type Flow struct {
	SrcHi, SrcLo uint64
	DstHi, DstLo uint64
	Proto        uint8  // transport protocol (after any extension headers)
	TOS          uint8  // IPv4 TOS / IPv6 traffic class
	Sport, Dport uint16 // TCP/UDP ports of an unfragmented packet or first fragment, else 0
}

// policy is the compiled rule list of one family when it differs from the
// kernel's defaults.
type policy struct {
	rules  []prule
	tables []trie // lookup targets; values index fib.routes
	text   []string
}

type prule struct {
	shi, slo, dhi, dlo uint64
	slen, dlen         uint8
	hasSrc, hasDst     bool
	dscp, dscpMask     uint8 // mask 0: any
	proto              uint8
	sport, dport       portSel
	invert             bool
	never              bool // a selector no translated packet satisfies
	action             uint8
	tbl                int32 // lookup: index into tables, -1 when the table has no routes
	target             int32 // goto: rule index, -1 unresolved
	supLen             int16
	supGroup           int64
}

// match reports whether the rule selects fl (the kernel's fib_rule_match
// for a flow with iif lo, oif 0, mark 0, uid 0).
func (r *prule) match(fl *Flow) bool {
	ok := !r.never &&
		(!r.hasSrc || covers(r.shi, r.slo, r.slen, fl.SrcHi, fl.SrcLo)) &&
		(!r.hasDst || covers(r.dhi, r.dlo, r.dlen, fl.DstHi, fl.DstLo)) &&
		(r.dscp^fl.TOS)&r.dscpMask == 0 &&
		(r.proto == 0 || r.proto == fl.Proto) &&
		r.sport.match(fl.Sport) && r.dport.match(fl.Dport)
	return ok != r.invert
}

// plain reports whether the rule selects every packet and only looks up a
// table.
func (r *rawRule) plain(lo string) bool {
	return !r.invert && !r.src.IsValid() && !r.dst.IsValid() && r.dscpMask == 0 && r.proto == 0 &&
		!r.sport.set && !r.dport.set && !r.neverMatches(lo) &&
		r.action == unix.FR_ACT_TO_TBL && r.supLen < 0 && r.supGroup < 0
}

// neverMatches reports whether a generic selector excludes every
// translated packet (before not).
func (r *rawRule) neverMatches(lo string) bool {
	return r.oif != "" || r.otherSel || (r.iif != "" && r.iif != lo) || !r.markOK || !r.uidOK || !r.labelOK
}

// isDefault reports whether rules (one family, kernel order) route a
// translated packet exactly as "local table, then main table" does: rules
// that can never match are skipped, and trailing plain lookups of tables
// without routes of the family (the default table) change nothing.
func isDefault(rules []rawRule, lo string, hasRoutes func(table int) bool) bool {
	want := []int{unix.RT_TABLE_LOCAL, unix.RT_TABLE_MAIN}
	for i := range rules {
		r := &rules[i]
		if r.action == unix.FR_ACT_NOP || (r.neverMatches(lo) && !r.invert) {
			continue
		}
		if !r.plain(lo) {
			return false
		}
		if len(want) > 0 {
			if r.table != want[0] {
				return false
			}
			want = want[1:]
			continue
		}
		if r.table != unix.RT_TABLE_MAIN && r.table != unix.RT_TABLE_LOCAL && hasRoutes(r.table) {
			return false
		}
	}
	return len(want) == 0
}

// compileRules turns one family's rules into a policy; tableIndex gives
// the index of a table's trie (or -1 if the table has no routes).
func compileRules(rules []rawRule, lo string, tableIndex func(table int) int32) []prule {
	out := make([]prule, len(rules))
	for i := range rules {
		r := &rules[i]
		p := prule{invert: r.invert, never: r.neverMatches(lo), dscp: r.dscp, dscpMask: r.dscpMask, proto: r.proto,
			sport: r.sport, dport: r.dport, action: r.action, tbl: -1, target: -1,
			supLen: int16(max(min(r.supLen, 128), -1)), supGroup: int64(r.supGroup)}
		if r.src.IsValid() {
			p.shi, p.slo, p.slen = prefixKey(r.src)
			p.hasSrc = true
		}
		if r.dst.IsValid() {
			p.dhi, p.dlo, p.dlen = prefixKey(r.dst)
			p.hasDst = true
		}
		switch r.action {
		case unix.FR_ACT_TO_TBL:
			p.tbl = tableIndex(r.table)
		case unix.FR_ACT_GOTO:
			// The kernel jumps to the first rule whose priority is the
			// target, which must come later.
			for j := i + 1; j < len(rules); j++ {
				if rules[j].pref == r.gotoPref {
					p.target = int32(j)
					break
				}
			}
		}
		out[i] = p
	}
	return out
}

// route evaluates the policy for fl (the kernel's fib_rules_lookup);
// (khi, klo) is the neighbour key of the destination dst, as for finish.
func (t *Table) route(f *fib, p *policy, fl *Flow, flowHash uint32, khi, klo uint64, dst netip.Addr) (Hop, Result) {
	for i := 0; i < len(p.rules); i++ {
		r := &p.rules[i]
		if !r.match(fl) {
			continue
		}
		switch r.action {
		case unix.FR_ACT_GOTO:
			if r.target > int32(i) {
				i = int(r.target) - 1 // the loop's i++ lands on the target, whose selectors are checked
			}
			continue
		case unix.FR_ACT_BLACKHOLE:
			return Hop{}, Blackhole
		case unix.FR_ACT_UNREACHABLE:
			return Hop{}, Unreachable
		case unix.FR_ACT_PROHIBIT:
			return Hop{}, Prohibit
		case unix.FR_ACT_TO_TBL:
		default: // nop, or an action siit does not know: on to the next rule
			continue
		}
		if r.tbl < 0 {
			continue
		}
		tb := &p.tables[r.tbl]
		e := f.resolve(tb, tb.lookup(fl.DstHi, fl.DstLo), fl.DstHi, fl.DstLo, fl.TOS)
		if e < 0 {
			continue
		}
		re := &f.routes[e]
		switch re.result {
		case NoRoute: // throw, or no usable nexthop
			continue
		case Blackhole, Unreachable, Prohibit:
			return Hop{}, re.result
		}
		if int16(re.plen) <= r.supLen {
			continue
		}
		h, res := t.finish(f, re, flowHash, khi, klo, dst)
		if r.supGroup >= 0 && (res == Found || res == SlowPath) {
			if l := f.link(h.Ifindex); l != nil && int64(l.group) == r.supGroup {
				continue
			}
		}
		return h, res
	}
	return Hop{}, NoRoute
}

// PolicyRules returns the rules (in `ip rule` words) by which translated
// packets are routed, when they differ from the kernel's defaults; nil
// when both families use the plain local-then-main lookup.
func (t *Table) PolicyRules() []string {
	f := t.f()
	var out []string
	for _, p := range []*policy{f.pol4, f.pol6} {
		if p != nil {
			out = append(out, p.text...)
		}
	}
	return slices.Clip(out)
}
