package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/siit-project/siit/bench/frames"
	"github.com/siit-project/siit/bench/lab"
	"github.com/siit-project/siit/bench/netns"
	"github.com/siit-project/siit/bench/search"
	"github.com/siit-project/siit/bench/xdpprog"
)

// cmdThroughput is `siit bench throughput`: the RFC 2544 / RFC 8219 zero-loss throughput search of `siit bench
// run`, against a device under test that siit does not build, through two tester ports (or one, for a one-armed
// DUT).
func cmdThroughput(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	def := lab.DefaultTraffic()
	fs := flag.NewFlagSet("siit bench throughput", flag.ContinueOnError)
	iface := fs.String("i", "", "tester port A: leg A leaves here, leg B is counted here (required)")
	nsName := fs.String("netns", "", "named network namespace (ip netns) of -i")
	dstMAC := fs.String("dst-mac", "", "MAC of the DUT port cabled to -i (required)")
	iface2 := fs.String("i2", "", "tester port B: leg B leaves here, leg A is counted here (default: -i, for a "+
		"one-armed DUT: each leg comes back through the port it left by)")
	nsName2 := fs.String("netns2", "", "named network namespace of -i2 (default: -netns)")
	dstMAC2 := fs.String("dst-mac2", "", "MAC of the DUT port cabled to -i2 (required with -i2)")
	src := fs.String("src", def.ASrc.String(), "source address of leg A")
	dst := fs.String("dst", def.ADst.String(), "destination address of leg A")
	src2 := fs.String("src2", def.BSrc.String(), "source address of leg B: a translator turns leg A into "+
		"frames from -dst2 to -src2")
	dst2 := fs.String("dst2", def.BDst.String(), "destination address of leg B")
	dirName := fs.String("dir", "both", "legs to send: a (-i to -i2), b (-i2 to -i) or both (half the rate each)")
	forward := fs.Bool("forward", false, "the DUT forwards frames unchanged instead of translating them (a baseline)")
	sizesArg := fs.String("sizes", "84", "comma-separated RFC 2544 frame sizes of leg A (FCS included); leg B's "+
		"frames carry the same payload (20 bytes less for IPv4 when leg A is IPv6, RFC 8219)")
	proto := fs.String("proto", "udp", "udp, tcp or icmp (echo request)")
	flows := fs.Int("flows", 256, "source ports (ICMP: echo identifiers) per leg")
	addrFlows := fs.Int("addr-flows", 16, "values taken by the last source address octet per leg")
	dur := fs.Duration("duration", 2*time.Second, "length of every trial (RFC 2544 asks for 60s for a final figure)")
	loss := fs.Float64("loss", 0, "tolerated frame loss ratio (0: zero loss; 0.001: 0.1 %)")
	resolution := fs.Float64("resolution", 0.02, "stop when the bracket is within this fraction of the rate")
	steps := fs.Int("steps", 12, "at most this many trials per search")
	repeat := fs.Int("repeat", 1, "searches per size (the median is reported, with min and max)")
	maxRate := fs.Float64("max", 0, "highest rate tried in frames/s, both legs together (0: what the generator "+
		"offers at full speed, best of three trials)")
	cpus := fs.String("cpus", "0", "CPUs running one generator thread each, e.g. 0,1")
	sinkName := fs.String("sink", "xdp", "how the tester ports count: xdp (an XDP program) or tc (tcx ingress)")
	latAt := fs.Float64("latency", 0, "after each search, one trial with every frame timestamped at this fraction "+
		"of the throughput found (1: at the throughput, RFC 8219 §7.2; 0: no latency trial)")
	validate := fs.Uint("validate", 64, "check one received frame in N per CPU completely: family, addresses, "+
		"checksums (0: off)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *iface == "" {
		return usageError{errors.New("-i is required (the tester's port, and -i2 its second one unless the DUT is " +
			"one-armed)")}
	}
	oneArmed := *iface2 == "" || *iface2 == *iface && (*nsName2 == "" || *nsName2 == *nsName)
	if oneArmed {
		*iface2, *nsName2 = *iface, *nsName
		if *dstMAC2 == "" {
			*dstMAC2 = *dstMAC
		}
	}
	dir, err := parseDir(*dirName)
	if err != nil {
		return err
	}
	sizes, err := parseSizes(*sizesArg)
	if err != nil {
		return err
	}
	p, err := frames.ParseProto(*proto)
	if err != nil {
		return usageError{err}
	}
	mode, err := xdpprog.ParseSinkMode(*sinkName)
	if err != nil {
		return usageError{err}
	}
	cpuList, err := parseCPUs(*cpus)
	if err != nil {
		return err
	}
	if *loss < 0 || *loss >= 1 || *resolution <= 0 || *resolution >= 1 || *steps < 1 || *repeat < 1 || *maxRate < 0 ||
		*dur <= 0 || *latAt < 0 || *latAt > 1 {
		return usageError{errors.New("want 0 <= -loss < 1, 0 < -resolution < 1, -steps >= 1, -repeat >= 1, -max >= 0, " +
			"-duration > 0, 0 <= -latency <= 1")}
	}
	var tr lab.Traffic
	for _, a := range []struct {
		dst  *netip.Addr
		flag string
		val  string
	}{{&tr.ASrc, "-src", *src}, {&tr.ADst, "-dst", *dst}, {&tr.BSrc, "-src2", *src2}, {&tr.BDst, "-dst2", *dst2}} {
		if *a.dst, err = netip.ParseAddr(a.val); err != nil {
			return usageError{fmt.Errorf("parse %s: %w", a.flag, err)}
		}
	}
	var ns, ns2 *netns.NS
	if *nsName != "" {
		ns = &netns.NS{Name: *nsName}
	}
	ns2 = ns
	if *nsName2 != "" {
		ns2 = &netns.NS{Name: *nsName2}
	}
	ports := [2]lab.ExternalPort{{NS: ns, Name: *iface}, {NS: ns2, Name: *iface2}}
	for i, m := range []string{*dstMAC, *dstMAC2} {
		sfx := []string{"", "2"}[i]
		if ports[i].DUTMAC, err = net.ParseMAC(m); err != nil {
			return usageError{fmt.Errorf("parse -dst-mac%s (the MAC of the DUT port cabled to -i%s is required): %w",
				sfx, sfx, err)}
		}
	}

	l, err := lab.External(ports[0], ports[1], mode)
	if err != nil {
		return err
	}
	defer l.Close()
	l.Traffic = tr

	fmt.Fprintf(stdout, "%-6s %-5s %12s %12s %12s %12s %7s  %s\n", "size", "legs", "Mpps", "Mpps/leg", "Gbit/s L1",
		"rx Mpps", "trials", "notes")
	var validated, invalid, wrongFamily uint64
	var firstErr error
	for _, size := range sizes {
		run, err := l.NewRunner(lab.TrialConfig{Dir: dir, FrameSize: size, Proto: p, Flows: *flows, AddrFlows: *addrFlows,
			Duration: *dur, CPUs: cpuList, Translating: !*forward, SampleEvery: uint32(*validate)})
		if err != nil {
			return err
		}
		label := fmt.Sprintf("%d B %s", size, *dirName)
		run.Progress = func(t search.Trial) {
			fmt.Fprintf(stderr, "  %s: offered %.3f Mpps, received %.3f Mpps, loss %.4f %%\n", label, t.Offered/1e6,
				t.RxRate()/1e6, 100*t.Loss())
			for _, c := range run.Last {
				wrongFamily += c.WrongFamily
			}
		}
		top := *maxRate
		if top == 0 {
			for range 3 { // the best of three: a preempted generator under-reports
				t, err := run.Trial(ctx, 0)
				if err != nil {
					run.Close()
					return err
				}
				top = max(top, t.Offered)
			}
		}
		if top <= 0 {
			run.Close()
			return fmt.Errorf("%s: the generator sent nothing at full speed", label)
		}
		cfg := search.Config{Max: top, Min: top / 1000, LossTolerance: *loss, Resolution: *resolution, MaxSteps: *steps}
		stats, limited, all, err := search.Repeat(ctx, *repeat, run, cfg)
		sizesSent := run.FrameSizes()
		validated, invalid = validated+run.Validated, invalid+run.Invalid
		if firstErr == nil && run.FirstError != nil {
			firstErr = run.FirstError
		}
		run.Close()
		if err != nil {
			return err
		}
		var notes []string
		if limited {
			notes = append(notes, "generator-limited: the DUT may pass more")
		}
		var trials int
		rx, near := 0.0, -1.0
		for _, r := range all {
			trials += len(r.Steps)
			if d := abs(r.Rate - stats.Median); near < 0 || d < near { // the search nearest the median
				rx, near = r.RxRate, d
			}
			if r.Saturated {
				notes = append(notes, "saturated: the generator could offer no more through the DUT")
			}
			if r.Short {
				notes = append(notes, "generator short of the rates asked for")
			}
		}
		if stats.N > 1 {
			notes = append(notes, fmt.Sprintf("min %.3f max %.3f Mpps over %d searches", stats.Min/1e6, stats.Max/1e6, stats.N))
		}
		avg := 0
		for _, s := range sizesSent {
			avg += s
		}
		avg /= len(sizesSent)
		fmt.Fprintf(stdout, "%-6d %-5s %12.3f %12.3f %12.3f %12.3f %7d  %s\n", size, *dirName, stats.Median/1e6,
			stats.Median/1e6/float64(len(sizesSent)), stats.Median*float64(avg+20)*8/1e9, rx/1e6, trials,
			strings.Join(notes, "; "))
		if *latAt > 0 && stats.Median > 0 {
			lat, lost, err := latencyTrial(ctx, l, lab.TrialConfig{Dir: dir, FrameSize: size, Proto: p, Flows: *flows,
				AddrFlows: *addrFlows, Duration: *dur, CPUs: cpuList, Translating: !*forward, Timestamp: true},
				stats.Median**latAt)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%-6d %-5s latency at %.3f Mpps (%d frames, loss %.4f %%): min %.1f µs, median %.1f µs, "+
				"p99 %.1f µs, p99.9 %.1f µs, PDV %.1f µs\n", size, *dirName, stats.Median**latAt/1e6, lat.N, 100*lost,
				lat.Min/1e3, lat.P50/1e3, lat.P99/1e3, lat.P999/1e3, lat.PDV/1e3)
		}
	}
	if *validate > 0 {
		fmt.Fprintf(stdout, "validated %d sampled frames: %d invalid\n", validated, invalid)
	}
	var errs []error
	if wrongFamily > 0 {
		what := "the DUT forwarded them: add -forward"
		if *forward {
			what = "the DUT translated them: drop -forward"
		}
		errs = append(errs, fmt.Errorf("%d test frames arrived in the wrong IP version and counted as lost (%s)",
			wrongFamily, what))
	}
	if invalid > 0 {
		errs = append(errs, fmt.Errorf("%d received frames failed validation (first: %v)", invalid, firstErr))
	}
	return errors.Join(errs...)
}

func parseDir(s string) (lab.Direction, error) {
	switch s {
	case "a":
		return lab.Dir64, nil
	case "b":
		return lab.Dir46, nil
	case "both":
		return lab.DirBoth, nil
	}
	return 0, usageError{fmt.Errorf("-dir %q: want a, b or both", s)}
}

// parseSizes parses "84,128,1518".
func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 64 || n > frames.MaxFrameSize {
			return nil, usageError{fmt.Errorf("frame size %q: want %d..%d", f, 64, frames.MaxFrameSize)}
		}
		out = append(out, n)
	}
	return out, nil
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// latencyTrial runs one timestamped trial of cfg at rate and returns the latencies and the loss ratio.
func latencyTrial(ctx context.Context, l *lab.Lab, cfg lab.TrialConfig, rate float64) (latencies, float64, error) {
	run, err := l.NewRunner(cfg)
	if err != nil {
		return latencies{}, 0, err
	}
	defer run.Close()
	t, err := run.Trial(ctx, rate)
	if err != nil {
		return latencies{}, 0, err
	}
	return latencyOf(run.Last), t.Loss(), nil
}
