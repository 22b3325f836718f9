package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Trial is the outcome of offering traffic at one rate.
type Trial struct {
	Requested float64 // frames/s asked for
	Offered   float64 // frames/s actually offered by the generator
	Sent      uint64
	Received  uint64
}

// Loss returns the fraction of sent frames that did not arrive (0 when more arrived than were sent).
func (t Trial) Loss() float64 {
	if t.Sent == 0 || t.Received >= t.Sent {
		return 0
	}
	return float64(t.Sent-t.Received) / float64(t.Sent)
}

// RxRate returns the received frame rate, assuming the receive interval equals the offer interval.
func (t Trial) RxRate() float64 {
	if t.Sent == 0 {
		return 0
	}
	return t.Offered * float64(min(t.Received, t.Sent)) / float64(t.Sent)
}

// DUT runs one trial at a requested rate.
type DUT interface {
	Trial(ctx context.Context, rate float64) (Trial, error)
}

// DUTFunc adapts a function to DUT.
type DUTFunc func(ctx context.Context, rate float64) (Trial, error)

// Trial implements DUT.
func (f DUTFunc) Trial(ctx context.Context, rate float64) (Trial, error) { return f(ctx, rate) }

// Config bounds a throughput search.
type Config struct {
	Max           float64 // highest rate tried (normally the generator's measured capacity)
	Min           float64 // lowest rate tried; a DUT failing at Min gives throughput 0
	LossTolerance float64 // 0: zero loss; 0.001: 0.1 %
	Resolution    float64 // stop when hi-lo <= Resolution*hi; default 0.02
	MaxSteps      int     // default 12
	// GenShortfall: a trial whose offered rate is below (1-GenShortfall) × requested counts as not reached;
	// default 0.03.
	GenShortfall float64
}

// Result is a throughput search outcome.
type Result struct {
	Rate       float64 // highest offered rate that passed
	RxRate     float64 // received rate at that trial
	GenLimited bool    // passed at the generator's capacity: the DUT may be faster
	Steps      []Trial
}

// ErrBadConfig reports unusable search bounds.
var ErrBadConfig = errors.New("throughput search: need 0 < Min <= Max")

// Throughput runs the binary search.
func Throughput(ctx context.Context, dut DUT, c Config) (Result, error) {
	if c.Min <= 0 || c.Max < c.Min {
		return Result{}, fmt.Errorf("%w (got Min %g, Max %g)", ErrBadConfig, c.Min, c.Max)
	}
	if c.Resolution <= 0 {
		c.Resolution = 0.02
	}
	if c.MaxSteps <= 0 {
		c.MaxSteps = 12
	}
	if c.GenShortfall <= 0 {
		c.GenShortfall = 0.03
	}
	var res Result
	try := func(rate float64) (bool, error) {
		t, err := dut.Trial(ctx, rate)
		if err != nil {
			return false, err
		}
		res.Steps = append(res.Steps, t)
		reached := t.Offered >= (1-c.GenShortfall)*rate
		ok := t.Sent > 0 && t.Loss() <= c.LossTolerance
		if ok && t.Offered > res.Rate {
			res.Rate, res.RxRate = t.Offered, t.RxRate()
		}
		return ok && reached, nil
	}

	// First the generator's capacity: a DUT that keeps up there is generator-limited.
	ok, err := try(c.Max)
	if err != nil {
		return res, err
	}
	if ok {
		res.GenLimited = true
		return res, nil
	}
	lo, hi := 0.0, c.Max
	rate := c.Max / 2
	for step := 1; step < c.MaxSteps && hi-lo > c.Resolution*hi; step++ {
		rate = max((lo+hi)/2, c.Min)
		ok, err := try(rate)
		if err != nil {
			return res, err
		}
		if ok {
			lo = rate
		} else {
			hi = rate
			if rate <= c.Min {
				break
			}
		}
	}
	return res, nil
}

// Stats summarises repeated measurements.
type Stats struct {
	Median, Min, Max float64
	N                int
}

// Summarise returns median, min and max of v (zero Stats for no values).
func Summarise(v []float64) Stats {
	if len(v) == 0 {
		return Stats{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Stats{Median: m, Min: s[0], Max: s[len(s)-1], N: len(s)}
}

// Repeat runs a throughput search n times and summarises the rates; GenLimited is true if any run was.
func Repeat(ctx context.Context, n int, dut DUT, c Config) (Stats, bool, []Result, error) {
	var rates []float64
	var all []Result
	limited := false
	for range max(n, 1) {
		r, err := Throughput(ctx, dut, c)
		if err != nil {
			return Summarise(rates), limited, all, err
		}
		all = append(all, r)
		rates = append(rates, r.Rate)
		limited = limited || r.GenLimited
	}
	return Summarise(rates), limited, all, nil
}

// LossPoint is the frame loss rate at one offered rate.
type LossPoint struct {
	Fraction float64 // of the reference rate
	Trial    Trial
}

// LossCurve runs one trial at each fraction of rate (RFC 2544 §26.3 uses 100 %, 90 %, ... down to two
// consecutive zero-loss trials; callers pass the fractions they want).
func LossCurve(ctx context.Context, dut DUT, rate float64, fractions []float64) ([]LossPoint, error) {
	var out []LossPoint
	for _, f := range fractions {
		t, err := dut.Trial(ctx, rate*f)
		if err != nil {
			return out, err
		}
		out = append(out, LossPoint{Fraction: f, Trial: t})
	}
	return out, nil
}
