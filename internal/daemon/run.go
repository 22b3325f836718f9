package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/siit-project/siit/afxdp"
	"github.com/siit-project/siit/bpf"
	"github.com/siit-project/siit/internal/config"
	"github.com/siit-project/siit/internal/control"
	"github.com/siit-project/siit/internal/nexthop"
	"github.com/siit-project/siit/xlat"
	"github.com/siit-project/siit/xlat/eamt"
)

// iface is one attached interface.
type iface struct {
	name    string
	index   int
	mac     [6]byte
	queues  int
	prog    *bpf.Program
	sockets []*afxdp.Socket // by queue
	ports   []*port         // the workers' ports of this interface (one per queue)

	// The instance this interface's traffic is translated by (see
	// Daemon.instanceFor): its config and logging-debug, read by the
	// workers once per batch.
	cfg     atomic.Pointer[xlat.Config]
	debugOn atomic.Bool
	// serves names that instance ("" for none) and base holds the ports'
	// counters when it started serving it, so an instance's statistics start
	// from zero. Both are written by apply and read by stats readers.
	serves atomic.Pointer[string]
	base   atomic.Pointer[[xlat.NumCounters]uint64]
}

// Daemon is a running `siit run`.
type Daemon struct {
	opts   Options
	log    *zap.Logger
	cancel context.CancelFunc

	mirror  *nexthop.Mirror
	state   *control.State
	server  *control.Server
	slow    *slowPath
	ifaces  []*iface
	workers []*worker

	mu        sync.Mutex // serializes data-plane updates from snapshots
	unsubs    []func()
	served    map[string]func() // served instance -> removes its stats source (under mu)
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// startConfig is the configuration `siit run` was given, parsed and
// validated by preflight and applied by initialConfig once the data plane is
// up, so nothing is parsed or built twice.
type startConfig struct {
	files    []*config.Instance // -f FILE..., or none
	fileTabs []*eamt.Table      // their EAM tables, already built
	eams     []eamt.Entry       // --eamt entries
}

// preflight checks what `siit run` needs before touching anything, and
// parses and validates the configuration it was given.
func preflight(o Options, st *control.State) (startConfig, error) {
	var sc startConfig
	if os.Geteuid() != 0 {
		return sc, errors.New("must run as root (it needs CAP_NET_ADMIN, CAP_BPF and CAP_NET_RAW to attach XDP and open AF_XDP sockets)")
	}
	for _, n := range o.Interfaces {
		if _, err := net.InterfaceByName(n); err != nil {
			return sc, fmt.Errorf("interface %q not found (see `ip link`)", n)
		}
	}
	if err := checkCPUs(o.CPUs); err != nil {
		return sc, err
	}
	if len(o.ConfigFiles) > 0 {
		cs, tabs, err := st.BuildFiles(o.ConfigFiles)
		if err != nil {
			return sc, err
		}
		sc.files, sc.fileTabs = cs, tabs
	}
	// Validate flag-given configuration before anything is attached.
	if o.Pool6.IsValid() {
		if err := xlat.ValidatePool6(o.Pool6); err != nil {
			return sc, fmt.Errorf("--pool6: %w", err)
		}
	}
	for _, s := range o.EAMT {
		e, err := parseEAMFlag(s)
		if err != nil {
			return sc, err
		}
		sc.eams = append(sc.eams, e)
	}
	if _, err := eamt.New(sc.eams); err != nil {
		return sc, fmt.Errorf("--eamt: %w", err)
	}
	return sc, nil
}

// checkCPUs refuses a --cpus list with a CPU this process may not run on
// (offline, absent, or outside its cgroup or taskset): a worker could not be
// pinned there.
func checkCPUs(cpus []int) error {
	if len(cpus) == 0 {
		return nil
	}
	allowed, err := allowedCPUs()
	if err != nil {
		return fmt.Errorf("--cpus: cannot read the CPUs this process may use: %w", err)
	}
	for _, c := range cpus {
		if !slices.Contains(allowed, c) {
			list := make([]string, len(allowed))
			for i, a := range allowed {
				list[i] = strconv.Itoa(a)
			}
			return fmt.Errorf("--cpus: CPU %d is not one this process may run on (allowed: %s)", c, strings.Join(list, ","))
		}
	}
	return nil
}

// allowedCPUs lists the CPUs this process may run on, in increasing order.
func allowedCPUs() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, err
	}
	var out []int
	for c := 0; c < 1024 && len(out) < set.Count(); c++ {
		if set.IsSet(c) {
			out = append(out, c)
		}
	}
	return out, nil
}

