package xdpprog

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/siit-project/siit/bench/frames"
)

// Template flags, mirrored from c/gen.c.
const (
	TFVaryPort = 0x1
	TFVaryAddr = 0x2
	TFStamp    = 0x4
	TFTS       = 0x8
	TFL4Addr   = 0x10
	TFUDP      = 0x20
	TFL4Csum   = 0x40
	TFIPCsum   = 0x80
)

// Limits of the generator program.
const (
	MaxCPUs      = 256
	MaxTemplates = 64
	MaxPorts     = 3 // GenTemplate.Port 1..MaxPorts; c/gen.c's tx_ports has MaxPorts+1 slots (0 is XDP_TX)
	TemplateHead = 128
	cpuStateSize = 64
)

// GenTemplate is one frame head as the generator program sees it.
type GenTemplate struct {
	Head      []byte // copied over the frame on every run; at most TemplateHead bytes
	Flags     uint32
	PortOff   uint16
	AddrOff   uint16
	L4CsumOff uint16
	IPCsumOff uint16
	StampOff  uint16
	BasePort  uint16
	L4Base    uint32
	IPBase    uint32
	AddrBase  uint8
	// Port 0 sends the frame out of the run's device (XDP_TX); k > 0 redirects it to the device set with
	// SetPort(k, ...), which may be in another namespace.
	Port uint8
	// Trim cuts this many bytes off the tail of the run's frame: a template shorter than the run's frame
	// (Head must still cover everything in which the two differ; see RunLive).
	Trim uint16
}

// Gen is a loaded generator program.
type Gen struct {
	objs genObjects
	mem  *ebpf.Memory
}

// LoadGen loads the generator program.
func LoadGen() (*Gen, error) {
	g := &Gen{}
	if err := loadGenObjects(&g.objs, nil); err != nil {
		return nil, fmt.Errorf("load generator xdp program (needs root and BPF support): %w", err)
	}
	mem, err := g.objs.CpuState.Memory()
	if err != nil {
		g.objs.Close()
		return nil, fmt.Errorf("map generator cpu state (needs BPF_F_MMAPABLE, Linux 5.5+): %w", err)
	}
	g.mem = mem
	return g, nil
}

// Close releases the program and its maps.
func (g *Gen) Close() error { return g.objs.Close() }

// Program returns the XDP program, e.g. for tests that run it without live frames.
func (g *Gen) Program() *ebpf.Program { return g.objs.BenchGen }

// Configure sets the templates (chosen round-robin by sequence number), flow count, address span and the
// trial id written into stamps. Call it while no thread runs the program.
func (g *Gen) Configure(tmpls []GenTemplate, flows, addrSpan uint32, trial uint8) error {
	if len(tmpls) == 0 || len(tmpls) > MaxTemplates {
		return fmt.Errorf("configure generator: %d templates, want 1..%d", len(tmpls), MaxTemplates)
	}
	var all [MaxTemplates]genTmpl
	for i, t := range tmpls {
		if len(t.Head) > TemplateHead {
			return fmt.Errorf("configure generator: template head of %d bytes exceeds %d", len(t.Head), TemplateHead)
		}
		k := &all[i]
		k.Len = uint32(len(t.Head)+3) &^ 3
		k.Flags = t.Flags
		k.PortOff, k.AddrOff, k.L4CsumOff, k.IpCsumOff = t.PortOff, t.AddrOff, t.L4CsumOff, t.IPCsumOff
		k.StampOff, k.BasePort, k.L4Base, k.IpBase, k.AddrBase = t.StampOff, t.BasePort, t.L4Base, t.IPBase, t.AddrBase
		if t.Port > MaxPorts {
			return fmt.Errorf("configure generator: template %d sends through port %d, want 0..%d", i, t.Port, MaxPorts)
		}
		k.Port, k.Trim = t.Port, t.Trim
		copy(k.Data[:], t.Head)
	}
	if flows == 0 {
		flows = 1
	}
	if addrSpan == 0 {
		addrSpan = 1
	}
	v := &g.objs.genVariables
	for _, set := range []struct {
		name string
		err  error
	}{
		{"tmpls", v.Tmpls.Set(all)},
		{"ntmpl", v.Ntmpl.Set(uint32(len(tmpls)))},
		{"nflows", v.Nflows.Set(flows)},
		{"addr_span", v.AddrSpan.Set(addrSpan)},
		{"trial", v.Trial.Set(uint32(trial))},
	} {
		if set.err != nil {
			return fmt.Errorf("configure generator variable %s: %w", set.name, set.err)
		}
	}
	return nil
}

// SetTrial changes the trial id written into stamps.
func (g *Gen) SetTrial(trial uint8) error {
	if err := g.objs.Trial.Set(uint32(trial)); err != nil {
		return fmt.Errorf("set generator trial: %w", err)
	}
	return nil
}

// SetPort makes ifindex the device of templates with Port k (1..MaxPorts). The index is resolved in the
// network namespace of the calling thread, so a port may be in another namespace than the run's device.
func (g *Gen) SetPort(k uint8, ifindex int) error {
	if k < 1 || k > MaxPorts {
		return fmt.Errorf("set generator port %d: want 1..%d", k, MaxPorts)
	}
	if err := g.objs.TxPorts.Put(uint32(k), uint32(ifindex)); err != nil {
		return fmt.Errorf("set generator port %d to ifindex %d: %w", k, ifindex, err)
	}
	return nil
}

