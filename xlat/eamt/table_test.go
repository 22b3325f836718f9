package eamt

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

type pair struct{ v4, v6 string }

func checkPairs(t *testing.T, tb *Table, pairs []pair) {
	t.Helper()
	for _, p := range pairs {
		if got, ok := xlat4(tb, ma(p.v4)); !ok || got != ma(p.v6) {
			t.Errorf("4->6 %s = %v, %v; want %s", p.v4, got, ok, p.v6)
		}
		if got, ok := xlat6(tb, ma(p.v6)); !ok || got != ma(p.v4) {
			t.Errorf("6->4 %s = %v, %v; want %s", p.v6, got, ok, p.v4)
		}
	}
}

// Jool's EAMT summary (docs/en/eamt.md): one /32, one byte of suffix, and a /29 whose suffix is not
// byte-aligned.
func TestGoldenJoolSummary(t *testing.T) {
	tb := mustNew(t,
		ent("192.0.2.1/32", "2001:db8:aaaa::5/128"),
		ent("198.51.100.0/24", "2001:db8:bbbb::/120"),
		ent("203.0.113.8/29", "2001:db8:cccc::/125"),
	)
	checkPairs(t, tb, []pair{
		{"192.0.2.1", "2001:db8:aaaa::5"},
		{"198.51.100.0", "2001:db8:bbbb::"},
		{"198.51.100.1", "2001:db8:bbbb::1"},
		{"198.51.100.254", "2001:db8:bbbb::fe"},
		{"198.51.100.255", "2001:db8:bbbb::ff"},
		{"203.0.113.8", "2001:db8:cccc::"},
		{"203.0.113.9", "2001:db8:cccc::1"},
		{"203.0.113.10", "2001:db8:cccc::2"},
		{"203.0.113.12", "2001:db8:cccc::4"},
		{"203.0.113.15", "2001:db8:cccc::7"},
	})
	for _, a := range []string{"192.0.2.2", "203.0.113.16", "198.51.101.0", "0.0.0.0", "255.255.255.255"} {
		if got, ok := xlat4(tb, ma(a)); ok {
			t.Errorf("4->6 %s = %s; want no match", a, got)
		}
	}
	for _, a := range []string{"2001:db8:aaaa::4", "2001:db8:cccc::8", "2001:db8:bbbb::100", "::", "64:ff9b::c000:201"} {
		if got, ok := xlat6(tb, ma(a)); ok {
			t.Errorf("6->4 %s = %s; want no match", a, got)
		}
	}
}

// The example of Jool's `eamt add` reference (docs/en/usr-flags-eamt.md), including a /64 and a /127 whose
// suffixes sit across a 64-bit boundary or at the very end, and its display order (newest first).
func TestGoldenJoolFlagsExample(t *testing.T) {
	es := []Entry{
		ent("192.0.2.1/32", "2001:db8:aaaa::/128"),
		ent("192.0.2.2/32", "2001:db8:bbbb::b/128"),
		ent("192.0.2.16/28", "2001:db8:cccc::/124"),
		ent("192.0.2.128/26", "2001:db8:dddd::/64"),
		ent("192.0.2.192/31", "64:ff9b::/127"),
	}
	tb := mustNew(t, es...)
	want := slices.Clone(es)
	slices.Reverse(want)
	if got := tb.Entries(); !slices.Equal(got, want) {
		t.Errorf("Entries() = %v; want %v", got, want)
	}
	checkPairs(t, tb, []pair{
		{"192.0.2.1", "2001:db8:aaaa::"},
		{"192.0.2.2", "2001:db8:bbbb::b"},
		{"192.0.2.17", "2001:db8:cccc::1"},
		{"192.0.2.31", "2001:db8:cccc::f"},
		{"192.0.2.192", "64:ff9b::"},
		{"192.0.2.193", "64:ff9b::1"},
		// IPv6 suffix (64 bits) longer than the IPv4 suffix (6 bits): the 6 bits follow the /64, the rest is 0.
		{"192.0.2.128", "2001:db8:dddd::"},
		{"192.0.2.130", "2001:db8:dddd:0:800::"},
		{"192.0.2.191", "2001:db8:dddd:0:fc00::"},
	})
	// 6->4 ignores IPv6 bits after the first 6 of the suffix.
	if got, ok := xlat6(tb, ma("2001:db8:dddd:0:fc00:1234:5678:9abc")); !ok || got != ma("192.0.2.191") {
		t.Errorf("6->4 with trailing bits = %v, %v; want 192.0.2.191", got, ok)
	}
}

