package cli

import (
	"fmt"
	"strings"
	"testing"
)

// The cases in this file were checked against the real jool_siit 4.1.9
// client (with a stand-in for the kernel module where one was needed).

// TestVersionIsJools: -V and --version, before MODE or after an operation,
// print what jool_siit prints, since scripts compare it.
func TestVersionIsJools(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{{"-V"}, {"--version"}, {"--vers"}, {"-Vx"}, {"-V", "eamt", "display"},
		{"eamt", "display", "-V"}, {"stats", "display", "--vers"}, {"global", "update", "pool6", "--version"},
		{"instance", "add", "-V"}} {
		if r := e.run(args...); r.code != 0 || r.out != "4.1.9.0\n" || r.err != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 0, \"4.1.9.0\\n\"", args, r.code, r.out, r.err)
		}
	}
}

// TestBadTopLevelOptionsShowHelp: getopt's complaint on stderr, the help on
// stdout, exit status 0 (Jool's client treats every bad option as a request
// for help).
func TestBadTopLevelOptionsShowHelp(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"--foo"}, "unrecognized option '--foo'"},
		{[]string{"--foo", "eamt", "display"}, "unrecognized option '--foo'"},
		{[]string{"-x", "eamt", "display"}, "invalid option -- 'x'"},
		{[]string{"-xV"}, "invalid option -- 'x'"},
		{[]string{"-h"}, "invalid option -- 'h'"},
		{[]string{"-hV"}, "invalid option -- 'h'"},
		{[]string{"-i"}, "option requires an argument -- 'i'"},
		{[]string{"-f"}, "option requires an argument -- 'f'"},
		{[]string{"--inst"}, "option '--instance' requires an argument"},
		{[]string{"--help=x"}, "option '--help' doesn't allow an argument"},
		{[]string{"--version=3"}, "option '--version' doesn't allow an argument"},
	}
	for _, c := range cases {
		r := e.run(c.args...)
		if r.code != 0 || r.err != "jool_siit: "+c.msg+"\n" || !strings.HasPrefix(r.out, "Usage\n=====\njool_siit (\n") {
			t.Errorf("%v: exit %d, stderr %q, stdout %.40q; want 0, %q and the help", c.args, r.code, r.err, r.out, c.msg)
		}
	}
}

// TestRefusalsExitWithTheErrno: what Jool's kernel module refuses makes
// jool_siit exit with the errno itself; what its client refuses, with 256
// minus the errno. The daemon plays the kernel module's part.
func TestRefusalsExitWithTheErrno(t *testing.T) {
	e := newEnv(t)
	e.ok("instance", "add", "--pool6", "64:ff9b::/96")
	e.ok("eamt", "add", "2001:db8:6::/120", "192.0.2.0/24")
	const file = `{"instance": "default", "framework": "netfilter", "global": {%s}}`
	cases := []struct {
		code int
		args []string
	}{
		// The kernel module's refusals.
		{17, []string{"instance", "add"}},
		{17, []string{"eamt", "add", "2001:db8:6::/120", "192.0.2.0/24"}},
		{3, []string{"-i", "nope", "eamt", "display"}},
		{3, []string{"-i", "nope", "global", "update", "tos", "5"}},
		{3, []string{"eamt", "remove", "2001:db8:9::/120"}},
		{3, []string{"denylist4", "remove", "203.0.113.0/24"}},
		{3, []string{"instance", "remove", "nope"}},
		{22, []string{"global", "update", "lowest-ipv6-mtu", "1279"}},
		{22, []string{"global", "update", "pool6", "64:ff9b::/95"}},
		{22, []string{"global", "update", "pool6", "64:ff9b::1/96"}},
		{22, []string{"instance", "add", "x", "--pool6", "64:ff9b::/95"}},
		{22, []string{"eamt", "add", "2001:db8:7::1/120", "198.51.100.0/24"}},
		{22, []string{"denylist4", "add", "203.0.113.1/24"}},
		{22, []string{"address", "query", "2001:db8:77::5"}},
		{22, []string{"file", "handle", e.writeFile("mtu.json", fmt.Sprintf(file, `"lowest-ipv6-mtu": 1000`))}},
		{22, []string{"file", "handle", e.writeFile("len.json", fmt.Sprintf(file, `"pool6": "64:ff9b::/95"`))}},
		// The client's.
		{234, []string{"global", "update", "tos", "300"}},
		{234, []string{"global", "update", "eam-hairpin-mode", "bogus"}},
		{234, []string{"global", "update", "rfc6791v4-prefix", "1.2.3.4/40"}},
		{234, []string{"eamt", "add", "2001:db8::/129", "192.0.2.0/24"}},
		{234, []string{"instance", "add", "x", "--netfilter", "--iptables"}},
		{234, []string{"file", "handle", e.writeFile("tos.json", fmt.Sprintf(file, `"tos": 256`))}},
		{234, []string{"file", "handle", e.writeFile("key.json", fmt.Sprintf(file, `"foo": 1`))}},
	}
	for _, c := range cases {
		e.fails(c.code, "Error: ", c.args...)
	}
}