func parseEAMFlag(s string) (eamt.Entry, error) {
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return eamt.Entry{}, fmt.Errorf("--eamt %q: want PREFIX6,PREFIX4 (example: 2001:db8::/120,192.0.2.0/24)", s)
	}
	e, err := parseEAM(a, b)
	if err != nil {
		return eamt.Entry{}, fmt.Errorf("--eamt %q: %w", s, err)
	}
	return e, nil
}

// rxQueues returns the number of RX queues of an interface.
func rxQueues(name string) int {
	m, _ := filepath.Glob(filepath.Join("/sys/class/net", name, "queues", "rx-*"))
	if len(m) == 0 {
		return 1
	}
	return len(m)
}

// Start brings the data plane up: next-hop mirror, control state and socket,
// XDP steering, AF_XDP sockets and workers. On error everything already set
// up is undone.
func Start(parent context.Context, o Options, log *zap.Logger) (d *Daemon, err error) {
	d = &Daemon{opts: o, log: log}
	d.state = control.NewState(control.Options{Prepare: d.prepare})
	sc, err := preflight(o, d.state)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(parent)
	d.cancel = cancel
	defer func() {
		if err != nil {
			d.Close()
			d = nil
		}
	}()

	d.mirror, err = nexthop.Start(ctx, nexthop.Options{Logger: log.Named("nexthop")})
	if err != nil {
		return d, fmt.Errorf("start next-hop mirror: %w", err)
	}
	d.slow, err = newSlowPath()
	if err != nil {
		return d, err
	}
	for _, name := range o.Interfaces {
		nif, _ := net.InterfaceByName(name)
		ifc := &iface{name: name, index: nif.Index, queues: rxQueues(name)}
		copy(ifc.mac[:], nif.HardwareAddr)
		if o.Queues > 0 && o.Queues < ifc.queues {
			ifc.queues = o.Queues
		}
		d.ifaces = append(d.ifaces, ifc)
	}
	if err := d.attach(); err != nil {
		return d, err
	}
	if err := d.startWorkers(); err != nil {
		return d, err
	}
	// The data plane follows every published configuration.
	d.unsubs = append(d.unsubs, d.state.Subscribe(d.apply))
	if err := d.initialConfig(sc); err != nil {
		return d, err
	}
	d.apply(d.state.Snapshot())
	d.server, err = control.Start(d.state, control.ServerOptions{Path: o.Socket, Logger: log.Named("control")})
	if err != nil {
		return d, fmt.Errorf("start control socket: %w", err)
	}
	d.wg.Add(1)
	go func() { defer d.wg.Done(); d.slow.run(ctx) }()
	d.wg.Add(1)
	go func() { defer d.wg.Done(); d.followMirror(ctx) }()
	d.wg.Add(1)
	go func() { defer d.wg.Done(); d.logDebug(ctx) }()
	return d, nil
}

func xdpMode(s string) bpf.Mode {
	switch s {
	case "native":
		return bpf.ModeNative
	case "generic":
		return bpf.ModeGeneric
	}
	return bpf.ModeAuto
}

func bindMode(s string) afxdp.Mode {
	switch s {
	case "zerocopy":
		return afxdp.ModeZeroCopy
	case "copy":
		return afxdp.ModeCopy
	}
	return afxdp.ModeAuto
}

