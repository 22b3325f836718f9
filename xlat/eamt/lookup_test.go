package eamt

import (
	"math/rand/v2"
	"testing"
)

// shiftRef is a 128-bit right shift of hi:lo by n, bit by bit (low 64 bits).
//
//go:noinline
func shiftRef(hi, lo uint64, n uint) uint64 {
	var v uint64
	for b := uint(0); b < 64; b++ { // bit b of the result is bit b+n of hi:lo
		if src := b + n; src < 64 {
			v |= (lo >> src & 1) << b
		} else if src < 128 {
			v |= (hi >> (src - 64) & 1) << b
		}
	}
	return v
}

// opaque hides n's range from the compiler, so that shiftOut is compiled as for a count from a table entry.
//
//go:noinline
func opaque(n uint) uint { return n }

// TestShiftOut checks shiftOut against shiftRef for every count.
func TestShiftOut(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		hi, lo := r.Uint64(), r.Uint64()
		for n := uint(0); n <= 128; n++ {
			if got, want := shiftOut(hi, lo, opaque(n)), shiftRef(hi, lo, n); got != want {
				t.Fatalf("shiftOut(%#x, %#x, %d) = %#x, want %#x", hi, lo, n, got, want)
			}
		}
	}
}
