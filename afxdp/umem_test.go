package afxdp

import "testing"

func TestUmemGeometry(t *testing.T) {
	u := newUmem(make([]byte, 4*2048), 2048, 64)
	if u.FrameCount() != 4 || u.FrameSize() != 2048 || u.RxOffset() != 64+256 || u.Headroom() != 64 {
		t.Fatalf("geometry %d×%d rxoff %d", u.FrameCount(), u.FrameSize(), u.RxOffset())
	}
	// Alloc hands out low frames first, each once.
	seen := map[uint64]bool{}
	for i := range 4 {
		a, ok := u.Alloc()
		if !ok || a != uint64(i)*2048 || seen[a] {
			t.Fatalf("alloc %d = %#x, %v", i, a, ok)
		}
		seen[a] = true
	}
	if _, ok := u.Alloc(); ok {
		t.Fatal("alloc from empty stack succeeded")
	}
	if c := u.Counts(); c.Held != 4 || c.Free != 0 || c.Total() != 4 {
		t.Fatalf("counts %+v", c)
	}
}

// TestChunkGrowShrink shows the 4->6 growth pattern: a packet received at
// RxOffset is moved 28 bytes earlier inside its frame without copying the
// payload, and 20 bytes later for 6->4.
func TestChunkGrowShrink(t *testing.T) {
	u := newUmem(make([]byte, 2*2048), 2048, 0)
	rx := Desc{Addr: 2048 + uint64(u.RxOffset()), Len: 100}
	pkt := u.Bytes(rx)
	for i := range pkt {
		pkt[i] = byte(i)
	}
	if cap(pkt) != 2048-u.RxOffset() {
		t.Fatalf("packet capacity %d, want up to the frame end", cap(pkt))
	}
	frame, off := u.Chunk(rx.Addr)
	if len(frame) != 2048 || off != 256 {
		t.Fatalf("chunk len %d off %d", len(frame), off)
	}
	base := rx.Addr - uint64(off)
	grown := Desc{Addr: base + uint64(off-28), Len: rx.Len + 28}
	g := u.Bytes(grown)
	if g == nil || &g[28] != &pkt[0] {
		t.Fatal("grown packet does not alias the original payload")
	}
	shrunk := Desc{Addr: rx.Addr + 20, Len: rx.Len - 20}
	if sb := u.Bytes(shrunk); sb[0] != 20 {
		t.Fatalf("shrunk packet starts with %d", sb[0])
	}
	for _, bad := range []Desc{
		{Addr: base + 2000, Len: 100}, // crosses into the next frame
		{Addr: 4096, Len: 1},          // past the end
		{Addr: base, Len: 0},          // empty
	} {
		if u.Bytes(bad) != nil {
			t.Errorf("Bytes(%+v) should be nil", bad)
		}
	}
	if f, _ := u.Chunk(1 << 30); f != nil {
		t.Error("Chunk outside the umem should be nil")
	}
}