// attach loads and attaches the steering program (disabled until a
// configuration enables it) and opens one AF_XDP socket per queue. With
// --shared-umem, the sockets of one queue index on all interfaces share the
// first interface's UMEM, so a frame leaves by another interface without a
// copy (the zero-copy NIC setup); by default each socket has its own UMEM
// and a frame changing interface is copied once, which measured slightly
// cheaper per packet on veth (copy mode), where the kernel copies anyway.
func (d *Daemon) attach() error {
	var owners []*afxdp.Socket // by queue, for --shared-umem
	for _, ifc := range d.ifaces {
		p, err := bpf.Load(bpf.Options{Ifindex: ifc.index, Mode: xdpMode(d.opts.XDPMode)})
		if err != nil {
			return err
		}
		ifc.prog = p
		if err := p.SetEnabled(false); err != nil {
			return err
		}
		if err := p.Attach(); err != nil {
			return err
		}
		d.log.Info("xdp attached", zap.String("iface", ifc.name), zap.Stringer("mode", p.AttachedMode()), zap.Int("queues", ifc.queues))
		for q := 0; q < ifc.queues; q++ {
			ao := afxdp.DefaultOpts()
			ao.Mode = bindMode(d.opts.BindMode)
			ao.FrameSize = uint32(d.opts.FrameSize)
			ao.FrameCount = uint32(d.opts.Frames)
			if d.opts.SharedUmem {
				// One UMEM feeds every interface's fill ring for this queue.
				ao.FrameCount *= uint32(len(d.ifaces))
			}
			ring := uint32(d.opts.Frames / 2)
			ao.FillSize, ao.CompletionSize, ao.RxSize, ao.TxSize = ring, ring, ring, ring
			if ao.TxSkbBudget > ring {
				ao.TxSkbBudget = ring
			}
			if d.opts.BusyPoll {
				ao.BusyPollUsec = 20
			}
			var s *afxdp.Socket
			var err error
			if d.opts.SharedUmem && q < len(owners) {
				s, err = afxdp.OpenShared(ifc.name, uint32(q), owners[q], ao)
			} else {
				s, err = afxdp.Open(ifc.name, uint32(q), ao)
				if err == nil && q == len(owners) {
					owners = append(owners, s)
				}
			}
			if err != nil {
				return err
			}
			ifc.sockets = append(ifc.sockets, s)
			if err := p.RegisterSocket(q, s.Fd()); err != nil {
				return err
			}
			d.log.Info("af_xdp socket bound", zap.String("iface", ifc.name), zap.Int("queue", q), zap.Stringer("mode", s.Mode()))
		}
	}
	return nil
}

// cpuList returns the CPUs workers are spread over.
func (d *Daemon) cpuList() []int {
	if len(d.opts.CPUs) > 0 {
		return d.opts.CPUs
	}
	out, _ := allowedCPUs() // unreadable: nil, workers unpinned
	return out
}

