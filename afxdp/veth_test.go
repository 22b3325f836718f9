package afxdp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"testing"
	"time"
)

const (
	etherTest  = 0x88B5 // IEEE local experimental ethertype: frames sent by the test
	etherGrown = 0x88B6 // frames the echo grew by 28 bytes in front
)

// testFrame builds a recognisable frame: Ethernet header, "AFXDPTST", seq,
// then a seq-dependent byte pattern, size bytes in all.
func testFrame(dst, src net.HardwareAddr, seq uint32, size int) []byte {
	f := make([]byte, size)
	copy(f[0:6], dst)
	copy(f[6:12], src)
	binary.BigEndian.PutUint16(f[12:], etherTest)
	copy(f[14:22], "AFXDPTST")
	binary.BigEndian.PutUint32(f[22:], seq)
	for i := 26; i < size; i++ {
		f[i] = byte(seq*7 + uint32(i))
	}
	return f
}

// frameSeq returns the seq of a testFrame, or false.
func frameSeq(f []byte) (uint32, bool) {
	if len(f) < 26 || binary.BigEndian.Uint16(f[12:]) != etherTest || string(f[14:22]) != "AFXDPTST" {
		return 0, false
	}
	return binary.BigEndian.Uint32(f[22:]), true
}

// receiveN polls s until it has n packets or a generous deadline passes.
func receiveN(t testing.TB, s *Socket, into []Desc, n int) int {
	t.Helper()
	got := 0
	deadline := time.Now().Add(10 * time.Second)
	for got < n && time.Now().Before(deadline) {
		m := s.Receive(into[got:n])
		got += m
		s.Refill()
		if m == 0 {
			s.Wait(10)
		}
	}
	return got
}

// flushTx kicks and completes until s's kernel side holds no TX frame.
func flushTx(t testing.TB, s ...*Socket) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		busy := false
		for _, x := range s {
			if err := x.Kick(); err != nil {
				t.Fatalf("kick: %v", err)
			}
			x.Complete()
			busy = busy || x.TxPending()
		}
		if !busy && s[0].Umem().Counts().Tx == 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("tx did not drain: counts %+v", s[0].Umem().Counts())
}

