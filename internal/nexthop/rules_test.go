package nexthop

import (
	"fmt"
	"net"
	"slices"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func TestRuleIgnored(t *testing.T) {
	u32 := func(v uint32) *uint32 { return &v }
	_, src, _ := net.ParseCIDR("192.0.2.0/24")
	rule := func(f func(r *netlink.Rule)) *netlink.Rule {
		r := netlink.NewRule()
		r.Type, r.Family = unix.FR_ACT_TO_TBL, unix.AF_INET
		f(r)
		return r
	}
	cases := []struct {
		name string
		r    *netlink.Rule
		want bool
	}{
		{"default: lookup local", rule(func(r *netlink.Rule) { r.Priority, r.Table = 0, unix.RT_TABLE_LOCAL }), false},
		{"default: lookup main", rule(func(r *netlink.Rule) { r.Priority, r.Table = 32766, unix.RT_TABLE_MAIN }), false},
		{"default: lookup default", rule(func(r *netlink.Rule) { r.Priority, r.Table = 32767, unix.RT_TABLE_DEFAULT }), false},
		{"from a prefix, other table", rule(func(r *netlink.Rule) { r.Src, r.Table = src, 100 }), true},
		{"every packet, other table", rule(func(r *netlink.Rule) { r.Table = 100 }), true},
		{"wg-quick: lookup main suppress_prefixlength 0", rule(func(r *netlink.Rule) { r.Table, r.SuppressPrefixlen = unix.RT_TABLE_MAIN, 0 }), false},
		{"wg-quick: not fwmark 0xca6c lookup 51820", rule(func(r *netlink.Rule) { r.Mark, r.Invert, r.Table = 0xca6c, true, 51820 }), true},
		{"fwmark 0x80000/0xff0000 lookup 52", rule(func(r *netlink.Rule) { r.Mark, r.Mask, r.Table = 0x80000, u32(0xff0000), 52 }), false},
		{"fwmark 0/0xff lookup 7", rule(func(r *netlink.Rule) { r.Mark, r.Mask, r.Table = 0, u32(0xff), 7 }), true},
		{"oif eth0 lookup 100", rule(func(r *netlink.Rule) { r.OifName, r.Table = "eth0", 100 }), false},
		{"not oif eth0 lookup 100", rule(func(r *netlink.Rule) { r.OifName, r.Invert, r.Table = "eth0", true, 100 }), true},
		{"iif lo lookup 100", rule(func(r *netlink.Rule) { r.IifName, r.Table = "lo", 100 }), false},
		{"iif eth0 lookup 100", rule(func(r *netlink.Rule) { r.IifName, r.Table = "eth0", 100 }), true},
		{"blackhole", rule(func(r *netlink.Rule) { r.Src, r.Type = src, unix.FR_ACT_BLACKHOLE }), true},
		{"goto", rule(func(r *netlink.Rule) { r.Type, r.Goto = unix.FR_ACT_GOTO, 40000 }), true},
		{"nop", rule(func(r *netlink.Rule) { r.Type = unix.FR_ACT_NOP }), false},
	}
	for _, c := range cases {
		if got := ruleIgnored(c.r, unix.RT_TABLE_MAIN); got != c.want {
			t.Errorf("%s (%s): ignored = %v, want %v", c.name, describeRule(c.r), got, c.want)
		}
	}
}

// TestMirrorIgnoredRules adds and removes a source-based rule in a
// namespace: a resync reports it, in `ip rule` words, then stops reporting it.
func TestMirrorIgnoredRules(t *testing.T) {
	needRoot(t)
	a := newNS(t, "rules")
	m := startResyncing(t, a)
	if r := m.IgnoredRules(); len(r) != 0 {
		t.Fatalf("a fresh namespace has ignored rules: %v", r)
	}
	a.ip(t, "rule add from 192.0.2.0/24 lookup 100 pref 100")
	a.ip(t, "-6 rule add fwmark 0x10 lookup 101 pref 101") // cannot match unmarked packets
	want := []string{"ip -4 rule pref 100 from 192.0.2.0/24 lookup 100"}
	eventually(t, "the rule reported", func() (bool, string) {
		r := m.IgnoredRules()
		return slices.Equal(r, want), fmt.Sprintf("%q", r)
	})
	a.ip(t, "rule del pref 100")
	eventually(t, "the rule no longer reported", func() (bool, string) {
		r := m.IgnoredRules()
		return len(r) == 0, fmt.Sprintf("%q", r)
	})
}