// startWorkers creates one worker per CPU it may use, up to one per queue
// index, and gives each worker every socket of its queue indices (all
// interfaces): queue q goes to worker q mod nworkers. A worker is the only
// goroutine touching its sockets, so nothing is shared on the data path, and
// no two busy workers ever share a CPU (two busy-polling threads on one core
// collapse).
func (d *Daemon) startWorkers() error {
	maxQ := 0
	for _, ifc := range d.ifaces {
		maxQ = max(maxQ, ifc.queues)
	}
	cpus := d.cpuList()
	if len(cpus) > 1 && len(d.opts.CPUs) == 0 {
		// Not told where to run: leave CPU 0, where softirqs usually land,
		// to the kernel.
		cpus = cpus[1:]
	}
	nw := maxQ
	if len(cpus) > 0 {
		nw = min(maxQ, len(cpus))
	}
	for i := range nw {
		lane, err := d.slow.addLane()
		if err != nil {
			return err
		}
		w := &worker{
			id: i, cpu: -1,
			fwdOnly: d.opts.ForwardOnly, busyPoll: d.opts.BusyPoll, batch: d.opts.Batch,
			out:    xlat.NewOutput(64, 2048, 128),
			mirror: d.mirror, lane: lane, done: make(chan struct{}),
			debug: newDebugRing(),
		}
		if len(cpus) > 0 {
			w.cpu = cpus[i]
		}
		d.workers = append(d.workers, w)
	}
	for q := range maxQ {
		w := d.workers[q%nw]
		w.queues = append(w.queues, uint32(q))
		for _, ifc := range d.ifaces {
			if q >= len(ifc.sockets) {
				continue
			}
			s := ifc.sockets[q]
			// Each port counts into its own Stats: the instance serving
			// its interface sums them (see countersOf).
			stats := new(xlat.Stats)
			p := &port{
				sock: s, umem: s.Umem(), name: ifc.name, ifindex: int32(ifc.index), mac: ifc.mac, queue: uint32(q),
				tx:  make([]afxdp.Desc, 0, 4*d.opts.Batch+64),
				cfg: &ifc.cfg, debugOn: &ifc.debugOn, tr: xlat.NewTranslator(stats), stats: stats,
			}
			p.tr.MTU = &w.hops
			w.ports = append(w.ports, p)
			ifc.ports = append(ifc.ports, p)
			w.pollFds = append(w.pollFds, unix.PollFd{Fd: int32(s.Fd()), Events: unix.POLLIN})
		}
	}
	if err := d.linkWorkers(nw); err != nil {
		return err
	}
	for _, w := range d.workers {
		w.pinned = make(chan error, 1)
		go w.run()
		if err := <-w.pinned; err != nil {
			d.log.Warn("worker could not be pinned to its CPU; it runs wherever the scheduler puts it",
				zap.Int("worker", w.id), zap.Int("cpu", w.cpu), zap.Error(err))
		}
		d.log.Info("worker started", zap.Int("worker", w.id), zap.Int("cpu", w.cpu),
			zap.Any("queues", w.queues), zap.Int("sockets", len(w.ports)))
	}
	return nil
}

// linkWorkers gives each worker a lane to another worker for every attached
// interface it has no socket on. That happens when interfaces have different
// queue counts: the worker of queue 3 of an 8-queue interface owns no socket
// of a 2-queue one. Its packets for that interface go to the worker owning
// the queue 3 mod 2 socket, which transmits them, instead of through the
// kernel.
func (d *Daemon) linkWorkers(nw int) error {
	for _, w := range d.workers {
		for _, ifc := range d.ifaces {
			if slices.ContainsFunc(w.ports, func(p *port) bool { return p.ifindex == int32(ifc.index) }) || ifc.queues == 0 {
				continue
			}
			target := d.workers[int(w.queues[0])%ifc.queues%nw]
			lane, err := newSlowLane()
			if err != nil {
				return err
			}
			w.xfer = append(w.xfer, xferRoute{ifindex: int32(ifc.index), lane: lane})
			target.inbound = append(target.inbound, lane)
			d.log.Info("worker hands frames to another worker", zap.Int("worker", w.id), zap.Int("to", target.id),
				zap.String("iface", ifc.name))
		}
	}
	for _, w := range d.workers {
		w.inBatch = make([]slowPkt, 64)
	}
	return nil
}

// initialConfig applies the -f file or the flag-given configuration that
// preflight parsed.
func (d *Daemon) initialConfig(sc startConfig) error {
	o := d.opts
	if len(sc.files) > 0 {
		if err := d.state.ApplyBuiltAll(sc.files, sc.fileTabs); err != nil {
			return fmt.Errorf("configuration files %s: %w", strings.Join(o.ConfigFiles, " "), err)
		}
		d.log.Info("configuration loaded", zap.Strings("files", o.ConfigFiles))
		return nil
	}
	if !o.Pool6.IsValid() && len(o.EAMT) == 0 {
		d.log.Info("no configuration given: nothing is translated until an instance exists (e.g. `siit instance add --pool6 64:ff9b::/96`)")
		return nil
	}
	if err := d.state.AddInstance(o.Instance, config.Netfilter, o.Pool6); err != nil {
		return fmt.Errorf("create instance %q: %w", o.Instance, err)
	}
	for i, e := range sc.eams {
		if err := d.state.AddEAM(o.Instance, e, false); err != nil {
			return fmt.Errorf("--eamt %q: %w", o.EAMT[i], err)
		}
	}
	return nil
}

