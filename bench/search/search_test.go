package search

import (
	"context"
	"errors"
	"math"
	"testing"
)

// fakeDUT forwards without loss up to capacity and drops the excess above it (a queue that overflows), plus a
// small constant loss of knee (fraction) once the rate exceeds kneeAt. The generator cannot offer more than gen.
type fakeDUT struct {
	capacity, gen  float64
	kneeAt, knee   float64
	trials         int
	failAfterTrial int
}

func (d *fakeDUT) Trial(_ context.Context, rate float64) (Trial, error) {
	d.trials++
	if d.failAfterTrial > 0 && d.trials > d.failAfterTrial {
		return Trial{}, errors.New("lab broke")
	}
	offered := math.Min(rate, d.gen)
	sent := uint64(offered) // one second trials
	recv := float64(sent)
	if offered > d.capacity {
		recv = d.capacity
	}
	if d.kneeAt > 0 && offered > d.kneeAt {
		recv -= float64(sent) * d.knee
	}
	return Trial{Requested: rate, Offered: offered, Sent: sent, Received: uint64(math.Max(recv, 0))}, nil
}

func TestThroughputConvergesToCapacity(t *testing.T) {
	for _, capacity := range []float64{123_456, 1_000_000, 2_750_000, 9_990_000} {
		d := &fakeDUT{capacity: capacity, gen: 10_000_000}
		r, err := Throughput(context.Background(), d, Config{Max: 10_000_000, Min: 10_000, Resolution: 0.001, MaxSteps: 30})
		if err != nil {
			t.Fatal(err)
		}
		if r.GenLimited || r.Rate > capacity || r.Rate < capacity*0.998 {
			t.Fatalf("capacity %g: got %+v after %d trials", capacity, r.Rate, d.trials)
		}
		if r.RxRate != r.Rate {
			t.Fatalf("zero-loss result received %g of %g", r.RxRate, r.Rate)
		}
	}
}

func TestThroughputWithLossTolerance(t *testing.T) {
	// Queue-overflow loss is 1-C/r, so 0.1 % loss is reached at r = C/0.999.
	d := &fakeDUT{capacity: 1_000_000, gen: 5_000_000}
	r, err := Throughput(context.Background(), d, Config{Max: 5_000_000, Min: 1000, LossTolerance: 0.001, Resolution: 0.0001, MaxSteps: 40})
	if err != nil {
		t.Fatal(err)
	}
	want := 1_000_000 / 0.999
	if r.Rate > want || r.Rate < want*0.999 {
		t.Fatalf("0.1%% loss throughput %g, want about %g", r.Rate, want)
	}
	// A constant 0.05 % loss above 500 kpps fails zero loss there but passes the 0.1 % criterion.
	d = &fakeDUT{capacity: 1_000_000, gen: 5_000_000, kneeAt: 500_000, knee: 0.0005}
	r0, _ := Throughput(context.Background(), d, Config{Max: 5_000_000, Min: 1000, Resolution: 0.001, MaxSteps: 40})
	r1, _ := Throughput(context.Background(), d, Config{Max: 5_000_000, Min: 1000, LossTolerance: 0.001, Resolution: 0.001, MaxSteps: 40})
	if r0.Rate > 500_000 || r0.Rate < 499_000 {
		t.Fatalf("zero-loss throughput %g, want just under the 500k knee", r0.Rate)
	}
	if r1.Rate < 999_000 {
		t.Fatalf("0.1%% throughput %g, want about 1M", r1.Rate)
	}
}