// TestFailedDisplaysPrintTheHeader: Jool's client prints a table's header
// once it has found its kernel module, before the request that fails; with
// no module (daemon) it prints nothing. An -i name that is too long fails
// as the request is built, so also after the header.
func TestFailedDisplaysPrintTheHeader(t *testing.T) {
	e := newEnv(t)
	e.ok("instance", "add")
	const (
		eamtTable = "+---------------------------------------------+--------------------+\n" +
			"|                                 IPv6 Prefix |        IPv4 Prefix |\n" +
			"+---------------------------------------------+--------------------+\n"
		denyTable = "+--------------------+\n|        IPv4 Prefix |\n+--------------------+\n"
		tooLong   = "1234567890123456"
		noName    = "Error: The instance name must be a null-terminated ascii string, 15 characters max.\n"
	)
	cases := []struct {
		code     int
		out, err string // err: a prefix of stderr
		args     []string
	}{
		{3, eamtTable, "Error: ", []string{"-i", "nope", "eamt", "display"}},
		{3, "IPv6 Prefix,IPv4 Prefix\n", "Error: ", []string{"-i", "nope", "eamt", "display", "--csv"}},
		{3, "", "Error: ", []string{"-i", "nope", "eamt", "display", "--no-headers"}},
		{3, denyTable, "Error: ", []string{"-i", "nope", "denylist4", "display"}},
		{3, "IPv4 Prefix\n", "Warning: blacklist4 is deprecated", []string{"-i", "nope", "blacklist4", "display", "--csv"}},
		{3, "", "Error: ", []string{"-i", "nope", "global", "display"}},
		{3, "Field,Value\n", "Error: ", []string{"-i", "nope", "global", "display", "--csv"}},
		{3, "", "Error: ", []string{"-i", "nope", "stats", "display"}},
		{3, "Stat,Value,Explanation\n", "Error: ", []string{"-i", "nope", "stats", "display", "--csv", "--explain"}},
		{3, "", "Error: ", []string{"-i", "nope", "address", "query", "192.0.2.1"}},
		{234, eamtTable, noName, []string{"-i", tooLong, "eamt", "display"}},
		{234, "Stat,Value\n", noName, []string{"-i", tooLong, "stats", "display", "--csv"}},
		{234, "Status unknown\n", noName, []string{"-i", tooLong, "instance", "status"}},
		{234, "", noName, []string{"-i", tooLong, "global", "update", "tos", "5"}},
		{234, "", noName, []string{"-i", tooLong, "instance", "add"}},
		{234, "", noName, []string{"-i", tooLong, "address", "query", "192.0.2.1"}},
		{234, "", noName, []string{"-i", tooLong, "file", "handle", e.writeFile("f.json", goodFile)}},
	}
	for _, c := range cases {
		r := e.run(c.args...)
		if r.code != c.code || r.out != c.out || !strings.HasPrefix(r.err, c.err) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d, %q, %q...", c.args, r.code, r.out, r.err, c.code, c.out, c.err)
		}
	}
	// No daemon: nothing on stdout, except that the instance is dead.
	none := []string{"--socket", e.dir + "/none.sock"}
	for _, args := range [][]string{{"eamt", "display"}, {"stats", "display", "--csv"}, {"-i", tooLong, "eamt", "display"}} {
		var o, er strings.Builder
		if code := Main("jool_siit", append(none, args...), &o, &er); code != 253 || o.String() != "" {
			t.Errorf("%v without a daemon: exit %d, stdout %q", args, code, o.String())
		}
	}
	var o, er strings.Builder
	if code := Main("jool_siit", append(none, "instance", "status"), &o, &er); code != 253 || o.String() != "Dead\n" {
		t.Errorf("instance status without a daemon: exit %d, stdout %q", code, o.String())
	}
}

