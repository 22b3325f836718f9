package eamt

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
)

// TestLiveConcurrent runs readers that look up addresses while a writer keeps publishing new versions through
// Live (run it with -race). Stable entries must always translate; churning entries must either be absent or
// translate correctly, never half-present or wrong.
func TestLiveConcurrent(t *testing.T) {
	const stable, churn, rounds, readers = 64, 64, 200, 3
	stableE := make([]Entry, stable)
	for i := range stableE {
		stableE[i] = ent(fmt.Sprintf("192.0.2.%d/32", i), fmt.Sprintf("2001:db8:1::%x/128", i))
	}
	churnE := make([]Entry, churn)
	for i := range churnE {
		churnE[i] = ent(fmt.Sprintf("198.51.100.%d/30", i*4), fmt.Sprintf("2001:db8:2::%x/126", i*4))
	}
	var live Live
	live.Store(mustNew(t, stableE...))

	var done atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !done.Load() || n < 100; n++ {
				tb := live.Load()
				for i, e := range stableE {
					a := e.Prefix4.Addr()
					if got, ok := xlat4(tb, a); !ok || got != e.Prefix6.Addr() {
						errs <- fmt.Errorf("stable %d: 4->6 %s = %v, %v", i, a, got, ok)
						return
					}
					if got, ok := xlat6(tb, e.Prefix6.Addr()); !ok || got != a {
						errs <- fmt.Errorf("stable %d: 6->4 = %v, %v", i, got, ok)
						return
					}
				}
				for _, e := range churnE {
					a := e.Prefix4.Addr().Next()
					got, ok := xlat4(tb, a)
					if ok && got != e.Prefix6.Addr().Next() {
						errs <- fmt.Errorf("churn: 4->6 %s = %s", a, got)
						return
					}
				}
			}
		}()
	}
	for r := range rounds {
		e := churnE[r%churn]
		err := live.Update(func(cur *Table) (*Table, error) {
			if r/churn%2 == 0 {
				return cur.Add(e, false)
			}
			return cur.Remove(nil, &e.Prefix4)
		})
		if err != nil {
			t.Fatalf("round %d: %v", r, err)
		}
	}
	done.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// A failing Update publishes nothing.
	before := live.Load()
	errBoom := errors.New("boom")
	if err := live.Update(func(*Table) (*Table, error) { return nil, errBoom }); !errors.Is(err, errBoom) || live.Load() != before {
		t.Fatalf("failed Update: err %v, table replaced %v", err, live.Load() != before)
	}
}

func TestLiveZero(t *testing.T) {
	var l Live
	if l.Load() != nil || l.Load().Len() != 0 {
		t.Fatal("zero Live is not empty")
	}
	if _, _, ok := l.Load().Lookup4(u4(netip.MustParseAddr("192.0.2.1"))); ok {
		t.Fatal("zero Live matched")
	}
}

// Lookups must not allocate, on any path: hit, miss, empty and nil tables.
func TestLookupAllocs(t *testing.T) {
	tb := mustNew(t, ent("192.0.2.0/24", "2001:db8::/120"), ent("203.0.113.7/32", "2001:db8:1::7/128"))
	var nilT *Table
	hi, lo := u6(ma("2001:db8::5"))
	n := testing.AllocsPerRun(1000, func() {
		tb.Lookup4(0xc0000205)
		tb.Lookup4(0x01020304)
		tb.Lookup6(hi, lo)
		tb.Lookup6(1, 2)
		nilT.Lookup4(1)
		nilT.Lookup6(1, 2)
	})
	if n != 0 {
		t.Fatalf("lookups allocate %v times per run", n)
	}
}

// Writers building unrelated tables at the same time share nothing (run with -race).
func TestConcurrentBuilds(t *testing.T) {
	es := bigEntries(3000)
	var wg sync.WaitGroup
	tables := make([]*Table, 3)
	for i := range tables {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tables[i], _ = New(es[i*1000 : (i+1)*1000])
		}()
	}
	wg.Wait()
	for i, tb := range tables {
		if tb.Len() != 1000 {
			t.Fatalf("table %d has %d entries", i, tb.Len())
		}
	}
}
