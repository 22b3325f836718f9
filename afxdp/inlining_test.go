package afxdp

import (
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestInlining guards the speed of the per-packet helpers: each must stay
// small enough for the compiler to inline into the batch loops.
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the package; skipped in -short mode")
	}
	want := []string{
		"(*ringIndices).free", "(*ringIndices).avail", "(*ringIndices).reserve", "(*ringIndices).unreserve",
		"(*ringIndices).peek", "(*ringIndices).submit", "(*ringIndices).release", "(*ringIndices).needWakeup",
		"(*fillRing).put", "(*completionRing).get", "(*rxRing).get", "(*txRing).put", "(*txRing).pending",
		"(*Umem).frame", "(*Umem).valid", "(*Umem).move", "(*Umem).pop", "(*Umem).push",
		"(*Umem).Bytes", "(*Umem).Chunk", "(*Umem).Alloc", "(*Socket).Free", "(*Socket).Alloc", "kickTx",
	}
	gobin := runtime.GOROOT() + "/bin/go"
	out, err := exec.Command(gobin, "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	got := map[string]bool{}
	re := regexp.MustCompile(`can inline (\S+)`)
	for _, line := range strings.Split(string(out), "\n") {
		if m := re.FindStringSubmatch(line); m != nil {
			got[m[1]] = true
		}
	}
	for _, fn := range want {
		if !got[fn] {
			t.Errorf("%s is no longer inlinable", fn)
		}
	}
}
