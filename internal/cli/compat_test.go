package cli

import (
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
