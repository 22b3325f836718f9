package afxdp

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// enterNewNetns creates a network namespace named after the test tag, pid
// and a random suffix, and moves the calling goroutine (locked to its OS
// thread) into it for the rest of the test. Everything is undone by
// t.Cleanup; if returning to the original namespace fails the thread stays
// locked and is discarded when the test goroutine exits.
func enterNewNetns(t testing.TB) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates a network namespace, veth pairs and XDP programs")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2 (ip) to create the veth lab")
	}
	var rnd [3]byte
	rand.Read(rnd[:])
	name := fmt.Sprintf("afx-%d-%s", os.Getpid(), hex.EncodeToString(rnd[:]))
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })

	runtime.LockOSThread()
	orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open current netns: %v", err)
	}
	target, err := unix.Open("/run/netns/"+name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(orig)
		t.Fatalf("open netns %s: %v", name, err)
	}
	defer unix.Close(target)
	if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
		unix.Close(orig)
		t.Fatalf("enter netns %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err == nil {
			runtime.UnlockOSThread()
		}
		unix.Close(orig)
	})
	// Keep IPv6 autoconfiguration chatter (RS, MLD, DAD) off the test links.
	run(t, "ip", "netns", "exec", name, "sysctl", "-qw",
		"net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	return name
}

func run(t testing.TB, args ...string) {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// addVeth creates a veth pair with the given queue count in netns ns and
// brings both ends up.
func addVeth(t testing.TB, ns, a, b string, queues int) (ia, ib *net.Interface) {
	t.Helper()
	q := fmt.Sprint(queues)
	run(t, "ip", "-n", ns, "link", "add", a, "numtxqueues", q, "numrxqueues", q,
		"type", "veth", "peer", "name", b, "numtxqueues", q, "numrxqueues", q)
	run(t, "ip", "-n", ns, "link", "set", a, "up")
	run(t, "ip", "-n", ns, "link", "set", b, "up")
	// Carrier-up is processed asynchronously by the kernel's linkwatch
	// worker, which also swaps the noop qdisc (drops everything) for the
	// real one. IFF_RUNNING appears when it has set the operstate, just
	// before the qdisc swap; the socket setup that follows outlasts that
	// window. Busy machines take a while, so poll with a generous bound.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var err error
		if ia, err = net.InterfaceByName(a); err != nil {
			t.Fatal(err)
		}
		if ib, err = net.InterfaceByName(b); err != nil {
			t.Fatal(err)
		}
		if ia.Flags&ib.Flags&net.FlagRunning != 0 {
			return ia, ib
		}
		if time.Now().After(deadline) {
			t.Fatalf("veth %s/%s not running after 20s (flags %v / %v)", a, b, ia.Flags, ib.Flags)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// attachRedirect loads an XSKMAP and a program that redirects every frame
// to the socket registered for its RX queue (XDP_PASS if none), attaches it
// natively to ifindex and returns the map.
func attachRedirect(t testing.TB, ifindex int) *ebpf.Map {
	t.Helper()
	xsks, err := ebpf.NewMap(&ebpf.MapSpec{Name: "afx_xsks", Type: ebpf.XSKMap, KeySize: 4, ValueSize: 4, MaxEntries: 16})
	if err != nil {
		t.Fatalf("create xskmap: %v", err)
	}
	t.Cleanup(func() { xsks.Close() })
	prog := loadXDP(t, "afx_redirect", asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 16, asm.Word), // r2 = ctx->rx_queue_index
		asm.LoadMapPtr(asm.R1, xsks.FD()),
		asm.Mov.Imm(asm.R3, 2), // flags: XDP_PASS when the slot is empty
		asm.FnRedirectMap.Call(),
		asm.Return(),
	})
	attach(t, prog, ifindex)
	return xsks
}

func loadXDP(t testing.TB, name string, insns asm.Instructions) *ebpf.Program {
	t.Helper()
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Name: name, Type: ebpf.XDP, License: "GPL", Instructions: insns})
	if err != nil {
		t.Fatalf("load xdp program %s: %v", name, err)
	}
	t.Cleanup(func() { prog.Close() })
	return prog
}

func attach(t testing.TB, prog *ebpf.Program, ifindex int) {
	t.Helper()
	l, err := link.AttachXDP(link.XDPOptions{Program: prog, Interface: ifindex, Flags: link.XDPDriverMode})
	if err != nil {
		t.Fatalf("attach xdp to ifindex %d: %v", ifindex, err)
	}
	t.Cleanup(func() { l.Close() })
}

// register puts s into xsks for its queue.
func register(t testing.TB, xsks *ebpf.Map, s *Socket) {
	t.Helper()
	if err := xsks.Put(s.Queue(), uint32(s.Fd())); err != nil {
		t.Fatalf("add socket to xskmap: %v", err)
	}
}

// packetSocket is an AF_PACKET socket on one interface that sends raw
// frames and receives every incoming (not outgoing) frame.
type packetSocket struct {
	fd      int
	ifindex int
}

func openPacket(t testing.TB, ifi *net.Interface) *packetSocket {
	t.Helper()
	proto := htons(unix.ETH_P_ALL)
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(proto))
	if err != nil {
		t.Fatalf("open packet socket: %v", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: proto, Ifindex: ifi.Index}); err != nil {
		t.Fatalf("bind packet socket to %s: %v", ifi.Name, err)
	}
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 8<<20)
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 8<<20)
	return &packetSocket{fd: fd, ifindex: ifi.Index}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func (p *packetSocket) send(t testing.TB, frame []byte) {
	t.Helper()
	for {
		err := unix.Sendto(p.fd, frame, 0, &unix.SockaddrLinklayer{Ifindex: p.ifindex, Halen: 6})
		if errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.EAGAIN) {
			runtime.Gosched()
			continue
		}
		if err != nil {
			t.Fatalf("send on packet socket: %v", err)
		}
		return
	}
}

// recv returns the next incoming frame, or nil after timeoutMs.
func (p *packetSocket) recv(t testing.TB, buf []byte, timeoutMs int) []byte {
	t.Helper()
	for {
		fds := []unix.PollFd{{Fd: int32(p.fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, timeoutMs)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			t.Fatalf("poll packet socket: %v", err)
		}
		if n == 0 {
			return nil
		}
		m, from, err := unix.Recvfrom(p.fd, buf, unix.MSG_DONTWAIT)
		if err != nil {
			t.Fatalf("receive on packet socket: %v", err)
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
			continue
		}
		return buf[:m]
	}
}