func (g *Gen) cpuOff(cpu int) (int64, error) {
	if cpu < 0 || cpu >= MaxCPUs {
		return 0, fmt.Errorf("generator cpu %d out of range [0, %d)", cpu, MaxCPUs)
	}
	return int64(cpu * cpuStateSize), nil
}

// Sent returns how many frames the program has emitted on cpu since load.
func (g *Gen) Sent(cpu int) (uint64, error) {
	off, err := g.cpuOff(cpu)
	if err != nil {
		return 0, err
	}
	var b [8]byte
	if _, err := g.mem.ReadAt(b[:], off); err != nil {
		return 0, fmt.Errorf("read generator state: %w", err)
	}
	return binary.NativeEndian.Uint64(b[:]), nil
}

// SetLimit sets the value of Sent(cpu) at which the program stops emitting frames on cpu.
func (g *Gen) SetLimit(cpu int, limit uint64) error {
	off, err := g.cpuOff(cpu)
	if err != nil {
		return err
	}
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], limit)
	if _, err := g.mem.WriteAt(b[:], off+8); err != nil {
		return fmt.Errorf("write generator limit: %w", err)
	}
	return nil
}

// SetPace makes the program on cpu send at most one frame per 1/pps seconds (0: full speed) starting now.
func (g *Gen) SetPace(cpu int, pps float64) error {
	off, err := g.cpuOff(cpu)
	if err != nil {
		return err
	}
	var interval uint64
	if pps > 0 {
		interval = max(uint64(256e9/pps), 1)
	}
	var b [16]byte
	binary.NativeEndian.PutUint64(b[:8], interval)
	if _, err := g.mem.WriteAt(b[:], off+16); err != nil { // interval, next = 0
		return fmt.Errorf("write generator pace: %w", err)
	}
	return nil
}

// RunLive runs the program repeat times in live-frame mode: every frame it returns XDP_TX for leaves through ifindex
// (of the calling thread's namespace). frame is the initial page content; its length is the length of every frame
// before a template's Trim. Pages are set up from frame once and then reused, and every template rewrites only its
// Head: beyond the longest Head, every template's frame must hold the bytes of frame. batch is the kernel's page batch
// (0: default 64). A signal to the calling thread ends the run early with an error wrapping unix.EINTR; the frames sent
// are visible in Sent either way.
func (g *Gen) RunLive(ifindex, rxQueue int, frame []byte, repeat, batch uint32) error {
	if repeat == 0 {
		return nil
	}
	var ctx [24]byte // struct xdp_md: data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex
	binary.NativeEndian.PutUint32(ctx[4:], uint32(len(frame)))
	binary.NativeEndian.PutUint32(ctx[12:], uint32(ifindex))
	binary.NativeEndian.PutUint32(ctx[16:], uint32(rxQueue))
	if _, err := progRun(g.objs.BenchGen.FD(), frame, ctx[:], repeat, unix.BPF_F_TEST_XDP_LIVE_FRAMES, batch); err != nil {
		return fmt.Errorf("run generator in live-frame mode on ifindex %d: %w", ifindex, err)
	}
	return nil
}

// ErrNotTransmitted is returned by RunOnce when the program did not ask to transmit the frame.
var ErrNotTransmitted = errors.New("generator program did not transmit")

// RunOnce runs the program once on frame without live frames (nothing is sent) and returns the frame it wrote.
// A template that redirects to a port needs that port set.
// The current CPU's limit must allow one more frame.
func (g *Gen) RunOnce(frame []byte) ([]byte, error) {
	opts := &ebpf.RunOptions{Data: frame, DataOut: make([]byte, len(frame)+256)}
	ret, err := g.objs.BenchGen.Run(opts)
	if err != nil {
		return nil, fmt.Errorf("test-run generator: %w", err)
	}
	if ret != 3 && ret != 4 { // XDP_TX, XDP_REDIRECT
		return nil, fmt.Errorf("%w: verdict %d", ErrNotTransmitted, ret)
	}
	return opts.DataOut, nil // as long as the program left it (a template's Trim)
}

// FromTemplate converts a frames.Template for the generator program; ts adds the transmit time to stamps.
func FromTemplate(t *frames.Template) GenTemplate {
	flags := uint32(TFVaryPort | TFVaryAddr | TFStamp | TFL4Csum)
	if t.Spec.Timestamp {
		flags |= TFTS
	}
	if t.L4Pseudo {
		flags |= TFL4Addr
	}
	if t.Spec.Proto == frames.UDP {
		flags |= TFUDP
	}
	if t.IPCsumOff != 0 {
		flags |= TFIPCsum
	}
	return GenTemplate{
		Head:      t.Head,
		Flags:     flags,
		PortOff:   uint16(t.PortOff),
		AddrOff:   uint16(t.AddrOff),
		L4CsumOff: uint16(t.L4CsumOff),
		IPCsumOff: uint16(t.IPCsumOff),
		StampOff:  uint16(t.StampOff),
		BasePort:  t.Spec.SrcPort,
		L4Base:    t.L4Base,
		IPBase:    t.IPBase,
		AddrBase:  t.AddrBase,
	}
}

// RawTemplate is a template that only restores the first bytes of frame (up to TemplateHead) and varies
// nothing: used to replay captured frames.
func RawTemplate(frame []byte) GenTemplate {
	n := min(len(frame), TemplateHead) &^ 3
	return GenTemplate{Head: frame[:n]}
}
