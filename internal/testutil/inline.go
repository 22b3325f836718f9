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
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(build.Default.GOROOT, "bin", "go")
		if _, err := exec.LookPath(goBin); err != nil {
			t.Skipf("no go command to compile with: %v", err)
		}
	}
	out, err := exec.Command(goBin, "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("%s build -gcflags=-m: %v\n%s", goBin, err, out)
	}
	inlinable := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
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
