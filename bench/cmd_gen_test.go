package bench

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/siit-project/siit/bench/frames"
	"github.com/siit-project/siit/bench/lab"
	"github.com/siit-project/siit/bench/xdpprog"
)

// legShare splits each thread's count by the program's rule (leg seq % n, seq from 0 on every CPU).
func TestLegShare(t *testing.T) {
	for _, c := range []struct {
		per  []uint64
		n    int
		want []uint64
	}{
		{[]uint64{4000}, 2, []uint64{2000, 2000}},
		{[]uint64{2001, 2000}, 2, []uint64{2001, 2000}},
		{[]uint64{1, 1, 1}, 2, []uint64{3, 0}},
		{[]uint64{0}, 2, []uint64{0, 0}},
		{[]uint64{7}, 3, []uint64{3, 2, 2}},
	} {
		for k, w := range c.want {
			if got := legShare(c.per, c.n, k); got != w {
				t.Errorf("legShare(%v, %d, %d) = %d, want %d", c.per, c.n, k, got, w)
			}
		}
	}
}

// Bad second-leg arguments are usage errors (exit 2), found before anything is loaded.
func TestGenSecondLegUsage(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("looking up the interfaces needs the namespaces of the lab (root)")
	}
	l := cliLab(t)
	base := []string{"gen", "-netns", l.A.Name, "-i", l.PA.Name, "-dst-mac", l.PD6.MAC.String(), "-count", "10",
		"-netns2", l.B.Name, "-i2", l.PB.Name}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{nil, "-dst-mac2"},
		{[]string{"-dst-mac2", "zz"}, "-dst-mac2"},
		{[]string{"-dst-mac2", l.PD4.MAC.String(), "-src2", "nope"}, "-src2"},
		{[]string{"-dst-mac2", l.PD4.MAC.String(), "-dst2", "2001:db8::1"}, "leg2"},
		{[]string{"-dst-mac2", l.PD4.MAC.String(), "-size2", "20"}, "leg2"},
		{[]string{"-dst-mac2", l.PD4.MAC.String(), "-pcap", "x.pcap"}, "-pcap"},
	} {
		var out, errb bytes.Buffer
		args := append(append([]string{}, base...), c.args...)
		if rc := Main(args, &out, &errb); rc != 2 || !strings.Contains(errb.String(), c.msg) {
			t.Errorf("%q: rc %d, stderr %q; want 2 and a message naming %s", c.args, rc, errb.String(), c.msg)
		}
	}
	var out, errb bytes.Buffer
	if rc := Main(append(base[:len(base)-1], "nosuch0", "-dst-mac2", l.PD4.MAC.String()), &out, &errb); rc == 0 ||
		!strings.Contains(errb.String(), "nosuch0") {
		t.Errorf("unknown -i2: rc %d, stderr %q", rc, errb.String())
	}
}

// One `siit bench gen` with -i2 sends both legs of a bidirectional test from one CPU: each of the DUT's ports
// receives exactly its half, in its family and at its RFC 8219 size, with the default addresses of its leg.
func TestGenBidirectional(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the netns lab needs root")
	}
	l := cliLab(t)
	const trial = 7
	ports := []*lab.Port{l.PD6, l.PD4}
	sinks := make([]*xdpprog.Sink, len(ports))
	readers := make([]*xdpprog.SampleReader, len(ports))
	for i, p := range ports {
		s, err := xdpprog.LoadSink()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Configure(xdpprog.SinkConfig{Trial: trial, ExpectFamily: 6 - 2*i, SampleEvery: 100}); err != nil {
			t.Fatal(err)
		}
		if err := p.NS.Do(func() error { return s.Attach(p.Index) }); err != nil {
			t.Fatal(err)
		}
		rd, err := s.Samples()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rd.Close() })
		sinks[i], readers[i] = s, rd
	}
	var out, errb bytes.Buffer
	err := cmdGen(context.Background(), []string{"-netns", l.A.Name, "-i", l.PA.Name, "-dst-mac", l.PD6.MAC.String(),
		"-netns2", l.B.Name, "-i2", l.PB.Name, "-dst-mac2", l.PD4.MAC.String(), "-size", "1518", "-count", "4000",
		"-cpus", "0", "-ts", "-trial", fmt.Sprint(trial), "-flows", "8"}, &out, &errb)
	if err != nil {
		t.Fatalf("gen: %v (stderr %q)", err, errb.String())
	}
	for i, name := range []string{l.PA.Name, l.PB.Name} {
		if want := fmt.Sprintf("leg %d (out of %s): 2000 frames", i+1, name); !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	want := []struct {
		family   int
		size     int // on the wire, without FCS
		src, dst string
	}{{6, 1514, "2001:db8:64::c000:201", "2001:db8:64::cb00:7101"}, {4, 1494, "203.0.113.1", "192.0.2.1"}}
	for i, s := range sinks {
		var c xdpprog.Counters
		deadline := time.Now().Add(5 * time.Second)
		for {
			if c, err = s.Counters(); err != nil {
				t.Fatal(err)
			}
			if c.Stamped >= 2000 || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		w := want[i]
		if c.Stamped != 2000 || c.StampedBytes != 2000*uint64(w.size) || c.WrongFamily != 0 || c.BadIPChecksum != 0 ||
			c.Reordered != 0 {
			t.Errorf("leg %d: %+v, want 2000 IPv%d frames of %d bytes", i+1, c, w.family, w.size)
			continue
		}
		smp, ok, err := readers[i].Read(time.Second)
		if err != nil || !ok {
			t.Fatalf("leg %d: no sample (%v)", i+1, err)
		}
		in, err := frames.Parse(smp.Frame)
		if err != nil {
			t.Fatalf("leg %d: %v", i+1, err)
		}
		src := netip.MustParseAddr(w.src)
		e := frames.Expect{Family: w.family, Dst: netip.MustParseAddr(w.dst), SrcPrefix: netip.PrefixFrom(src, src.BitLen())}
		if err := e.Check(in); err != nil || in.Stamp.Trial != trial {
			t.Errorf("leg %d: sampled frame: %v (trial %d)", i+1, err, in.Stamp.Trial)
		}
	}
}

// cliLab builds the bench lab (generator ns a0/b0 <-> DUT ns d6/d4) and removes it when the test ends.
func cliLab(t *testing.T) *lab.Lab {
	t.Helper()
	l, err := lab.Setup(fmt.Sprintf("bcli%d-%d", os.Getpid()%100000, rand.IntN(1000)), 1, xdpprog.SinkTC)
	if err != nil {
		t.Skipf("cannot build the lab here: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	})
	return l
}
