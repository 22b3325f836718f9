package bpf

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// attachIn loads a program for dev in ns, applies setup, attaches it and closes it at cleanup.
func attachIn(t *testing.T, ns, dev string, mode Mode, setup func(*Program) error) (*Program, error) {
	t.Helper()
	var p *Program
	err := inNetns(t, ns, func() error {
		ifi, err := net.InterfaceByName(dev)
		if err != nil {
			return err
		}
		if p, err = Load(Options{Ifindex: ifi.Index, Mode: mode}); err != nil {
			return err
		}
		t.Cleanup(func() { p.Close() })
		if setup != nil {
			if err := setup(p); err != nil {
				return err
			}
		}
		return p.Attach()
	})
	return p, err
}

func steerLab(p *Program) error {
	if err := p.SetLocalAddrs([]netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8:1::1")}); err != nil {
		return err
	}
	// The local subnets are inside the prefixes on purpose: the host's own addresses must still pass.
	return p.SetPrefixes(
		[]netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24")},
		[]netip.Prefix{netip.MustParsePrefix("2001:db8:1::/64"), netip.MustParsePrefix("64:ff9b::/96")})
}

// sendUDP sends one datagram from ns to dst (port 9, discard).
func sendUDP(t *testing.T, ns, dst string) {
	t.Helper()
	err := inNetns(t, ns, func() error {
		c, err := net.Dial("udp", net.JoinHostPort(dst, "9"))
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte("siit steering test"))
		return err
	})
	if err != nil {
		t.Fatalf("send udp to %s from %s: %v", dst, ns, err)
	}
}

// waitStat polls the program's counters until pick(stats) >= want.
func waitStat(t *testing.T, p *Program, what string, want uint64, pick func(Stats) uint64) {
	t.Helper()
	var last Stats
	if !waitFor(10*time.Second, func() bool {
		s, err := p.Stats()
		last = s
		return err == nil && pick(s) >= want
	}) {
		t.Fatalf("%s: counter stayed below %d: %+v", what, want, last)
	}
}

// TestAttachVeth attaches in native mode to a veth and checks the live data path: the host stays reachable
// (ARP, ND, local addresses inside prefixes), traffic to prefixes is steered (counted as no-socket without a
// socket, redirected with one), and Close detaches.
func TestAttachVeth(t *testing.T) {
	a, b := vethPair(t)
	p, err := attachIn(t, a, "st0", ModeAuto, steerLab)
	if err != nil {
		t.Fatal(err)
	}
	if m := p.AttachedMode(); m != ModeNative {
		t.Errorf("veth attached in %v mode, want native", m)
	}
	if on, mode := xdpState(t, a, "st0"); !on || mode != 1 {
		t.Fatalf("kernel reports attached=%v mode=%d, want driver mode", on, mode)
	}
	if err := p.Attach(); err == nil {
		t.Error("second Attach of the same program succeeded")
	}
	if !ping(t, b, "192.0.2.1") || !ping(t, b, "2001:db8:1::1") {
		t.Fatal("host unreachable through the steering program")
	}
	s, _ := p.Stats()
	if s.PassedLocal == 0 || s.PassedNonIP == 0 || s.PassedNDP+s.PassedSpecial == 0 || s.RedirectFailed() != 0 {
		t.Errorf("after pings: %+v; want local, ARP and ND passes and nothing steered", s)
	}

	sendUDP(t, b, "198.51.100.7")
	waitStat(t, p, "IPv4 to a prefix, no socket", 1, func(s Stats) uint64 { return s.NoSocket4 })
	sendUDP(t, b, "64:ff9b::c633:6407")
	waitStat(t, p, "IPv6 to a prefix, no socket", 1, func(s Stats) uint64 { return s.NoSocket6 })

	// An AF_XDP socket registered for queue 0 (unbound, so the kernel drops what reaches it) makes the
	// redirect real.
	if err := p.RegisterSocket(0, xskSocket(t)); err != nil {
		t.Fatal(err)
	}
	sendUDP(t, b, "198.51.100.7")
	waitStat(t, p, "IPv4 to a prefix, socket", 1, func(s Stats) uint64 { return s.Redirected4 })
	sendUDP(t, b, "64:ff9b::c633:6407")
	waitStat(t, p, "IPv6 to a prefix, socket", 1, func(s Stats) uint64 { return s.Redirected6 })
	if !ping(t, b, "192.0.2.1") {
		t.Fatal("host unreachable with a socket registered")
	}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if !waitFor(10*time.Second, func() bool { on, _ := xdpState(t, a, "st0"); return !on }) {
		t.Fatal("XDP program still attached after Close")
	}
	if !ping(t, b, "192.0.2.1") {
		t.Fatal("host unreachable after Close")
	}
}

