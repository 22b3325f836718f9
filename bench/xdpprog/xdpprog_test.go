package xdpprog

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/siit-project/siit/bench/frames"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("loading XDP programs needs root")
	}
}

func template(t *testing.T, src, dst string, p frames.Proto, size int) *frames.Template {
	t.Helper()
	tp, err := frames.Build(frames.Spec{Proto: p, SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1},
		DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst),
		SrcPort: 1000, DstPort: 9, FrameSize: size, Flows: 7, AddrFlows: 3})
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// The generator program, run without live frames, writes exactly the frame Template.Render describes, with
// valid checksums, on a page dirtied by a previous receiver.
func TestGenWritesRenderedFrames(t *testing.T) {
	needRoot(t)
	g, err := LoadGen()
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ncpu, err := ebpf.PossibleCPU()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		src, dst string
		p        frames.Proto
		size     int
	}{
		{"2001:db8:64::c000:201", "2001:db8:64::cb00:7101", frames.UDP, 84},
		{"203.0.113.1", "192.0.2.1", frames.UDP, 64},
		{"203.0.113.1", "192.0.2.1", frames.TCP, 1518},
		{"2001:db8::1", "2001:db8::2", frames.TCP, 94},
		{"203.0.113.1", "192.0.2.1", frames.ICMP, 64},
		{"2001:db8::1", "2001:db8::2", frames.ICMP, 512},
	} {
		tp := template(t, c.src, c.dst, c.p, c.size)
		if err := g.Configure([]GenTemplate{FromTemplate(tp)}, 7, 3, 42); err != nil {
			t.Fatal(err)
		}
		var sent [MaxCPUs]uint64
		for cpu := range ncpu {
			if sent[cpu], err = g.Sent(cpu); err != nil {
				t.Fatal(err)
			}
			if err := g.SetLimit(cpu, 1<<62); err != nil {
				t.Fatal(err)
			}
		}
		dirty := bytes.Repeat([]byte{0xa5}, len(tp.Frame))
		copy(dirty[len(tp.Head):], tp.Frame[len(tp.Head):])
		for range 10 {
			out, err := g.RunOnce(dirty)
			if err != nil {
				t.Fatal(err)
			}
			in, err := frames.Parse(out)
			if err != nil || !in.HasStamp {
				t.Fatalf("%s: parse: %v %+v", c.src, err, in)
			}
			// The program ran on some CPU whose counter moved by one: find the sequence number it used.
			want := make([]byte, len(out))
			tp.Render(want, uint64(in.Stamp.Seq), 42, in.Stamp.Stream, 0)
			if !bytes.Equal(out, want) {
				t.Fatalf("%s/%s/%d:\n got % x\nwant % x", c.src, c.p, c.size, out, want)
			}
			if !in.IPChecksumOK || !in.L4ChecksumOK {
				t.Fatalf("bad checksums: %+v", in)
			}
			if got, _ := g.Sent(int(in.Stamp.Stream)); got != uint64(in.Stamp.Seq)+1 {
				t.Fatalf("cpu %d sent %d after seq %d", in.Stamp.Stream, got, in.Stamp.Seq)
			}
		}
	}
}

// The limit stops transmission: a run beyond it returns XDP_DROP.
func TestGenLimit(t *testing.T) {
	needRoot(t)
	g, err := LoadGen()
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	tp := template(t, "203.0.113.1", "192.0.2.1", frames.UDP, 64)
	if err := g.Configure([]GenTemplate{FromTemplate(tp)}, 1, 1, 1); err != nil {
		t.Fatal(err)
	}
	// All limits are zero after load.
	if _, err := g.RunOnce(tp.Frame); err == nil {
		t.Fatal("program transmitted with a zero limit")
	}
}

