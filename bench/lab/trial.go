package lab

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sync"
	"time"

	"github.com/siit-project/siit/bench/frames"
	"github.com/siit-project/siit/bench/gen"
	"github.com/siit-project/siit/bench/search"
	"github.com/siit-project/siit/bench/xdpprog"
)

// Direction of a trial.
type Direction int

// Directions: 6->4 frames leave A, 4->6 frames leave B, both at once with half the rate each.
const (
	Dir64 Direction = iota
	Dir46
	DirBoth
)

func (d Direction) String() string {
	switch d {
	case Dir64:
		return "6->4"
	case Dir46:
		return "4->6"
	}
	return "bidir"
}

// Lab traffic addresses (see doc.go).
var (
	src64 = netip.MustParseAddr("2001:db8:64::c000:201")
	dst64 = netip.MustParseAddr("2001:db8:64::cb00:7101")
	src46 = netip.MustParseAddr("203.0.113.1")
	dst46 = netip.MustParseAddr("192.0.2.1")
)

// TrialConfig fixes everything of a trial but its rate.
type TrialConfig struct {
	Dir       Direction
	FrameSize int // RFC 2544 size on the IPv6 side; IPv4 frames are 20 bytes shorter (RFC 8219)
	Proto     frames.Proto
	Flows     int // source ports per direction
	AddrFlows int // source addresses per direction (last octet)
	Duration  time.Duration
	CPUs      []int // generator threads; bidir gives A the even and B the odd positions when there are two or more
	Timestamp bool  // stamp transmit times (latency trials)
	// Translating: the sinks expect the other family (a translator); false for forwarders.
	Translating bool
	// AtDUT counts at sinks on the DUT's own ports (d6, d4) instead of the far end: measures the generator.
	AtDUT bool
	// SampleEvery: copy one received frame in SampleEvery to userspace for full validation (0: none).
	SampleEvery uint32
}

// leg is one direction of a trial.
type leg struct {
	from, to *Port
	stream   *gen.Stream
	tmpl     *frames.Template
	expect   frames.Expect
	sink     *xdpprog.Sink
	samples  *xdpprog.SampleReader
	cpus     []int
}

// Runner runs trials of one configuration through the lab; it implements search.DUT.
type Runner struct {
	lab   *Lab
	cfg   TrialConfig
	legs  []*leg
	owned []*xdpprog.Sink // sinks this runner attached (AtDUT)
	trial uint8

	// After each trial: the legs' sink counters (for latency) and the validation tally.
	Last       []xdpprog.Counters
	Validated  uint64
	Invalid    uint64
	FirstError error
	// Progress, when set, is called after every trial.
	Progress func(search.Trial)
	// BeforeTrial, when set, runs before every trial (e.g. to revive a peer that died under overload).
	BeforeTrial func() error
}

// NewRunner prepares generators and sinks for cfg.
func (l *Lab) NewRunner(cfg TrialConfig) (r *Runner, err error) {
	if cfg.Flows < 1 {
		cfg.Flows = 1
	}
	if cfg.Duration <= 0 {
		cfg.Duration = time.Second
	}
	if len(cfg.CPUs) == 0 {
		cfg.CPUs = []int{0}
	}
	r = &Runner{lab: l, cfg: cfg}
	defer func() {
		if err != nil {
			r.Close()
			r = nil
		}
	}()
	var cpusA, cpusB []int
	for i, c := range cfg.CPUs {
		if cfg.Dir == DirBoth && len(cfg.CPUs) > 1 && i%2 == 1 {
			cpusB = append(cpusB, c)
		} else {
			cpusA = append(cpusA, c)
		}
	}
	if cfg.Dir != DirBoth || len(cfg.CPUs) == 1 {
		cpusB = cpusA
	}
	if cfg.Dir == Dir64 || cfg.Dir == DirBoth {
		to := l.PB
		if cfg.AtDUT {
			to = l.PD6
		}
		lg, err := r.newLeg(l.PA, l.PD6, to, src64, dst64, cfg.FrameSize, cpusA)
		if err != nil {
			return nil, err
		}
		r.legs = append(r.legs, lg)
	}
	if cfg.Dir == Dir46 || cfg.Dir == DirBoth {
		to := l.PA
		if cfg.AtDUT {
			to = l.PD4
		}
		lg, err := r.newLeg(l.PB, l.PD4, to, src46, dst46, cfg.FrameSize-20, cpusB)
		if err != nil {
			return nil, err
		}
		r.legs = append(r.legs, lg)
	}
	return r, nil
}

