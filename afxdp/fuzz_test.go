package afxdp

import (
	"encoding/binary"
	"testing"
)

// FuzzFrameOps drives a socket over the fake kernel with an arbitrary
// sequence of operations and arbitrary descriptors/addresses from the
// caller side. Invariants: no panic, nothing handed to the kernel twice
// (checked by the fake kernel), and the audit finds every frame in exactly
// one place.
func FuzzFrameOps(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7})
	f.Add([]byte{1, 0, 0, 1, 5, 2, 2, 2, 9, 3, 4, 4, 6, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		s, k := newFakeSocket(t, 16, 2048, 0, 8, 0xFFFFFFFC)
		u := s.umem
		var held []uint64
		in := make([]Desc, 8)
		for len(ops) > 0 {
			op := ops[0]
			ops = ops[1:]
			arg := func() uint64 { // up to 8 bytes of operand
				var b [8]byte
				n := copy(b[:], ops)
				ops = ops[n:]
				return binary.LittleEndian.Uint64(b[:])
			}
			switch op % 8 {
			case 0:
				s.Refill()
			case 1:
				k.receive(int(op>>3), 0)
			case 2:
				n := s.Receive(in)
				for _, d := range in[:n] {
					held = append(held, d.Addr&^(u.frameSize-1))
				}
			case 3: // transmit an arbitrary descriptor
				a := arg()
				d := Desc{Addr: a % (uint64(len(u.mem)) + 4096), Len: uint32(a >> 40)}
				if s.Transmit([]Desc{d}) == 1 {
					base := d.Addr &^ (u.frameSize - 1)
					for i, h := range held {
						if h == base { // queued or rejected-and-freed: no longer held
							held = append(held[:i], held[i+1:]...)
							break
						}
					}
				}
			case 4: // free an arbitrary address
				a := arg() % (uint64(len(u.mem)) + 4096)
				if s.Free(a) {
					base := a &^ (u.frameSize - 1)
					found := false
					for i, h := range held {
						if h == base {
							held = append(held[:i], held[i+1:]...)
							found = true
							break
						}
					}
					if !found {
						t.Fatalf("freed %#x which the worker did not hold", a)
					}
				}
			case 5:
				k.transmit(int(op >> 3))
			case 6:
				k.complete(int(op >> 3))
				s.Complete()
			case 7:
				if a, ok := s.Alloc(); ok {
					held = append(held, a)
				}
			}
			if c := u.Counts(); c.Total() != u.FrameCount() || c.Held != len(held) {
				t.Fatalf("counts %+v with %d held", c, len(held))
			}
		}
		if err := k.audit(held); err != nil {
			t.Fatal(err)
		}
	})
}
