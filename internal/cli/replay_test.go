package cli

import (
	"strings"
	"testing"
)

// The command sequences of Jool's tutorials, run unchanged.

// docs/en/run-vanilla.md (Netfilter and iptables variants).
func TestReplayRunVanilla(t *testing.T) {
	e := newEnv(t)
	e.ok("instance", "add", "example", "--netfilter", "--pool6", "2001:db8::/96")
	out := e.ok("-i", "example", "global", "display")
	if !strings.Contains(out, "  pool6: 2001:db8::/96\n") {
		t.Fatalf("global display:\n%s", out)
	}
	q := e.ok("-i", "example", "address", "query", "192.0.2.16")
	if q != "2001:db8::c000:210\n" {
		t.Fatalf("address query = %q", q)
	}
	e.ok("instance", "remove", "example")
	e.ok("instance", "add", "example", "--iptables", "--pool6", "2001:db8::/96")
	e.ok("instance", "remove", "example")
	if n := len(e.st.Snapshot().Instances()); n != 0 {
		t.Fatalf("%d instances left", n)
	}
}

// docs/en/run-eam.md: the table printed there must come out byte for byte.
func TestReplayRunEAM(t *testing.T) {
	e := newEnv(t)
	e.ok("instance", "add", "example", "--netfilter")
	e.ok("-i", "example", "eamt", "add", "2001:db8:6::/120", "198.51.100.0/24")
	e.ok("-i", "example", "eamt", "add", "2001:db8:4::/120", "192.0.2.0/24")
	want := `+---------------------------------------------+--------------------+
|                                 IPv6 Prefix |        IPv4 Prefix |
+---------------------------------------------+--------------------+
|                            2001:db8:4::/120 |       192.0.2.0/24 |
|                            2001:db8:6::/120 |    198.51.100.0/24 |
+---------------------------------------------+--------------------+
`
	if got := e.ok("-i", "example", "eamt", "display"); got != want {
		t.Fatalf("eamt display:\n%s\nwant:\n%s", got, want)
	}
	if got := e.ok("-i", "example", "address", "query", "2001:db8:4::10"); got != "192.0.2.16\n" {
		t.Fatalf("query = %q", got)
	}
	e.ok("instance", "remove", "example")
}

// docs/en/siit-dc.md and siit-dc-2xlat.md (BR and ER).
func TestReplaySIITDC(t *testing.T) {
	e := newEnv(t)
	e.ok("instance", "add", "--netfilter", "--pool6", "2001:db8:46::/96")
	e.ok("eamt", "add", "192.0.2.1", "2001:db8:12:34::1")
	e.ok("eamt", "add", "192.0.2.2", "2001:db8:3333::464:1")
	if got := e.ok("address", "query", "192.0.2.1"); got != "2001:db8:12:34::1\n" {
		t.Fatalf("query = %q", got)
	}
	if got := e.ok("address", "query", "2001:db8:46::cb00:7101"); got != "203.0.113.1\n" {
		t.Fatalf("query = %q", got)
	}
	// The edge relay.
	e.ok("-i", "er", "instance", "add", "--netfilter", "--pool6", "2001:db8:46::/96")
	e.ok("-i", "er", "eamt", "add", "198.51.100.0/24", "2001:db8:3333::464:0/120")
	if got := e.ok("-i", "er", "address", "query", "198.51.100.7"); got != "2001:db8:3333::464:7\n" {
		t.Fatalf("query = %q", got)
	}
}

// docs/en/usr-flags-eamt.md and usr-flags-address.md examples.
func TestReplayEAMTAndAddressDocs(t *testing.T) {
	e := newEnv(t)
	e.ok("instance", "add", "--iptables", "--pool6", "64:ff9b::/96")
	e.ok("eamt", "add", "192.0.2.1", "2001:db8:aaaa::")
	e.ok("eamt", "add", "192.0.2.2/32", "2001:db8:bbbb::b/128")
	e.ok("eamt", "add", "192.0.2.16/28", "2001:db8:cccc::/124")
	e.ok("eamt", "add", "192.0.2.128/26", "2001:db8:dddd::/64")
	e.ok("eamt", "add", "192.0.2.192/29", "2001:db8:eeee:8::/62")
	e.ok("eamt", "add", "192.0.2.224/31", "64:ff9b::/127")
	if got := e.ok("address", "query", "192.0.2.1"); got != "2001:db8:aaaa::\n" {
		t.Fatalf("query = %q", got)
	}
	if got := e.ok("address", "query", "2001:db8:aaaa::"); got != "192.0.2.1\n" {
		t.Fatalf("query = %q", got)
	}
	want := "  Query: 192.0.2.225\n  Scheme: EAMT\n    EAM: 64:ff9b::/127 | 192.0.2.224/31\n" +
		"  Operation: 192.0.2.225 - 192.0.2.224/31 + 64:ff9b::/127 = 64:ff9b::1\n  Result: 64:ff9b::1\n"
	if got := e.ok("address", "query", "--verbose", "192.0.2.225"); got != want {
		t.Fatalf("verbose query:\n%s\nwant:\n%s", got, want)
	}
	want = "  Query: 64:ff9b::c000:2f8\n  Scheme: RFC 6052 prefix\n    Prefix: 64:ff9b::/96\n" +
		"  Operation: 64:ff9b::c000:2f8 - 64:ff9b::/96 = 192.0.2.248\n  Result: 192.0.2.248\n"
	if got := e.ok("address", "query", "--verbose", "64:ff9b::c000:2f8"); got != want {
		t.Fatalf("verbose query:\n%s\nwant:\n%s", got, want)
	}
	r := e.run("address", "query", "2001:db8::1")
	if r.code != 22 || !strings.Contains(r.err, "not translated") {
		t.Fatalf("untranslatable query: %+v", r)
	}
	csv := e.ok("eamt", "display", "--csv")
	if !strings.HasPrefix(csv, "IPv6 Prefix,IPv4 Prefix\n64:ff9b::/127,192.0.2.224/31\n") {
		t.Fatalf("csv:\n%s", csv)
	}
	e.ok("eamt", "remove", "2001:db8:aaaa::")
	e.ok("eamt", "flush")
	if got := e.ok("eamt", "display", "--csv", "--no-headers"); got != "" {
		t.Fatalf("flushed table: %q", got)
	}
}

// MTU-related globals (docs/en/mtu.md, usr-flags-global.md).
func TestReplayMTU(t *testing.T) {
	e := newEnv(t)
	e.ok("instance", "add", "--netfilter", "--pool6", "64:ff9b::/96")
	e.ok("global", "update", "lowest-ipv6-mtu", "1500")
	e.ok("global", "update", "mtu-plateaus", "1500,1400,1280,576")
	out := e.ok("global", "display")
	for _, want := range []string{"  lowest-ipv6-mtu: 1500\n", "  mtu-plateaus: 1500,1400,1280,576\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("global display lacks %q:\n%s", want, out)
		}
	}
	e.fails(22, "1280", "global", "update", "lowest-ipv6-mtu", "1000")
}
