package eamt

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// bulkList returns n entries that are valid together (distinct /32 <-> /128 and /28 <-> /124 mappings from a
// large space) and then breaks some: each bad entry reuses or nests inside a prefix of an earlier entry, on the
// IPv6 side, the IPv4 side or both, so that one entry can break several rules at once.
func bulkList(r *rand.Rand, n, bad int) []Entry {
	es := make([]Entry, n)
	for i := range es {
		base := uint32(i) * 16
		if i%8 == 0 {
			es[i] = Entry{Prefix4: netipPrefix4(0x0a000000+base, 28), Prefix6: netipPrefix6(0x20010db801000000, uint64(base), 124)}
		} else {
			k := uint32(i*7) & 15
			es[i] = Entry{Prefix4: netipPrefix4(0x0a000000+base+k, 32), Prefix6: netipPrefix6(0x20010db801000000, uint64(base+k), 128)}
		}
	}
	for range bad {
		i := 1 + r.IntN(n-1)
		old := es[r.IntN(i)]
		e := es[i]
		switch r.IntN(6) {
		case 0: // same IPv6 prefix
			e.Prefix6 = old.Prefix6
		case 1: // same IPv4 prefix
			e.Prefix4 = old.Prefix4
		case 2: // both
			e = Entry{Prefix6: old.Prefix6, Prefix4: old.Prefix4}
		case 3: // a shorter IPv6 prefix over an older one (overlap; with force, maybe hidden duplicate later)
			e.Prefix6 = netip.PrefixFrom(old.Prefix6.Addr(), old.Prefix6.Bits()-4).Masked()
		case 4: // a longer IPv4 prefix inside an older one, and the IPv6 side duplicated
			e.Prefix4 = netip.PrefixFrom(old.Prefix4.Addr(), 32)
			e.Prefix6 = old.Prefix6
		default: // nests on both sides
			e.Prefix4 = netip.PrefixFrom(old.Prefix4.Addr(), old.Prefix4.Bits()-2).Masked()
			e.Prefix6 = netip.PrefixFrom(old.Prefix6.Addr(), old.Prefix6.Bits()-2).Masked()
		}
		if 32-e.Prefix4.Bits() > 128-e.Prefix6.Bits() {
			continue // would be invalid on its own: not what this test is about
		}
		es[i] = e
	}
	return es
}

// addOneByOne is AddAll's specification: Add in order, the first error numbered.
func addOneByOne(t *Table, es []Entry, force bool) (*Table, error) {
	orig := t
	for i, e := range es {
		next, err := t.Add(e, force)
		if err != nil {
			if len(es) > 1 {
				err = fmt.Errorf("eam #%d: %w", i+1, err)
			}
			return orig, err
		}
		t = next
	}
	return t, nil
}

// TestAddAllParallelMatchesSequential checks that a bulk load big enough to build the two families concurrently
// reports exactly the error (same entry, same rule, same text) and builds exactly the table that adding the
// entries one by one does, with and without force, onto an empty and a non-empty table.
func TestAddAllParallelMatchesSequential(t *testing.T) {
	n, seeds := parallelMin+2000, uint64(12)
	if testing.Short() || raceEnabled {
		n, seeds = parallelMin+100, 4 // still the concurrent path, which is what -race is for
	}
	base := mustNew(t, ent("192.0.2.0/24", "2001:db8:ffff::/120"), ent("10.0.0.64/28", "2001:db8:eeee::/124"))
	seen := map[string]bool{}
	for seed := uint64(1); seed <= seeds; seed++ {
		r := rand.New(rand.NewPCG(seed, 99))
		bad := []int{0, 1, 3, 40}[seed/2%4]
		es := bulkList(r, n, bad)
		for _, force := range []bool{false, true} {
			for _, start := range []*Table{nil, base}[seed%2:][:1] {
				got, err := start.AddAll(es, force)
				want, wantErr := addOneByOne(start, es, force)
				if fmt.Sprint(err) != fmt.Sprint(wantErr) || sentinel(err) != sentinel(wantErr) {
					t.Fatalf("seed %d force %v: AddAll error\n%v\none by one:\n%v", seed, force, err, wantErr)
				}
				if err != nil {
					seen[fmt.Sprint(sentinel(err))] = true
					if got != start {
						t.Fatalf("seed %d: a failed AddAll returned a new table", seed)
					}
					continue
				}
				seen["ok"] = true
				if got.Len() != want.Len() || !slices.Equal(got.Entries(), want.Entries()) {
					t.Fatalf("seed %d force %v: AddAll built a different table", seed, force)
				}
				for _, e := range es[:200] {
					a4, b4 := xlat4(got, e.Prefix4.Addr())
					w4, c4 := xlat4(want, e.Prefix4.Addr())
					a6, b6 := xlat6(got, e.Prefix6.Addr())
					w6, c6 := xlat6(want, e.Prefix6.Addr())
					if a4 != w4 || b4 != c4 || a6 != w6 || b6 != c6 {
						t.Fatalf("seed %d: lookups differ for %v", seed, e)
					}
				}
			}
		}
	}
	for _, k := range []string{"ok", ErrExists.Error(), ErrOverlap.Error()} {
		if !seen[k] {
			t.Errorf("no case ended with %q; the generator no longer covers it", k)
		}
	}
}