// An IPv6 prefix ending off a 64-bit boundary with the IPv4 suffix straddling it.
func TestGoldenStraddle(t *testing.T) {
	tb := mustNew(t, ent("198.51.100.0/24", "2001:db8:eeee:8::/62"))
	// .197 = suffix 11000101: bits 62..63 get "11", bits 64..69 get "000101".
	checkPairs(t, tb, []pair{
		{"198.51.100.197", "2001:db8:eeee:b:1400::"},
		{"198.51.100.0", "2001:db8:eeee:8::"},
		{"198.51.100.255", "2001:db8:eeee:b:fc00::"},
	})
}

// Mixed prefix lengths with longest-prefix match in both directions (Jool's overlap example, added with
// --force), and the asymmetry Jool documents for it.
func TestLongestPrefixMatch(t *testing.T) {
	tb, err := (*Table)(nil).AddAll([]Entry{
		ent("192.0.2.0/24", "2001:db8:aaaa::/120"),
		ent("192.0.2.8/29", "2001:db8:bbbb::/125"),
		ent("192.0.2.7/32", "2001:db8:b::7/128"),
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	checkPairs(t, tb, []pair{
		{"192.0.2.9", "2001:db8:bbbb::1"},
		{"192.0.2.7", "2001:db8:b::7"},
		{"192.0.2.6", "2001:db8:aaaa::6"},
		{"192.0.2.16", "2001:db8:aaaa::10"},
	})
	if got, ok := xlat6(tb, ma("2001:db8:aaaa::9")); !ok || got != ma("192.0.2.9") {
		t.Errorf("6->4 2001:db8:aaaa::9 = %v, %v; want 192.0.2.9", got, ok)
	}
	if e, ok := tb.Match4(ma("192.0.2.9")); !ok || e != ent("192.0.2.8/29", "2001:db8:bbbb::/125") {
		t.Errorf("Match4(192.0.2.9) = %v, %v", e, ok)
	}
	if e, ok := tb.Match6(ma("2001:db8:aaaa::9")); !ok || e != ent("192.0.2.0/24", "2001:db8:aaaa::/120") {
		t.Errorf("Match6(2001:db8:aaaa::9) = %v, %v", e, ok)
	}
	if _, ok := tb.Match4(ma("2001:db8::1")); ok {
		t.Error("Match4 accepted an IPv6 address")
	}
	if _, ok := tb.Match6(ma("192.0.2.9")); ok {
		t.Error("Match6 accepted an IPv4 address")
	}
}

func TestZeroLengthPrefixes(t *testing.T) {
	tb := mustNew(t, ent("0.0.0.0/0", "2001:db8::/96"))
	checkPairs(t, tb, []pair{{"203.0.113.5", "2001:db8::cb00:7105"}, {"0.0.0.0", "2001:db8::"}})
	tb = mustNew(t, ent("192.0.2.0/24", "::/0"))
	if got, ok := xlat4(tb, ma("192.0.2.255")); !ok || got != ma("ff00::") {
		t.Errorf("4->6 with ::/0 = %v, %v; want ff00::", got, ok)
	}
	if got, ok := xlat6(tb, ma("ab00::1")); !ok || got != ma("192.0.2.171") {
		t.Errorf("6->4 with ::/0 = %v, %v; want 192.0.2.171", got, ok)
	}
}

func TestValidation(t *testing.T) {
	cases := []struct {
		name string
		e    Entry
		want string // substring of the error
	}{
		{"host bits v4", ent("192.0.2.1/24", "2001:db8::/120"), "use 192.0.2.0/24"},
		{"host bits v6", ent("192.0.2.0/24", "2001:db8::1/120"), "use 2001:db8::/120"},
		{"suffix v4 longer", ent("192.0.2.0/24", "2001:db8::/124"), "ipv4 suffix (8 bits) must not be longer than the ipv6 suffix (4 bits)"},
		{"v4 in v6 slot", Entry{Prefix4: mp("192.0.2.0/24"), Prefix6: mp("192.0.2.0/24")}, "is not an ipv6 prefix"},
		{"v6 in v4 slot", Entry{Prefix4: mp("2001:db8::/120"), Prefix6: mp("2001:db8::/120")}, "is not an ipv4 prefix"},
		{"missing v4", Entry{Prefix6: mp("2001:db8::/120")}, "ipv4 prefix \"invalid Prefix\" is missing"},
		{"missing v6", Entry{Prefix4: mp("192.0.2.0/24")}, "ipv6 prefix \"invalid Prefix\" is missing"},
	}
	base := mustNew(t, ent("198.51.100.0/24", "2001:db8:1::/120"))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, f := range []func() (*Table, error){
				func() (*Table, error) { return New([]Entry{c.e}) },
				func() (*Table, error) { return base.Add(c.e, true) },
				func() (*Table, error) {
					return base.AddAll([]Entry{ent("203.0.113.0/24", "2001:db8:2::/120"), c.e}, false)
				},
			} {
				got, err := f()
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("err = %v; want ErrInvalid containing %q", err, c.want)
				}
				if got != nil && got != base {
					t.Fatalf("failed call returned a new table")
				}
			}
		})
	}
	// Equal suffixes and a longer IPv6 suffix are both fine.
	if _, err := New([]Entry{ent("192.0.2.0/24", "2001:db8::/120"), ent("203.0.113.0/24", "2001:db8:1::/64")}); err != nil {
		t.Fatal(err)
	}
}