func (r *Runner) newLeg(from, next, to *Port, src, dst netip.Addr, size int, cpus []int) (*leg, error) {
	t, err := frames.Build(frames.Spec{
		Proto: r.cfg.Proto, SrcMAC: from.MAC, DstMAC: next.MAC, Src: src, Dst: dst,
		SrcPort: 1024, DstPort: 9, FrameSize: size, Flows: r.cfg.Flows, AddrFlows: r.cfg.AddrFlows,
		Timestamp: r.cfg.Timestamp,
	})
	if err != nil {
		return nil, err
	}
	lg := &leg{from: from, to: to, tmpl: t, cpus: cpus, expect: expectAt(t, r.cfg.Translating && !r.cfg.AtDUT)}
	if lg.stream, err = gen.NewSynthetic(t, 0); err != nil {
		return nil, err
	}
	lg.sink = to.sink
	if lg.sink == nil { // a DUT port: attach a sink for the life of the runner
		s, err := xdpprog.LoadSink()
		if err != nil {
			lg.stream.Close()
			return nil, err
		}
		if err := to.NS.Do(func() error { return s.Attach(to.Index) }); err != nil {
			s.Close()
			lg.stream.Close()
			return nil, err
		}
		r.owned = append(r.owned, s)
		lg.sink = s
	}
	if r.cfg.SampleEvery > 0 {
		if lg.samples, err = lg.sink.Samples(); err != nil {
			lg.stream.Close()
			return nil, err
		}
	}
	return lg, nil
}

// expectAt returns what frames built from t look like at the far sink.
func expectAt(t *frames.Template, translating bool) frames.Expect {
	e := frames.Expect{Family: t.Family(), Dst: t.Spec.Dst,
		SrcPrefix: netip.PrefixFrom(t.Spec.Src, t.Spec.Src.BitLen()-8).Masked()}
	if !translating {
		return e
	}
	pool := netip.MustParsePrefix(Pool6)
	if t.Family() == 6 { // 6->4: extract the IPv4 addresses
		e.Family = 4
		d := t.Spec.Dst.As16()
		s := t.Spec.Src.As16()
		e.Dst = netip.AddrFrom4([4]byte(d[12:]))
		e.SrcPrefix = netip.PrefixFrom(netip.AddrFrom4([4]byte(s[12:])), 24).Masked()
		return e
	}
	e.Family = 6
	embed := func(a netip.Addr) netip.Addr {
		b := pool.Addr().As16()
		v4 := a.As4()
		copy(b[12:], v4[:])
		return netip.AddrFrom16(b)
	}
	e.Dst = embed(t.Spec.Dst)
	e.SrcPrefix = netip.PrefixFrom(embed(t.Spec.Src), 120).Masked()
	return e
}

// Close releases generators and the sinks the runner attached.
func (r *Runner) Close() error {
	var errs []error
	for _, lg := range r.legs {
		if lg.samples != nil {
			errs = append(errs, lg.samples.Close())
		}
		errs = append(errs, lg.stream.Close())
	}
	for _, s := range r.owned {
		errs = append(errs, s.Close())
	}
	r.legs, r.owned = nil, nil
	return errors.Join(errs...)
}

