package lab

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/siit-project/siit/bench/netns"
	"github.com/siit-project/siit/bench/xdpprog"
)

// Interface names inside the namespaces.
const (
	IfA  = "a0"
	IfD6 = "d6"
	IfD4 = "d4"
	IfB  = "b0"
)

// Addresses of the lab.
const (
	Pool6   = "2001:db8:64::/96"
	GwA6    = "2001:db8:a::1"
	GwA4    = "198.51.100.130"
	GwB6    = "2001:db8:b::1"
	GwB4    = "198.51.100.2"
	addrD6  = "2001:db8:a::ff/64"
	addrD64 = "198.51.100.129/25"
	addrD4  = "198.51.100.1/25"
	addrD46 = "2001:db8:b::ff/64"
)

// Port is one veth end of the lab.
type Port struct {
	NS    *netns.NS
	Name  string
	Index int
	MAC   net.HardwareAddr
	sink  *xdpprog.Sink
}

// Lab is a built topology.
type Lab struct {
	Tag              string
	Queues           int
	Sink             xdpprog.SinkMode // how the far ends (PA, PB) count what the DUT forwards
	A, DUT, B        *netns.NS
	PA, PD6, PD4, PB *Port
	Traffic          Traffic // the addresses trials send (DefaultTraffic unless changed before NewRunner)
	external         bool    // built by External: the namespaces are the user's
	oneArmed         bool    // External with one port: PB is PA
}