func TestAddCollisions(t *testing.T) {
	base := mustNew(t, ent("192.0.2.0/24", "2001:db8:aaaa::/120"))
	cases := []struct {
		name  string
		e     Entry
		force bool
		want  error
		msg   string
	}{
		{"same entry", ent("192.0.2.0/24", "2001:db8:aaaa::/120"), true, ErrExists, "already exists"},
		{"same v6 prefix", ent("203.0.113.0/24", "2001:db8:aaaa::/120"), true, ErrExists, "already has ipv6 prefix 2001:db8:aaaa::/120"},
		{"same v4 prefix", ent("192.0.2.0/24", "2001:db8:bbbb::/120"), true, ErrExists, "already has ipv4 prefix 192.0.2.0/24"},
		{"v4 inside", ent("192.0.2.8/29", "2001:db8:bbbb::/125"), false, ErrOverlap, "use --force"},
		{"v6 inside", ent("203.0.113.8/29", "2001:db8:aaaa::8/125"), false, ErrOverlap, "ipv6 prefix 2001:db8:aaaa::8/125 overlaps"},
		{"v4 inside forced", ent("192.0.2.8/29", "2001:db8:bbbb::/125"), true, nil, ""},
		{"v6 inside forced", ent("203.0.113.8/29", "2001:db8:aaaa::8/125"), true, nil, ""},
		// Jool only looks at the existing prefixes containing the new prefix's first address, so a shorter
		// new prefix covering an existing one is not an overlap.
		{"v4 covering", ent("192.0.0.0/16", "2001:db8:cccc::/112"), false, nil, ""},
		{"v6 covering", ent("198.51.100.0/24", "2001:db8:aa00::/40"), false, nil, ""},
		{"disjoint", ent("198.51.100.0/24", "2001:db8:bbbb::/120"), false, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := base.Entries()
			got, err := base.Add(c.e, c.force)
			if !errors.Is(err, c.want) || (err != nil && !strings.Contains(err.Error(), c.msg)) {
				t.Fatalf("Add(%v, %v) err = %v; want %v containing %q", c.e, c.force, err, c.want, c.msg)
			}
			if !slices.Equal(base.Entries(), before) {
				t.Fatal("Add modified the original table")
			}
			if err != nil {
				if got != base {
					t.Fatal("failed Add did not return the original table")
				}
				return
			}
			if got.Len() != 2 || got.Entries()[0] != c.e {
				t.Fatalf("after Add: %v", got.Entries())
			}
		})
	}
	// The order matters, as in Jool: the /32 first, then the /24 whose first address it does not contain.
	if _, err := New([]Entry{ent("192.0.2.7/32", "2001:db8:b::7/128"), ent("192.0.2.0/24", "2001:db8:a::/120")}); err != nil {
		t.Errorf("specific then covering: %v", err)
	}
	if _, err := New([]Entry{ent("192.0.2.0/24", "2001:db8:a::/120"), ent("192.0.2.7/32", "2001:db8:b::7/128")}); !errors.Is(err, ErrOverlap) {
		t.Errorf("covering then specific: err = %v; want ErrOverlap", err)
	}
	// A duplicate IPv6 prefix hidden behind a longer match of its first address is still a duplicate.
	tb, err := (*Table)(nil).AddAll([]Entry{ent("192.0.2.0/24", "2001:db8::/120"), ent("203.0.113.0/32", "2001:db8::/128")}, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tb.Add(ent("198.51.100.0/24", "2001:db8::/120"), true); !errors.Is(err, ErrExists) {
		t.Errorf("hidden duplicate: err = %v; want ErrExists", err)
	}
}

func TestAddAllAtomic(t *testing.T) {
	base := mustNew(t, ent("192.0.2.0/24", "2001:db8:aaaa::/120"))
	got, err := base.AddAll([]Entry{
		ent("198.51.100.0/24", "2001:db8:bbbb::/120"),
		ent("203.0.113.0/24", "2001:db8:cccc::/120"),
		ent("198.51.100.0/24", "2001:db8:dddd::/120"), // collides with the first one of this batch
	}, false)
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "eam #3") || got != base {
		t.Fatalf("AddAll err = %v (table %p, base %p); want ErrExists naming entry #3", err, got, base)
	}
	if base.Len() != 1 {
		t.Fatalf("base changed: %v", base.Entries())
	}
	if _, _, ok := base.Lookup4(u4(ma("198.51.100.1"))); ok {
		t.Fatal("failed AddAll leaked an entry into the base table")
	}
}

