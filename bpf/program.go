package bpf

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"
)

// Mode is how the XDP program is attached to its interface.
type Mode int

const (
	// ModeAuto tries native (driver) mode first and falls back to generic (skb) mode. As a result of
	// AttachedMode it means "not attached".
	ModeAuto Mode = iota
	// ModeNative runs the program in the driver before any skb is allocated.
	ModeNative
	// ModeGeneric runs the program on skbs; works on every interface, slower.
	ModeGeneric
)

func (m Mode) String() string {
	switch m {
	case ModeAuto:
		return "auto"
	case ModeNative:
		return "native"
	case ModeGeneric:
		return "generic"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Options configure one Program.
type Options struct {
	// Ifindex is the interface the program is attached to, in the network namespace of the calling thread.
	// 0 loads an unattached program (BPF_PROG_RUN tests, benchmarks); Attach then fails.
	Ifindex int
	// Mode selects native, generic or auto (native first) attachment.
	Mode Mode
	// SteerVLAN makes the program look inside 802.1Q / 802.1ad tags (at most two) and steer tagged IP frames
	// like untagged ones. Off: every tagged frame goes to the kernel.
	SteerVLAN bool
	// MaxQueues is the number of XSKMAP slots (RX queue indexes 0..MaxQueues-1). 0 means 256.
	MaxQueues int
	// MaxPrefixes bounds each prefix set (IPv4 and IPv6) after aggregation. 0 means 1<<20.
	MaxPrefixes int
	// MaxLocalAddrs bounds each local address set (IPv4 and IPv6). 0 means 16384.
	MaxLocalAddrs int
}

const (
	defaultMaxQueues     = 256
	defaultMaxPrefixes   = 1 << 20
	defaultMaxLocalAddrs = 16384
)

func (o *Options) setDefaults() error {
	if o.Ifindex < 0 {
		return fmt.Errorf("load xdp program: invalid interface index %d", o.Ifindex)
	}
	if o.Mode < ModeAuto || o.Mode > ModeGeneric {
		return fmt.Errorf("load xdp program: invalid mode %d (want auto, native or generic)", int(o.Mode))
	}
	for _, f := range []struct {
		v    *int
		def  int
		name string
	}{{&o.MaxQueues, defaultMaxQueues, "MaxQueues"}, {&o.MaxPrefixes, defaultMaxPrefixes, "MaxPrefixes"},
		{&o.MaxLocalAddrs, defaultMaxLocalAddrs, "MaxLocalAddrs"}} {
		if *f.v < 0 || *f.v > 1<<24 {
			return fmt.Errorf("load xdp program: %s %d out of range 0..%d", f.name, *f.v, 1<<24)
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	return nil
}

// Program is the steering program of one interface and its maps. All methods are safe for concurrent use.
type Program struct {
	mu      sync.Mutex
	opts    Options
	ifname  string
	objs    steerObjects
	link    link.Link
	mode    Mode
	closed  bool
	enabled bool
	// The contents of the prefix and local address maps, as far as updates have succeeded.
	prefixes map[netip.Prefix]struct{}
	locals   map[netip.Addr]struct{}
}

var memlockOnce = sync.OnceValue(rlimit.RemoveMemlock)

// Load creates the maps and loads the program into the kernel, without attaching it. Steering starts enabled
// with empty prefix and local address sets, so nothing is redirected until SetPrefixes: set local addresses
// first.
func Load(o Options) (*Program, error) {
	if err := o.setDefaults(); err != nil {
		return nil, err
	}
	ifname := ""
	if o.Ifindex > 0 {
		ifi, err := net.InterfaceByIndex(o.Ifindex)
		if err != nil {
			return nil, fmt.Errorf("load xdp program: no interface with index %d in this network namespace: %w",
				o.Ifindex, err)
		}
		ifname = ifi.Name
	}
	if err := memlockOnce(); err != nil {
		if errors.Is(err, os.ErrPermission) {
			return nil, wrapErr("load xdp program", err)
		}
		return nil, &actionError{fmt.Sprintf("load xdp program: raise the locked-memory limit: %v "+
			"(run as root or with `ulimit -l unlimited`)", err), err}
	}
	spec, err := loadSteer()
	if err != nil {
		return nil, fmt.Errorf("load xdp program: parse embedded object: %w", err)
	}
	spec.Maps["xsks"].MaxEntries = uint32(o.MaxQueues)
	spec.Maps["prefixes4"].MaxEntries = uint32(o.MaxPrefixes)
	spec.Maps["prefixes6"].MaxEntries = uint32(o.MaxPrefixes)
	spec.Maps["local4"].MaxEntries = uint32(o.MaxLocalAddrs)
	spec.Maps["local6"].MaxEntries = uint32(o.MaxLocalAddrs)
	p := &Program{
		opts:     o,
		ifname:   ifname,
		prefixes: map[netip.Prefix]struct{}{},
		locals:   map[netip.Addr]struct{}{},
	}
	if err := spec.LoadAndAssign(&p.objs, nil); err != nil {
		return nil, wrapErr("load xdp program", err)
	}
	if err := p.writeConfig(true); err != nil {
		p.objs.Close()
		return nil, err
	}
	return p, nil
}

// Interface returns the name of the interface given by Options.Ifindex at Load ("" for none).
func (p *Program) Interface() string { return p.ifname }

// Attach attaches the program to the interface through a bpf_link that is not pinned: when the process exits,
// even by SIGKILL, the kernel detaches the program and traffic flows through the kernel as before (fail-open).
// Call it from a thread in the interface's network namespace.
func (p *Program) Attach() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("attach xdp: program is closed")
	}
	if p.link != nil {
		return fmt.Errorf("attach xdp to %s: already attached by this program", p.ifname)
	}
	if p.opts.Ifindex == 0 {
		return errors.New("attach xdp: no interface (Options.Ifindex is 0)")
	}
	try := func(m Mode) (link.Link, error) {
		flags := link.XDPDriverMode
		if m == ModeGeneric {
			flags = link.XDPGenericMode
		}
		l, err := link.AttachXDP(link.XDPOptions{Program: p.objs.XdpSteer, Interface: p.opts.Ifindex, Flags: flags})
		if err != nil {
			return nil, attachErr(p.ifname, m, err)
		}
		return l, nil
	}
	mode := p.opts.Mode
	if mode == ModeAuto {
		mode = ModeNative
	}
	l, err := try(mode)
	if err != nil && p.opts.Mode == ModeAuto && fallbackToGeneric(err) {
		mode = ModeGeneric
		var gerr error
		if l, gerr = try(ModeGeneric); gerr != nil {
			return fmt.Errorf("%w (native mode failed first: %v)", gerr, err)
		}
		err = nil
	}
	if err != nil {
		return err
	}
	p.link, p.mode = l, mode
	return nil
}

// AttachedMode returns ModeNative or ModeGeneric once attached, ModeAuto when not attached.
func (p *Program) AttachedMode() Mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.link == nil {
		return ModeAuto
	}
	return p.mode
}

// RegisterSocket makes fd (an AF_XDP socket) the destination of frames steered on RX queue `queue`.
func (p *Program) RegisterSocket(queue int, fd int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("register af_xdp socket: program is closed")
	}
	if queue < 0 || queue >= p.opts.MaxQueues {
		return fmt.Errorf("register af_xdp socket: queue %d out of range 0..%d (raise Options.MaxQueues)",
			queue, p.opts.MaxQueues-1)
	}
	if fd < 0 {
		return fmt.Errorf("register af_xdp socket for queue %d: invalid fd %d", queue, fd)
	}
	if err := p.objs.Xsks.Update(uint32(queue), uint32(fd), ebpf.UpdateAny); err != nil {
		return wrapErr(fmt.Sprintf("register af_xdp socket fd %d for queue %d (is it an AF_XDP socket?)", fd, queue), err)
	}
	return nil
}

