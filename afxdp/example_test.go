package afxdp_test

import (
	"log"

	"github.com/siit-project/siit/afxdp"
)

// A worker: receive a batch, rewrite frames in place, transmit or drop,
// then kick, recycle completions and refill. Error handling abbreviated.
func Example_worker() {
	s, err := afxdp.Open("eth0", 0, afxdp.DefaultOpts())
	if err != nil {
		log.Print(err)
		return
	}
	defer s.Close()
	// ... put s.Fd() into the XDP program's XSKMAP at key 0 ...
	log.Printf("af_xdp on eth0 queue 0: %v mode", s.Mode())
	u := s.Umem()
	in := make([]afxdp.Desc, 64)
	out := make([]afxdp.Desc, 0, 64)
	s.Refill()
	for {
		n := s.Receive(in)
		out = out[:0]
		for _, d := range in[:n] {
			frame, off := u.Chunk(d.Addr)
			if off < 20 || frame == nil {
				s.Free(d.Addr) // drop
				continue
			}
			// Grow the packet 20 bytes in front, payload untouched.
			out = append(out, afxdp.Desc{Addr: d.Addr - 20, Len: d.Len + 20})
		}
		for _, d := range out[s.Transmit(out):] {
			s.Free(d.Addr) // TX ring full: drop
		}
		if err := s.Kick(); err != nil {
			log.Print(err)
		}
		s.Complete()
		s.Refill()
		if n == 0 {
			s.Wait(1) // idle back-off
		}
	}
}
