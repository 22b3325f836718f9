package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/siit-project/siit/bench/frames"
	"github.com/siit-project/siit/bench/lab"
	"github.com/siit-project/siit/bench/search"
	"github.com/siit-project/siit/bench/xdpprog"
)

// Plan is what `siit bench run` measures.
type Plan struct {
	Mode          string        // "quick" or "full"
	Trial         time.Duration // length of one trial
	Repeats       int           // throughput searches per cell (median, min, max)
	Resolution    float64       // binary search stop: (hi-lo)/hi
	Steps         int           // binary search trial budget
	Loss01        bool          // also search for the 0.1 % loss throughput
	Dirs          []lab.Direction
	Sizes         []int // frame sizes (IPv6 side) of the size sweep, 6->4 only
	Queues        []int // queue counts of the scaling run, 6->4 84 B
	LossFractions []float64
	LatencyAt     float64 // latency trial at this fraction of the zero-loss throughput
	CPUs          []int   // generator CPUs (one thread each) for the main table
	SiitBin       string
	Tag           string
	Only          []string         // if set, measure only the peers with these names (e.g. "siit")
	Sink          xdpprog.SinkMode // how the far ends count (results before this field existed: XDP)
}

// QuickPlan stays under three minutes on the 2-core development machine.
func QuickPlan() Plan {
	return Plan{Mode: "quick", Trial: 300 * time.Millisecond, Repeats: 1, Resolution: 0.05, Steps: 8,
		Dirs: []lab.Direction{lab.Dir64, lab.Dir46}, Sizes: []int{84, 1518}, Queues: []int{1, 2},
		LatencyAt: 0.5, CPUs: []int{0}, SiitBin: "bin/siit", Sink: xdpprog.SinkTC}
}

// FullPlan is the RFC 8219 set: all frame sizes, both directions and bidirectional, 0.1 % loss variant, loss
// curve, repeated searches.
func FullPlan() Plan {
	return Plan{Mode: "full", Trial: 2 * time.Second, Repeats: 3, Resolution: 0.01, Steps: 14, Loss01: true,
		Dirs:  []lab.Direction{lab.Dir64, lab.Dir46, lab.DirBoth},
		Sizes: []int{84, 128, 256, 512, 1024, 1280, 1518}, Queues: []int{1, 2},
		LossFractions: []float64{1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1},
		LatencyAt:     0.5, CPUs: []int{0}, SiitBin: "bin/siit", Sink: xdpprog.SinkTC}
}

// Cell is one measured configuration.
type Cell struct {
	Peer       string
	Dir        string
	FrameSize  int
	Queues     int
	Threads    int
	NA         string       // why the peer was not measured
	Rate       search.Stats // zero-loss throughput, frames/s
	Rate01     search.Stats // 0.1 % loss throughput
	GenLimited bool
	Saturated  bool // zero loss at the most the lab could offer through this DUT (shared CPU on veth)
	GenShort   bool // the paced generator offered well below the rates asked for: the DUT may pass more
	Restarts   int  // times the peer died under overload and was restarted
	GenCap     float64
	LatMin     float64 // ns
	LatP50     float64
	LatP99     float64
	LatP999    float64
	PDV        float64 // p99.9 - min (RFC 5481 PDV at the 99.9th percentile)
	CPUns      float64 // DUT process CPU time per received frame (userspace peers), 0 if not measured
	// Forwarding rate at full offered load: one trial with the generator at full speed, frames/s received
	// (Overload) of frames/s offered (OverloadOffered). Unlike the zero-loss search it does not hinge on the
	// single worst moment of a trial, so it compares DUTs on a noisy host.
	Overload, OverloadOffered float64
	Validated                 uint64
	Invalid                   uint64
	FirstError                string
	Loss                      []LossPoint
}

// LossPoint is a frame loss rate measurement.
type LossPoint struct {
	Fraction, Offered, Loss float64
}

// Results is the whole run.
type Results struct {
	Plan    Plan
	Started time.Time
	Elapsed time.Duration
	Machine string
	Kernel  string
	GenCap  map[string]float64 // "6->4/84/q1" -> frames/s
	Cells   []Cell
}