func TestRemove(t *testing.T) {
	base := mustNew(t,
		ent("192.0.2.0/24", "2001:db8:aaaa::/120"),
		ent("198.51.100.0/24", "2001:db8:bbbb::/120"),
		ent("203.0.113.0/24", "2001:db8:cccc::/120"),
	)
	p := func(s string) *netip.Prefix { x := mp(s); return &x }
	cases := []struct {
		name   string
		p6, p4 *netip.Prefix
		want   error
		left   []Entry
	}{
		{"by v4", nil, p("192.0.2.0/24"), nil, []Entry{ent("203.0.113.0/24", "2001:db8:cccc::/120"), ent("198.51.100.0/24", "2001:db8:bbbb::/120")}},
		{"by v6", p("2001:db8:bbbb::/120"), nil, nil, []Entry{ent("203.0.113.0/24", "2001:db8:cccc::/120"), ent("192.0.2.0/24", "2001:db8:aaaa::/120")}},
		{"by both", p("2001:db8:cccc::/120"), p("203.0.113.0/24"), nil, []Entry{ent("198.51.100.0/24", "2001:db8:bbbb::/120"), ent("192.0.2.0/24", "2001:db8:aaaa::/120")}},
		{"both of different entries", p("2001:db8:cccc::/120"), p("192.0.2.0/24"), ErrNotFound, nil},
		{"neither", nil, nil, ErrInvalid, nil},
		{"not exact v4", nil, p("192.0.2.0/25"), ErrNotFound, nil},
		{"not exact v6", p("2001:db8:aaaa::/121"), nil, ErrNotFound, nil},
		{"host bits", nil, p("192.0.2.1/24"), ErrInvalid, nil},
		{"wrong family", p("192.0.2.0/24"), nil, ErrInvalid, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := base.Entries()
			got, err := base.Remove(c.p6, c.p4)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v; want %v", err, c.want)
			}
			if !slices.Equal(base.Entries(), before) {
				t.Fatal("Remove modified the original table")
			}
			if err != nil {
				if got != base {
					t.Fatal("failed Remove did not return the original table")
				}
				return
			}
			if !slices.Equal(got.Entries(), c.left) {
				t.Fatalf("left %v; want %v", got.Entries(), c.left)
			}
			r := c.p4
			if r == nil {
				r = p(strings.Replace(c.p6.String(), "2001:db8:bbbb::/120", "198.51.100.0/24", 1))
			}
			if _, _, ok := got.Lookup4(u4(r.Addr())); ok {
				t.Fatalf("removed entry still matches %s", r.Addr())
			}
		})
	}
	var empty *Table
	if _, err := empty.Remove(p("2001:db8::/120"), nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("remove from nil table: %v", err)
	}
}

func TestNilAndEmpty(t *testing.T) {
	var tb *Table
	if tb.Len() != 0 || tb.Entries() != nil {
		t.Error("nil table is not empty")
	}
	if _, _, ok := tb.Lookup4(1); ok {
		t.Error("nil table Lookup4 matched")
	}
	if _, ok := tb.Lookup6(1, 2); ok {
		t.Error("nil table Lookup6 matched")
	}
	if _, ok := tb.Match4(ma("192.0.2.1")); ok {
		t.Error("nil table Match4 matched")
	}
	if _, ok := tb.Match6(ma("2001:db8::1")); ok {
		t.Error("nil table Match6 matched")
	}
	e := mustNew(t)
	if e.Len() != 0 {
		t.Error("New(nil) is not empty")
	}
	if _, _, ok := e.Lookup4(0); ok {
		t.Error("empty table matched")
	}
	one, err := tb.Add(ent("192.0.2.0/24", "2001:db8::/120"), false)
	if err != nil || one.Len() != 1 {
		t.Fatalf("Add to nil table: %v", err)
	}
	gone, err := one.Remove(nil, &[]netip.Prefix{mp("192.0.2.0/24")}[0])
	if err != nil || gone.Len() != 0 {
		t.Fatalf("Remove last entry: %v", err)
	}
	if _, ok := gone.Lookup6(u6(ma("2001:db8::1"))); ok {
		t.Error("emptied table matched")
	}
}

func TestEntryString(t *testing.T) {
	if s := ent("192.0.2.0/24", "2001:db8::/120").String(); s != "192.0.2.0/24 <-> 2001:db8::/120" {
		t.Errorf("String() = %q", s)
	}
}
