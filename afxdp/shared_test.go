package afxdp

import (
	"bytes"
	"errors"
	"net"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// forward receives burst frames on from and transmits them, MACs rewritten
// for the far side, on to (same Umem: no copy), then checks what arrives on
// the AF_PACKET socket at the far end.
func forward(t *testing.T, from, to *Socket, src, dst *packetSocket, srcIf, dstIf, fromIf, toIf *net.Interface, seq0 uint32, burst int) {
	t.Helper()
	u := from.Umem()
	want := map[uint32][]byte{}
	for i := range burst {
		seq := seq0 + uint32(i)
		src.send(t, testFrame(fromIf.HardwareAddr, srcIf.HardwareAddr, seq, 60+int(seq*53)%1400))
	}
	in := make([]Desc, burst)
	if n := receiveN(t, from, in, burst); n != burst {
		t.Fatalf("received %d of %d at seq %d\n%s", n, burst, seq0, diag(t, from))
	}
	for _, d := range in {
		p := u.Bytes(d)
		seq, ok := frameSeq(p)
		if !ok {
			t.Fatalf("unexpected frame %x", p[:min(32, len(p))])
		}
		copy(p[0:6], dstIf.HardwareAddr)
		copy(p[6:12], toIf.HardwareAddr)
		want[seq] = bytes.Clone(p)
	}
	if n := to.Transmit(in); n != burst {
		t.Fatalf("transmit consumed %d of %d", n, burst)
	}
	flushTx(t, from, to)
	buf := make([]byte, 4096)
	for len(want) > 0 {
		f := dst.recv(t, buf, 10000)
		if f == nil {
			t.Fatalf("%d forwarded frames missing", len(want))
		}
		seq, ok := frameSeq(f)
		if !ok {
			continue
		}
		if w := want[seq]; !bytes.Equal(f, w) {
			t.Fatalf("frame %d arrived as %x, want %x", seq, f[:min(32, len(f))], w[:min(32, len(w))])
		}
		delete(want, seq)
	}
}

// TestVethSharedUmem binds two sockets on two interfaces to one UMEM, each
// with its own fill and completion rings, forwards frames both ways without
// copying between UMEMs, audits the frames across both sockets, and checks
// that the shared socket keeps working after the owner is closed.
func TestVethSharedUmem(t *testing.T) {
	ns := enterNewNetns(t)
	a1, b1 := addVeth(t, ns, "afxa1", "afxb1", 1)
	a2, b2 := addVeth(t, ns, "afxa2", "afxb2", 1)
	m1 := attachRedirect(t, b1.Index)
	m2 := attachRedirect(t, b2.Index)
	o := smallOpts()
	o.FillSize, o.CompletionSize = 256, 256
	s1, err := Open("afxb1", 0, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s1.Close() })
	s2, err := OpenShared("afxb2", 0, s1, o)
	if err != nil {
		t.Fatalf("shared umem on a second veth: %v", err)
	}
	t.Cleanup(func() { s2.Close() })
	if s2.Umem() != s1.Umem() || s2.Mode() != s1.Mode() || s2.fq == s1.fq {
		t.Fatalf("shared socket: same umem %v, mode %v/%v, own fill ring %v", s2.Umem() == s1.Umem(), s1.Mode(), s2.Mode(), s2.fq != s1.fq)
	}
	register(t, m1, s1)
	register(t, m2, s2)
	s1.Refill()
	s2.Refill()
	if c := s1.Umem().Counts(); c.Fill != 512 || c.Free != 512 {
		t.Fatalf("after refilling both: %+v", c)
	}
	p1, p2 := openPacket(t, a1), openPacket(t, a2)
	for i := range 40 {
		seq := uint32(i) * 64
		forward(t, s1, s2, p1, p2, a1, a2, b1, b2, seq, 64)
		forward(t, s2, s1, p2, p1, a2, a1, b2, b1, seq+1<<20, 64)
	}
	if err := auditReal(nil, s1, s2); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Socket{s1, s2} {
		st := mustStats(t, s)
		if st.RxDropped != 0 || st.RxRingFull != 0 || st.TxInvalidDescs != 0 || st.RxInvalidDescs != 0 {
			t.Fatalf("losses on %s: %+v", s.ifname, st)
		}
	}

	// The owner goes first; the shared socket still receives into the UMEM.
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	p2.send(t, testFrame(b2.HardwareAddr, a2.HardwareAddr, 7, 100))
	in := make([]Desc, 1)
	if n := receiveN(t, s2, in, 1); n != 1 {
		t.Fatal("shared socket stopped receiving after the owner closed")
	}
	if seq, ok := frameSeq(s2.Umem().Bytes(in[0])); !ok || seq != 7 {
		t.Fatal("wrong frame after owner close")
	}
	s2.Free(in[0].Addr)
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	if s2.Umem() != nil || s1.Close() != nil || s2.Close() != nil {
		t.Fatal("close is not idempotent")
	}
}