// TestDenylist4Repeats: Jool's denylist4 is a list; adding a prefix it holds
// appends it again (from the CLI or a file), display shows every copy in the
// order added, and remove takes out the first one.
func TestDenylist4Repeats(t *testing.T) {
	e := newEnv(t)
	e.ok("instance", "add")
	e.ok("denylist4", "add", "198.51.100.0/24")
	e.ok("denylist4", "add", "203.0.113.0/24")
	e.ok("denylist4", "add", "198.51.100.0/24")
	if got := e.ok("denylist4", "display", "--csv"); got != "IPv4 Prefix\n198.51.100.0/24\n203.0.113.0/24\n198.51.100.0/24\n" {
		t.Errorf("denylist4 display --csv = %q", got)
	}
	e.ok("denylist4", "remove", "198.51.100.0/24")
	if got := e.ok("denylist4", "display", "--csv", "--no-headers"); got != "203.0.113.0/24\n198.51.100.0/24\n" {
		t.Errorf("after one remove: %q", got)
	}
	e.ok("denylist4", "remove", "198.51.100.0/24")
	e.fails(3, "does not contain", "denylist4", "remove", "198.51.100.0/24")
	e.ok("file", "handle", e.writeFile("d.json", `{"instance": "default", "framework": "netfilter",
		"denylist4": ["192.0.2.0/28", "192.0.2.0/28"]}`))
	want := "+--------------------+\n|        IPv4 Prefix |\n+--------------------+\n" +
		"|       192.0.2.0/28 |\n|       192.0.2.0/28 |\n+--------------------+\n"
	if got := e.ok("denylist4", "display"); got != want {
		t.Errorf("denylist4 display after the file:\n%s", got)
	}
}

// TestPlateausWithZeros: Jool's client accepts zeros in mtu-plateaus and its
// kernel module drops them, refusing (EINVAL) a list of nothing but zeros.
func TestPlateausWithZeros(t *testing.T) {
	e := newEnv(t)
	e.ok("instance", "add")
	e.ok("global", "update", "mtu-plateaus", "1500,0")
	if got := e.ok("global", "display"); !strings.Contains(got, "  mtu-plateaus: 1500\n") {
		t.Errorf("after 1500,0:\n%s", got)
	}
	e.fails(22, "nothing but zeros", "global", "update", "mtu-plateaus", "0")
	e.fails(22, "nothing but zeros", "global", "update", "mtu-plateaus", "0,0")
	e.fails(234, "cannot be empty", "global", "update", "mtu-plateaus", ",")
	const file = `{"instance": "default", "framework": "netfilter", "global": {"mtu-plateaus": %s}}`
	e.ok("file", "handle", e.writeFile("z.json", fmt.Sprintf(file, "[1500, 0, 1280]")))
	if got := e.ok("global", "display", "--csv"); !strings.Contains(got, "mtu-plateaus,\"1500,1280\"\n") {
		t.Errorf("after [1500, 0, 1280]:\n%s", got)
	}
	e.fails(22, "nothing but zeros", "file", "handle", e.writeFile("zz.json", fmt.Sprintf(file, "[0, 0]")))
}

