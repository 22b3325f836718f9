package config

import (
	"testing"
	"unsafe"
)

func TestMakeHuge(t *testing.T) {
	for _, n := range []int{0, 1, 1000, hugePage, 3*hugePage + 17} {
		b := makeHuge[byte](n)
		if len(b) != n || cap(b) != n {
			t.Fatalf("makeHuge(%d): len %d cap %d", n, len(b), cap(b))
		}
		for i := range b {
			if b[i] != 0 {
				t.Fatalf("makeHuge(%d)[%d] = %d", n, i, b[i])
			}
		}
		if n >= 2*hugePage && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%hugePage != 0 {
			t.Fatalf("makeHuge(%d) does not start on a huge page", n)
		}
	}
	es := makeHuge[EAMEntry](100_000) // pointers inside: still an ordinary, scanned Go slice
	if len(es) != 100_000 || es[99_999] != (EAMEntry{}) {
		t.Fatal("makeHuge of entries")
	}
}