// Trial offers rate frames/s (split evenly over the legs) for the configured duration, waits for the
// stragglers and counts what arrived.
func (r *Runner) Trial(ctx context.Context, rate float64) (search.Trial, error) {
	r.trial++
	res := search.Trial{Requested: rate}
	if r.BeforeTrial != nil {
		if err := r.BeforeTrial(); err != nil {
			return res, err
		}
	}
	// Full speed (rate <= 0 or +Inf) runs for the duration; a paced trial sends an exact count.
	perLeg, count, dur := rate/float64(len(r.legs)), uint64(0), time.Duration(0)
	if rate <= 0 || math.IsInf(rate, 1) {
		perLeg, dur = 0, r.cfg.Duration
	} else {
		count = max(uint64(perLeg*r.cfg.Duration.Seconds()), 1)
	}
	for _, lg := range r.legs {
		if err := lg.stream.Prog.SetTrial(r.trial); err != nil {
			return res, err
		}
		if err := lg.sink.Reset(); err != nil {
			return res, err
		}
		if err := lg.sink.Configure(xdpprog.SinkConfig{Trial: r.trial, ExpectFamily: lg.expect.Family,
			SampleEvery: r.cfg.SampleEvery}); err != nil {
			return res, err
		}
	}
	results := make([]gen.Result, len(r.legs))
	errs := make([]error, len(r.legs))
	var wg sync.WaitGroup
	for i, lg := range r.legs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = gen.Run(ctx, gen.Config{
				Ifindex: lg.from.Index, Streams: []*gen.Stream{lg.stream}, CPUs: lg.cpus,
				Rate: perLeg, Count: count, Duration: dur, ThreadSetup: lg.from.NS.Enter,
			})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return res, fmt.Errorf("lab trial at %.0f fps: %w", rate, err)
	}
	var elapsed time.Duration
	for _, g := range results {
		res.Sent += g.Sent
		elapsed = max(elapsed, g.Elapsed)
	}
	if elapsed > 0 {
		res.Offered = float64(res.Sent) / elapsed.Seconds()
	}
	received, err := r.settle(ctx, res.Sent)
	if err != nil {
		return res, err
	}
	res.Received = received
	for i, c := range r.Last {
		// GRO at a tc sink merged frames into one skb: they are counted, but only the first was checked.
		if c.Merged > 0 {
			r.Invalid += c.Merged
			if r.FirstError == nil {
				r.FirstError = fmt.Errorf("%s leg: GRO merged frames into %d skbs at the sink; only the first "+
					"frame of each was checked", r.legs[i].tmpl.Spec.Src, c.Merged)
			}
		}
	}
	r.validate()
	if r.Progress != nil {
		r.Progress(res)
	}
	return res, nil
}

// settle waits until every sent frame arrived or the count stops moving for 100 ms (at most 2 s).
func (r *Runner) settle(ctx context.Context, sent uint64) (uint64, error) {
	var last uint64
	still := 0
	deadline := time.Now().Add(2 * time.Second)
	for {
		var got uint64
		r.Last = r.Last[:0]
		for _, lg := range r.legs {
			c, err := lg.sink.Counters()
			if err != nil {
				return 0, err
			}
			r.Last = append(r.Last, c)
			got += c.Stamped - min(c.Stamped, c.WrongFamily)
		}
		if got >= sent || time.Now().After(deadline) || ctx.Err() != nil {
			return got, nil
		}
		if got == last {
			still++
			if still >= 5 {
				return got, nil
			}
		} else {
			still = 0
		}
		last = got
		time.Sleep(20 * time.Millisecond)
	}
}

// validate checks the sampled frames of every leg completely in userspace.
func (r *Runner) validate() {
	for _, lg := range r.legs {
		if lg.samples == nil {
			continue
		}
		for {
			smp, ok, err := lg.samples.Read(10 * time.Millisecond)
			if err != nil || !ok {
				break
			}
			in, err := frames.Parse(smp.Frame)
			if err == nil && in.HasStamp && in.Stamp.Trial != r.trial {
				continue // a stale frame of an earlier trial
			}
			if err == nil && !in.HasStamp {
				continue // the generator stamps every frame: this is the host's own (e.g. ND, MLD)
			}
			if errors.Is(err, frames.ErrFragment) || errors.Is(err, frames.ErrL4Unknown) || errors.Is(err, frames.ErrNotIP) {
				// Not shaped like anything the generator sends (e.g. an MLD
				// report with a hop-by-hop header from a lab interface): the
				// host's own traffic, not a mistranslated test frame.
				continue
			}
			if err == nil {
				err = lg.expect.Check(in)
			}
			r.Validated++
			if err != nil {
				r.Invalid++
				if r.FirstError == nil {
					r.FirstError = fmt.Errorf("%s leg: %w", lg.tmpl.Spec.Src, err)
				}
			}
		}
	}
}

// Frame returns the RFC 2544 frame sizes of the legs as sent.
func (r *Runner) FrameSizes() []int {
	var s []int
	for _, lg := range r.legs {
		s = append(s, lg.tmpl.Spec.FrameSize)
	}
	return s
}
