package gen

import (
	"context"
	"testing"
	"time"
)

func TestRunRejectsIncompleteConfig(t *testing.T) {
	if _, err := Run(context.Background(), Config{}); err == nil {
		t.Fatal("no streams accepted")
	}
	if _, err := Run(context.Background(), Config{Streams: []*Stream{{}}}); err == nil {
		t.Fatal("a run without count, duration or cancellable context accepted")
	}
}

func TestResultRates(t *testing.T) {
	r := Result{Sent: 2_000_000, Elapsed: 2 * time.Second}
	if r.PPS() != 1e6 || r.BPS(64, false) != 512e6 || r.BPS(64, true) != 672e6 {
		t.Fatalf("pps %v bps %v l1 %v", r.PPS(), r.BPS(64, false), r.BPS(64, true))
	}
	if (Result{}).PPS() != 0 {
		t.Fatal("zero elapsed")
	}
}
