package eamt

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// parallelMin is the smallest AddAll that builds the two families on two goroutines: below it, starting one
// costs more than it saves.
const parallelMin = 8192

// addAll adds recs in order, as a sequence of add calls would, and reports the first failure as add would
// (prefixed with the entry's number when there are several). On error nt is half-built and must be dropped.
//
// A large batch builds the two families concurrently. That gives the same outcome because each rule of add
// looks at one family only: the IPv6 side's checks read only the IPv6 set, the IPv4 side's only the IPv4 set.
// Up to the first failing entry, both sides insert exactly the entries before it, so each side's checks see
// what they would see sequentially, and the failure add reports is the earliest by (entry, rule order).
func (nt *Table) addAll(recs []rec, force bool) error {
	if len(recs) < parallelMin || runtime.GOMAXPROCS(0) < 2 {
		for i, r := range recs {
			if i%touchBatch == 0 && len(recs) >= touchBatch {
				_ = nt.v4.touch(recs[i:min(i+touchBatch, len(recs))])
				_ = nt.v6.touch(recs[i:min(i+touchBatch, len(recs))])
			}
			if err := nt.add(r, force); err != nil {
				return numbered(err, i, len(recs))
			}
		}
		return nil
	}
	// Each side works on its own copy of its set, so that the two cores never write to one cache line.
	var (
		stop   = earliest{}
		v6     = nt.v6
		f6     failure
		wg     sync.WaitGroup
		v4     = nt.v4
		seq, b = nt.seq, nt.b
	)
	stop.i.Store(math.MaxInt64)
	wg.Add(1)
	go func() {
		defer wg.Done()
		f6 = v6.addAll(recs, force, &stop)
	}()
	f4 := v4.addAll(recs, force, &stop, &seq, &b)
	wg.Wait()
	nt.v6, nt.v4, nt.seq, nt.b = v6, v4, seq, b
	f := f6
	if f4.before(f6) {
		f = f4
	}
	if f.err != nil {
		return numbered(f.err, f.i, len(recs))
	}
	return nil
}

func numbered(err error, i, n int) error {
	if n > 1 {
		return fmt.Errorf("eam #%d: %w", i+1, err)
	}
	return err
}

// Rules of add, in the order it applies them to one entry.
const (
	ruleMatch6 = iota
	ruleMatch4
	ruleHidden6
	ruleHidden4
)

// failure is the first rule an entry broke on one side (err nil: none).
type failure struct {
	i, rule int
	err     error
}

func (f failure) before(g failure) bool {
	if f.err == nil || g.err == nil {
		return g.err == nil && f.err != nil
	}
	return f.i < g.i || f.i == g.i && f.rule < g.rule
}

// earliest is the index of the earliest failing entry found so far by either side; the other side stops once
// it is past it (its own later failures cannot be the first).
type earliest struct{ i atomic.Int64 }

func (e *earliest) note(i int) {
	for {
		cur := e.i.Load()
		if int64(i) >= cur || e.i.CompareAndSwap(cur, int64(i)) {
			return
		}
	}
}

func (e *earliest) passed(i int) bool { return int64(i) > e.i.Load() }

// addAll is the IPv6 half of Table.addAll.
func (v *table6) addAll(recs []rec, force bool, stop *earliest) failure {
	for i, r := range recs {
		if i%touchBatch == 0 {
			if stop.passed(i) {
				return failure{}
			}
			_ = v.touch(recs[i:min(i+touchBatch, len(recs))])
		}
		s, err := v.check(r, force)
		if err != nil {
			stop.note(i)
			return failure{i, ruleMatch6, err}
		}
		if err := v.checkHidden(r, s); err != nil {
			stop.note(i)
			return failure{i, ruleHidden6, err}
		}
		v.insert(newSlot6(r))
	}
	return failure{}
}

// addAll is the IPv4 half of Table.addAll; the IPv4 set also keeps the sequence numbers and the lookup bounds.
func (v *table4) addAll(recs []rec, force bool, stop *earliest, seq *uint64, b *bounds) failure {
	for i, r := range recs {
		if i%touchBatch == 0 {
			if stop.passed(i) {
				return failure{}
			}
			_ = v.touch(recs[i:min(i+touchBatch, len(recs))])
		}
		s, err := v.check(r, force)
		if err != nil {
			stop.note(i)
			return failure{i, ruleMatch4, err}
		}
		if err := v.checkHidden(r, s); err != nil {
			stop.note(i)
			return failure{i, ruleHidden4, err}
		}
		*seq++
		b.widen(r, v.n == 0)
		v.insert(newSlot4(r, *seq))
	}
	return failure{}
}
