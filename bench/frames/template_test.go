package frames

import "testing"

func TestPairedSize(t *testing.T) {
	for _, c := range [][4]int{{84, 6, 4, 64}, {64, 4, 6, 84}, {1518, 6, 6, 1518}, {100, 4, 4, 100}} {
		if got := PairedSize(c[0], c[1], c[2]); got != c[3] {
			t.Errorf("PairedSize(%d, %d, %d) = %d, want %d", c[0], c[1], c[2], got, c[3])
		}
	}
}
