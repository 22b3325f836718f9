package bpf

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// XDP verdicts as returned by BPF_PROG_RUN.
const (
	xdpAborted  = 0
	xdpDrop     = 1
	xdpPass     = 2
	xdpTX       = 3
	xdpRedirect = 4
)

func requireRoot(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 || !haveCaps() {
		tb.Skip("needs root with CAP_SYS_ADMIN or CAP_BPF+CAP_NET_ADMIN: loads BPF programs, creates network namespaces")
	}
}

// haveCaps reports whether the effective capability set allows BPF and XDP work.
func haveCaps() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	has := func(c uint) bool { return data[c/32].Effective&(1<<(c%32)) != 0 }
	return has(unix.CAP_SYS_ADMIN) || has(unix.CAP_BPF) && has(unix.CAP_NET_ADMIN)
}

// loadTest loads an unattached program and closes it at the end of the test.
func loadTest(tb testing.TB, o Options) *Program {
	tb.Helper()
	requireRoot(tb)
	p, err := Load(o)
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	tb.Cleanup(func() {
		if err := p.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return p
}

// runFrame runs the program once on frame (RX queue 0 of the loopback device, per BPF_PROG_RUN) and returns
// the verdict and which counters moved.
func runFrame(tb testing.TB, p *Program, frame []byte) (uint32, Stats) {
	tb.Helper()
	before, err := p.Stats()
	if err != nil {
		tb.Fatal(err)
	}
	ret, err := p.objs.XdpSteer.Run(&ebpf.RunOptions{Data: frame, Repeat: 1})
	if err != nil {
		tb.Fatalf("BPF_PROG_RUN on %d-byte frame: %v", len(frame), err)
	}
	after, err := p.Stats()
	if err != nil {
		tb.Fatal(err)
	}
	a, b := after.array(), before.array()
	var d [statMax]uint64
	for i := range d {
		d[i] = a[i] - b[i]
	}
	return ret, statsFromArray(d)
}

// onlyStat returns the index of the single counter set to 1 in d, or -1.
func onlyStat(d Stats) int {
	idx := -1
	for i, v := range d.array() {
		switch {
		case v == 0:
		case v == 1 && idx == -1:
			idx = i
		default:
			return -1
		}
	}
	return idx
}

var statNames = [statMax]string{"redirected4", "redirected6", "no_socket4", "no_socket6", "passed", "passed_local",
	"passed_vlan", "passed_disabled", "passed_nonip", "passed_special", "passed_ndp", "passed_malformed"}

func statName(i int) string {
	if i < 0 || i >= statMax {
		return fmt.Sprintf("stat(%d)", i)
	}
	return statNames[i]
}

// xskSocket opens an AF_XDP socket. It need not be bound for XSKMAP updates nor for bpf_redirect_map to find
// it, which is all BPF_PROG_RUN (without live frames) exercises.
func xskSocket(tb testing.TB) int {
	tb.Helper()
	fd, err := unix.Socket(unix.AF_XDP, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		tb.Skipf("AF_XDP socket unavailable: %v", err)
	}
	tb.Cleanup(func() { unix.Close(fd) })
	return fd
}

// --- frame builders ---

type vlanTag struct{ tpid, vid uint16 }

var (
	macDst = []byte{0x02, 0, 0, 0, 0, 0x01}
	macSrc = []byte{0x02, 0, 0, 0, 0, 0x02}
)

func ether(etype uint16, payload []byte, tags ...vlanTag) []byte {
	b := append(append([]byte{}, macDst...), macSrc...)
	for _, t := range tags {
		b = binary.BigEndian.AppendUint16(b, t.tpid)
		b = binary.BigEndian.AppendUint16(b, t.vid)
	}
	b = binary.BigEndian.AppendUint16(b, etype)
	return append(b, payload...)
}

func ipv4(src, dst string, proto byte, payload []byte) []byte {
	h := make([]byte, 20, 20+len(payload))
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(payload)))
	h[8], h[9] = 64, proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(h[10:], ^uint16(sum))
	return append(h, payload...)
}

func ipv6(src, dst string, nh byte, payload []byte) []byte {
	h := make([]byte, 40, 40+len(payload))
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6], h[7] = nh, 64
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return append(h, payload...)
}

