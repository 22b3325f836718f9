package eamt

import (
	"runtime"
	"testing"
)

// TestMemory1M asserts the memory bound: a 1M-entry table keeps well under 512 MiB of heap, and
// building it allocates (in total, garbage included) under 512 MiB as well. Under the race detector, whose
// shadow memory and slowdown would distort both numbers, it checks 100k entries against a proportional bound.
func TestMemory1M(t *testing.T) {
	n := million
	if raceEnabled || testing.Short() {
		n = million / 10
	}
	es := bigEntries(n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tb, err := New(es)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(es)
	runtime.KeepAlive(tb)
	kept := float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
	total := float64(after.TotalAlloc-before.TotalAlloc) / (1 << 20)
	limit := 512.0 * float64(n) / million
	t.Logf("%d entries: table keeps %.1f MiB of heap, building it allocated %.1f MiB (limit %.0f MiB); pages v4 %d v6 %d",
		n, kept, total, limit, len(tb.v4.pages), len(tb.v6.pages))
	if kept >= limit || total >= limit {
		t.Fatalf("table uses %.1f MiB (allocated %.1f MiB); limit %.0f MiB", kept, total, limit)
	}
}