// UnregisterSocket removes the socket of RX queue `queue`; its frames then go to the kernel. Removing an empty
// slot is not an error.
func (p *Program) UnregisterSocket(queue int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("unregister af_xdp socket: program is closed")
	}
	if queue < 0 || queue >= p.opts.MaxQueues {
		return fmt.Errorf("unregister af_xdp socket: queue %d out of range 0..%d", queue, p.opts.MaxQueues-1)
	}
	if err := p.objs.Xsks.Delete(uint32(queue)); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
		return wrapErr(fmt.Sprintf("unregister af_xdp socket of queue %d", queue), err)
	}
	return nil
}

// SetEnabled turns steering on or off. Off, every frame goes to the kernel (XDP_PASS); the daemon uses it
// while paused and as its fail-open switch.
func (p *Program) SetEnabled(on bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("set steering enabled: program is closed")
	}
	return p.writeConfig(on)
}

// SetSteerVLAN changes Options.SteerVLAN on a loaded program.
func (p *Program) SetSteerVLAN(on bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("set vlan steering: program is closed")
	}
	old := p.opts.SteerVLAN
	p.opts.SteerVLAN = on
	if err := p.writeConfig(p.enabled); err != nil {
		p.opts.SteerVLAN = old
		return err
	}
	return nil
}

// writeConfig stores the whole config value at once, so the program reads either the old or the new one.
func (p *Program) writeConfig(on bool) error {
	cfg := steerConfig{Enabled: b2u(on), SteerVlan: b2u(p.opts.SteerVLAN)}
	if err := p.objs.Config.Update(uint32(0), cfg, ebpf.UpdateAny); err != nil {
		return wrapErr("set steering config", err)
	}
	p.enabled = on
	return nil
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// Close detaches the program (closing its link) and releases the maps. It is idempotent.
func (p *Program) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	var errs []error
	if p.link != nil {
		if err := p.link.Close(); err != nil {
			errs = append(errs, wrapErr("detach xdp from "+p.ifname, err))
		}
		p.link = nil
	}
	if err := p.objs.Close(); err != nil {
		errs = append(errs, wrapErr("close xdp maps", err))
	}
	return errors.Join(errs...)
}

// Enabled reports the last value written by Load (true) or SetEnabled.
func (p *Program) Enabled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.enabled
}
