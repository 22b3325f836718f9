package eamt

import (
	"testing"

	"github.com/siit-project/siit/internal/testutil"
)

// TestInlining guards the speed of the hot path: the helpers Lookup4/Lookup6 call per probed length must
// stay inlinable, and so must Live.Load (the per-batch snapshot read) and the bounds checks callers use to
// skip a Lookup call (Near4, Near6).
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the compiler; skipped with -short")
	}
	testutil.CheckInlinable(t, "mix", "hash4", "hash6", "mask4", "mask6", "(*Live).Load", "(*bounds).in6",
		"(*Table).Near4", "(*Table).Near6", "slot4At", "slot6At", "shiftIn", "shiftOut", "(*small4).expand", "(*Table).Small4", "(*Table).Small6", "Find4", "Find6", "(*small4).Map", "(*small6).Map",
		"(*small6).carry")
}
