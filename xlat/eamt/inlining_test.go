package eamt

import (
	"testing"

	"github.com/siit-project/siit/internal/testutil"
)

// TestInlining guards the speed of the hot path: the helpers Probe4/Probe6 call per probed length must
// stay inlinable, and so must Live.Load (the per-batch snapshot read), the bounds checks callers use to
// skip a Probe call (Near4, Near6), and Lookup4/Lookup6 (those checks in front of Probe4/Probe6).
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the compiler; skipped with -short")
	}
	testutil.CheckInlinable(t, "mix", "hash4", "hash6", "salt6", "hash6s", "(*Table).Lookup4", "(*Table).Lookup6", "(*Table).Probe4", "(*Table).Probe6", "mask4", "mask6", "(*Live).Load", "(*bounds).in6",
		"(*Table).Near4", "(*Table).Near6", "slot4At", "slot6At", "shiftIn", "shiftOut", "(*small4).expand", "(*Table).Small4", "(*Table).Small6", "Find4", "Find6", "(*small4).Map", "(*small6).Map",
		"(*small6).carry")
}