// auditReal checks, for quiescent sockets on one Umem, that every frame is
// in exactly one of: a fill ring, an RX ring, a TX ring, a completion ring,
// the free stack or held, and that the Umem's counts agree.
func auditReal(held []uint64, socks ...*Socket) error {
	u := socks[0].umem
	seen := map[uint64]string{}
	var errs []error
	add := func(addr uint64, where string) {
		base := addr &^ (u.frameSize - 1)
		if prev, dup := seen[base]; dup {
			errs = append(errs, fmt.Errorf("frame %#x in %s and in %s", base, prev, where))
		}
		seen[base] = where
	}
	var fillSide, txSide int
	rings := map[*umemRings]bool{}
	for _, s := range socks {
		if !rings[s.fq] {
			rings[s.fq] = true
			for i := s.fill.consumer.Load(); i != s.fill.producer.Load(); i++ {
				add(s.fill.addrs[i&s.fill.mask], "fill ring")
				fillSide++
			}
			for i := s.comp.consumer.Load(); i != s.comp.producer.Load(); i++ {
				add(s.comp.addrs[i&s.comp.mask], "completion ring")
				txSide++
			}
		}
		for i := s.rx.consumer.Load(); i != s.rx.producer.Load(); i++ {
			add(s.rx.descs[i&s.rx.mask].Addr, "rx ring")
			fillSide++
		}
		for i := s.tx.consumer.Load(); i != s.tx.producer.Load(); i++ {
			add(s.tx.descs[i&s.tx.mask].Addr, "tx ring")
			txSide++
		}
	}
	for _, a := range u.stack[:u.top] {
		add(a, "free stack")
	}
	for _, a := range held {
		add(a, "held")
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if len(seen) != u.FrameCount() {
		return fmt.Errorf("found %d of %d frames: %d are missing (leaked, or still inside the kernel)", len(seen), u.FrameCount(), u.FrameCount()-len(seen))
	}
	c := u.Counts()
	if c.Total() != u.FrameCount() || c.Fill != fillSide || c.Tx != txSide || c.Held != len(held) || c.Free != u.top {
		return fmt.Errorf("counts %+v disagree with rings: fill side %d, tx side %d, held %d, free %d", c, fillSide, txSide, len(held), u.top)
	}
	return nil
}

func smallOpts() Opts {
	o := DefaultOpts()
	o.FrameCount = 1024
	o.FillSize, o.CompletionSize, o.RxSize, o.TxSize = 512, 512, 512, 512
	o.TxSkbBudget = 64
	return o
}

// TestVethEcho receives frames sent by an AF_PACKET socket on the veth peer,
// echoes them back after rewriting in place (MAC swap, 28-byte growth into
// the headroom), drops or mis-transmits some on purpose, and checks the
// echoed bytes, the kernel statistics, the counters and the frame accounting.
func TestVethEcho(t *testing.T) {
	ns := enterNewNetns(t)
	ia, ib := addVeth(t, ns, "afxa", "afxb", 1)
	xsks := attachRedirect(t, ib.Index)

	o := smallOpts()
	o.Headroom = 64
	o.BusyPollUsec, o.BusyPollBudget = 20, 64
	s, err := Open("afxb", 0, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if s.Mode() != ModeCopy {
		t.Fatalf("veth gave mode %v; this kernel only offers copy mode on veth", s.Mode())
	}
	if !s.NeedWakeup() {
		t.Fatal("need-wakeup not in effect")
	}
	register(t, xsks, s)
	u := s.Umem()
	if n := s.Refill(); n != 512 {
		t.Fatalf("refill gave %d frames, want the ring size 512", n)
	}
	ps := openPacket(t, ia)

	const burst = 64
	const total = 313 * burst
	in := make([]Desc, burst)
	out := make([]Desc, 0, burst)
	want := map[uint32][]byte{}
	buf := make([]byte, 4096)
	var dropped, invalid, echoed int
	for seq := uint32(0); seq < total; {
		sent := map[uint32][]byte{}
		for range burst {
			// Up to 1459 bytes, so a grown frame still fits the 1500-byte MTU.
			f := testFrame(ib.HardwareAddr, ia.HardwareAddr, seq, 60+int(seq*37)%1400)
			ps.send(t, f)
			sent[seq] = f
			seq++
		}
		if n := receiveN(t, s, in, burst); n != burst {
			t.Fatalf("received %d of %d frames at seq %d\n%s", n, burst, seq, diag(t, s))
		}
		out = out[:0]
		for _, d := range in {
			frame, off := u.Chunk(d.Addr)
			if off != u.RxOffset() {
				t.Fatalf("packet at offset %d in its frame, want headroom+256 = %d", off, u.RxOffset())
			}
			pkt := u.Bytes(d)
			n, ok := frameSeq(pkt)
			if !ok || !bytes.Equal(pkt, sent[n]) {
				t.Fatalf("received frame %x does not match any sent frame", pkt[:min(len(pkt), 32)])
			}
			delete(sent, n)
			switch n % 10 {
			case 0:
				s.Free(d.Addr)
				dropped++
			case 2:
				out = append(out, Desc{Addr: d.Addr, Len: uint32(u.FrameSize())}) // crosses the frame end
				invalid++
			case 1:
				// Grow in front without moving the payload: new Ethernet
				// header + 14 marker bytes + the original frame.
				start := off - 28
				copy(frame[start:], ia.HardwareAddr)
				copy(frame[start+6:], ib.HardwareAddr)
				binary.BigEndian.PutUint16(frame[start+12:], etherGrown)
				for i := start + 14; i < off; i++ {
					frame[i] = 0xEE
				}
				g := u.Bytes(Desc{Addr: d.Addr - 28, Len: d.Len + 28})
				want[n] = bytes.Clone(g)
				out = append(out, Desc{Addr: d.Addr - 28, Len: d.Len + 28})
			default:
				var mac [6]byte
				copy(mac[:], pkt[0:6])
				copy(pkt[0:6], pkt[6:12])
				copy(pkt[6:12], mac[:])
				want[n] = bytes.Clone(pkt)
				out = append(out, d)
			}
		}
		if m := s.Transmit(out); m != len(out) {
			t.Fatalf("transmit consumed %d of %d", m, len(out))
		}
		flushTx(t, s)
		for len(want) > 0 {
			f := ps.recv(t, buf, 10000)
			if f == nil {
				t.Fatalf("%d echoes missing after burst ending at seq %d", len(want), seq)
			}
			var n uint32
			switch binary.BigEndian.Uint16(f[12:]) {
			case etherTest:
				n, _ = frameSeq(f)
			case etherGrown:
				n, _ = frameSeq(f[28:])
			default:
				continue // not ours
			}
			w, ok := want[n]
			if !ok || !bytes.Equal(f, w) {
				t.Fatalf("echo of seq %d wrong or unexpected:\n got %x\nwant %x", n, f[:min(len(f), 48)], w[:min(len(w), 48)])
			}
			delete(want, n)
			echoed++
		}
	}

	st := mustStats(t, s)
	if st.RxDropped != 0 || st.RxInvalidDescs != 0 || st.TxInvalidDescs != 0 || st.RxRingFull != 0 || st.RxFillRingEmptyDescs != 0 {
		t.Fatalf("kernel stats show losses: %+v", st)
	}
	ctr := s.Counters()
	if ctr.Rx != total || ctr.TxRejected != uint64(invalid) || ctr.Tx != uint64(echoed) || ctr.Completed != ctr.Tx ||
		ctr.BadFree != 0 || ctr.RxInvalid != 0 || ctr.CompInvalid != 0 {
		t.Fatalf("counters %+v; want rx %d, tx %d, rejected %d", ctr, total, echoed, invalid)
	}
	if err := auditReal(nil, s); err != nil {
		t.Fatal(err)
	}
	if c := u.Counts(); c.Fill != 512 || c.Free != 512 {
		t.Fatalf("quiescent counts %+v, want the fill ring full and the rest free", c)
	}
	t.Logf("mode %v: %d received, %d echoed, %d dropped, %d rejected; kicks %d (retries %d); stats %+v",
		s.Mode(), total, echoed, dropped, invalid, ctr.Kicks, ctr.KickRetries, st)

	// The data path makes no allocation on a real socket either, including
	// the sendto kick.
	one := make([]Desc, 1)
	allocs := testing.AllocsPerRun(200, func() {
		a, ok := s.Alloc()
		if !ok {
			t.Fatal("no free frame")
		}
		copy(u.Bytes(Desc{Addr: a, Len: 60}), testFrame(ia.HardwareAddr, ib.HardwareAddr, 0, 60)[:0])
		one[0] = Desc{Addr: a, Len: 60}
		s.Transmit(one)
		if err := s.Kick(); err != nil {
			t.Fatal(err)
		}
		s.Receive(in)
		s.Complete()
		s.Refill()
		if err := s.Wait(0); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per data path round on a real socket", allocs)
	}
	flushTx(t, s)
	if err := auditReal(nil, s); err != nil {
		t.Fatal(err)
	}
}

// diag describes a socket and the lab links for a failure message.
func diag(t testing.TB, s *Socket) string {
	st, _ := s.Stats()
	out, _ := exec.Command("sh", "-c", "ip -s -d link; for i in $(ls /sys/class/net); do echo $i; ethtool -S $i 2>/dev/null | grep -v ': 0$'; done").CombinedOutput()
	return fmt.Sprintf("%s: stats %+v\ncounters %+v\nrings %+v\ncounts %+v\n%s", s.where(), st, s.Counters(), s.RingCounts(), s.umem.Counts(), out)
}

func mustStats(t testing.TB, s *Socket) Stats {
	t.Helper()
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return st
}
