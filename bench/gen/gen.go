package gen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/siit-project/siit/bench/frames"
	"github.com/siit-project/siit/bench/xdpprog"
)

// Stream is one generator program with the frame it starts every page from.
type Stream struct {
	Prog      *xdpprog.Gen
	Frame     []byte // initial page content; its length is the length of every frame of the stream
	Templates int    // number of templates configured in Prog (frames per round)
}

// NewStream loads a generator program configured for the given templates, all of len(frame) bytes before
// their Trim.
func NewStream(frame []byte, tmpls []xdpprog.GenTemplate, flows, addrSpan uint32, trial uint8) (*Stream, error) {
	p, err := xdpprog.LoadGen()
	if err != nil {
		return nil, err
	}
	if err := p.Configure(tmpls, flows, addrSpan, trial); err != nil {
		p.Close()
		return nil, err
	}
	return &Stream{Prog: p, Frame: frame, Templates: len(tmpls)}, nil
}

// NewSynthetic loads a stream sending frames built from t.
func NewSynthetic(t *frames.Template, trial uint8) (*Stream, error) {
	return NewStream(t.Frame, []xdpprog.GenTemplate{xdpprog.FromTemplate(t)}, uint32(t.Spec.Flows), uint32(t.AddrSpan()), trial)
}

// NewInterleaved loads one stream that sends frames built from each of ts in turn: ts[0] out of the device the
// stream runs on, ts[i] (i > 0) through the program's port i (set it with Prog.SetPort before running). One
// thread sends all the legs of a bidirectional test at the same rate each, however many CPUs the generator has.
// The templates must share the flow settings; their frames may differ in length (the IPv4 leg of an RFC 8219
// test is 20 bytes shorter): the longest is the run's page and the others are trimmed from it.
func NewInterleaved(ts []*frames.Template, trial uint8) (*Stream, error) {
	if len(ts) == 0 || len(ts) > xdpprog.MaxPorts+1 {
		return nil, fmt.Errorf("interleaved stream: %d templates, want 1..%d", len(ts), xdpprog.MaxPorts+1)
	}
	page, head := ts[0].Frame, 0
	for _, t := range ts {
		if t.Spec.Flows != ts[0].Spec.Flows || t.AddrSpan() != ts[0].AddrSpan() {
			return nil, errors.New("interleaved stream: the templates differ in flows or address flows")
		}
		if len(t.Frame) > len(page) {
			page = t.Frame
		}
		head = max(head, len(t.Head))
	}
	tmpls := make([]xdpprog.GenTemplate, len(ts))
	for i, t := range ts {
		g := xdpprog.FromTemplate(t)
		// Pages are reused across templates: each must rewrite everything up to the longest head (a longer
		// head leaves its own bytes there) and find the page's bytes beyond it.
		ext := make([]byte, head)
		copy(ext, g.Head)
		if len(t.Frame) > len(g.Head) {
			copy(ext[len(g.Head):], t.Frame[len(g.Head):min(head, len(t.Frame))])
		}
		if head < len(t.Frame) && !bytes.Equal(t.Frame[head:], page[head:len(t.Frame)]) {
			return nil, fmt.Errorf("interleaved stream: frame %d differs from the longest beyond the headers", i)
		}
		g.Head = ext[:min(head, xdpprog.TemplateHead)]
		g.Port, g.Trim = uint8(i), uint16(len(page)-len(t.Frame))
		tmpls[i] = g
	}
	return NewStream(page, tmpls, uint32(ts[0].Spec.Flows), uint32(ts[0].AddrSpan()), trial)
}

// Close releases the stream's program.
func (s *Stream) Close() error { return s.Prog.Close() }

// Config is one generator run.
type Config struct {
	Ifindex  int // interface the frames leave through (XDP_TX), in the namespace ThreadSetup enters
	RxQueue  int // rx queue index put into the XDP context (must exist on the interface)
	Streams  []*Stream
	CPUs     []int         // one sending thread per CPU; default {0}
	Rate     float64       // total frames per second; 0: full speed
	Count    uint64        // total frames; 0: until Duration or ctx
	Duration time.Duration // 0 with Count 0: until ctx is done
	Batch    uint32        // kernel page batch; 0: kernel default (64)
	// ThreadSetup runs on every sending thread (locked) before it pins itself, e.g. to enter a namespace.
	ThreadSetup func() error
}

// Result is what a run actually offered.
type Result struct {
	Sent      uint64
	PerThread []uint64
	Elapsed   time.Duration
}

// PPS returns the offered frame rate.
func (r Result) PPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Sent) / r.Elapsed.Seconds()
}

// BPS returns the offered bit rate for frames of frameSize bytes (RFC 2544 size, FCS included); l1 adds the
// 20 bytes of preamble, start delimiter and inter-frame gap every frame takes on a wire.
func (r Result) BPS(frameSize int, l1 bool) float64 {
	if l1 {
		frameSize += 20
	}
	return r.PPS() * float64(frameSize) * 8
}

// threadCtl lets the watchdog end a sending thread's long BPF_PROG_RUN call with a signal.
type threadCtl struct {
	tid    atomic.Int32
	inCall atomic.Bool
	stream atomic.Pointer[Stream]
	limit  atomic.Uint64
	cpu    int
}

