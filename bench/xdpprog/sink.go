package xdpprog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
)

// LatBuckets is the number of latency histogram buckets (4 per power of two of nanoseconds).
const LatBuckets = 256

// SampleMax is the largest number of frame bytes copied into a sample.
const SampleMax = 2048

// Counters are the sink's counters summed over CPUs.
type Counters struct {
	Frames, Bytes         uint64 // everything that arrived
	IPv4, IPv6            uint64
	Stamped, StampedBytes uint64 // test frames of the current trial
	Stale                 uint64 // test frames of another trial
	WrongFamily           uint64 // test frames of the wrong IP version
	BadIPChecksum         uint64 // test frames with an invalid IPv4 header checksum
	Reordered             uint64 // test frames with a sequence number below one seen before on the same CPU
	LatCount, LatSum      uint64 // latency samples (frames stamped with a transmit time) and their sum in ns
	LatMin, LatMax        uint64
	Sampled, SampleLost   uint64
	Merged                uint64 // tc mode: skbs that GRO built from several frames (all of them are in Frames)
	LatHist               [LatBuckets]uint64
	PerCPUStamped         []uint64 // index: CPU
}

// LatBucketRange returns the latency range [lo, hi) in ns of histogram bucket b.
func LatBucketRange(b int) (lo, hi uint64) {
	if b < 4 {
		return uint64(b), uint64(b) + 1
	}
	if b < 8 { // unused: values of 4 and more start at bucket 8
		return 4, 4
	}
	lg, sub := uint(b/4), uint64(b%4)
	return (4 + sub) << (lg - 2), (5 + sub) << (lg - 2)
}

// Sink is a loaded counting sink.
type Sink struct {
	objs sinkObjects
	link link.Link
}

// LoadSink loads the sink program.
func LoadSink() (*Sink, error) {
	s := &Sink{}
	if err := loadSinkObjects(&s.objs, nil); err != nil {
		return nil, fmt.Errorf("load sink xdp program (needs root and BPF support): %w", err)
	}
	return s, nil
}

// ProgramFor returns the sink's program for mode m.
func (s *Sink) ProgramFor(m SinkMode) *ebpf.Program {
	if m == SinkTC {
		return s.objs.BenchSinkTc
	}
	return s.objs.BenchSink
}

// SinkMode is where a sink receives frames.
type SinkMode int

const (
	// SinkXDP runs the sink as the interface's XDP program. On veth, frames that arrive as an skb with a
	// kmalloc'ed head (from AF_XDP copy mode or a tun) are first copied into a page for XDP, work that veth
	// charges to the transmitter.
	SinkXDP SinkMode = iota
	// SinkTC runs the sink at the interface's tc ingress (tcx): every frame arrives as an skb, the same way
	// whatever transmitted it. On veth, the interface needs GRO on (or an XDP program) to receive frames
	// that its peer redirects with XDP.
	SinkTC
)

func (m SinkMode) String() string {
	if m == SinkTC {
		return "tc"
	}
	return "xdp"
}

// ParseSinkMode parses "tc" or "xdp".
func ParseSinkMode(s string) (SinkMode, error) {
	switch s {
	case "tc":
		return SinkTC, nil
	case "xdp":
		return SinkXDP, nil
	}
	return 0, fmt.Errorf("sink mode %q: want tc or xdp", s)
}

// Attach attaches the sink to ifindex of the calling thread's namespace with a BPF link (native mode when the
// driver has it). The link goes away with Close or when the process dies.
func (s *Sink) Attach(ifindex int) error { return s.AttachMode(ifindex, SinkXDP) }

// AttachMode attaches the sink to ifindex of the calling thread's namespace in mode m, with a BPF link that goes
// away with Close or when the process dies.
func (s *Sink) AttachMode(ifindex int, m SinkMode) error {
	if s.link != nil {
		return errors.New("sink already attached")
	}
	var l link.Link
	var err error
	prog := s.ProgramFor(m)
	if m == SinkTC {
		l, err = link.AttachTCX(link.TCXOptions{Program: prog, Interface: ifindex, Attach: ebpf.AttachTCXIngress})
		if err != nil {
			return fmt.Errorf("attach sink to the tc ingress of ifindex %d (tcx needs Linux 6.6): %w", ifindex, err)
		}
	} else {
		l, err = link.AttachXDP(link.XDPOptions{Program: prog, Interface: ifindex})
		if err != nil {
			return fmt.Errorf("attach sink to ifindex %d (is another XDP program attached?): %w", ifindex, err)
		}
	}
	s.link = l
	return nil
}

// Close detaches and releases everything.
func (s *Sink) Close() error {
	var errs []error
	if s.link != nil {
		errs = append(errs, s.link.Close())
	}
	errs = append(errs, s.objs.Close())
	return errors.Join(errs...)
}

