//go:build (amd64 || arm64) && !race

package xlat

// add is the owner's increment: a plain add, because aligned 64-bit stores
// are single-copy atomic on these architectures and readers load atomically
// (see Stats). It compiles to one unlocked ADD.
func (s *Stats) add(c Counter, n uint64) { s.c[c] += n }