// peers returns the devices under test in table order.
func (p Plan) peers() []lab.Peer {
	var free []string
	var freeCPUs []int
	for c := range numCPU() {
		if !slices.Contains(p.CPUs, c) {
			free = append(free, strconv.Itoa(c))
			freeCPUs = append(freeCPUs, c)
		}
	}
	cpus := strings.Join(free, ",")
	// The userspace DUTs run on the CPUs the generator leaves free.
	all := []lab.Peer{&lab.Kernel{}, &lab.XDPFwd{}, &lab.Tayga{CPUs: freeCPUs},
		&lab.Siit{Bin: p.SiitBin, ForwardOnly: true, CPUs: cpus}, &lab.Siit{Bin: p.SiitBin, CPUs: cpus}}
	if len(p.Only) == 0 {
		return all
	}
	var out []lab.Peer
	for _, peer := range all {
		if slices.Contains(p.Only, peer.Name()) {
			out = append(out, peer)
		}
	}
	return out
}

type runner struct {
	plan     Plan
	res      *Results
	progress io.Writer
	start    time.Time
}

func (r *runner) logf(format string, a ...any) {
	fmt.Fprintf(r.progress, "[%5.1fs] %s\n", time.Since(r.start).Seconds(), fmt.Sprintf(format, a...))
}

// RunPlan builds the lab(s) and measures everything of the plan, printing progress.
func RunPlan(ctx context.Context, p Plan, progress io.Writer) (*Results, error) {
	if p.Tag == "" {
		p.Tag = "bench" + strconv.Itoa(os.Getpid())
	}
	r := &runner{plan: p, progress: progress, start: time.Now(),
		res: &Results{Plan: p, Started: time.Now(), Machine: machine(), Kernel: kernel(), GenCap: map[string]float64{}}}
	for _, q := range p.Queues {
		if err := ctx.Err(); err != nil {
			return r.res, fmt.Errorf("stopped: %w", err) // interrupted: build no further lab
		}
		if err := r.withLab(ctx, q); err != nil {
			return r.res, err
		}
	}
	r.res.Elapsed = time.Since(r.start)
	return r.res, nil
}

func (r *runner) withLab(ctx context.Context, queues int) error {
	l, err := lab.Setup(fmt.Sprintf("%s-q%d", r.plan.Tag, queues), queues, r.plan.Sink)
	if err != nil {
		return err
	}
	defer l.Close()
	r.logf("lab with %d queue(s) ready", queues)
	main := queues == r.plan.Queues[0]
	cpus := r.plan.CPUs
	if !main {
		cpus = nil
		for i := range queues {
			cpus = append(cpus, i)
		}
	}
	// Which cells this lab measures: the main table (all directions, 84 B, size sweep) on the first queue
	// count; 6->4 84 B only on the others.
	type job struct {
		dir  lab.Direction
		size int
		full bool // latency, loss curve, 0.1 %
	}
	var jobs []job
	if main {
		for _, d := range r.plan.Dirs {
			jobs = append(jobs, job{d, 84, true})
		}
		for _, s := range r.plan.Sizes {
			if s != 84 {
				jobs = append(jobs, job{lab.Dir64, s, false})
			}
		}
	} else {
		jobs = append(jobs, job{lab.Dir64, 84, false})
	}
	// Generator capacity per (direction, size): gen -> sink on the DUT's own ports, nothing in between.
	caps := map[string]float64{}
	for _, j := range jobs {
		key := fmt.Sprintf("%s/%d/q%d", j.dir, j.size, queues)
		c, err := r.genCapacity(ctx, l, j.dir, j.size, cpus)
		if err != nil {
			return err
		}
		caps[key] = c
		r.res.GenCap[key] = c
		r.logf("generator capacity %s %d B, %d thread(s): %.3f Mpps", j.dir, j.size, len(cpus), c/1e6)
	}
	for _, peer := range r.plan.peers() {
		if !main && !(isKind[*lab.Kernel](peer) || isKind[*lab.XDPFwd](peer) || isKind[*lab.Siit](peer)) {
			continue
		}
		if err := peer.Available(); err != nil {
			r.logf("%s: not available (%v)", peer.Name(), err)
			for _, j := range jobs {
				r.res.Cells = append(r.res.Cells, Cell{Peer: peer.Name(), Dir: j.dir.String(), FrameSize: j.size,
					Queues: queues, Threads: len(cpus), NA: "not available yet"})
			}
			continue
		}
		if err := peer.Start(l); err != nil {
			peer.Stop(l)
			r.logf("%s: start failed: %v", peer.Name(), err)
			for _, j := range jobs {
				r.res.Cells = append(r.res.Cells, Cell{Peer: peer.Name(), Dir: j.dir.String(), FrameSize: j.size,
					Queues: queues, Threads: len(cpus), NA: "failed to start: " + firstLine(err.Error())})
			}
			continue
		}
		for _, j := range jobs {
			key := fmt.Sprintf("%s/%d/q%d", j.dir, j.size, queues)
			cell, err := r.measure(ctx, l, peer, j.dir, j.size, queues, cpus, caps[key], j.full)
			if err != nil {
				peer.Stop(l)
				return err
			}
			r.res.Cells = append(r.res.Cells, cell)
		}
		if err := peer.Stop(l); err != nil {
			r.logf("%s: stop: %v", peer.Name(), err)
		}
	}
	return nil
}