// parseEAM parses the two prefixes of an EAMT entry, in either order, with
// the CLI's prefix syntax (a bare address is a /32 or /128).
func parseEAM(a, b string) (eamt.Entry, error) {
	pa, err := parseEAMSide(a)
	if err != nil {
		return eamt.Entry{}, err
	}
	pb, err := parseEAMSide(b)
	if err != nil {
		return eamt.Entry{}, err
	}
	if pa.Addr().Is4() {
		pa, pb = pb, pa
	}
	if !pa.Addr().Is6() || !pb.Addr().Is4() {
		return eamt.Entry{}, errors.New("an EAMT entry needs one IPv6 and one IPv4 prefix")
	}
	return eamt.Entry{Prefix6: pa, Prefix4: pb}, nil
}

func parseEAMSide(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, ":") {
		return config.ParsePrefix6(s)
	}
	return config.ParsePrefix4(s)
}

// Reload re-reads the -f files and applies them atomically, all together;
// on error the running configuration stays.
func (d *Daemon) Reload() error {
	switch len(d.opts.ConfigFiles) {
	case 0:
		return errors.New("reload: siit run was started without -f FILE; nothing to reload")
	case 1:
		if err := d.state.LoadFile(d.opts.ConfigFiles[0], "", false); err != nil {
			return err // names the file and the problem
		}
	default:
		if err := d.state.LoadFiles(d.opts.ConfigFiles); err != nil {
			return err
		}
	}
	d.log.Info("configuration loaded", zap.Strings("files", d.opts.ConfigFiles))
	return nil
}

// selfAddrs picks the translator's own addresses (ICMP error sources when the
// RFC 6791 pools are unset): the first global unicast address of each family
// on the attached interfaces.
func (d *Daemon) selfAddrs() (v4, v6 netip.Addr) {
	for _, ifc := range d.ifaces {
		nif, err := net.InterfaceByIndex(ifc.index)
		if err != nil {
			continue
		}
		addrs, _ := nif.Addrs()
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ad, ok := netip.AddrFromSlice(ipn.IP)
			if !ok {
				continue
			}
			ad = ad.Unmap()
			if !ad.IsGlobalUnicast() && !ad.IsPrivate() {
				continue
			}
			if ad.Is4() && !v4.IsValid() {
				v4 = ad
			}
			if ad.Is6() && !v6.IsValid() {
				v6 = ad
			}
		}
	}
	return v4, v6
}

// prepare builds the data-plane form of an instance; an error rejects the
// change before it is published (so the CLI reports exactly what the data
// plane would refuse).
func (d *Daemon) prepare(in *control.Instance) (any, error) {
	v4, v6 := d.selfAddrs()
	return xlat.NewConfig(xlat.Params{
		Globals: in.Globals, EAMT: in.EAMT, Denylist4: in.Denylist4, SelfV4: v4, SelfV6: v6,
	})
}

// instanceFor picks the instance that translates what arrives on ifc: the
// one --serve names for it (none while that instance does not exist), else
// the default: --instance if it exists, else the first instance that --serve
// does not name. (Jool selects iptables instances by rules such as `-i eth0`;
// siit selects them by interface.)
func (d *Daemon) instanceFor(s *control.Snapshot, ifc *iface) *control.Instance {
	if name, ok := d.opts.Serve[ifc.name]; ok {
		return s.Instance(name)
	}
	if in := s.Instance(d.opts.Instance); in != nil {
		return in
	}
	for _, in := range s.Instances() {
		if !d.namedByServe(in.Name) {
			return in
		}
	}
	return nil
}

func (d *Daemon) namedByServe(name string) bool {
	for _, n := range d.opts.Serve {
		if n == name {
			return true
		}
	}
	return false
}