// TestAddAllSameEntryBothSides pins the rule order when one entry breaks a rule on each side: the IPv6 side's
// longest-match rule comes first, and the IPv4 longest-match rule comes before the IPv6 hidden-duplicate rule.
func TestAddAllSameEntryBothSides(t *testing.T) {
	es := bulkList(rand.New(rand.NewPCG(7, 7)), parallelMin+10, 0)
	last := len(es) - 1
	old := es[100]
	// IPv6 duplicate and IPv4 duplicate: the IPv6 one is reported.
	es[last] = Entry{Prefix6: old.Prefix6, Prefix4: old.Prefix4}
	_, err := (*Table)(nil).AddAll(es, false)
	_, want := addOneByOne(nil, es, false)
	if err == nil || err.Error() != want.Error() {
		t.Fatalf("got %v\nwant %v", err, want)
	}
	if want := fmt.Sprintf("eam #%d: add eam %s: the entry already exists", last+1, es[last]); err.Error()[:len(want)] != want {
		t.Fatalf("got %v, want it to start with %q", err, want)
	}
}

// TestAddAllRuleOrder pins which error a bulk load reports when the first failing entry breaks rules on both
// sides, including the hidden-duplicate rules (a prefix identical to an existing one, behind a longer forced
// entry that holds the first address): the order is add's, whichever side finds its failure first.
func TestAddAllRuleOrder(t *testing.T) {
	es := bulkList(rand.New(rand.NewPCG(7, 7)), parallelMin+10, 0)
	r0 := es[0] // 10.0.0.0/28 <-> 2001:db8:100::/124
	inner6 := Entry{Prefix6: netip.PrefixFrom(r0.Prefix6.Addr(), 128), Prefix4: mp("192.0.2.1/32")}
	inner4 := Entry{Prefix6: mp("2001:db8:ffff::1/128"), Prefix4: netip.PrefixFrom(r0.Prefix4.Addr(), 32)}
	cases := []struct {
		name  string
		tail  []Entry
		force bool
		want  string
	}{
		{"both duplicated", []Entry{{Prefix6: es[5].Prefix6, Prefix4: es[5].Prefix4}}, false, "the entry already exists"},
		{"ipv6 overlap before ipv4 duplicate", []Entry{{Prefix6: netip.PrefixFrom(es[9].Prefix6.Addr(), 120).Masked(), Prefix4: es[3].Prefix4}}, false, "ipv6 prefix 2001:db8:100::/120 overlaps"},
		{"hidden ipv6 duplicate", []Entry{inner6, {Prefix6: r0.Prefix6, Prefix4: mp("192.0.2.2/32")}}, true, "already has ipv6 prefix 2001:db8:100::/124"},
		{"hidden ipv4 duplicate", []Entry{inner4, {Prefix6: mp("2001:db8:ffff::20/124"), Prefix4: r0.Prefix4}}, true, "already has ipv4 prefix 10.0.0.0/28"},
		{"ipv4 duplicate before hidden ipv6 duplicate", []Entry{inner6, {Prefix6: r0.Prefix6, Prefix4: es[4].Prefix4}}, true, "already has ipv4 prefix " + es[4].Prefix4.String()},
		{"hidden ipv6 before hidden ipv4", []Entry{inner6, inner4, {Prefix6: r0.Prefix6, Prefix4: r0.Prefix4}}, true, "already has ipv6 prefix 2001:db8:100::/124"},
	}
	for _, c := range cases {
		list := append(slices.Clone(es), c.tail...)
		_, err := (*Table)(nil).AddAll(list, c.force)
		_, want := addOneByOne(nil, list, c.force)
		if err == nil || want == nil || err.Error() != want.Error() {
			t.Fatalf("%s: AddAll: %v\none by one: %v", c.name, err, want)
		}
		prefix := fmt.Sprintf("eam #%d: ", len(list))
		if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want %q... %q", c.name, err, prefix, c.want)
		}
	}
}
