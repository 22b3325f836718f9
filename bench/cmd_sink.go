package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/siit-project/siit/bench/frames"
	"github.com/siit-project/siit/bench/netns"
	"github.com/siit-project/siit/bench/xdpprog"
)

func cmdSink(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("siit bench sink", flag.ContinueOnError)
	iface := fs.String("i", "", "interface to count on (required)")
	nsName := fs.String("netns", "", "named network namespace (ip netns) the interface is in")
	expect := fs.Int("expect", 0, "IP version test frames must have (4 or 6; 0: either)")
	trial := fs.Uint("trial", 1, "trial id of the generator's stamps")
	sample := fs.Uint("validate", 0, "copy one frame in N per CPU to userspace and check it completely (0: off)")
	interval := fs.Duration("interval", time.Second, "report interval")
	dur := fs.Duration("duration", 0, "stop after this long (0: until interrupted)")
	dropOther := fs.Bool("drop-other", false, "drop non-test frames too (default: pass them to the stack)")
	modeName := fs.String("mode", "xdp", "where to count: xdp (an XDP program) or tc (tcx ingress; on veth, frames "+
		"redirected with XDP arrive only with GRO on)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *iface == "" {
		return usageError{errors.New("-i is required")}
	}
	if *expect != 0 && *expect != 4 && *expect != 6 {
		return usageError{errors.New("-expect must be 4, 6 or 0")}
	}
	mode, err := xdpprog.ParseSinkMode(*modeName)
	if err != nil {
		return usageError{err}
	}
	var ns *netns.NS
	if *nsName != "" {
		ns = &netns.NS{Name: *nsName}
	}
	ifc, err := lookupIface(ns, *iface)
	if err != nil {
		return err
	}
	s, err := xdpprog.LoadSink()
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Configure(xdpprog.SinkConfig{Trial: uint8(*trial), ExpectFamily: *expect, SampleEvery: uint32(*sample),
		DropOther: *dropOther}); err != nil {
		return err
	}
	attach := func() error { return s.AttachMode(ifc.Index, mode) }
	if ns != nil {
		err = ns.Do(attach)
	} else {
		err = attach()
	}
	if err != nil {
		return err
	}
	var samples *xdpprog.SampleReader
	if *sample > 0 {
		if samples, err = s.Samples(); err != nil {
			return err
		}
		defer samples.Close()
	}
	fmt.Fprintf(stderr, "counting on %s (ifindex %d, %s); Ctrl-C to stop\n", *iface, ifc.Index, mode)
	if *dur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *dur)
		defer cancel()
	}
	start := time.Now()
	var prev xdpprog.Counters
	var checked, bad uint64
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
		}
		for samples != nil {
			smp, ok, err := samples.Read(time.Millisecond)
			if err != nil || !ok {
				break
			}
			in, err := frames.Parse(smp.Frame)
			if err == nil && in.HasStamp && in.Stamp.Trial != uint8(*trial) {
				continue
			}
			checked++
			if err == nil {
				err = frames.Expect{Family: in.Family}.Check(in)
				if *expect != 0 && in.Family != *expect {
					err = fmt.Errorf("IPv%d, want IPv%d", in.Family, *expect)
				}
			}
			if err != nil {
				bad++
				if bad <= 5 {
					fmt.Fprintf(stderr, "bad frame: %v\n", err)
				}
			}
		}
		c, err := s.Counters()
		if err != nil {
			return err
		}
		secs := interval.Seconds()
		if done {
			secs = time.Since(start).Seconds()
			prev = xdpprog.Counters{}
		}
		avg := 0.0
		if c.LatCount > 0 {
			avg = float64(c.LatSum) / float64(c.LatCount) / 1e3
		}
		label := "interval"
		if done {
			label = "total"
		}
		fmt.Fprintf(stdout, "%s: %.3f Mpps all, %.3f Mpps test | test %d, stale %d, wrong family %d, bad IPv4 csum %d, reordered %d, latency avg %.1f µs | checked %d bad %d\n",
			label, float64(c.Frames-prev.Frames)/secs/1e6, float64(c.Stamped-prev.Stamped)/secs/1e6, c.Stamped, c.Stale,
			c.WrongFamily, c.BadIPChecksum, c.Reordered, avg, checked, bad)
		prev = c
	}
	return nil
}
