package control

import (
	"errors"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/siit-project/siit/internal/config"
	"github.com/siit-project/siit/xlat"
	"github.com/siit-project/siit/xlat/eamt"
)

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func entry(p6, p4 string) eamt.Entry { return eamt.Entry{Prefix6: pfx(p6), Prefix4: pfx(p4)} }

func TestStateTransactions(t *testing.T) {
	var got []uint64
	st := NewState(Options{})
	st.Subscribe(func(s *Snapshot) { got = append(got, s.Generation) })
	if err := st.AddInstance("default", config.Netfilter, pfx("64:ff9b::/96")); err != nil {
		t.Fatal(err)
	}
	if err := st.AddInstance("default", config.Netfilter, netip.Prefix{}); ErrnoOf(err) != syscall.EEXIST {
		t.Fatalf("duplicate instance: %v", err)
	}
	if err := st.AddEAM("default", entry("2001:db8::/120", "192.0.2.0/24"), false); err != nil {
		t.Fatal(err)
	}
	before := st.Snapshot()
	bad := []error{
		st.AddEAM("default", entry("2001:db8::/120", "198.51.100.0/24"), true),  // same IPv6 prefix
		st.AddEAM("default", entry("2001:db8:1::/124", "192.0.2.16/28"), false), // overlap without force
		st.AddEAM("nope", entry("2001:db8:1::/124", "203.0.113.0/28"), false),   // no instance
		st.UpdateGlobal("default", "pool6", "64:ff9b::/95", true),               // bad length
		st.UpdateGlobal("default", "lowest-ipv6-mtu", "1000", true),             // too small
		st.AddDenylist4("default", pfx("127.0.0.0/8"), false),                   // reserved without force
		st.RemoveEAM("default", ptr(pfx("2001:db8:9::/120")), nil),              // not there
		st.RemoveDenylist4("default", pfx("192.0.2.0/24")),                      // not there
		st.AddInstance("way-too-long-instance-name", config.Netfilter, netip.Prefix{}),
		st.AddInstance("x", "nftables", netip.Prefix{}),
	}
	for i, err := range bad {
		if err == nil {
			t.Errorf("bad change #%d succeeded", i)
		}
	}
	if st.Snapshot() != before {
		t.Fatal("a failed change published a snapshot")
	}
	if err := st.AddEAM("default", entry("2001:db8:1::/124", "192.0.2.16/28"), true); err != nil {
		t.Fatalf("overlap with force: %v", err)
	}
	if n := st.Snapshot().Instance("default").EAMT.Len(); n != 2 {
		t.Fatalf("EAMT has %d entries, want 2", n)
	}
	if len(got) != 3 || got[2] != 3 {
		t.Fatalf("subscriber saw generations %v", got)
	}
	// The old snapshot is untouched by later changes.
	if before.Instance("default").EAMT.Len() != 1 {
		t.Fatal("published snapshot was modified")
	}
}

func ptr[T any](v T) *T { return &v }

func TestPrepareHookRejects(t *testing.T) {
	st := NewState(Options{Prepare: func(in *Instance) (any, error) {
		if in.Globals.TOS == 13 {
			return nil, errors.New("the data plane refuses tos 13")
		}
		return "built:" + in.Name, nil
	}})
	if err := st.AddInstance("a", config.IPTables, netip.Prefix{}); err != nil {
		t.Fatal(err)
	}
	if d := st.Snapshot().Instance("a").Data; d != "built:a" {
		t.Fatalf("Data = %v", d)
	}
	err := st.UpdateGlobal("a", "tos", "13", false)
	if err == nil || !strings.Contains(err.Error(), "refuses tos 13") {
		t.Fatalf("prepare error not returned: %v", err)
	}
	if st.Snapshot().Instance("a").Globals.TOS != 0 {
		t.Fatal("rejected change was published")
	}
}

func TestHandleFileReplacesAndDefaults(t *testing.T) {
	st := NewState(Options{})
	c := config.NewInstance("f")
	c.Globals.Pool6 = pfx("64:ff9b::/96")
	c.Globals.TOS = 9
	c.EAMT = []eamt.Entry{entry("2001:db8::/120", "192.0.2.0/24")}
	if err := st.HandleFile(c, false); err != nil {
		t.Fatal(err)
	}
	c2 := config.NewInstance("f")
	if err := st.HandleFile(c2, false); err != nil {
		t.Fatal(err)
	}
	in := st.Snapshot().Instance("f")
	if in.Globals.TOS != 0 || in.Globals.Pool6.IsValid() || in.EAMT.Len() != 0 {
		t.Fatalf("omitted fields did not go back to defaults: %+v", in)
	}
	c3 := config.NewInstance("f")
	c3.Framework = config.IPTables
	if err := st.HandleFile(c3, false); err == nil {
		t.Fatal("framework change accepted")
	}
}