// udp is a UDP header and 8 payload bytes; checksums do not matter to the steering program.
func udp() []byte {
	return []byte{0x30, 0x39, 0x00, 0x35, 0, 16, 0, 0, 'p', 'a', 'y', 'l', 'o', 'a', 'd', '!'}
}

func icmp6(typ byte) []byte { return []byte{typ, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0} }

func arp() []byte {
	b, _ := hex.DecodeString("0001080006040001020000000002c0000202000000000000c0000201")
	return b
}

// --- network namespaces ---

// run runs a command and fails the test with its output on error.
func run(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// newNetns creates a network namespace named after the tag, pid and a random suffix, deleted at cleanup.
func newNetns(tb testing.TB, role string) string {
	tb.Helper()
	requireRoot(tb)
	if _, err := exec.LookPath("ip"); err != nil {
		tb.Skip("needs iproute2 (ip)")
	}
	var r [3]byte
	rand.Read(r[:])
	name := fmt.Sprintf("steer-%d-%x-%s", os.Getpid(), r, role)
	run(tb, "ip", "netns", "add", name)
	tb.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	return name
}

// inNetns runs fn on a fresh OS thread inside netns ns. The thread is discarded afterwards (never unlocked), so
// no other goroutine ever runs in the namespace by accident.
func inNetns(tb testing.TB, ns string, fn func() error) error {
	tb.Helper()
	ch := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := setNetns(ns); err != nil {
			ch <- err
			return
		}
		ch <- fn()
	}()
	return <-ch
}

func setNetns(ns string) error {
	f, err := os.Open("/run/netns/" + ns)
	if err != nil {
		return fmt.Errorf("open netns %s: %w", ns, err)
	}
	defer f.Close()
	if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("enter netns %s: %w", ns, err)
	}
	return nil
}

// xdpState returns whether dev in ns has an XDP program and the kernel's attach mode
// (1 driver, 2 generic/skb), from netlink.
func xdpState(tb testing.TB, ns, dev string) (attached bool, mode uint32) {
	tb.Helper()
	err := inNetns(tb, ns, func() error {
		l, err := netlink.LinkByName(dev)
		if err != nil {
			return err
		}
		if x := l.Attrs().Xdp; x != nil {
			attached, mode = x.Attached, x.AttachMode
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("read xdp state of %s in %s: %v", dev, ns, err)
	}
	return attached, mode
}

// waitFor polls cond every 50 ms for at most limit.
func waitFor(limit time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(limit); ; time.Sleep(50 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// vethPair builds two namespaces joined by a veth: "st0" in a (192.0.2.1/24, 2001:db8:1::1/64), "st1" in b
// (.2, ::2), with routes in b to 198.51.100.0/24 and 64:ff9b::/96 through a.
func vethPair(tb testing.TB) (a, b string) {
	tb.Helper()
	a, b = newNetns(tb, "a"), newNetns(tb, "b")
	run(tb, "ip", "-n", a, "link", "add", "st0", "type", "veth", "peer", "name", "st1", "netns", b)
	for _, c := range []struct{ ns, dev, v4, v6 string }{{a, "st0", "192.0.2.1/24", "2001:db8:1::1/64"},
		{b, "st1", "192.0.2.2/24", "2001:db8:1::2/64"}} {
		run(tb, "ip", "-n", c.ns, "addr", "add", c.v4, "dev", c.dev)
		run(tb, "ip", "-n", c.ns, "addr", "add", c.v6, "dev", c.dev, "nodad")
		run(tb, "ip", "-n", c.ns, "link", "set", "lo", "up")
		run(tb, "ip", "-n", c.ns, "link", "set", c.dev, "up")
	}
	run(tb, "ip", "-n", b, "route", "add", "198.51.100.0/24", "via", "192.0.2.1")
	run(tb, "ip", "-n", b, "route", "add", "64:ff9b::/96", "via", "2001:db8:1::1")
	return a, b
}

// ping reports whether dst answers a ping from ns, trying a few times (the first may wait for ARP/ND).
func ping(tb testing.TB, ns, dst string) bool {
	tb.Helper()
	if _, err := exec.LookPath("ping"); err != nil {
		tb.Skip("needs ping (iputils-ping)")
	}
	for i := 0; i < 5; i++ {
		if exec.Command("ip", "netns", "exec", ns, "ping", "-n", "-q", "-c", "1", "-W", "2", dst).Run() == nil {
			return true
		}
	}
	return false
}
