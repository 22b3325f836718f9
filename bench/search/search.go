package search

import (
	"context"
	"errors"
	"fmt"
	"math"
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
	// Saturated: two trials in a row passed but the generator could not offer the requested rate, while it
	// offered about the most it ever did through this DUT; no higher rate can be offered through it (on veth,
	// the DUT's receive path runs on the generator's CPU), so the search stopped there and Rate is the highest
	// rate the lab can push through it without loss.
	Saturated bool
	// Short: Rate comes from a trial at which a paced generator offered less than three quarters of the rate
	// asked for, and no trial did better, so the DUT was never offered more: it may pass more than Rate.
	Short bool
	Steps []Trial
}

// shortFraction: a passing trial that offered less than this fraction of the requested rate makes Result.Short.
const shortFraction = 0.75

// ErrBadConfig reports unusable search bounds.
var ErrBadConfig = errors.New("throughput search: need 0 < Min <= Max")

// Throughput runs the search: one trial at Max, then descents by 4× until a rate passes, then bisection (on a
// logarithmic scale while hi/lo > 2) until the bracket is within Resolution or MaxSteps trials were run.
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
	// most is the highest rate the generator has offered through this DUT so far.
	var most float64
	// try runs one trial; pass means no more loss than tolerated, reached that the rate was really offered, and
	// atMost that the generator offered about as much as it ever did through this DUT.
	try := func(rate float64) (pass, reached, atMost bool, err error) {
		t, err := dut.Trial(ctx, rate)
		if err != nil {
			return false, false, false, err
		}
		res.Steps = append(res.Steps, t)
		most = max(most, t.Offered)
		reached = t.Offered >= (1-c.GenShortfall)*rate
		atMost = t.Offered >= (1-c.GenShortfall)*most
		pass = t.Sent > 0 && t.Loss() <= c.LossTolerance
		if pass && t.Offered > res.Rate {
			res.Rate, res.RxRate = t.Offered, t.RxRate()
			res.Short = t.Offered < shortFraction*rate && !atMost
		}
		return pass, reached, atMost, nil
	}

	// First the generator's capacity: a DUT that keeps up there is generator-limited.
	pass, reached, _, err := try(c.Max)
	if err != nil || pass && reached {
		res.GenLimited = pass
		return res, err
	}
	short := 0
	if pass { // the generator fell short of its own capacity: bisect below what it offered
		short = 1
	}
	// Descend by factors of 4 until a rate passes, then bisect (geometric while the bracket is wide). A pass the
	// generator fell short of counts at the offered rate. Two in a row at about the most the generator ever
	// offered through this DUT mean saturation and end the search. A paced generator can also fall short well
	// below that (it drops its schedule when preempted): then the requested rate is out of reach but higher
	// offered rates are not, so the search goes on below it.
	lo, hi := 0.0, c.Max
	if pass {
		lo = res.Rate
	}
	for step := 1; step < c.MaxSteps; step++ {
		var rate float64
		switch {
		case lo == 0:
			rate = max(hi/4, c.Min)
		case hi/lo > 2:
			rate = math.Sqrt(lo * hi)
		default:
			rate = (lo + hi) / 2
		}
		pass, reached, atMost, err := try(rate)
		if err != nil {
			return res, err
		}
		switch {
		case pass && !reached && atMost:
			if short++; short >= 2 {
				res.Saturated = true
				return res, nil
			}
			lo = max(lo, res.Rate) // no verdict on rate itself: hi stays
		case pass && !reached:
			short = 0
			if res.Rate > lo {
				lo = res.Rate
			} else {
				hi = rate // nothing learnt, and rate cannot be offered: search below it
			}
		case pass:
			short = 0
			lo = rate
		default:
			short = 0
			hi = rate
			if rate <= c.Min {
				return res, nil
			}
		}
		if lo > 0 && hi-lo <= c.Resolution*hi {
			break
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
