package lab

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
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

// Traffic is what the legs of a trial carry: leg A leaves port A from ASrc to ADst, leg B leaves port B from
// BSrc to BDst. The legs mirror each other through the DUT: a translator turns leg A's frames into frames from
// BDst to BSrc (its other side's view of the same two hosts) and leg B's into frames from ADst to ASrc, which is
// what the sinks check translated frames against. A forwarder delivers each leg unchanged.
type Traffic struct {
	ASrc, ADst, BSrc, BDst netip.Addr
}

// DefaultTraffic is the lab's (see doc.go): hosts 192.0.2.1 and 203.0.113.1, which the IPv6 side sees under
// pool6 2001:db8:64::/96.
func DefaultTraffic() Traffic {
	return Traffic{
		ASrc: netip.MustParseAddr("2001:db8:64::c000:201"), ADst: netip.MustParseAddr("2001:db8:64::cb00:7101"),
		BSrc: netip.MustParseAddr("203.0.113.1"), BDst: netip.MustParseAddr("192.0.2.1"),
	}
}

// check reports addresses that cannot make a trial.
func (t Traffic) check() error {
	for _, p := range [][2]netip.Addr{{t.ASrc, t.ADst}, {t.BSrc, t.BDst}} {
		if !p[0].IsValid() || !p[1].IsValid() || p[0].Is4() != p[1].Is4() || p[0].Zone() != "" || p[1].Zone() != "" {
			return fmt.Errorf("lab traffic: %v -> %v is not a pair of addresses of one family", p[0], p[1])
		}
	}
	return nil
}

func family(a netip.Addr) int {
	if a.Is4() {
		return 4
	}
	return 6
}

// TrialConfig fixes everything of a trial but its rate.
type TrialConfig struct {
	Dir       Direction
	FrameSize int // RFC 2544 size of leg A's frames; leg B's carry the same payload (frames.PairedSize, RFC 8219)
	Proto     frames.Proto
	Flows     int // source ports per direction
	AddrFlows int // source addresses per direction (last octet)
	Duration  time.Duration
	CPUs      []int // generator threads, each sending every leg
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
	tmpl     *frames.Template
	expect   frames.Expect
	sink     *xdpprog.Sink
	samples  *xdpprog.SampleReader
}

