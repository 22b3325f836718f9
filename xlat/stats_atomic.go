//go:build !(amd64 || arm64) || race

package xlat

import "sync/atomic"

// add is the owner's increment where plain 64-bit stores could tear, and
// under the race detector (which would rightly flag the plain form of
// stats_plain.go): an atomic load and store, correct because only the owner
// writes.
func (s *Stats) add(c Counter, n uint64) {
	atomic.StoreUint64(&s.c[c], atomic.LoadUint64(&s.c[c])+n)
}