// TestForceAllowsAUOctet: pool6's u-octet (bits 64-71) must be zero unless
// --force is given, as Jool's kernel module checks it; instance add does not
// check it at all. A pool6 set so stays while other globals change.
func TestForceAllowsAUOctet(t *testing.T) {
	e := newEnv(t)
	const u = "2001:db8:0:0:ff00::/96"
	e.ok("instance", "add", "--pool6", u)
	e.ok("instance", "add", "other")
	e.fails(22, "--force", "-i", "other", "global", "update", "pool6", u)
	e.ok("-i", "other", "global", "update", "pool6", u, "--force")
	e.ok("-i", "other", "global", "update", "tos", "5")
	if got := e.ok("-i", "other", "global", "display"); !strings.Contains(got, "  pool6: "+u+"\n") {
		t.Errorf("global display:\n%s", got)
	}
	e.fails(22, "host bits", "global", "update", "pool6", "2001:db8:0:0:ff00::/64", "--force")
	file := e.writeFile("u.json", `{"instance": "third", "framework": "netfilter", "global": {"pool6": "`+u+`"}}`)
	e.fails(22, "--force", "file", "handle", file)
	e.ok("file", "handle", file, "--force")
	if p := e.st.Snapshot().Instance("third").Globals.Pool6.String(); p != u {
		t.Errorf("pool6 after file handle --force: %s", p)
	}
}

// TestRFC6791v4PrefixScope: rfc6791v4-prefix may not overlap the ranges that
// are never translated unless --force is given, on the command line and in a
// file, as Jool's kernel module checks it.
func TestRFC6791v4PrefixScope(t *testing.T) {
	e := newEnv(t)
	e.ok("instance", "add")
	for _, p := range []string{"0.0.0.0/8", "127.0.0.0/8", "127.0.0.1/32", "169.254.0.0/24", "224.0.0.0/4",
		"239.1.1.0/24", "255.255.255.255/32", "0.0.0.0/0", "192.0.0.0/2"} {
		e.fails(22, "--force", "global", "update", "rfc6791v4-prefix", p)
	}
	e.ok("global", "update", "rfc6791v4-prefix", "127.0.0.0/8", "--force")
	e.ok("global", "update", "tos", "3") // the forced prefix stays
	e.ok("global", "update", "rfc6791v4-prefix", "192.0.2.0/24")
	file := e.writeFile("r.json", `{"instance": "default", "framework": "netfilter",
		"global": {"rfc6791v4-prefix": "169.254.0.0/16"}}`)
	e.fails(22, "--force", "file", "handle", file)
	e.ok("file", "handle", file, "--force")
	if got := e.ok("global", "display"); !strings.Contains(got, "  rfc6791v4-prefix: 169.254.0.0/16\n") {
		t.Errorf("global display:\n%s", got)
	}
}

// TestRepeatedKeyIsEEXIST: Jool's client refuses a file with a key twice in
// one object with -EEXIST (239), daemon or not.
func TestRepeatedKeyIsEEXIST(t *testing.T) {
	e := newEnv(t)
	for _, doc := range []string{
		`{"instance": "default", "framework": "netfilter", "global": {"tos": 1, "tos": 2}}`,
		`{"instance": "default", "framework": "netfilter", "eamt": [{"ipv6 prefix": "2001:db8::/120",
			"ipv6 prefix": "2001:db8::/120", "ipv4 prefix": "192.0.2.0/24"}]}`,
	} {
		f := e.writeFile("rep.json", doc)
		e.fails(239, "Error: ", "file", "handle", f)
		var o, er strings.Builder
		if code := Main("jool_siit", []string{"--socket", e.dir + "/none.sock", "file", "handle", f}, &o, &er); code != 239 {
			t.Errorf("without a daemon: exit %d, stderr %q", code, er.String())
		}
	}
}
