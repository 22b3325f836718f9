package gen

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/cilium/ebpf"

	"github.com/siit-project/siit/bench/frames"
)

func TestRunRejectsIncompleteConfig(t *testing.T) {
	if _, err := Run(context.Background(), Config{}); err == nil {
		t.Fatal("no streams accepted")
	}
	if _, err := Run(context.Background(), Config{Streams: []*Stream{{}}}); err == nil {
		t.Fatal("a run without count, duration or cancellable context accepted")
	}
}

func TestResultRates(t *testing.T) {
	r := Result{Sent: 2_000_000, Elapsed: 2 * time.Second}
	if r.PPS() != 1e6 || r.BPS(64, false) != 512e6 || r.BPS(64, true) != 672e6 {
		t.Fatalf("pps %v bps %v l1 %v", r.PPS(), r.BPS(64, false), r.BPS(64, true))
	}
	if (Result{}).PPS() != 0 {
		t.Fatal("zero elapsed")
	}
}

func buildTemplate(t *testing.T, src, dst string, p frames.Proto, size, flows int) *frames.Template {
	t.Helper()
	tp, err := frames.Build(frames.Spec{Proto: p, SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1},
		DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst),
		SrcPort: 1000, DstPort: 9, FrameSize: size, Flows: flows, AddrFlows: 3})
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// An interleaved stream sends its templates in turn, each through its port, each leg through every flow,
// the shorter leg trimmed from the longer leg's page, and every frame exactly what Template.RenderFlow
// describes, on pages last written by the other leg.
func TestInterleavedLegs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("loading XDP programs needs root")
	}
	for _, p := range []frames.Proto{frames.UDP, frames.TCP} {
		for _, size := range []int{frames.MinFrameSize(6, p), 131, 1518} {
			const flows = 4
			legs := []*frames.Template{
				buildTemplate(t, "2001:db8:64::c000:201", "2001:db8:64::cb00:7101", p, size, flows),
				buildTemplate(t, "203.0.113.1", "192.0.2.1", p, size-20, flows),
			}
			s, err := NewInterleaved(legs, 9)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if len(s.Frame) != len(legs[0].Frame) || s.Templates != 2 {
				t.Fatalf("page of %d bytes, %d templates", len(s.Frame), s.Templates)
			}
			if err := s.Prog.SetPort(1, 1); err != nil { // lo: the frames are not sent
				t.Fatal(err)
			}
			ncpu, err := ebpf.PossibleCPU()
			if err != nil {
				t.Fatal(err)
			}
			for cpu := range ncpu {
				if err := s.Prog.SetLimit(cpu, 1<<62); err != nil {
					t.Fatal(err)
				}
			}
			page := append([]byte(nil), s.Frame...)
			seen := map[[2]int]bool{}
			for range 4 * flows {
				out, err := s.Prog.RunOnce(page)
				if err != nil {
					t.Fatal(err)
				}
				in, err := frames.Parse(out)
				if err != nil || !in.HasStamp {
					t.Fatalf("%s %d: parse: %v", p, size, err)
				}
				seq := uint64(in.Stamp.Seq)
				leg := legs[seq%2]
				flow := uint32(seq / 2 % flows)
				want := make([]byte, len(leg.Frame))
				leg.RenderFlow(want, flow, seq, 9, in.Stamp.Stream, 0)
				if !bytes.Equal(out, want) {
					t.Fatalf("%s %d seq %d:\n got % x\nwant % x", p, size, seq, out, want)
				}
				seen[[2]int{int(seq % 2), int(flow)}] = true
				// The next run starts from the page this one left, as a recycled live frame does.
				copy(page, out)
			}
			if len(seen) != 2*flows {
				t.Fatalf("%s %d: legs and flows covered: %v", p, size, seen)
			}
		}
	}
	// Frames that differ beyond their headers cannot share a page.
	a := buildTemplate(t, "2001:db8::1", "2001:db8::2", frames.UDP, 200, 1)
	b := buildTemplate(t, "203.0.113.1", "192.0.2.1", frames.UDP, 180, 1)
	b.Frame[len(b.Frame)-1] = 1
	if s, err := NewInterleaved([]*frames.Template{a, b}, 0); err == nil {
		s.Close()
		t.Fatal("frames with different payloads interleaved")
	}
	c := buildTemplate(t, "203.0.113.1", "192.0.2.1", frames.UDP, 180, 2)
	if _, err := NewInterleaved([]*frames.Template{a, c}, 0); err == nil {
		t.Fatal("templates with different flows interleaved")
	}
}