func TestQuery(t *testing.T) {
	st := NewState(Options{})
	st.AddInstance("default", config.Netfilter, pfx("64:ff9b::/96"))
	st.AddEAM("default", entry("64:ff9b::/127", "192.0.2.224/31"), false)
	st.AddEAM("default", entry("2001:db8:eeee:8::/62", "192.0.2.192/29"), false)
	st.AddDenylist4("default", pfx("198.51.100.0/24"), false)
	cases := []struct {
		in, out string
		method  Method
	}{
		{"192.0.2.225", "64:ff9b::1", MethodEAMT},
		{"64:ff9b::c000:2f8", "192.0.2.248", MethodPool6},
		{"203.0.113.5", "64:ff9b::cb00:7105", MethodPool6},
		{"192.0.2.193", "2001:db8:eeee:8:8000::", MethodEAMT}, // suffix 001 lands in bits 62..64,
	}
	for _, c := range cases {
		r, err := st.Query("default", netip.MustParseAddr(c.in))
		if err != nil || r.Result.String() != c.out || r.Method != c.method {
			t.Errorf("Query(%s) = %v %s %v, want %s via %s", c.in, r.Result, r.Method, err, c.out, c.method)
		}
	}
	for _, a := range []string{"198.51.100.7", "127.0.0.1", "2001:db8::1", "fe80::1"} {
		if _, err := st.Query("default", netip.MustParseAddr(a)); err == nil {
			t.Errorf("Query(%s) succeeded", a)
		}
	}
}

func TestRFC6052AllLengths(t *testing.T) {
	a := netip.MustParseAddr("192.0.2.33")
	want := map[string]string{ // RFC 6052 section 2.4, table
		"2001:db8::/32":         "2001:db8:c000:221::",
		"2001:db8:100::/40":     "2001:db8:1c0:2:21::",
		"2001:db8:122::/48":     "2001:db8:122:c000:2:2100::",
		"2001:db8:122:300::/56": "2001:db8:122:3c0:0:221::",
		"2001:db8:122:344::/64": "2001:db8:122:344:c0:2:2100:0",
		"2001:db8:122:344::/96": "2001:db8:122:344::c000:221",
	}
	for p, w := range want {
		got := embed(pfx(p), a)
		if got.String() != w {
			t.Errorf("embed(%s) = %s, want %s", p, got, w)
		}
		if back := extract(pfx(p), got); back != a {
			t.Errorf("extract(%s, %s) = %s", p, got, back)
		}
	}
}

func TestStatsSum(t *testing.T) {
	st := NewState(Options{})
	st.AddInstance("default", config.Netfilter, netip.Prefix{})
	src := func(n uint64) StatsFunc {
		return func() (c [xlat.NumCounters]uint64) { c[xlat.StatSuccess] = n; return }
	}
	un := st.RegisterStats("default", src(3))
	st.RegisterStats("default", src(4))
	if c, err := st.Stats("default"); err != nil || c[xlat.StatSuccess] != 7 {
		t.Fatalf("Stats = %v, %v", c[xlat.StatSuccess], err)
	}
	un()
	if c, _ := st.Stats("default"); c[xlat.StatSuccess] != 4 {
		t.Fatalf("after unregister: %d", c[xlat.StatSuccess])
	}
	if _, err := st.Stats("other"); err == nil {
		t.Fatal("stats of a missing instance")
	}
}

func TestWatchConflates(t *testing.T) {
	st := NewState(Options{})
	ch, cancel := st.Watch()
	defer cancel()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		st.AddInstance(string(rune('a'+i)), config.Netfilter, netip.Prefix{})
	}
	wg.Wait()
	s := <-ch
	if s.Generation != 20 {
		t.Fatalf("Watch offered generation %d, want the newest (20)", s.Generation)
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestLoadFile(t *testing.T) {
	st := NewState(Options{})
	dir := t.TempDir()
	good := dir + "/good.json"
	os.WriteFile(good, []byte(`{"instance":"default","framework":"netfilter","global":{"pool6":"64:ff9b::/96"},
		"eamt":[{"ipv6 prefix":"2001:db8::/120","ipv4 prefix":"192.0.2.0/24"}]}`), 0o600)
	if err := st.LoadFile(good, "", false); err != nil {
		t.Fatal(err)
	}
	in := st.Snapshot().Instance("default")
	if in == nil || in.EAMT.Len() != 1 || in.Globals.Pool6.String() != "64:ff9b::/96" {
		t.Fatalf("loaded %+v", in)
	}
	bad := dir + "/bad.json"
	os.WriteFile(bad, []byte(`{"instance":"default","framework":"netfilter","global":{"pool6":"64:ff9b::/95"}}`), 0o600)
	gen := st.Snapshot().Generation
	if err := st.LoadFile(bad, "", false); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Fatalf("bad file: %v", err)
	}
	if err := st.LoadFile(dir+"/missing.json", "", false); err == nil {
		t.Fatal("missing file loaded")
	}
	if st.Snapshot().Generation != gen {
		t.Fatal("a failed load changed the state")
	}
}
