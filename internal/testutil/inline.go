// Package testutil holds helpers shared by siit's tests.
package testutil

import (
	"go/build"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// CheckInlinable compiles the package in the test's working directory with
// -gcflags=-m and reports every function of want (named as the compiler
// prints them: "fold", "(*Stats).Inc", "IPv4.HeaderLen") that the compiler
// no longer inlines. It skips only when no go command can be found.
func CheckInlinable(t testing.TB, want ...string) {
	t.Helper()
	out := compile(t, "-gcflags=-m")
	inlinable := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		if _, name, ok := strings.Cut(line, ": can inline "); ok {
			name, _, _ = strings.Cut(name, " ")
			inlinable[name] = true
		}
	}
	for _, fn := range want {
		if !inlinable[fn] {
			t.Errorf("%s is no longer inlinable", fn)
		}
	}
}

// CheckLeaves compiles the package in the test's working directory with -gcflags=-S and reports every function of
// want (named as the assembly listing names them after the package path: "(*Translator).fast46") that is missing
// from the listing or calls anything but the runtime's panics and stack growth: a leaf on a hot path must stay a
// leaf, since in Go every call spills what is live across it. It skips only when no go command can be found.
func CheckLeaves(t testing.TB, want ...string) {
	t.Helper()
	out := compile(t, "-gcflags=-S")
	calls := map[string][]string{} // function -> what it calls
	cur := ""
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[1] == "STEXT" {
			cur = f[0]
			if i := strings.LastIndex(cur, "/"); i >= 0 {
				cur = cur[i+1:] // "xlat.(*Translator).fast46"
			}
			if _, name, ok := strings.Cut(cur, "."); ok {
				cur = name
			}
			calls[cur] = nil // listed, no calls yet
			continue
		}
		if cur == "" {
			continue
		}
		for i, w := range f {
			if w != "CALL" || i+1 >= len(f) {
				continue
			}
			target := f[i+1]
			if strings.HasPrefix(target, "runtime.panic") || strings.HasPrefix(target, "runtime.morestack") {
				continue
			}
			calls[cur] = append(calls[cur], target)
		}
	}
	for _, fn := range want {
		c, ok := calls[fn]
		switch {
		case !ok:
			t.Errorf("%s is not in the assembly listing", fn)
		case len(c) > 0:
			t.Errorf("%s is no longer a leaf: it calls %s", fn, strings.Join(c, ", "))
		}
	}
}

// compile builds the package in the test's working directory with gcflags and returns the compiler's output. It
// skips the test only when no go command can be found.
func compile(t testing.TB, gcflags string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(build.Default.GOROOT, "bin", "go")
		if _, err := exec.LookPath(goBin); err != nil {
			t.Skipf("no go command to compile with: %v", err)
		}
	}
	out, err := exec.Command(goBin, "build", gcflags, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("%s build %s: %v\n%s", goBin, gcflags, err, out)
	}
	return string(out)
}
