package bench

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/siit-project/siit/bench/search"
	"github.com/siit-project/siit/bench/xdpprog"
)

func TestMainUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if rc := Main([]string{"help"}, &out, &errb); rc != 0 || !strings.Contains(out.String(), "usage: siit bench") {
		t.Fatalf("help: rc %d out %q", rc, out.String())
	}
	for _, args := range [][]string{nil, {"bogus"}, {"gen"}, {"gen", "-i"}, {"sink", "-i", "x", "-expect", "5"}, {"run", "extra"}} {
		out.Reset()
		errb.Reset()
		if rc := Main(args, &out, &errb); rc != 2 {
			t.Errorf("%q: rc %d, want 2 (stderr %q)", args, rc, errb.String())
		}
	}
}

func TestParseCPUs(t *testing.T) {
	got, err := parseCPUs("0,2-4")
	if err != nil || !slices.Equal(got, []int{0, 2, 3, 4}) {
		t.Fatalf("got %v %v", got, err)
	}
	for _, bad := range []string{"", "a", "3-1", "1-x"} {
		if _, err := parseCPUs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestPercentile(t *testing.T) {
	var h [xdpprog.LatBuckets]uint64
	h[40] = 900 // 1024..1280 ns
	h[60] = 99
	h[80] = 1
	if p := percentile(h[:], 1000, 0.5); p != 1280 {
		t.Fatalf("p50 %v", p)
	}
	_, hi60 := xdpprog.LatBucketRange(60)
	_, hi80 := xdpprog.LatBucketRange(80)
	if p := percentile(h[:], 1000, 0.99); p != float64(hi60) {
		t.Fatalf("p99 %v, want %v", p, hi60)
	}
	if p := percentile(h[:], 1000, 1); p != float64(hi80) {
		t.Fatalf("p100 %v", p)
	}
	if percentile(h[:], 0, 0.5) != 0 {
		t.Fatal("empty histogram")
	}
}

func TestResultsRendering(t *testing.T) {
	p := QuickPlan()
	res := &Results{Plan: p, GenCap: map[string]float64{"6->4/84/q1": 4e6}, Cells: []Cell{
		{Peer: "kernel forwarding", Dir: "6->4", FrameSize: 84, Queues: 1, Rate: search.Stats{Median: 2e6, N: 1},
			Overload: 2e6, OverloadOffered: 2e6},
		{Peer: "TAYGA", Dir: "6->4", FrameSize: 84, Queues: 1, Rate: search.Stats{Median: 1e5, N: 1}, Restarts: 1},
		{Peer: "siit", Dir: "6->4", FrameSize: 84, Queues: 1, Rate: search.Stats{Median: 3e6, N: 1}, Saturated: true,
			Overload: 3.5e6, OverloadOffered: 4e6},
		{Peer: "siit --forward-only", Dir: "6->4", FrameSize: 84, Queues: 1, NA: "not available yet"},
		{Peer: "kernel forwarding", Dir: "6->4", FrameSize: 84, Queues: 2, Rate: search.Stats{Median: 3e6, N: 1}},
	}}
	contains(t, res.MainTable(),
		"| kernel forwarding | 6->4 | 84 / 64 B | 2.000 | 1.00× | 20.00× | 2.000 (2.000) |",
		"| siit | 6->4 | 84 / 64 B | 3.000 (sat.) | 1.50× | 30.00× | 3.500 (4.000) |",
		"| TAYGA | 6->4 | 84 / 64 B | 0.100 (died 1×) | 0.05× | 1.00× |",
		"| siit --forward-only | 6->4 | 84 / 64 B | not available yet | – | – |")
	contains(t, res.RatioTable(),
		"| siit vs | target | 6->4 zero loss | 6->4 full load |",
		"| siit --forward-only | ≥ 0.9× | – | – |",
		"| kernel forwarding | ≥ 0.7× | 1.50× | 1.75× |",
		"| TAYGA | ≥ 20× | 30.00× | – |")
	if q := res.QueueTable(); !strings.Contains(q, "| kernel forwarding | 2.000 | 3.000 |") {
		t.Errorf("queue table:\n%s", q)
	}
	if s := res.LabSection("bench/results"); !strings.Contains(s, "rate_vs_size.svg") || !strings.Contains(s, "6->4/84/q1 4.000 Mpps") ||
		!strings.Contains(s, "#### siit against its baselines (84 B)") {
		t.Errorf("lab section:\n%s", s)
	}
}

// The full mode shows the 0.1 % loss throughput with its range, and the lab section names the sink mode.
func TestFullResultsRendering(t *testing.T) {
	res := &Results{Plan: FullPlan(), GenCap: map[string]float64{}, Cells: []Cell{
		{Peer: "siit", Dir: "6->4", FrameSize: 84, Queues: 1, Rate: search.Stats{Median: 716e3, Min: 620e3, Max: 785e3, N: 3},
			Rate01: search.Stats{Median: 621e3, Min: 580e3, Max: 800e3, N: 3}},
		{Peer: "siit", Dir: "bidir", FrameSize: 84, Queues: 1, Rate: search.Stats{Median: 310e3, N: 1}, GenShort: true,
			Rate01: search.Stats{Median: 323e3, N: 1}},
	}}
	contains(t, res.MainTable(), "| siit | 6->4 | 84 / 64 B | 0.716 (0.620–0.785) | 0.621 (0.580–0.800) | ",
		"| siit | bidir | 84 / 64 B | 0.310 (gen. short) | 0.323 | ")
	contains(t, res.LabSection("r"), "- Sinks at the tc (tcx) ingress of the far ends (`-sink tc`)")
	res.Plan.Sink = xdpprog.SinkXDP
	contains(t, res.LabSection("r"), "- Sinks as XDP programs on the far ends (`-sink xdp`)")
}

// contains reports each line of want missing from text.
func contains(t *testing.T, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("missing %q in\n%s", w, text)
		}
	}
}
