package cli

import (
	"fmt"
	"strings"
	"testing"
)

func TestTopLevel(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{nil, {"--help"}, {"-?"}, {"-h"}, {"--he"}} {
		var o, er strings.Builder
		code := Main("/usr/bin/jool_siit", args, &o, &er)
		if code != 0 || !strings.Contains(o.String(), "<MODE>s -> <OPERATION>s") ||
			!strings.Contains(o.String(), "- eamt -> display add remove flush \n") ||
			!strings.Contains(o.String(), "(Example: jool_siit instance add --help)") {
			t.Errorf("help %v: exit %d\n%s", args, code, o.String())
		}
	}
	if r := e.run("--version"); r.code != 0 || r.out != Version+"\n" {
		t.Errorf("--version: %+v", r)
	}
	if r := e.run("-V"); r.code != 0 || r.out != Version+"\n" {
		t.Errorf("-V: %+v", r)
	}
	if r := e.run("--usage"); r.code != 0 || !strings.HasPrefix(r.out, "jool_siit (\n        [<ARGP1>] <MODE>") {
		t.Errorf("--usage: %+v", r)
	}
	e.fails(0, "unrecognized option '--bogus'", "--bogus")
	e.fails(0, "option requires an argument -- 'i'", "-i")
	e.fails(234, "Unexpected token: 'x'\nAvailable options: instance stats address global eamt blacklist4 denylist4 file \n", "x", "y")
	e.fails(234, "More arguments expected.\nPossible follow-ups: display update \n", "global")
	e.fails(234, "More arguments expected.\nPossible follow-ups: instance stats", "-i", "foo")
	e.fails(234, "Ambiguous token: 'm'\nAvailable options: manually-enabled mtu-plateaus \n", "global", "update", "m", "true")
	e.fails(234, "Ambiguous token: 'rfc'\nAvailable options: rfc6791v6-prefix rfc6791v4-prefix \n", "global", "up", "rfc", "1")
	e.fails(2, "cannot read file", "-f", "/nonexistent/siit.json", "eamt", "display")
}

func TestDaemonNotRunning(t *testing.T) {
	var o, er strings.Builder
	sock := t.TempDir() + "/none.sock"
	code := Main("siit", []string{"--socket", sock, "eamt", "display"}, &o, &er)
	want := "siit daemon is not running (no control socket at " + sock + "); start it with `siit run IFACE...`"
	if code != 253 || !strings.Contains(er.String(), want) {
		t.Fatalf("exit %d, stderr %q", code, er.String())
	}
	// Syntax errors are still reported without a daemon; whether a value is
	// acceptable is the daemon's call, as it is the kernel module's in Jool.
	er.Reset()
	code = Main("siit", []string{"--socket", sock, "global", "update", "tos", "300"}, &o, &er)
	if code != 234 || !strings.Contains(er.String(), "out of bounds (0-255)") {
		t.Fatalf("exit %d, stderr %q", code, er.String())
	}
	er.Reset()
	code = Main("siit", []string{"--socket", sock, "global", "update", "pool6", "64:ff9b::/95"}, &o, &er)
	if code != 253 || !strings.Contains(er.String(), "not running") {
		t.Fatalf("exit %d, stderr %q", code, er.String())
	}
}