func TestThroughputGeneratorLimited(t *testing.T) {
	d := &fakeDUT{capacity: 5_000_000, gen: 2_000_000}
	r, err := Throughput(context.Background(), d, Config{Max: 2_000_000, Min: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if !r.GenLimited || r.Rate != 2_000_000 || d.trials != 1 {
		t.Fatalf("got %+v after %d trials, want generator-limited 2M in one trial", r, d.trials)
	}
	// A generator that falls short of the requested rate must not make a rate pass.
	d = &fakeDUT{capacity: 5_000_000, gen: 1_000_000}
	r, err = Throughput(context.Background(), d, Config{Max: 4_000_000, Min: 1000, Resolution: 0.01, MaxSteps: 20})
	if err != nil {
		t.Fatal(err)
	}
	if r.GenLimited || !r.Saturated || r.Rate != 1_000_000 || d.trials != 2 {
		t.Fatalf("got %+v after %d trials, want saturated at the generator's 1M after two short trials", r, d.trials)
	}
}

// flakyGen falls short of the requested rate once (a preempted generator): the search must go on.
type flakyGen struct {
	fakeDUT
	shortAt int
}

func (d *flakyGen) Trial(ctx context.Context, rate float64) (Trial, error) {
	t, err := d.fakeDUT.Trial(ctx, rate)
	if d.trials == d.shortAt {
		t.Offered *= 0.5
		t.Sent /= 2
		t.Received = min(t.Received, t.Sent)
	}
	return t, err
}

func TestThroughputSurvivesOneShortTrial(t *testing.T) {
	d := &flakyGen{fakeDUT: fakeDUT{capacity: 700_000, gen: 5_000_000}, shortAt: 3}
	r, err := Throughput(context.Background(), d, Config{Max: 5_000_000, Min: 1000, Resolution: 0.001, MaxSteps: 40})
	if err != nil {
		t.Fatal(err)
	}
	if r.Saturated || r.Rate < 699_000 || r.Rate > 700_000 {
		t.Fatalf("got %+v, want about 700k despite one short trial", r)
	}
}

// pacedShort offers only a fraction of any paced rate (a generator that drops its schedule when preempted) but
// its full capacity at full speed.
type pacedShort struct {
	fakeDUT
	frac float64
}

func (d *pacedShort) Trial(ctx context.Context, rate float64) (Trial, error) {
	if rate < d.gen {
		rate *= d.frac
	}
	t, err := d.fakeDUT.Trial(ctx, rate)
	t.Requested = rate / d.frac
	return t, err
}

// A generator that falls short of paced rates far below what it offers at full speed does not make the search
// stop at the first such pass as if the lab were saturated.
func TestThroughputPacingShortfallIsNotSaturation(t *testing.T) {
	for _, frac := range []float64{0.91, 0.8} {
		d := &pacedShort{fakeDUT: fakeDUT{capacity: 800_000, gen: 4_000_000}, frac: frac}
		r, err := Throughput(context.Background(), d, Config{Max: 4_000_000, Min: 1000, Resolution: 0.05, MaxSteps: 8})
		if err != nil {
			t.Fatal(err)
		}
		if r.Saturated || r.GenLimited || r.Short || r.Rate > 800_000 || r.Rate < 0.85*800_000 {
			t.Fatalf("frac %v: got %+v (%d trials), want about 800k, not saturated", frac, r, d.trials)
		}
	}
	// A generator that paces only half the rate asked for (two legs' threads sharing one CPU) never offers
	// the DUT's capacity: the result says so.
	d := &pacedShort{fakeDUT: fakeDUT{capacity: 800_000, gen: 4_000_000}, frac: 0.5}
	r, err := Throughput(context.Background(), d, Config{Max: 4_000_000, Min: 1000, Resolution: 0.05, MaxSteps: 8})
	if err != nil {
		t.Fatal(err)
	}
	if r.Saturated || !r.Short || r.Rate > 800_000 {
		t.Fatalf("half-pacing generator: got %+v (%d trials), want Short", r, d.trials)
	}
}

func TestThroughputDeadDUTAndErrors(t *testing.T) {
	d := &fakeDUT{capacity: 0, gen: 1e6}
	r, err := Throughput(context.Background(), d, Config{Max: 1e6, Min: 1e3, MaxSteps: 50})
	if err != nil || r.Rate != 0 {
		t.Fatalf("dead DUT: rate %g err %v", r.Rate, err)
	}
	if _, err := Throughput(context.Background(), d, Config{Max: 1, Min: 2}); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("bad bounds: %v", err)
	}
	d = &fakeDUT{capacity: 1e5, gen: 1e6, failAfterTrial: 2}
	if _, err := Throughput(context.Background(), d, Config{Max: 1e6, Min: 1e3}); err == nil {
		t.Fatal("trial error not returned")
	}
}

func TestSummariseAndRepeat(t *testing.T) {
	if s := Summarise([]float64{5, 1, 3}); s != (Stats{Median: 3, Min: 1, Max: 5, N: 3}) {
		t.Fatalf("odd: %+v", s)
	}
	if s := Summarise([]float64{4, 1, 3, 2}); s.Median != 2.5 || s.Min != 1 || s.Max != 4 {
		t.Fatalf("even: %+v", s)
	}
	d := &fakeDUT{capacity: 300_000, gen: 1e6}
	st, lim, all, err := Repeat(context.Background(), 3, d, Config{Max: 1e6, Min: 1e3, Resolution: 0.001, MaxSteps: 30})
	if err != nil || lim || len(all) != 3 || st.N != 3 || st.Min < 299_000 || st.Max > 300_000 {
		t.Fatalf("repeat: %+v %v %v", st, lim, err)
	}
}

func TestLossCurve(t *testing.T) {
	d := &fakeDUT{capacity: 500_000, gen: 1e7}
	pts, err := LossCurve(context.Background(), d, 1_000_000, []float64{1, 0.5, 0.25})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.5, 0, 0}
	for i, p := range pts {
		if math.Abs(p.Trial.Loss()-want[i]) > 1e-6 {
			t.Fatalf("fraction %g: loss %g, want %g", p.Fraction, p.Trial.Loss(), want[i])
		}
	}
}