// Setup builds the lab with veths of the given number of queues and sinks of the given mode on the far ends.
// tag must be short (it names namespaces).
func Setup(tag string, queues int, sink xdpprog.SinkMode) (l *Lab, err error) {
	if queues < 1 {
		queues = 1
	}
	l = &Lab{Tag: tag, Queues: queues, Sink: sink, Traffic: DefaultTraffic()}
	// The error returns below set l to nil before this runs: close what was built through its own copy.
	built := l
	defer func() {
		if err != nil {
			built.Close()
			l = nil
		}
	}()
	for _, p := range []struct {
		dst **netns.NS
		sfx string
	}{{&l.A, "a"}, {&l.DUT, "dut"}, {&l.B, "b"}} {
		if *p.dst, err = netns.Create(tag + "-" + p.sfx); err != nil {
			return nil, err
		}
	}
	q := strconv.Itoa(queues)
	for _, pair := range [][4]string{{IfA, l.A.Name, IfD6, l.DUT.Name}, {IfB, l.B.Name, IfD4, l.DUT.Name}} {
		if _, err = l.A.Exec("ip", "link", "add", pair[0], "netns", pair[1], "numtxqueues", q, "numrxqueues", q,
			"type", "veth", "peer", "name", pair[2], "netns", pair[3], "numtxqueues", q, "numrxqueues", q); err != nil {
			return nil, fmt.Errorf("create lab veth %s-%s: %w", pair[0], pair[2], err)
		}
	}
	for _, ns := range []*netns.NS{l.A, l.B} {
		if _, err = ns.Exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"); err != nil {
			return nil, err
		}
	}
	cmds := [][]string{
		{"sysctl", "-qw", "net.ipv6.conf.all.forwarding=1", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.accept_dad=0",
			"net.ipv6.conf.default.accept_dad=0"},
		{"ip", "addr", "add", addrD6, "dev", IfD6, "nodad"},
		{"ip", "addr", "add", addrD64, "dev", IfD6},
		{"ip", "addr", "add", addrD4, "dev", IfD4},
		{"ip", "addr", "add", addrD46, "dev", IfD4, "nodad"},
		{"ethtool", "-K", IfD6, "gro", "on"},
		{"ethtool", "-K", IfD4, "gro", "on"},
		{"ip", "link", "set", IfD6, "up"},
		{"ip", "link", "set", IfD4, "up"},
	}
	for _, c := range cmds {
		if _, err = l.DUT.Exec(c...); err != nil {
			return nil, err
		}
	}
	for _, p := range []struct {
		ns   *netns.NS
		name string
	}{{l.A, IfA}, {l.B, IfB}} {
		if _, err = p.ns.Exec("ip", "link", "set", p.name, "up"); err != nil {
			return nil, err
		}
		// A tc sink needs GRO on: without it (or an XDP program) a veth drops the frames its peer
		// redirects with XDP. Only a change made while the veth is up tells the peer (the DUT's port)
		// that it may now redirect to it.
		if sink == xdpprog.SinkTC {
			if _, err = p.ns.Exec("ethtool", "-K", p.name, "gro", "on"); err != nil {
				return nil, err
			}
		}
	}
	if l.PA, err = l.port(l.A, IfA); err != nil {
		return nil, err
	}
	if l.PB, err = l.port(l.B, IfB); err != nil {
		return nil, err
	}
	if l.PD6, err = l.port(l.DUT, IfD6); err != nil {
		return nil, err
	}
	if l.PD4, err = l.port(l.DUT, IfD4); err != nil {
		return nil, err
	}
	neigh := [][]string{
		{"ip", "neigh", "replace", GwA6, "lladdr", l.PA.MAC.String(), "dev", IfD6, "nud", "permanent"},
		{"ip", "neigh", "replace", GwA4, "lladdr", l.PA.MAC.String(), "dev", IfD6, "nud", "permanent"},
		{"ip", "neigh", "replace", GwB4, "lladdr", l.PB.MAC.String(), "dev", IfD4, "nud", "permanent"},
		{"ip", "neigh", "replace", GwB6, "lladdr", l.PB.MAC.String(), "dev", IfD4, "nud", "permanent"},
	}
	for _, c := range neigh {
		if _, err = l.DUT.Exec(c...); err != nil {
			return nil, err
		}
	}
	// Sinks on both ends, for the whole life of the lab.
	for _, p := range []*Port{l.PA, l.PB} {
		if err = l.attachSink(p); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (l *Lab) port(ns *netns.NS, name string) (*Port, error) {
	p := &Port{NS: ns, Name: name}
	err := ns.Do(func() error {
		ifc, err := net.InterfaceByName(name)
		if err != nil {
			return fmt.Errorf("look up interface %s in netns %s: %w", name, ns, err)
		}
		p.Index, p.MAC = ifc.Index, ifc.HardwareAddr
		return nil
	})
	return p, err
}

func (l *Lab) attachSink(p *Port) error {
	s, err := xdpprog.LoadSink()
	if err != nil {
		return err
	}
	if err := p.NS.Do(func() error { return s.AttachMode(p.Index, l.Sink) }); err != nil {
		s.Close()
		return err
	}
	p.sink = s
	return nil
}

// Close removes the namespaces (and with them veths and routes) and detaches the sinks.
func (l *Lab) Close() error {
	var errs []error
	for _, p := range []*Port{l.PA, l.PB, l.PD6, l.PD4} {
		if p != nil && p.sink != nil {
			errs = append(errs, p.sink.Close())
			p.sink = nil
		}
	}
	if l.external {
		return errors.Join(errs...)
	}
	for _, ns := range []*netns.NS{l.A, l.DUT, l.B} {
		if ns != nil {
			errs = append(errs, ns.Close())
		}
	}
	return errors.Join(errs...)
}

// ExternalPort is a tester port cabled to a device under test that the lab does not build (another machine, or
// namespaces set up by hand): the interface, its namespace (nil: the current one) and the MAC address of the
// DUT port at the other end of the cable.
type ExternalPort struct {
	NS     *netns.NS
	Name   string
	DUTMAC net.HardwareAddr
}

// External makes a Lab of two tester ports facing an external DUT, so that Runner trials (and the searches
// built on them) run through it: leg A leaves a towards a.DUTMAC and is counted at b, leg B the reverse. It
// attaches sinks of the given mode to both ports until Close, which leaves the namespaces and interfaces alone.
// Set Traffic to the DUT's addresses before NewRunner.
//
// a and b may be the same port, for a one-armed DUT (both families on one link): the frames a leg sends come
// back translated (or forwarded) through the port they left by, and its one sink counts them; PB is PA. With
// both legs, that sink counts them together and checks each frame's family only when it samples it (against
// the leg its stamp names), not every frame as with two ports.
func External(a, b ExternalPort, sink xdpprog.SinkMode) (l *Lab, err error) {
	oneArmed := a.NS.String() == b.NS.String() && a.Name == b.Name
	if oneArmed && !slices.Equal(a.DUTMAC, b.DUTMAC) {
		return nil, fmt.Errorf("external DUT: one port %s (one-armed) but two DUT MACs %s and %s", a.Name, a.DUTMAC,
			b.DUTMAC)
	}
	for _, p := range []ExternalPort{a, b} {
		if len(p.DUTMAC) != 6 {
			return nil, fmt.Errorf("external DUT: the DUT MAC behind %s must be a 6-byte Ethernet address", p.Name)
		}
	}
	l = &Lab{Tag: "external", Queues: 1, Sink: sink, A: a.NS, B: b.NS, Traffic: DefaultTraffic(), external: true,
		oneArmed: oneArmed}
	defer func() {
		if err != nil {
			l.Close()
			l = nil
		}
	}()
	if l.PA, err = l.port(a.NS, a.Name); err != nil {
		return nil, err
	}
	l.PB = l.PA
	if !oneArmed {
		if l.PB, err = l.port(b.NS, b.Name); err != nil {
			return nil, err
		}
	}
	l.PD6 = &Port{Name: "DUT port facing " + a.Name, MAC: a.DUTMAC}
	l.PD4 = &Port{Name: "DUT port facing " + b.Name, MAC: b.DUTMAC}
	ports := []*Port{l.PA, l.PB}
	if oneArmed {
		ports = ports[:1]
	}
	for _, p := range ports {
		if err = l.attachSink(p); err != nil {
			return nil, fmt.Errorf("attach a sink to %s: %w", p.Name, err)
		}
	}
	return l, nil
}

// XDPAttached reports whether an XDP program is attached to the DUT interface name.
func (l *Lab) XDPAttached(name string) bool {
	out, err := l.DUT.Exec("ip", "-d", "link", "show", "dev", name)
	return err == nil && strings.Contains(string(out), "prog/xdp")
}