// TestAttachConflict: a second program on an interface gets a clear error, whatever the modes, and can attach
// once the first is gone. Generic mode is asked for and obtained.
func TestAttachConflict(t *testing.T) {
	a, _ := vethPair(t)
	first, err := attachIn(t, a, "st0", ModeGeneric, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := first.AttachedMode(); m != ModeGeneric {
		t.Fatalf("attached in %v mode, want generic", m)
	}
	if on, mode := xdpState(t, a, "st0"); !on || mode != 2 {
		t.Fatalf("kernel reports attached=%v mode=%d, want generic (skb) mode", on, mode)
	}
	for _, m := range []Mode{ModeAuto, ModeNative, ModeGeneric} {
		_, err := attachIn(t, a, "st0", m, nil)
		if err == nil || !strings.Contains(err.Error(), "already attached") {
			t.Errorf("second program in %v mode: %v, want an 'already attached' error", m, err)
		} else {
			t.Logf("%v: %v", m, err)
		}
	}
	first.Close()
	second, err := attachIn(t, a, "st0", ModeAuto, nil)
	if err != nil {
		t.Fatalf("attach after the first program closed: %v", err)
	}
	if second.AttachedMode() != ModeNative {
		t.Errorf("second program attached in %v mode, want native", second.AttachedMode())
	}
}

// TestAttachNoNativeXDP: a bridge has no native XDP. Native mode fails with a clear error, auto mode
// falls back to generic.
func TestAttachNoNativeXDP(t *testing.T) {
	ns := newNetns(t, "d")
	run(t, "ip", "-n", ns, "link", "add", "sd0", "type", "bridge")
	run(t, "ip", "-n", ns, "link", "set", "sd0", "up")
	_, err := attachIn(t, ns, "sd0", ModeNative, nil)
	if err == nil || !errors.Is(err, unix.EOPNOTSUPP) || !strings.Contains(err.Error(), "native") {
		t.Fatalf("native mode on a bridge: %v, want a 'does not support native XDP' error", err)
	}
	t.Log(err)
	p, err := attachIn(t, ns, "sd0", ModeAuto, nil)
	if err != nil {
		t.Fatalf("auto mode on a bridge: %v", err)
	}
	if m := p.AttachedMode(); m != ModeGeneric {
		t.Errorf("auto mode on a bridge gave %v, want generic", m)
	}
}

// TestAttachOverLegacyProgram: a program attached the old way (netlink, as `ip link set dev X xdp obj ...`
// does) by someone else is not replaced; Attach fails with the clear error.
func TestAttachOverLegacyProgram(t *testing.T) {
	a, _ := vethPair(t)
	other := loadTest(t, Options{})
	err := inNetns(t, a, func() error {
		l, err := netlink.LinkByName("st0")
		if err != nil {
			return err
		}
		return netlink.LinkSetXdpFdWithFlags(l, other.objs.XdpSteer.FD(), unix.XDP_FLAGS_DRV_MODE)
	})
	if err != nil {
		t.Fatalf("attach through netlink: %v", err)
	}
	for _, m := range []Mode{ModeAuto, ModeGeneric} {
		if _, err := attachIn(t, a, "st0", m, nil); err == nil || !strings.Contains(err.Error(), "already attached") {
			t.Errorf("%v mode over a netlink-attached program: %v, want an 'already attached' error", m, err)
		}
	}
	if on, mode := xdpState(t, a, "st0"); !on || mode != 1 {
		t.Errorf("the other program was disturbed: attached=%v mode=%d", on, mode)
	}
}