// SinkConfig selects what the sink counts as test frames and checks.
type SinkConfig struct {
	Trial        uint8
	ExpectFamily int    // 4 or 6; 0 accepts both
	SampleEvery  uint32 // copy one frame in SampleEvery (per CPU) to the sample ring; 0: none
	DropOther    bool   // drop non-test frames too (default: pass them to the stack)
}

// Configure applies c. Frames already counted stay counted; call Reset between trials.
func (s *Sink) Configure(c SinkConfig) error {
	v := &s.objs.sinkVariables
	pass := uint32(1)
	if c.DropOther {
		pass = 0
	}
	for _, set := range []struct {
		name string
		err  error
	}{
		{"trial", v.Trial.Set(uint32(c.Trial))},
		{"expect_family", v.ExpectFamily.Set(uint32(c.ExpectFamily))},
		{"sample_every", v.SampleEvery.Set(c.SampleEvery)},
		{"pass_other", v.PassOther.Set(pass)},
	} {
		if set.err != nil {
			return fmt.Errorf("configure sink variable %s: %w", set.name, set.err)
		}
	}
	return nil
}

// Reset zeroes all counters, the reordering state and the histogram. Call it while no test traffic flows.
func (s *Sink) Reset() error {
	n, err := ebpf.PossibleCPU()
	if err != nil {
		return fmt.Errorf("reset sink: %w", err)
	}
	zero := make([]sinkCounters, n)
	if err := s.objs.Counters.Update(uint32(0), zero, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("reset sink counters: %w", err)
	}
	return nil
}

// Counters reads and sums the per-CPU counters.
func (s *Sink) Counters() (Counters, error) {
	var per []sinkCounters
	var c Counters
	if err := s.objs.Counters.Lookup(uint32(0), &per); err != nil {
		return c, fmt.Errorf("read sink counters: %w", err)
	}
	c.PerCPUStamped = make([]uint64, len(per))
	for i, p := range per {
		c.Frames += p.Frames
		c.Bytes += p.Bytes
		c.IPv4 += p.Ipv4
		c.IPv6 += p.Ipv6
		c.Stamped += p.Stamped
		c.StampedBytes += p.StampedBytes
		c.Stale += p.Stale
		c.WrongFamily += p.WrongFamily
		c.BadIPChecksum += p.BadIpCsum
		c.Reordered += p.Reordered
		c.LatCount += p.LatCount
		c.LatSum += p.LatSum
		if p.LatMin != 0 && (c.LatMin == 0 || p.LatMin < c.LatMin) {
			c.LatMin = p.LatMin
		}
		c.LatMax = max(c.LatMax, p.LatMax)
		c.Sampled += p.Sampled
		c.SampleLost += p.SampleLost
		c.Merged += p.Merged
		for b, v := range p.LatHist {
			c.LatHist[b] += v
		}
		c.PerCPUStamped[i] = p.Stamped
	}
	return c, nil
}

// Sample is one frame copied by the sink.
type Sample struct {
	RxNS  uint64 // receive time, CLOCK_MONOTONIC ns
	CPU   uint32
	Frame []byte
}

// SampleReader reads samples from the sink's ring buffer.
type SampleReader struct{ rd *ringbuf.Reader }

// Samples opens a reader of the sample ring. Close it before closing the sink.
func (s *Sink) Samples() (*SampleReader, error) {
	rd, err := ringbuf.NewReader(s.objs.Samples)
	if err != nil {
		return nil, fmt.Errorf("open sink sample ring: %w", err)
	}
	return &SampleReader{rd: rd}, nil
}

// Read returns the next sample, waiting at most wait; ok is false when none arrived in time.
func (r *SampleReader) Read(wait time.Duration) (smp Sample, ok bool, err error) {
	r.rd.SetDeadline(time.Now().Add(wait))
	rec, err := r.rd.Read()
	if errors.Is(err, ringbuf.ErrFlushed) || errors.Is(err, os.ErrDeadlineExceeded) {
		return smp, false, nil
	}
	if err != nil {
		return smp, false, fmt.Errorf("read sink sample: %w", err)
	}
	b := rec.RawSample
	if len(b) < 16 {
		return smp, false, fmt.Errorf("read sink sample: record of %d bytes is too short", len(b))
	}
	smp.RxNS = binary.NativeEndian.Uint64(b)
	n := int(binary.NativeEndian.Uint32(b[8:]))
	smp.CPU = binary.NativeEndian.Uint32(b[12:])
	if n > len(b)-16 {
		n = len(b) - 16
	}
	smp.Frame = append([]byte(nil), b[16:16+n]...)
	return smp, true, nil
}

// Close closes the reader.
func (r *SampleReader) Close() error { return r.rd.Close() }