func TestOperationHelp(t *testing.T) {
	e := newEnv(t)
	want := "Usage: add [OPTION...] <IPv6 prefix> <IPv4 prefix>\n\n" +
		"  -f, --force                Ignore warnings\n" +
		"  -?, --help                 Give this help list\n" +
		"      --usage                Give a short usage message\n" +
		"  -V, --version              Print program version\n\nReport bugs to " + BugAddress + ".\n"
	if r := e.run("eamt", "add", "--help"); r.code != 0 || r.out != want {
		t.Errorf("eamt add --help:\n%s\nwant:\n%s", r.out, want)
	}
	want = "Usage: add [OPTION...] <instance name>\n\n" +
		"  -6, --pool6=<IPv6 Prefix>  Prefix that will populate the IPv6 Address Pool\n" +
		"      --iptables             Sit the translator on top of iptables\n" +
		"      --netfilter            Sit the translator on top of Netfilter (default)\n" +
		"  -?, --help                 Give this help list\n" +
		"      --usage                Give a short usage message\n" +
		"  -V, --version              Print program version\n\n" +
		"Mandatory or optional arguments to long options are also mandatory or optional\n" +
		"for any corresponding short options.\n\nReport bugs to " + BugAddress + ".\n"
	if r := e.run("instance", "add", "--help"); r.code != 0 || r.out != want {
		t.Errorf("instance add --help:\n%s\nwant:\n%s", r.out, want)
	}
	usages := map[string]string{
		"eamt add":            "Usage: add [-f?V] [--force] [--help] [--usage] [--version]\n            <IPv6 prefix> <IPv4 prefix>\n",
		"eamt display":        "Usage: display [-?V] [--csv] [--no-headers] [--help] [--usage] [--version]\n",
		"stats display":       "Usage: display [-ae?V] [--all] [--csv] [--explain] [--no-headers] [--help]\n            [--usage] [--version]\n",
		"global update pool6": "Usage: pool6 [-f?V] [--force] [--help] [--usage] [--version] <string>\n",
		"instance flush":      "Usage: flush [-?V] [--help] [--usage] [--version]\n",
		"address query":       "Usage: query [-v?V] [--verbose] [--help] [--usage] [--version] <IP Address>\n",
		"instance add":        "Usage: add [-?V] [-6 <IPv6 Prefix>] [--pool6=<IPv6 Prefix>] [--iptables]\n            [--netfilter] [--help] [--usage] [--version] <instance name>\n",
	}
	for cmd, want := range usages {
		r := e.run(append(strings.Fields(cmd), "--usage")...)
		if r.code != 0 || r.out != want {
			t.Errorf("%s --usage:\n%q\nwant\n%q", cmd, r.out, want)
		}
	}
	if r := e.run("stats", "display", "--vers"); r.code != 0 || r.out != Version+"\n" {
		t.Errorf("--vers: %+v", r)
	}
}

func TestBadArgumentsLeaveConfigUnchanged(t *testing.T) {
	e := newEnv(t)
	e.ok("instance", "add", "--pool6", "64:ff9b::/96")
	e.ok("eamt", "add", "2001:db8::/120", "192.0.2.0/24")
	e.ok("denylist4", "add", "198.51.100.0/24")
	cases := []struct {
		code int
		want string
		args string
	}{
		// argp-level mistakes (64)
		{64, "add: unrecognized option '--bogus'\nTry `add --help' or `add --usage' for more information.", "eamt add --bogus"},
		{64, "display: Too many arguments", "eamt display extra"},
		{64, "status: Too many arguments", "instance status extra"},
		{64, "display: invalid option -- 'a'", "instance display -a"},
		{64, "display: option '--all' doesn't allow an argument", "stats display --all=3"},
		{64, "add: option '--pool6' requires an argument", "instance add --pool6"},
		{64, "add: option requires an argument -- '6'", "instance add -6"},
		{64, "lowest-ipv6-mtu: invalid option -- '1'", "global update lowest-ipv6-mtu -1"},
		{64, "neither an IPv6 prefix", "eamt add foo bar"},
		{64, "query: 'foo' is not an IPv4 or IPv6 address", "address query foo"},
		{64, "query: option '--v' is ambiguous; possibilities: '--verbose' '--version'", "address query --v 192.0.2.1"},
		// mistakes Jool's client finds (234 = -EINVAL), and refusals that come from the daemon, as they
		// come from Jool's kernel module, with the errno itself (22 = EINVAL, 17 = EEXIST, 3 = ESRCH)
		{234, "The command is missing an IPv6 prefix and an IPv4 prefix.", "eamt add"},
		{234, "The command is missing an IPv6 prefix.", "eamt add 192.0.2.0/24"},
		{234, "The command is missing an IPv4 prefix.", "eamt add 2001:db8::/120 2001:db8::/120"},
		{234, "The command is missing a prefix.", "eamt remove"},
		{234, "out of bounds (0-128)", "eamt add 2001:db8::1/129 192.0.2.0/24"},
		{234, "as an IPv4 prefix", "eamt add 192.0.2.300/24 2001:db8::/120"},
		{22, "has bits set after its length", "eamt add 2001:db8:1::1/120 203.0.113.0/24"},
		{17, "already", "eamt add 2001:db8::/120 203.0.113.0/24"},
		{17, "--force", "eamt add 2001:db8:0:0:1::/128 192.0.2.7"},
		{3, "no entry", "eamt remove 2001:db8:9::/120"},
		{234, "The command is missing an IPv4 prefix.", "denylist4 add"},
		{234, "as an IPv4 prefix", "denylist4 add 2001:db8::/32"},
		{22, "--force", "denylist4 add 127.0.0.0/8"},
		{3, "does not contain", "denylist4 remove 203.0.113.0/24"},
		{234, "missing value of key pool6", "global update pool6"},
		{22, "length must be 32, 40, 48, 56, 64 or 96", "global update pool6 64:ff9b::/95"},
		{22, "bits 64 to 71", "global update pool6 64:ff9b:0:0:100::/96"},
		{234, "true, false, 1, 0, yes, no, on or off", "global update manually-enabled maybe"},
		{234, "out of bounds (0-255)", "global update tos 300"},
		{22, "1280", "global update lowest-ipv6-mtu 1000"},
		{234, "not an unsigned integer", "global update mtu-plateaus 1,2,x"},
		{234, "off, simple, intrinsic", "global update eam-hairpin-mode bogus"},
		{234, "out of bounds (0-32)", "global update rfc6791v4-prefix 1.2.3.4/40"},
		{234, "Unexpected token: 'foo'", "global update foo 1"},
		{234, "one framework only", "instance add x --netfilter --iptables"},
		{17, "already exists", "instance add"},
		{234, "limit is 15", "instance add this-is-far-too-long"},
		{234, "two different instance names", "-i a instance add b"},
		{3, "does not exist", "-i nope eamt display"},
		{3, "does not exist", "instance remove nope"},
		{234, "The command is missing an IP address.", "address query"},
		{234, "The command is missing a file name.", "file handle"},
		{2, "cannot read file", "file handle /nonexistent.json"},
		{22, "--force", "blacklist4 add 0.0.0.0/8"},
	}
	for _, c := range cases {
		e.fails(c.code, c.want, strings.Fields(c.args)...)
	}
}