// Run sends traffic as configured and reports what was offered.
func Run(ctx context.Context, c Config) (Result, error) {
	if len(c.Streams) == 0 {
		return Result{}, errors.New("run generator: no streams")
	}
	if c.Count == 0 && c.Duration == 0 && ctx.Done() == nil {
		return Result{}, errors.New("run generator: give a count, a duration or a cancellable context")
	}
	if len(c.CPUs) == 0 {
		c.CPUs = []int{0}
	}
	n := len(c.CPUs)
	res := Result{PerThread: make([]uint64, n)}
	errs := make([]error, n)
	ctls := make([]*threadCtl, n)
	var wg sync.WaitGroup
	start := time.Now()
	var deadline time.Time
	if c.Duration > 0 {
		deadline = start.Add(c.Duration)
	}
	for i, cpu := range c.CPUs {
		count := uint64(0)
		if c.Count > 0 {
			count = c.Count / uint64(n)
			if uint64(i) < c.Count%uint64(n) {
				count++
			}
			if count == 0 {
				continue
			}
		}
		ctls[i] = &threadCtl{cpu: cpu}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res.PerThread[i], errs[i] = thread(ctx, c, ctls[i], count, c.Rate/float64(n), deadline)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	watch(ctx, ctls, deadline, done)
	res.Elapsed = time.Since(start)
	for _, v := range res.PerThread {
		res.Sent += v
	}
	return res, errors.Join(errs...)
}

// watch interrupts every thread whose call should end (limit reached, deadline passed, ctx done) with SIGURG,
// which the Go runtime ignores outside its own preemption, until all threads are done.
func watch(ctx context.Context, ctls []*threadCtl, deadline time.Time, done <-chan struct{}) {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	pid := unix.Getpid()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		over := ctx.Err() != nil || (!deadline.IsZero() && !time.Now().Before(deadline))
		for _, t := range ctls {
			if t == nil || !t.inCall.Load() {
				continue
			}
			stop := over
			if s := t.stream.Load(); !stop && s != nil {
				sent, err := s.Prog.Sent(t.cpu)
				stop = err != nil || sent >= t.limit.Load()
			}
			if stop {
				unix.Tgkill(pid, int(t.tid.Load()), unix.SIGURG)
			}
		}
	}
}

// thread sends on one CPU. It never unlocks its OS thread: the thread's namespace and affinity were changed, so
// the runtime must discard it when the goroutine ends.
func thread(ctx context.Context, c Config, ctl *threadCtl, count uint64, rate float64, deadline time.Time) (uint64, error) {
	runtime.LockOSThread()
	cpu := ctl.cpu
	ctl.tid.Store(int32(unix.Gettid()))
	if c.ThreadSetup != nil {
		if err := c.ThreadSetup(); err != nil {
			return 0, err
		}
	}
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return 0, fmt.Errorf("pin generator thread to cpu %d: %w", cpu, err)
	}

	streams := c.Streams
	base := make([]uint64, len(streams))
	remain := make([]uint64, len(streams)) // count mode: frames still to send per stream
	var weights, given uint64
	for _, s := range streams {
		weights += uint64(max(s.Templates, 1))
	}
	for i, s := range streams {
		v, err := s.Prog.Sent(cpu)
		if err != nil {
			return 0, err
		}
		base[i] = v
		if count > 0 {
			remain[i] = count * uint64(max(s.Templates, 1)) / weights
			given += remain[i]
		}
	}
	if count > 0 {
		remain[0] += count - given
	}
	sent := func() (uint64, error) {
		var sum uint64
		for i, s := range streams {
			v, err := s.Prog.Sent(cpu)
			if err != nil {
				return 0, err
			}
			sum += v - base[i]
		}
		return sum, nil
	}
	for ctx.Err() == nil && (deadline.IsZero() || time.Now().Before(deadline)) {
		busy := false
		for i, s := range streams {
			if count > 0 && remain[i] == 0 {
				continue
			}
			busy = true
			// One stream: one call, ended by the watchdog. Several: rounds of 64 frames per template each.
			repeat := uint32(math.MaxUint32)
			if len(streams) > 1 {
				repeat = uint32(64 * max(s.Templates, 1))
			}
			before, err := s.Prog.Sent(cpu)
			if err != nil {
				return 0, err
			}
			limit := uint64(math.MaxUint64)
			if count > 0 {
				limit = before + remain[i]
			}
			if err := s.Prog.SetLimit(cpu, limit); err != nil {
				return 0, err
			}
			if err := s.Prog.SetPace(cpu, rate); err != nil {
				return 0, err
			}
			ctl.limit.Store(limit)
			ctl.stream.Store(s)
			ctl.inCall.Store(true)
			err = s.Prog.RunLive(c.Ifindex, c.RxQueue, s.Frame, repeat, c.Batch)
			ctl.inCall.Store(false)
			if err != nil && !errors.Is(err, unix.EINTR) {
				return 0, err
			}
			after, err := s.Prog.Sent(cpu)
			if err != nil {
				return 0, err
			}
			if count > 0 {
				remain[i] -= min(remain[i], after-before)
			}
		}
		if !busy {
			break
		}
	}
	return sent()
}
