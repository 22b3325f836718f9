package lab

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/siit-project/siit/bench/frames"
	"github.com/siit-project/siit/bench/netns"
	"github.com/siit-project/siit/bench/search"
	"github.com/siit-project/siit/bench/xdpprog"
)

func setupLab(t *testing.T) *Lab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the netns lab needs root")
	}
	l, err := Setup(fmt.Sprintf("bench%d-%d", os.Getpid()%100000, rand.IntN(1000)), 1, xdpprog.SinkTC)
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

// oneTrial runs one trial of cfg at rate through the lab and returns it with the runner's tallies.
func oneTrial(t *testing.T, l *Lab, cfg TrialConfig, rate float64) (search.Trial, *Runner) {
	t.Helper()
	r, err := l.NewRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tr, err := r.Trial(context.Background(), rate)
	if err != nil {
		t.Fatal(err)
	}
	return tr, r
}

// The generator offers exactly the requested count, and the sink on the far end of a veth counts exactly the
// frames sent, in both directions, and sampled frames validate.
func TestGeneratorAndSinkExactOverVeth(t *testing.T) {
	l := setupLab(t)
	for _, dir := range []Direction{Dir64, Dir46} {
		r, err := l.NewRunner(TrialConfig{Dir: dir, FrameSize: 84, Proto: frames.UDP, Flows: 16, AddrFlows: 4,
			Duration: 100 * time.Millisecond, AtDUT: true, SampleEvery: 8, Timestamp: true})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for _, rate := range []float64{20000, 31337} {
			tr, err := r.Trial(context.Background(), rate)
			if err != nil {
				t.Fatal(err)
			}
			want := uint64(rate * 0.1)
			if tr.Sent != want || tr.Received != want {
				t.Fatalf("%s at %v fps: sent %d received %d, want exactly %d", dir, rate, tr.Sent, tr.Received, want)
			}
			if c := r.Last[0]; c.WrongFamily != 0 || c.BadIPChecksum != 0 || c.LatCount != want {
				t.Fatalf("%s: sink counters %+v", dir, c)
			}
		}
		if r.Validated == 0 || r.Invalid != 0 {
			t.Fatalf("%s: validated %d, invalid %d (%v)", dir, r.Validated, r.Invalid, r.FirstError)
		}
	}
}

// One generator CPU drives both legs of a bidirectional trial (one thread alternating a 6->4 and a 4->6
// template, the latter through a port in the other namespace and 20 bytes shorter): each leg gets exactly half
// the frames, and they arrive whole.
func TestBidirFromOneGeneratorCPU(t *testing.T) {
	l := setupLab(t)
	for _, size := range []int{84, 1518} {
		r, err := l.NewRunner(TrialConfig{Dir: DirBoth, FrameSize: size, Proto: frames.UDP, Flows: 16, AddrFlows: 4,
			Duration: 100 * time.Millisecond, AtDUT: true, SampleEvery: 4, CPUs: []int{0}})
		if err != nil {
			t.Fatal(err)
		}
		tr, err := r.Trial(context.Background(), 40000)
		r.Close() // the next size attaches its own sinks to the DUT's ports
		if err != nil {
			t.Fatal(err)
		}
		if tr.Sent != 4000 || tr.Received != 4000 {
			t.Fatalf("%d B: sent %d received %d, want exactly 4000", size, tr.Sent, tr.Received)
		}
		for i, c := range r.Last {
			if c.Stamped != 2000 || c.WrongFamily != 0 || c.BadIPChecksum != 0 || c.Reordered != 0 {
				t.Fatalf("%d B, leg %d: sink counters %+v, want 2000 frames", size, i, c)
			}
			if want := uint64(size - 4 - 20*i); c.StampedBytes != 2000*want {
				t.Fatalf("%d B, leg %d: %d bytes, want 2000 frames of %d", size, i, c.StampedBytes, want)
			}
		}
		if r.Validated == 0 || r.Invalid != 0 {
			t.Fatalf("%d B: validated %d, invalid %d (%v)", size, r.Validated, r.Invalid, r.FirstError)
		}
	}
}

// Kernel forwarding of the lab's frames reaches the far sink unchanged in family.
func TestKernelPeerForwards(t *testing.T) {
	l := setupLab(t)
	k := &Kernel{}
	if err := k.Start(l); err != nil {
		t.Fatal(err)
	}
	defer k.Stop(l)
	tr, r := oneTrial(t, l, TrialConfig{Dir: DirBoth, FrameSize: 128, Proto: frames.UDP, Flows: 8,
		Duration: 100 * time.Millisecond, SampleEvery: 4}, 10000)
	if tr.Sent != 1000 || tr.Received == 0 || r.Invalid != 0 {
		t.Fatalf("sent %d received %d invalid %d (%v)", tr.Sent, tr.Received, r.Invalid, r.FirstError)
	}
}