func TestAbbreviationsBooleansNull(t *testing.T) {
	e := newEnv(t)
	e.ok("i", "a", "--po", "64:ff9b::/96", "--netf")
	e.ok("e", "a", "192.0.2.0/24", "2001:db8::/120") // either order
	e.ok("eamt", "add", "--for", "2001:db8:1::/124", "192.0.2.16/28")
	if n := e.st.Snapshot().Instance("default").EAMT.Len(); n != 2 {
		t.Fatalf("EAMT has %d entries", n)
	}
	for _, v := range []string{"true", "false", "1", "0", "yes", "no", "on", "off", "TRUE", "Off"} {
		e.ok("glob", "up", "man", v)
		want := v == "true" || v == "1" || v == "yes" || v == "on" || v == "TRUE"
		if got := e.st.Snapshot().Instance("default").Globals.ManuallyEnabled; got != want {
			t.Errorf("manually-enabled %s = %v", v, got)
		}
	}
	e.ok("g", "u", "pool6", "null")
	if e.st.Snapshot().Instance("default").Globals.Pool6.IsValid() {
		t.Fatal("pool6 null did not unset it")
	}
	e.ok("g", "u", "rfc6791v4", "192.0.2.0/24")
	e.ok("g", "u", "rfc6791v4", "null")
	e.ok("g", "u", "eam", "off")
	e.ok("g", "u", "z", "yes")
	e.ok("g", "u", "tos", "--force", "7") // options anywhere; last value wins
	if g := e.st.Snapshot().Instance("default").Globals; g.RFC6791v4Prefix.IsValid() || g.TOS != 7 || !g.ZeroizeTrafficClass || g.EAMHairpinMode.String() != "off" {
		t.Fatalf("globals: %+v", g)
	}
	e.ok("den", "a", "203.0.113.0/24")
	e.ok("bl", "r", "203.0.113.0/24")
	if r := e.run("blacklist4", "display"); !strings.Contains(r.err, "Warning: blacklist4 is deprecated") {
		t.Errorf("no deprecation warning: %q", r.err)
	}
	e.ok("s", "d", "-ae")
	e.ok("ad", "q", "-v", "192.0.2.1")
}

