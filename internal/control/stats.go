package control

import (
	"sync"

	"github.com/siit-project/siit/xlat"
)

// StatsSource reports counters the daemon keeps for one instance (for
// example the sum over one interface's workers). Counters must be safe to
// call from any goroutine at any time; it should not block.
type StatsSource interface {
	Counters() [xlat.NumCounters]uint64
}

// StatsFunc adapts a function to StatsSource.
type StatsFunc func() [xlat.NumCounters]uint64

// Counters calls f.
func (f StatsFunc) Counters() [xlat.NumCounters]uint64 { return f() }

type statsRegistry struct {
	mu   sync.Mutex
	next int
	srcs map[string]map[int]StatsSource
}

// RegisterStats adds a counter source to the named instance; `stats display`
// shows the sum of all sources registered for it. Sources may be registered
// before the instance exists. The returned function unregisters the source.
func (s *State) RegisterStats(instance string, src StatsSource) (unregister func()) {
	r := &s.stats
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.srcs == nil {
		r.srcs = map[string]map[int]StatsSource{}
	}
	if r.srcs[instance] == nil {
		r.srcs[instance] = map[int]StatsSource{}
	}
	id := r.next
	r.next++
	r.srcs[instance][id] = src
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.srcs[instance], id)
	}
}

// Stats sums the counters of every source registered for the instance. An
// instance without sources has all counters at zero.
func (s *State) Stats(instance string) ([xlat.NumCounters]uint64, error) {
	var sum [xlat.NumCounters]uint64
	if s.Snapshot().Instance(instance) == nil {
		return sum, noInstance(instance)
	}
	r := &s.stats
	r.mu.Lock()
	srcs := make([]StatsSource, 0, len(r.srcs[instance]))
	for _, src := range r.srcs[instance] {
		srcs = append(srcs, src)
	}
	r.mu.Unlock()
	for _, src := range srcs {
		c := src.Counters()
		for i := range sum {
			sum[i] += c[i]
		}
	}
	return sum, nil
}