func isKind[T lab.Peer](p lab.Peer) bool { _, ok := p.(T); return ok }

func (r *runner) genCapacity(ctx context.Context, l *lab.Lab, dir lab.Direction, size int, cpus []int) (float64, error) {
	run, err := l.NewRunner(lab.TrialConfig{Dir: dir, FrameSize: size, Proto: frames.UDP, Flows: 256, AddrFlows: 16,
		Duration: r.plan.Trial, CPUs: cpus, AtDUT: true})
	if err != nil {
		return 0, err
	}
	defer run.Close()
	best := 0.0
	for range 3 { // the best of three: the machine is shared and a preempted generator under-reports
		t, err := run.Trial(ctx, 0)
		if err != nil {
			return 0, err
		}
		best = max(best, t.RxRate())
	}
	return best, nil
}

func (r *runner) measure(ctx context.Context, l *lab.Lab, peer lab.Peer, dir lab.Direction, size, queues int,
	cpus []int, genCap float64, full bool) (Cell, error) {
	cell := Cell{Peer: peer.Name(), Dir: dir.String(), FrameSize: size, Queues: queues, Threads: len(cpus), GenCap: genCap}
	sample := uint32(0)
	if full {
		sample = 64
	}
	run, err := l.NewRunner(lab.TrialConfig{Dir: dir, FrameSize: size, Proto: frames.UDP, Flows: 256, AddrFlows: 16,
		Duration: r.plan.Trial, CPUs: cpus, Translating: peer.Translates(), SampleEvery: sample})
	if err != nil {
		return cell, err
	}
	defer run.Close()
	label := fmt.Sprintf("%s %s %d B q%d", peer.Name(), dir, size, queues)
	if tg, ok := peer.(*lab.Tayga); ok {
		run.BeforeTrial = func() error {
			last, err := tg.Revive(l)
			if last != "" || err != nil {
				cell.Restarts++
				r.logf("  %s died under the previous trial (%q); restarted", peer.Name(), last)
			}
			return err
		}
	}
	run.Progress = func(t search.Trial) {
		r.logf("  %s: offered %.3f Mpps, received %.3f Mpps, loss %.3f %%", label, t.Offered/1e6, t.RxRate()/1e6, 100*t.Loss())
	}
	cfg := search.Config{Max: genCap, Min: genCap / 1000, Resolution: r.plan.Resolution, MaxSteps: r.plan.Steps}
	stats, limited, all, err := search.Repeat(ctx, r.plan.Repeats, run, cfg)
	if err != nil {
		return cell, err
	}
	cell.Rate, cell.GenLimited = stats, limited
	for _, a := range all {
		cell.Saturated = cell.Saturated || a.Saturated
		cell.GenShort = cell.GenShort || a.Short
	}
	r.logf("%s: zero-loss throughput %.3f Mpps%s%s%s", label, stats.Median/1e6,
		map[bool]string{true: " (generator-limited)"}[limited], map[bool]string{true: " (saturated)"}[cell.Saturated],
		map[bool]string{true: " (generator short of the rates asked for)"}[cell.GenShort])
	if full {
		t, err := run.Trial(ctx, 0)
		if err != nil {
			return cell, err
		}
		cell.Overload, cell.OverloadOffered = t.RxRate(), t.Offered
		r.logf("%s: %.3f Mpps forwarded at full offered load (%.3f Mpps)", label, cell.Overload/1e6, t.Offered/1e6)
	}
	if full && r.plan.Loss01 {
		cfg.LossTolerance = 0.001
		if cell.Rate01, _, _, err = search.Repeat(ctx, r.plan.Repeats, run, cfg); err != nil {
			return cell, err
		}
	}
	if full && stats.Median > 0 {
		if err := r.latency(ctx, l, peer, dir, size, cpus, stats.Median*r.plan.LatencyAt, &cell); err != nil {
			return cell, err
		}
		cell.Validated, cell.Invalid = run.Validated, run.Invalid
		if run.FirstError != nil {
			cell.FirstError = run.FirstError.Error()
		}
	}
	if full && len(r.plan.LossFractions) > 0 {
		pts, err := search.LossCurve(ctx, run, genCap, r.plan.LossFractions)
		if err != nil {
			return cell, err
		}
		for _, p := range pts {
			cell.Loss = append(cell.Loss, LossPoint{Fraction: p.Fraction, Offered: p.Trial.Offered, Loss: p.Trial.Loss()})
		}
	}
	return cell, nil
}