// The sink counts exactly the frames it is run on, separates stale trials and wrong families, and checks the
// IPv4 header checksum.
func TestSinkCountsExactly(t *testing.T) {
	needRoot(t)
	for _, m := range []struct {
		mode       SinkMode
		drop, pass uint32
	}{{SinkXDP, 1, 2}, {SinkTC, 2, 0}} { // XDP_DROP, XDP_PASS; TC_ACT_SHOT, TC_ACT_OK
		t.Run(m.mode.String(), func(t *testing.T) {
			s, err := LoadSink()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Configure(SinkConfig{Trial: 3, ExpectFamily: 4, SampleEvery: 1000}); err != nil {
				t.Fatal(err)
			}
			samples, err := s.Samples()
			if err != nil {
				t.Fatal(err)
			}
			defer samples.Close()
			prog := s.ProgramFor(m.mode)
			// Samples are one in N per CPU: run everything on one CPU.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var set, old unix.CPUSet
			if err := unix.SchedGetaffinity(0, &old); err != nil {
				t.Fatal(err)
			}
			set.Set(0)
			if err := unix.SchedSetaffinity(0, &set); err != nil {
				t.Fatal(err)
			}
			defer unix.SchedSetaffinity(0, &old)
			tp := template(t, "203.0.113.1", "192.0.2.1", frames.UDP, 64)
			// One run per frame: a run of several repetitions that a signal
			// interrupts (EINTR) is retried from the start by the library, counting
			// the frames it had already run twice.
			run := func(frame []byte, n uint32) {
				t.Helper()
				for range n {
					ret, err := prog.Run(&ebpf.RunOptions{Data: frame, Repeat: 1})
					if err != nil {
						t.Fatal(err)
					}
					if ret != m.drop {
						t.Fatalf("sink verdict %d for a test frame, want %d", ret, m.drop)
					}
				}
			}
			f := make([]byte, len(tp.Frame))
			tp.Render(f, 5, 3, 0, 0)
			run(f, 12345)
			// Every 1000th frame was copied to the ring, whole.
			for i := range 12 {
				smp, ok, err := samples.Read(time.Second)
				if err != nil || !ok {
					t.Fatalf("sample %d: ok %v err %v", i, ok, err)
				}
				if !bytes.Equal(smp.Frame, f) {
					t.Fatalf("sample %d:\n got % x\nwant % x", i, smp.Frame, f)
				}
			}
			if _, ok, _ := samples.Read(10 * time.Millisecond); ok {
				t.Fatal("more than one sample in 1000 frames")
			}
			stale := make([]byte, len(f))
			tp.Render(stale, 6, 2, 0, 0)
			run(stale, 7)
			tp6 := template(t, "2001:db8::1", "2001:db8::2", frames.UDP, 84)
			f6 := make([]byte, len(tp6.Frame))
			tp6.Render(f6, 1, 3, 1, 0)
			run(f6, 11)
			bad := append([]byte(nil), f...)
			bad[frames.EthLen+8]-- // TTL changed, header checksum not updated
			run(bad, 2)

			c, err := s.Counters()
			if err != nil {
				t.Fatal(err)
			}
			if c.Frames != 12345+7+11+2 || c.Stamped != 12345+11+2 || c.Stale != 7 || c.WrongFamily != 11 ||
				c.BadIPChecksum != 2 || c.Sampled != 12 || c.Merged != 0 || c.Bytes != uint64(12345*len(f)+7*len(f)+11*len(f6)+2*len(f)) {
				t.Fatalf("counters %+v", c)
			}
			if err := s.Reset(); err != nil {
				t.Fatal(err)
			}
			if c, _ = s.Counters(); c.Frames != 0 {
				t.Fatalf("after reset: %d frames", c.Frames)
			}
			// A non-test frame (ARP) is passed to the stack by default.
			arp := make([]byte, 60)
			arp[12], arp[13] = 0x08, 0x06
			ret, err := prog.Run(&ebpf.RunOptions{Data: arp})
			if err != nil || ret != m.pass {
				t.Fatalf("ARP verdict %d err %v, want %d", ret, err, m.pass)
			}
		})
	}
}

func TestLatBucketRange(t *testing.T) {
	prev := uint64(4)
	for b := 8; b < LatBuckets-8; b++ {
		lo, hi := LatBucketRange(b)
		if lo != prev || hi <= lo {
			t.Fatalf("bucket %d: [%d,%d) after %d", b, lo, hi, prev)
		}
		prev = hi
	}
}
