package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// logLineRe matches siit's zap console log lines.
var logLineRe = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\S+\t(DEBUG|INFO|WARN|ERROR)\t`)

// failedRun runs `siit run ARGS...` in the translator namespace (wrapped in
// prefix, e.g. setpriv) and returns its exit status and the lines it
// printed that are not log lines.
func (l *lab) failedRun(prefix []string, args ...string) (int, []string, string) {
	l.t.Helper()
	cmdArgs := append([]string{"netns", "exec", l.T}, prefix...)
	cmdArgs = append(append(cmdArgs, siitBin, "run"), args...)
	out, err := run(60*time.Second, "ip", cmdArgs...)
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		l.t.Fatalf("siit run %v: %v\n%s", args, err, out)
	}
	var lines []string
	for _, s := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if s != "" && !logLineRe.MatchString(s) {
			lines = append(lines, s)
		}
	}
	return code, lines, out
}

// TestRunBadInput: bad interfaces, flags, configuration and privileges give
// one clear error line and a non-zero exit, and leave nothing attached.
func TestRunBadInput(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	badJSON := filepath.Join(l.dir, "bad.json")
	if err := os.WriteFile(badJSON, []byte(`{"instance": "x", "framework": "netfilter", "global": {"pool6": "64:ff9b::/95"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	notJSON := filepath.Join(l.dir, "not.json")
	if err := os.WriteFile(notJSON, []byte("pool6 = 64:ff9b::/96\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// An interface without native XDP.
	l.must("ip", "-n", l.T, "link", "add", "d0", "type", "bridge")
	l.must("ip", "-n", l.T, "link", "set", "d0", "up")
	sock := []string{"--socket", l.sock}
	cases := []struct {
		name   string
		prefix []string
		args   []string
		code   int
		want   []string // substrings of the error line
	}{
		{"unknown-interface", nil, append(sock, "t6", "nope0"), 1, []string{`"nope0"`, "not found"}},
		{"no-interface", nil, sock, 2, []string{"no interface"}},
		{"bad-batch", nil, append(sock, "--batch", "0", "t6"), 2, []string{"--batch", "between 1 and 256"}},
		{"bad-pool6-syntax", nil, append(sock, "--pool6", "nonsense", "t6"), 2, []string{"--pool6", "IPv6 prefix"}},
		{"bad-pool6-length", nil, append(sock, "--pool6", "64:ff9b::/95", "t6", "t4"), 1, []string{"pool6", "32, 40, 48, 56, 64 or 96"}},
		{"bad-eamt", nil, append(sock, "--eamt", "2001:db8::/120", "t6", "t4"), 1, []string{"--eamt", "PREFIX6,PREFIX4"}},
		{"missing-file", nil, append(sock, "-f", filepath.Join(l.dir, "none.json"), "t6"), 1, []string{"none.json"}},
		{"invalid-file", nil, append(sock, "-f", badJSON, "t6", "t4"), 1, []string{"bad.json", "32, 40, 48, 56, 64 or 96"}},
		{"not-json", nil, append(sock, "-f", notJSON, "t6", "t4"), 1, []string{"not.json"}},
		{"flags-and-file", nil, append(sock, "-f", badJSON, "--pool6", pool6, "t6", "t4"), 2, []string{"--pool6", "cannot be combined with -f"}},
		{"cpu-not-allowed", nil, append(sock, "--pool6", pool6, "--cpus", "1000", "t6", "t4"), 1, []string{"--cpus", "CPU 1000", "allowed"}},
		{"no-native-xdp", nil, append(sock, "--pool6", pool6, "--xdp-mode", "native", "t6", "d0"), 1, []string{"d0", "native"}},
		{"no-zero-copy", nil, append(sock, "--pool6", pool6, "--bind-mode", "zerocopy", "t6", "t4"), 1, []string{"t6", "zero"}},
		{"not-root", []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}, append(sock, "t6", "t4"), 1, []string{"root"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer l.as(t)()
			if len(c.prefix) > 0 {
				if _, err := exec.LookPath(c.prefix[0]); err != nil {
					t.Skipf("needs %s", c.prefix[0])
				}
			}
			code, lines, out := l.failedRun(c.prefix, c.args...)
			if code != c.code {
				t.Errorf("exit status %d, want %d\n%s", code, c.code, out)
			}
			if len(lines) != 1 {
				t.Fatalf("want exactly one error line, got %d:\n%s", len(lines), out)
			}
			t.Logf("exit %d: %s", code, lines[0])
			if !strings.HasPrefix(lines[0], "siit run") {
				t.Errorf("error line %q does not start with `siit run`", lines[0])
			}
			for _, w := range c.want {
				if !strings.Contains(lines[0], w) {
					t.Errorf("error line %q does not mention %q", lines[0], w)
				}
			}
			for _, ifc := range []string{"t6", "t4", "d0"} {
				if l.xdpAttached(l.T, ifc) {
					t.Errorf("XDP program left on %s", ifc)
				}
			}
			if _, err := os.Stat(l.sock); err == nil {
				t.Errorf("control socket %s left behind", l.sock)
			}
		})
	}
	t.Run("unknown-flag", func(t *testing.T) {
		defer l.as(t)()
		code, lines, out := l.failedRun(nil, "--no-such-flag", "t6")
		if code != 2 {
			t.Errorf("exit status %d, want 2\n%s", code, out)
		}
		n := strings.Count(out, "flag provided but not defined: -no-such-flag")
		if n == 0 {
			t.Fatalf("no error naming the flag:\n%s", out)
		}
		if len(lines) != 1 {
			t.Errorf("want one error line, got %d:\n%s", len(lines), out)
		}
	})
	t.Run("already-attached", func(t *testing.T) {
		defer l.as(t)()
		// A second daemon on the same interfaces fails and leaves the first
		// one working.
		l.startSiit(defaultArgs()...)
		l.pingOK(l.C, server6)
		code, lines, out := l.failedRun(nil, "--socket", filepath.Join(l.dir, "second.sock"), "--pool6", pool6, "t6", "t4")
		t.Logf("exit %d: %q", code, lines)
		if code == 0 || len(lines) != 1 {
			t.Errorf("second siit: exit %d, %d error lines, want non-zero and one:\n%s", code, len(lines), out)
		}
		l.pingOK(l.C, server6)
		if !l.xdpAttached(l.T, "t6") || !l.xdpAttached(l.T, "t4") {
			t.Errorf("the first daemon lost its XDP programs")
		}
	})
}
