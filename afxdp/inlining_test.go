package afxdp

import (
	"testing"

	"github.com/siit-project/siit/internal/testutil"
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
	testutil.CheckInlinable(t, want...)
}