// TestVethSharedSameQueue shares the owner's queue too: the kernel then
// shares the fill and completion rings, and the shared socket must keep them
// mapped after the owner closes.
func TestVethSharedSameQueue(t *testing.T) {
	ns := enterNewNetns(t)
	ia, ib := addVeth(t, ns, "afxa", "afxb", 1)
	xsks := attachRedirect(t, ib.Index)
	s1, err := Open("afxb", 0, smallOpts())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s1.Close() })
	s2, err := OpenShared("afxb", 0, s1, smallOpts())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	if s2.fq != s1.fq {
		t.Fatal("same-queue shared socket did not share the fill ring")
	}
	register(t, xsks, s2) // packets now land in s2's RX ring, frames from the common fill ring
	s1.Close()
	s2.Refill()
	ps := openPacket(t, ia)
	for i := range 32 {
		ps.send(t, testFrame(ib.HardwareAddr, ia.HardwareAddr, uint32(i), 64))
	}
	in := make([]Desc, 32)
	if n := receiveN(t, s2, in, 32); n != 32 {
		t.Fatalf("received %d of 32", n)
	}
	for _, d := range in {
		s2.Free(d.Addr)
	}
	if err := auditReal(nil, s2); err != nil {
		t.Fatal(err)
	}
}

func countFds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestVethSetupErrors checks the refusals: forced zero-copy on veth, a queue
// that does not exist, a queue already taken; each leaves nothing open and
// names the action and the remedy.
func TestVethSetupErrors(t *testing.T) {
	ns := enterNewNetns(t)
	_, ib := addVeth(t, ns, "afxa", "afxb", 1)
	attachRedirect(t, ib.Index)
	before := countFds(t)

	o := smallOpts()
	o.Mode = ModeZeroCopy
	_, err := Open("afxb", 0, o)
	if !errors.Is(err, ErrZeroCopyUnsupported) || !strings.Contains(err.Error(), "bind af_xdp socket to afxb queue 0 in zero-copy mode") {
		t.Fatalf("forced zero-copy on veth: %v", err)
	}
	t.Log(err)

	_, err = Open("afxb", 5, smallOpts())
	if !errors.Is(err, unix.EINVAL) || !strings.Contains(err.Error(), "queue id beyond") {
		t.Fatalf("queue 5 of a 1-queue veth: %v", err)
	}
	t.Log(err)

	if n := countFds(t); n != before {
		t.Fatalf("failed opens leaked %d file descriptors", n-before)
	}

	s, err := Open("afxb", 0, smallOpts())
	if err != nil {
		t.Fatalf("open after failed attempts: %v", err)
	}
	defer s.Close()
	_, err = Open("afxb", 0, smallOpts())
	if !errors.Is(err, unix.EBUSY) || !strings.Contains(err.Error(), "another program holds this queue?") {
		t.Fatalf("second socket on a taken queue: %v", err)
	}
	t.Log(err)
	s.Close()
	if n := countFds(t); n != before {
		t.Fatalf("leaked %d file descriptors", n-before)
	}
}
