package eamt

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestInlining guards the speed of the hot path: the helpers Lookup4/Lookup6 call per probed length must
// stay inlinable, and so must Live.Load (the per-batch snapshot read) and the bounds checks callers use to
// skip a Lookup call (Near4, Near6).
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the compiler; skipped with -short")
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goBin, "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Skipf("cannot run %s build: %v\n%s", goBin, err, out)
	}
	want := map[string]bool{"mix": false, "hash4": false, "hash6": false, "mask4": false, "mask6": false, "(*Live).Load": false, "(*bounds).in6": false,
		"(*Table).Near4": false, "(*Table).Near6": false, "slot4At": false, "slot6At": false,
		"shiftIn": false, "shiftOut": false, "(*small4).expand": false, "(*small6).carry": false}
	for _, line := range strings.Split(string(out), "\n") {
		if _, name, ok := strings.Cut(line, ": can inline "); ok {
			name, _, _ = strings.Cut(name, " ")
			if _, tracked := want[name]; tracked {
				want[name] = true
			}
		}
	}
	for name, ok := range want {
		if !ok {
			t.Errorf("%s is no longer inlinable", name)
		}
	}
}
