package eamt

import (
	"sync"
	"sync/atomic"
)

// Live holds the current version behind one atomic pointer (RCU style): Load never blocks; Store publishes.
// The zero value holds the empty (nil) table.
//
// Memory ordering: a Table is fully built before Store; the atomic store/load pair orders those writes before
// any read through the pointer a worker Loads, and nothing ever writes to a published Table again. An old
// version stays valid for as long as a worker holds it; the garbage collector frees it afterwards (our grace
// period).
type Live struct {
	p  atomic.Pointer[Table]
	mu sync.Mutex // serializes Update calls (writers only)
}

// Load returns the current table (possibly nil, which is a valid empty table).
func (l *Live) Load() *Table { return l.p.Load() }

// Store publishes t.
func (l *Live) Store(t *Table) { l.p.Store(t) }

// Update runs fn on the current table and publishes its result unless fn fails, holding a writer lock so
// concurrent Updates never lose each other's changes (a bare Store from elsewhere still can). Readers are never
// blocked.
func (l *Live) Update(fn func(cur *Table) (*Table, error)) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	next, err := fn(l.p.Load())
	if err != nil {
		return err
	}
	l.p.Store(next)
	return nil
}