// Far sinks of either mode count exactly what the baseline forwarders deliver, for UDP and TCP, and the frames
// they sample validate. In tc mode the far veths run GRO (the XDP forwarder's frames need it): the generator's
// TCP frames must not be merged, or the sink would check only the first frame of each merged skb.
func TestFarSinksCountEveryForwarder(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the netns lab needs root")
	}
	for _, mode := range []xdpprog.SinkMode{xdpprog.SinkTC, xdpprog.SinkXDP} {
		t.Run(mode.String(), func(t *testing.T) {
			l, err := Setup(fmt.Sprintf("bsk%d-%d", os.Getpid()%100000, rand.IntN(1000)), 1, mode)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := l.Close(); err != nil {
					t.Error(err)
				}
			}()
			for _, p := range []Peer{&Kernel{}, &XDPFwd{}} {
				if err := p.Start(l); err != nil {
					t.Fatal(err)
				}
				for _, proto := range []frames.Proto{frames.UDP, frames.TCP} {
					tr, r := oneTrial(t, l, TrialConfig{Dir: DirBoth, FrameSize: 128, Proto: proto, Flows: 4,
						Duration: 100 * time.Millisecond, SampleEvery: 4}, 10000)
					if tr.Sent != 1000 || tr.Received != tr.Sent || r.Invalid != 0 || r.Validated == 0 {
						t.Errorf("%s, %s: sent %d received %d, validated %d invalid %d (%v)", p.Name(), proto,
							tr.Sent, tr.Received, r.Validated, r.Invalid, r.FirstError)
					}
					// At full speed frames arrive in batches that GRO could merge (it merges TCP segments with
					// contiguous sequence numbers; the generator's all carry 0). Loss is allowed here.
					tr, r = oneTrial(t, l, TrialConfig{Dir: DirBoth, FrameSize: 128, Proto: proto, Flows: 4,
						Duration: 100 * time.Millisecond}, 0)
					if tr.Received == 0 || r.Invalid != 0 {
						t.Errorf("%s, %s at full speed: received %d of %d, invalid %d (%v)", p.Name(), proto,
							tr.Received, tr.Sent, r.Invalid, r.FirstError)
					}
				}
				if err := p.Stop(l); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TAYGA, the userspace baseline, translates in the lab and runs only on the CPUs it is given, as siit's workers
// do.
func TestTaygaPeerTranslatesPinned(t *testing.T) {
	tg := &Tayga{CPUs: []int{runtime.NumCPU() - 1}}
	if err := tg.Available(); err != nil {
		t.Skip(err)
	}
	l := setupLab(t)
	if err := tg.Start(l); err != nil {
		t.Fatal(err)
	}
	defer tg.Stop(l)
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(tg.PID(), &set); err != nil {
		t.Fatal(err)
	}
	if set.Count() != 1 || !set.IsSet(tg.CPUs[0]) {
		t.Fatalf("tayga may run on %d CPUs, want only CPU %d", set.Count(), tg.CPUs[0])
	}
	tr, r := oneTrial(t, l, TrialConfig{Dir: DirBoth, FrameSize: 84, Proto: frames.UDP, Flows: 8,
		Duration: 200 * time.Millisecond, Translating: true, SampleEvery: 4}, 5000)
	// TAYGA loses a few frames even at low rates; what arrives must be translated correctly.
	if tr.Sent != 1000 || tr.Received < 900 || r.Invalid != 0 || r.Validated == 0 {
		t.Fatalf("sent %d received %d, validated %d invalid %d (%v)", tr.Sent, tr.Received, r.Validated, r.Invalid, r.FirstError)
	}
}

// A Setup that fails part way returns an error (no panic) and removes the namespaces it had created already.
func TestSetupFailureCleansUp(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the netns lab needs root")
	}
	tag := fmt.Sprintf("benchf%d-%d", os.Getpid()%100000, rand.IntN(1000))
	// The third namespace exists already, so Setup fails after creating the first two.
	taken, err := netns.Create(tag + "-b")
	if err != nil {
		t.Skipf("cannot create namespaces here: %v", err)
	}
	defer taken.Close()
	l, err := Setup(tag, 1, xdpprog.SinkTC)
	if err == nil {
		l.Close()
		t.Fatal("Setup succeeded with its namespace name taken")
	}
	if l != nil {
		t.Errorf("Setup returned a lab with its error %v", err)
	}
	for _, sfx := range []string{"-a", "-dut"} {
		if _, serr := os.Stat("/run/netns/" + tag + sfx); !errors.Is(serr, os.ErrNotExist) {
			t.Errorf("namespace %s%s left behind after the failed Setup (%v)", tag, sfx, serr)
			(&netns.NS{Name: tag + sfx}).Close()
		}
	}
}