func TestDisplays(t *testing.T) {
	e := newEnv(t)
	e.ok("instance", "add", "--pool6", "64:ff9b::/96")
	e.ok("-i", "alpha", "instance", "add", "--iptables")
	inst := e.ok("instance", "display")
	lines := strings.Split(inst, "\n")
	if len(lines) != 7 || lines[0] != "+--------------------+-----------------+-----------+" ||
		lines[1] != "|          Namespace |            Name | Framework |" ||
		!strings.HasSuffix(lines[3], " |         default | netfilter |") || !strings.HasSuffix(lines[4], " |           alpha |  iptables |") {
		t.Errorf("instance display:\n%s", inst)
	}
	if csv := e.ok("instance", "display", "--csv", "--no-headers"); !strings.HasSuffix(csv, ",alpha,iptables\n") || strings.Contains(csv, "Namespace") {
		t.Errorf("instance display --csv --no-headers:\n%s", csv)
	}
	if r := e.run("-i", "x", "instance", "display"); !strings.Contains(r.err, "ignores") {
		t.Errorf("no warning for -i: %q", r.err)
	}
	g := e.ok("global", "display")
	want := "  manually-enabled: true\n  pool6: 64:ff9b::/96\n  lowest-ipv6-mtu: 1280\n  logging-debug: false\n" +
		"  zeroize-traffic-class: false\n  override-tos: false\n  tos: 0\n" +
		"  mtu-plateaus: 65535,32000,17914,8166,4352,2002,1492,1006,508,296,68\n  amend-udp-checksum-zero: false\n" +
		"  eam-hairpin-mode: intrinsic\n  randomize-rfc6791-addresses: true\n  rfc6791v6-prefix: (unset)\n  rfc6791v4-prefix: (unset)\n"
	if g != want {
		t.Errorf("global display:\n%s\nwant:\n%s", g, want)
	}
	gc := e.ok("global", "display", "--csv")
	if !strings.HasPrefix(gc, "Field,Value\nmanually-enabled,TRUE\npool6,64:ff9b::/96\n") ||
		!strings.Contains(gc, "mtu-plateaus,\"65535,") || !strings.HasSuffix(gc, "rfc6791v4-prefix,\n") {
		t.Errorf("global display --csv:\n%s", gc)
	}
	e.ok("denylist4", "add", "198.51.100.0/24")
	d := e.ok("denylist4", "display")
	if d != "+--------------------+\n|        IPv4 Prefix |\n+--------------------+\n|    198.51.100.0/24 |\n+--------------------+\n" {
		t.Errorf("denylist4 display:\n%s", d)
	}
	if d := e.ok("denylist4", "display", "--csv"); d != "IPv4 Prefix\n198.51.100.0/24\n" {
		t.Errorf("denylist4 display --csv: %q", d)
	}
	if s := e.ok("instance", "status"); s != "Running\n" {
		t.Errorf("status = %q", s)
	}
	if s := e.ok("-i", "ghost", "instance", "status"); s != "Dead\n(Instance 'ghost' does not exist.)\n" {
		t.Errorf("status = %q", s)
	}
}

func TestStatsDisplay(t *testing.T) {
	e := newEnv(t)
	e.ok("instance", "add")
	e.st.RegisterStats("default", fakeStats{3: 0, 2: 35, 61: 2})
	if out := e.ok("stats", "display"); out != "JSTAT_SUCCESS: 35\nJSTAT_PKT_TOO_BIG: 2\n" {
		t.Errorf("stats display = %q", out)
	}
	all := e.ok("stats", "display", "--all")
	if !strings.HasPrefix(all, "JSTAT_RECEIVED6: 0\nJSTAT_RECEIVED4: 0\nJSTAT_SUCCESS: 35\nJSTAT_BIB_ENTRIES: 0\n") {
		t.Errorf("stats display --all:\n%s", all)
	}
	ex := e.ok("stats", "display", "--explain")
	if !strings.HasPrefix(ex, "JSTAT_SUCCESS: 35\nPackets translated") || !strings.Contains(ex, "\n\nJSTAT_PKT_TOO_BIG: 2\n") {
		t.Errorf("stats display --explain:\n%s", ex)
	}
	csv := e.ok("stats", "display", "--csv", "--explain")
	if !strings.HasPrefix(csv, "Stat,Value,Explanation\nJSTAT_SUCCESS,35,\"Packets translated") {
		t.Errorf("stats display --csv --explain:\n%s", csv)
	}
	if csv := e.ok("stats", "display", "--csv", "--no-headers"); csv != "JSTAT_SUCCESS,35\nJSTAT_PKT_TOO_BIG,2\n" {
		t.Errorf("stats --csv --no-headers = %q", csv)
	}
}

func TestInstanceLifecycle(t *testing.T) {
	e := newEnv(t)
	e.ok("instance", "add", "a")
	e.ok("-i", "b", "instance", "add")
	e.ok("instance", "add", "c", "--iptables")
	e.ok("instance", "add", "x", "d") // as in Jool, the last name given wins
	if e.st.Snapshot().Instance("d") == nil || e.st.Snapshot().Instance("x") != nil {
		t.Fatal("instance add x d did not create d")
	}
	e.ok("instance", "remove", "d")
	e.ok("-i", "b", "instance", "remove", "b")
	if n := len(e.st.Snapshot().Instances()); n != 2 {
		t.Fatalf("%d instances", n)
	}
	if r := e.run("-i", "c", "instance", "flush"); r.code != 0 || !strings.Contains(r.err, "ignores") {
		t.Fatalf("flush: %+v", r)
	}
	if n := len(e.st.Snapshot().Instances()); n != 0 {
		t.Fatalf("%d instances after flush", n)
	}
}

type fakeStats map[int]uint64

func (f fakeStats) Counters() (c [countersLen]uint64) {
	for k, v := range f {
		c[k] = v
	}
	return
}

var _ = fmt.Sprint