// apply publishes a snapshot to the data plane, interface by interface: the
// host's local addresses, then the steering prefix sets of the interface's
// instance (the loader adds new prefixes before it deletes stale ones, so a
// kept prefix is never missed), then the translator config (one atomic
// store) and the enabled flag.
func (d *Daemon) apply(s *control.Snapshot) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.setLocal() // before the prefixes, so the host's own addresses are never steered
	type steer struct{ v4, v6 []netip.Prefix }
	sets := map[*control.Instance]steer{} // computed once per instance
	served := map[string]bool{}
	for _, ifc := range d.ifaces {
		in := d.instanceFor(s, ifc)
		var cfg *xlat.Config
		name := ""
		if in != nil {
			cfg, _ = in.Data.(*xlat.Config)
			name = in.Name
			served[name] = true
		}
		st, ok := sets[in]
		if !ok {
			st.v4, st.v6 = steerPrefixes(in)
			sets[in] = st
		}
		if err := ifc.prog.SetPrefixes(st.v4, st.v6); err != nil {
			d.log.Error("update steering prefixes", zap.String("iface", ifc.name), zap.Error(err))
		}
		if old := ifc.serves.Load(); old == nil || *old != name {
			// A new instance here: its counters start from now.
			base := ifc.sum()
			ifc.base.Store(&base)
			ifc.serves.Store(&name)
		}
		ifc.cfg.Store(cfg)
		ifc.debugOn.Store(in != nil && in.Globals.LoggingDebug)
		enabled := cfg != nil && in.Globals.ManuallyEnabled
		if err := ifc.prog.SetEnabled(enabled || (d.opts.ForwardOnly && in != nil)); err != nil {
			d.log.Error("enable steering", zap.String("iface", ifc.name), zap.Error(err))
		}
		d.log.Info("configuration applied", zap.String("iface", ifc.name), zap.String("instance", name),
			zap.Bool("enabled", enabled), zap.Int("steer4", len(st.v4)), zap.Int("steer6", len(st.v6)),
			zap.Uint64("generation", s.Generation))
	}
	d.registerStats(served)
}

// steerPrefixes computes the destinations the XDP program must redirect:
// IPv6 to pool6 and the EAMT IPv6 prefixes; IPv4 to the EAMT IPv4 prefixes
// and, when pool6 is set, every IPv4 destination (pool6 makes the whole IPv4
// space translatable; the host's own addresses are passed by the program).
func steerPrefixes(in *control.Instance) (v4, v6 []netip.Prefix) {
	if in == nil {
		return nil, nil
	}
	v4, v6 = make([]netip.Prefix, 0, 1), make([]netip.Prefix, 0, 1)
	max := maxSteerPrefixes
	if in.Globals.Pool6.IsValid() {
		v6 = append(v6, in.Globals.Pool6)
		v4 = append(v4, netip.MustParsePrefix("0.0.0.0/0"))
		max-- // room for them
	}
	// One family per core: with a large table, each scans it a few times.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		v4 = append(v4, steerSet4(in.EAMT, max)...)
	}()
	v6 = append(v6, steerSet6(in.EAMT, max)...)
	wg.Wait()
	return v4, v6
}

// setLocal keeps the programs' local-address sets equal to the host's.
func (d *Daemon) setLocal() {
	addrs := d.mirror.Table().LocalAddrs()
	for _, ifc := range d.ifaces {
		if err := ifc.prog.SetLocalAddrs(addrs); err != nil {
			d.log.Error("update local addresses", zap.String("iface", ifc.name), zap.Error(err))
		}
	}
}