// Runner runs trials of one configuration through the lab; it implements search.DUT.
type Runner struct {
	lab    *Lab
	cfg    TrialConfig
	legs   []*leg
	stream *gen.Stream     // sends every leg (see NewRunner)
	owned  []*xdpprog.Sink // sinks this runner attached (AtDUT)
	trial  uint8
	shared bool // the legs come back to one sink (a one-armed DUT): samples are told apart by their stamp

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
	if err := l.Traffic.check(); err != nil {
		return nil, err
	}
	if cfg.AtDUT && l.external {
		return nil, errors.New("lab runner: an external DUT's ports carry no sinks of ours (AtDUT)")
	}
	r = &Runner{lab: l, cfg: cfg}
	built := r // the error returns below set r to nil
	defer func() {
		if err != nil {
			built.Close()
		}
	}()
	if cfg.Dir == Dir64 || cfg.Dir == DirBoth {
		to := l.PB
		if cfg.AtDUT {
			to = l.PD6
		}
		lg, err := r.newLeg(false, l.PA, l.PD6, to, l.Traffic.ASrc, l.Traffic.ADst, cfg.FrameSize)
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
		size := frames.PairedSize(cfg.FrameSize, family(l.Traffic.ASrc), family(l.Traffic.BSrc))
		lg, err := r.newLeg(true, l.PB, l.PD4, to, l.Traffic.BSrc, l.Traffic.BDst, size)
		if err != nil {
			return nil, err
		}
		r.legs = append(r.legs, lg)
	}
	r.shared = len(r.legs) > 1 && r.legs[0].sink == r.legs[1].sink
	// Every generator thread sends every leg, alternating frames (one stream with a template per leg), so
	// the legs get the same rate however many generator CPUs there are, and one CPU can drive both.
	ts := make([]*frames.Template, len(r.legs))
	for i, lg := range r.legs {
		ts[i] = lg.tmpl
	}
	if r.stream, err = gen.NewInterleaved(ts, 0); err != nil {
		return nil, err
	}
	for i, lg := range r.legs[1:] { // the first leg leaves from the device the stream runs on
		if err := lg.from.NS.Do(func() error { return r.stream.Prog.SetPort(uint8(i+1), lg.from.Index) }); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// newLeg prepares leg A or (legB) leg B: from a port (PB is PA when the DUT is one-armed) through the DUT port
// next to the port that counts it.
func (r *Runner) newLeg(legB bool, from, next, to *Port, src, dst netip.Addr, size int) (*leg, error) {
	t, err := frames.Build(frames.Spec{
		Proto: r.cfg.Proto, SrcMAC: from.MAC, DstMAC: next.MAC, Src: src, Dst: dst,
		SrcPort: 1024, DstPort: 9, FrameSize: size, Flows: r.cfg.Flows, AddrFlows: r.cfg.AddrFlows,
		Timestamp: r.cfg.Timestamp,
	})
	if err != nil {
		return nil, err
	}
	lg := &leg{from: from, to: to, tmpl: t, expect: r.lab.Traffic.expect(legB, r.cfg.Translating && !r.cfg.AtDUT)}
	lg.sink = to.sink
	if lg.sink == nil { // a DUT port: attach a sink for the life of the runner
		s, err := xdpprog.LoadSink()
		if err != nil {
			return nil, err
		}
		if err := to.NS.Do(func() error { return s.Attach(to.Index) }); err != nil {
			s.Close()
			return nil, err
		}
		r.owned = append(r.owned, s)
		lg.sink = s
	}
	// Legs that share a sink (a one-armed DUT) share its samples too: the first leg reads them for all.
	if r.cfg.SampleEvery > 0 && r.legOf(lg.sink) == nil {
		if lg.samples, err = lg.sink.Samples(); err != nil {
			return nil, err
		}
	}
	return lg, nil
}

// legOf returns the first leg counted by sink s, or nil.
func (r *Runner) legOf(s *xdpprog.Sink) *leg {
	for _, lg := range r.legs {
		if lg.sink == s {
			return lg
		}
	}
	return nil
}

// sinkFamily is the family sink s checks every frame for: that of the frames its legs expect, or 0 (any) when
// they expect both (the two legs of a one-armed DUT come back to one sink in different families, so each frame
// is checked for its leg's family only when sampled).
func (r *Runner) sinkFamily(s *xdpprog.Sink) int {
	f := -1
	for _, lg := range r.legs {
		if lg.sink == s {
			if f >= 0 && f != lg.expect.Family {
				return 0
			}
			f = lg.expect.Family
		}
	}
	return max(f, 0)
}

// expect returns what the frames of leg A (legB false) or B look like at the far sink: the mirror leg's
// addresses reversed when the DUT translates, else the leg's own; sources vary in their last octet (AddrFlows).
func (t Traffic) expect(legB, translating bool) frames.Expect {
	own, mirror := [2]netip.Addr{t.ASrc, t.ADst}, [2]netip.Addr{t.BSrc, t.BDst}
	if legB {
		own, mirror = mirror, own
	}
	s, d := own[0], own[1]
	if translating {
		s, d = mirror[1], mirror[0]
	}
	return frames.Expect{Family: family(d), Dst: d, SrcPrefix: netip.PrefixFrom(s, s.BitLen()-8).Masked()}
}

// Close releases generators and the sinks the runner attached.
func (r *Runner) Close() error {
	var errs []error
	for _, lg := range r.legs {
		if lg.samples != nil {
			errs = append(errs, lg.samples.Close())
		}
	}
	if r.stream != nil {
		errs = append(errs, r.stream.Close())
	}
	for _, s := range r.owned {
		errs = append(errs, s.Close())
	}
	r.legs, r.owned, r.stream = nil, nil, nil
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
	// Full speed (rate <= 0 or +Inf) runs for the duration; a paced trial sends an exact count, the same for
	// every leg.
	count, dur := uint64(0), time.Duration(0)
	if rate <= 0 || math.IsInf(rate, 1) {
		rate, dur = 0, r.cfg.Duration
	} else {
		count = max(uint64(rate/float64(len(r.legs))*r.cfg.Duration.Seconds()), 1) * uint64(len(r.legs))
	}
	if err := r.stream.Prog.SetTrial(r.trial); err != nil {
		return res, err
	}
	for _, lg := range r.legs {
		if r.legOf(lg.sink) != lg {
			continue // configured with the first leg it counts
		}
		if err := lg.sink.Reset(); err != nil {
			return res, err
		}
		if err := lg.sink.Configure(xdpprog.SinkConfig{Trial: r.trial, ExpectFamily: r.sinkFamily(lg.sink),
			SampleEvery: r.cfg.SampleEvery}); err != nil {
			return res, err
		}
	}
	from := r.legs[0].from
	g, err := gen.Run(ctx, gen.Config{
		Ifindex: from.Index, Streams: []*gen.Stream{r.stream}, CPUs: r.cfg.CPUs,
		Rate: rate, Count: count, Duration: dur, ThreadSetup: from.NS.Enter,
	})
	if err != nil {
		return res, fmt.Errorf("lab trial at %.0f fps: %w", res.Requested, err)
	}
	res.Sent = g.Sent
	if g.Elapsed > 0 {
		res.Offered = float64(res.Sent) / g.Elapsed.Seconds()
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
			if r.legOf(lg.sink) != lg {
				continue // counted with the first leg it counts
			}
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
			want := lg
			if err == nil && r.shared {
				// Every generator thread sends the legs in turn: its frame seq belongs to leg seq % legs.
				want = r.legs[in.Stamp.Seq%uint32(len(r.legs))]
			}
			if err == nil {
				err = want.expect.Check(in)
			}
			r.Validated++
			if err != nil {
				r.Invalid++
				if r.FirstError == nil {
					r.FirstError = fmt.Errorf("%s leg: %w", want.tmpl.Spec.Src, err)
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
