package nexthop

import (
	"fmt"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// siit forwards by one routing table (Options.Table, main by default) and
// the local table; it does not evaluate policy routing rules. The mirror
// still reads the rules, so that the daemon can say which ones the kernel
// would apply to forwarded packets and siit does not (IgnoredRules).

// ruleIgnored reports whether the kernel could route a forwarded, unmarked
// packet by rule r differently from siit, which looks up only the local
// table and table followed. Rules that only send packets to those tables,
// or that cannot match a forwarded packet without a firewall mark (fwmark
// selectors, output-interface selectors, iif lo), change nothing.
func ruleIgnored(r *netlink.Rule, followed int) bool {
	if r.Type == unix.FR_ACT_NOP {
		return false
	}
	if r.Type == unix.FR_ACT_TO_TBL || r.Type == 0 {
		switch r.Table {
		case followed, unix.RT_TABLE_LOCAL, unix.RT_TABLE_DEFAULT, unix.RT_TABLE_MAIN:
			return false
		}
	}
	if r.OifName != "" || r.IifName == "lo" {
		return r.Invert
	}
	if r.Mark != 0 || r.Mask != nil {
		mask := ^uint32(0)
		if r.Mask != nil {
			mask = *r.Mask
		}
		matchesZero := r.Mark&mask == 0 // the kernel: (rule mark ^ packet mark) & mask == 0
		return matchesZero != r.Invert
	}
	return true
}

// describeRule is r in the words of `ip rule`, for logs.
func describeRule(r *netlink.Rule) string {
	fam := "-4"
	if r.Family == unix.AF_INET6 {
		fam = "-6"
	}
	s := fmt.Sprintf("ip %s rule pref %d", fam, r.Priority)
	if r.Invert {
		s += " not"
	}
	if r.Src != nil {
		s += " from " + r.Src.String()
	}
	if r.Dst != nil {
		s += " to " + r.Dst.String()
	}
	if r.IifName != "" {
		s += " iif " + r.IifName
	}
	if r.OifName != "" {
		s += " oif " + r.OifName
	}
	if r.Mark != 0 || r.Mask != nil {
		s += fmt.Sprintf(" fwmark %#x", r.Mark)
		if r.Mask != nil {
			s += fmt.Sprintf("/%#x", *r.Mask)
		}
	}
	if r.IPProto != 0 {
		s += fmt.Sprintf(" ipproto %d", r.IPProto)
	}
	switch r.Type {
	case unix.FR_ACT_BLACKHOLE:
		s += " blackhole"
	case unix.FR_ACT_UNREACHABLE:
		s += " unreachable"
	case unix.FR_ACT_PROHIBIT:
		s += " prohibit"
	case unix.FR_ACT_GOTO:
		s += fmt.Sprintf(" goto %d", r.Goto)
	default:
		s += fmt.Sprintf(" lookup %d", r.Table)
	}
	return s
}

// dumpRules lists the rules of both families that ruleIgnored flags.
func (m *Mirror) dumpRules() ([]string, error) {
	var out []string
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		var rules []netlink.Rule
		err := retryInterrupted("rules", func() error {
			var err error
			rules, err = m.h.RuleList(fam)
			return err
		})
		if err != nil {
			return nil, err
		}
		for i := range rules {
			if r := &rules[i]; ruleIgnored(r, m.opts.Table) {
				out = append(out, describeRule(r))
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// IgnoredRules returns the policy routing rules (in `ip rule` words) that
// could make the kernel forward a packet differently from siit, which
// follows one table. They are read at start and on each full resync
// (Options.ResyncInterval), since the kernel announces no rule changes to
// the subscriptions the mirror holds.
func (m *Mirror) IgnoredRules() []string {
	if p := m.rules.Load(); p != nil {
		return *p
	}
	return nil
}