// followMirror refreshes what depends on the host's addresses when they
// change.
func (d *Daemon) followMirror(ctx context.Context) {
	var last []netip.Addr
	var rules []string
	unfollowed := 0
	for {
		if r := d.mirror.Table().PolicyRules(); !slices.Equal(r, rules) {
			rules = r
			d.logRules(r)
		}
		if n := d.mirror.Table().UnfollowedRoutes(); n != unfollowed {
			unfollowed = n
			if n > 0 {
				d.log.Warn("routes not followed: IPv6 destinations with source-specific (from) routes are skipped, "+
					"as the kernel skips them for other sources, and TOS routes no packet can match are ignored",
					zap.Int("routes", n))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-d.mirror.Updates():
		}
		cur := d.mirror.Table().LocalAddrs()
		if slices.Equal(cur, last) {
			continue
		}
		last = cur
		d.mu.Lock()
		d.setLocal()
		d.mu.Unlock()
	}
}

// logRules says by which policy routing rules translated packets are
// routed, when they are not the kernel's defaults (see nexthop.PolicyRules).
func (d *Daemon) logRules(rules []string) {
	if len(rules) == 0 {
		d.log.Info("policy routing: the kernel's default rules (local, then main table)")
		return
	}
	d.log.Info("policy routing: translated packets follow these rules, as the kernel's output route lookup would "+
		"(iif lo, no firewall mark)", zap.Strings("rules", rules))
}

// registerStats makes `stats display` of each served instance sum the
// counters of the interfaces serving it; an instance no longer served keeps
// no stats source (Jool's counters of an instance start at zero).
func (d *Daemon) registerStats(served map[string]bool) {
	if d.served == nil {
		d.served = map[string]func(){}
	}
	for name, unregister := range d.served {
		if !served[name] {
			unregister()
			delete(d.served, name)
		}
	}
	for name := range served {
		if _, ok := d.served[name]; !ok {
			d.served[name] = d.state.RegisterStats(name, control.StatsFunc(func() [xlat.NumCounters]uint64 {
				return d.countersOf(name)
			}))
		}
	}
}

// sum adds up the JSTAT counters of the interface's ports.
func (ifc *iface) sum() [xlat.NumCounters]uint64 {
	var sum, one [xlat.NumCounters]uint64
	for _, p := range ifc.ports {
		p.stats.Snapshot(&one)
		for i := range sum {
			sum[i] += one[i]
		}
	}
	return sum
}

// countersOf sums the JSTAT counters of the interfaces serving instance
// name, since each started serving it.
func (d *Daemon) countersOf(name string) [xlat.NumCounters]uint64 {
	var sum [xlat.NumCounters]uint64
	for _, ifc := range d.ifaces {
		if p := ifc.serves.Load(); p == nil || *p != name {
			continue
		}
		cur, base := ifc.sum(), ifc.base.Load()
		for i := range sum {
			if base != nil && cur[i] >= base[i] {
				cur[i] -= base[i]
			}
			sum[i] += cur[i]
		}
	}
	return sum
}

// counters sums the JSTAT counters of every port, whatever instance served
// it.
func (d *Daemon) counters() [xlat.NumCounters]uint64 {
	var sum [xlat.NumCounters]uint64
	for _, ifc := range d.ifaces {
		one := ifc.sum()
		for i := range sum {
			sum[i] += one[i]
		}
	}
	return sum
}

// Close detaches everything; it is safe to call more than once and on a
// partly started daemon.
func (d *Daemon) Close() {
	d.closeOnce.Do(func() {
		for _, u := range d.unsubs {
			u()
		}
		// Fail open first: frames go to the kernel from now on.
		for _, ifc := range d.ifaces {
			if ifc.prog != nil {
				_ = ifc.prog.SetEnabled(false)
			}
		}
		for _, w := range d.workers {
			w.stop.Store(true)
		}
		for _, w := range d.workers {
			<-w.done
		}
		if d.server != nil {
			_ = d.server.Close()
		}
		d.cancel()
		d.wg.Wait()
		for _, ifc := range d.ifaces {
			if ifc.prog != nil {
				_ = ifc.prog.Close()
			}
			for _, s := range ifc.sockets {
				_ = s.Close()
			}
		}
		if d.slow != nil {
			d.slow.close()
		}
		if d.mirror != nil {
			_ = d.mirror.Close()
		}
	})
}