// latency runs one timestamped trial at rate and fills the latency fields and the DUT process CPU per frame.
func (r *runner) latency(ctx context.Context, l *lab.Lab, peer lab.Peer, dir lab.Direction, size int, cpus []int,
	rate float64, cell *Cell) error {
	run, err := l.NewRunner(lab.TrialConfig{Dir: dir, FrameSize: size, Proto: frames.UDP, Flows: 256, AddrFlows: 16,
		Duration: max(r.plan.Trial, 500*time.Millisecond), CPUs: cpus, Translating: peer.Translates(), Timestamp: true,
		SampleEvery: 64})
	if err != nil {
		return err
	}
	defer run.Close()
	cpu0 := procCPU(peer.PID())
	t, err := run.Trial(ctx, rate)
	if err != nil {
		return err
	}
	if pid := peer.PID(); pid != 0 && t.Received > 0 {
		cell.CPUns = float64(procCPU(pid)-cpu0) / float64(t.Received)
	}
	lat := latencyOf(run.Last)
	cell.LatMin, cell.LatP50, cell.LatP99, cell.LatP999, cell.PDV = lat.Min, lat.P50, lat.P99, lat.P999, lat.PDV
	cell.Validated += run.Validated
	cell.Invalid += run.Invalid
	r.logf("%s %s %d B latency at %.3f Mpps: min %.1f µs, median %.1f µs, p99.9 %.1f µs", peer.Name(), dir, size,
		rate/1e6, cell.LatMin/1e3, cell.LatP50/1e3, cell.LatP999/1e3)
	return nil
}

// latencies summarises the latency histograms of a trial's sinks, in ns.
type latencies struct {
	Min, P50, P99, P999 float64
	PDV                 float64 // P999 - Min (RFC 8219 §7.3 with the 99.9th percentile)
	N                   uint64  // timestamped frames received
}

func latencyOf(last []xdpprog.Counters) latencies {
	var hist [xdpprog.LatBuckets]uint64
	var l latencies
	for _, c := range last {
		for b, v := range c.LatHist {
			hist[b] += v
			l.N += v
		}
		if c.LatMin > 0 && (l.Min == 0 || float64(c.LatMin) < l.Min) {
			l.Min = float64(c.LatMin)
		}
	}
	l.P50, l.P99, l.P999 = percentile(hist[:], l.N, 0.5), percentile(hist[:], l.N, 0.99), percentile(hist[:], l.N, 0.999)
	if l.P999 > l.Min {
		l.PDV = l.P999 - l.Min
	}
	return l
}

// percentile returns the upper bound of the histogram bucket holding quantile q.
func percentile(hist []uint64, n uint64, q float64) float64 {
	if n == 0 {
		return 0
	}
	want := uint64(q*float64(n-1)) + 1
	var acc uint64
	for b, v := range hist {
		acc += v
		if acc >= want {
			_, hi := xdpprog.LatBucketRange(b)
			return float64(hi)
		}
	}
	return 0
}

// procCPU returns user+system CPU time of pid in ns (0 when unknown).
func procCPU(pid int) int64 {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return (u + k) * int64(time.Second) / 100 // USER_HZ is 100 on Linux
}

func machine() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	model := "unknown CPU"
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
			break
		}
	}
	return fmt.Sprintf("%s, %d CPUs online", model, numCPU())
}

func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown"
	}
	return "Linux " + strings.TrimSpace(string(b))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}
