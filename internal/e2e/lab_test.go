package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Addresses of the lab (see doc.go).
const (
	client6   = "2001:db8:6::10"
	client6b  = "2001:db8:6::11" // a second IPv6 host (hairpinning)
	client4   = "192.0.2.16"     // client6 through the EAM 2001:db8:6::/120 <-> 192.0.2.0/24
	client4b  = "192.0.2.17"     // client6b through the same EAM
	tr6       = "2001:db8:6::1"
	tr4       = "198.51.100.1"
	router4   = "198.51.100.2"
	router4s  = "203.0.113.1"
	server4   = "203.0.113.10"
	server4e  = "203.0.113.20"          // the server's EAM address
	server6   = "64:ff9b::203.0.113.10" // server4 through pool6
	server6e  = "2001:db8:46::20"       // server4e through its EAM
	router6   = "64:ff9b::198.51.100.2" // the router through pool6
	client4p6 = "64:ff9b::192.0.2.17"   // client4b through pool6 (intrinsic hairpin)
	pool6     = "64:ff9b::/96"
	eamClient = "2001:db8:6::/120,192.0.2.0/24"
	eamServer = "2001:db8:46::20/128,203.0.113.20/32"
	third6    = "2001:db8:7::10" // R's address on the third network (labOpts.third6)
)

var labSeq atomic.Int64

// lab is one test's set of namespaces and the processes running in them.
type lab struct {
	t          *testing.T
	C, T, R, S string // namespace names
	dir        string
	sock       string
	siit       *siitProc
	ifaces     []string // the translator's interfaces, given to siit run

	mu    sync.Mutex
	procs []*exec.Cmd
}

// labOpts varies the topology.
type labOpts struct {
	noServerRoute bool // the translator has no route to 203.0.113.0/24
	queues        int  // RX/TX queues of the translator's veths (default 1)
	queues4       int  // the IPv4-side veth's queues, if different from queues
	oneArmed      bool // the translator has one interface for both families (see newOneArmedLab)
	// third6 gives the translator a third interface, t7, on a second IPv6 network 2001:db8:7::/64 whose
	// host is R's r7 (2001:db8:7::10; R routes IPv6 through it to T).
	third6 bool
}

// newLab builds the lab; t.Cleanup removes it even when the test fails.
func newLab(t *testing.T, o labOpts) *lab {
	t.Helper()
	needLab(t)
	p := fmt.Sprintf("e2e-%d-%d", os.Getpid(), labSeq.Add(1))
	l := &lab{t: t, C: p + "-c", T: p + "-t", R: p + "-r", S: p + "-s", dir: t.TempDir(), ifaces: []string{"t6", "t4"}}
	l.sock = filepath.Join(l.dir, "siit.sock")
	t.Cleanup(l.destroy)
	for _, ns := range []string{l.C, l.T, l.R, l.S} {
		l.must("ip", "netns", "add", ns)
	}
	if o.oneArmed {
		l.oneArmed()
		return l
	}
	q, q4 := "", ""
	if o.queues > 1 {
		q = fmt.Sprintf(" numtxqueues %d numrxqueues %d", o.queues, o.queues)
	}
	q4 = q
	if o.queues4 > 0 {
		q4 = fmt.Sprintf(" numtxqueues %d numrxqueues %d", o.queues4, o.queues4)
	}
	l.ipBatch("", ""+
		"link add c6 netns "+l.C+q+" type veth peer name t6 netns "+l.T+q+"\n"+
		"link add t4 netns "+l.T+q4+" type veth peer name r4 netns "+l.R+q4+"\n"+
		"link add rs netns "+l.R+" type veth peer name s4 netns "+l.S+"\n")
	l.setupHosts([][2]string{{l.C, "c6"}, {l.R, "r4"}, {l.R, "rs"}, {l.S, "s4"}})
	l.nsMust(l.R, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	tb := "" +
		"link set lo up\nlink set t6 address 02:00:00:00:06:01\nlink set t4 address 02:00:00:00:04:01\n" +
		"addr add " + tr6 + "/64 dev t6 nodad\naddr add " + tr4 + "/24 dev t4\n" +
		"link set t6 up\nlink set t4 up\n"
	if !o.noServerRoute {
		tb += "route add 203.0.113.0/24 via " + router4 + "\n"
	}
	l.ipBatch(l.T, tb)
	l.ipBatch(l.R, ""+
		"link set lo up\naddr add "+router4+"/24 dev r4\naddr add "+router4s+"/24 dev rs\n"+
		"link set r4 up\nlink set rs up\nroute add default via "+tr4+"\n")
	if o.third6 {
		l.ipBatch("", "link add t7 netns "+l.T+" type veth peer name r7 netns "+l.R+"\n")
		l.nsMust(l.R, "ethtool", "-K", "r7", "tx", "off", "gro", "on")
		l.ipBatch(l.T, "link set t7 address 02:00:00:00:07:01\naddr add 2001:db8:7::1/64 dev t7 nodad\nlink set t7 up\n")
		l.ipBatch(l.R, "addr add "+third6+"/64 dev r7 nodad\nlink set r7 up\nroute add ::/0 via 2001:db8:7::1\n")
		l.ifaces = append(l.ifaces, "t7")
	}
	return l
}

// setupHosts configures what both topologies share, once their links exist:
// the end interfaces (ends), the sysctls of every namespace, forwarding on
// the translator, and the client and the server.
func (l *lab) setupHosts(ends [][2]string) {
	// End hosts compute full checksums (AF_XDP copy mode hands partial ones
	// over as they are) and accept redirected frames (GRO).
	for _, e := range ends {
		l.nsMust(e[0], "ethtool", "-K", e[1], "tx", "off", "gro", "on")
	}
	for _, ns := range []string{l.C, l.T, l.R, l.S} {
		// Big socket buffers let a briefly starved helper catch up.
		l.nsMust(ns, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
			"net.core.rmem_max=8388608", "net.core.wmem_max=8388608")
	}
	l.nsMust(l.T, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1", "net.ipv4.ip_forward=1")
	l.ipBatch(l.C, ""+
		"link set lo up\nlink set c6 address 02:00:00:00:06:10\n"+
		"addr add "+client6+"/64 dev c6 nodad\naddr add "+client6b+"/64 dev c6 nodad preferred_lft 0\n"+
		"link set c6 up\nroute add ::/0 via "+tr6+"\n")
	l.ipBatch(l.S, ""+
		"link set lo up\naddr add "+server4+"/24 dev s4\naddr add "+server4e+"/24 dev s4\n"+
		"link set s4 up\nroute add default via "+router4s+"\n")
}

// oneArmed builds the one-armed variant of the lab: the translator has a
// single interface t0 carrying both families, on a link to R, which now routes
// both families (the SIIT-DC border relay of RFC 7755 hanging off a router).
// The end hosts and their addresses are those of the two-armed lab, so the
// same addresses reach the same hosts:
//
//	[C] c6 ---- rc [R: router, both families] r0 ---- t0 [T: siit]
//	2001:db8:6::10/64  2001:db8:6::1/64    2001:db8:ff::2/64   2001:db8:ff::1/64
//	                   rs ---- s4 [S]      198.51.100.2/24     198.51.100.1/24
//	                   203.0.113.1/24
//
// R routes pool6 and the server's EAM prefix to T over IPv6, and the client's
// EAM range 192.0.2.0/24 to T over IPv4; T's default routes point back at R.
// Every translated packet leaves by the interface it came in on.
func (l *lab) oneArmed() {
	l.ifaces = []string{"t0"}
	l.ipBatch("", ""+
		"link add c6 netns "+l.C+" type veth peer name rc netns "+l.R+"\n"+
		"link add r0 netns "+l.R+" type veth peer name t0 netns "+l.T+"\n"+
		"link add rs netns "+l.R+" type veth peer name s4 netns "+l.S+"\n")
	l.setupHosts([][2]string{{l.C, "c6"}, {l.R, "rc"}, {l.R, "r0"}, {l.R, "rs"}, {l.S, "s4"}})
	l.nsMust(l.R, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1", "net.ipv4.ip_forward=1")
	l.ipBatch(l.R, ""+
		"link set lo up\naddr add "+tr6+"/64 dev rc nodad\naddr add 2001:db8:ff::2/64 dev r0 nodad\n"+
		"addr add "+router4+"/24 dev r0\naddr add "+router4s+"/24 dev rs\n"+
		"link set rc up\nlink set r0 up\nlink set rs up\n"+
		"route add "+pool6+" via 2001:db8:ff::1\nroute add 2001:db8:46::/64 via 2001:db8:ff::1\n"+
		"route add 192.0.2.0/24 via "+tr4+"\n")
	l.ipBatch(l.T, ""+
		"link set lo up\nlink set t0 address 02:00:00:00:00:01\n"+
		"addr add 2001:db8:ff::1/64 dev t0 nodad\naddr add "+tr4+"/24 dev t0\nlink set t0 up\n"+
		"route add ::/0 via 2001:db8:ff::2\nroute add 0.0.0.0/0 via "+router4+"\n")
}

// destroy stops every process and removes the namespaces.
func (l *lab) destroy() {
	if l.siit != nil {
		l.siit.kill()
	}
	l.mu.Lock()
	procs := l.procs
	l.procs = nil
	l.mu.Unlock()
	for _, c := range procs {
		if c.Process != nil {
			_ = c.Process.Kill()
		}
	}
	for _, ns := range []string{l.C, l.T, l.R, l.S} {
		_ = exec.Command("ip", "netns", "del", ns).Run()
	}
}

// dieWithTest makes a child process die with the test binary, so a test
// killed by its timeout leaves no daemon or helper running (a killed siit
// fails open: its XDP links go away with it).
func dieWithTest() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// removeStaleLabs deletes lab namespaces left by test binaries that died
// before their cleanups ran (their names carry the dead binary's pid).
func removeStaleLabs() {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		var pid, n int
		var rest string
		if c, _ := fmt.Sscanf(f[0], "e2e-%d-%d-%s", &pid, &n, &rest); c != 3 || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_ = exec.Command("ip", "netns", "del", f[0]).Run()
		}
	}
}

// run runs a command and returns its combined output and error.
func run(timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s timed out after %v: %w", name, timeout, ctx.Err())
	}
	return buf.String(), err
}

func (l *lab) must(name string, args ...string) string {
	l.t.Helper()
	out, err := run(30*time.Second, name, args...)
	if err != nil {
		l.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// ns runs a command inside namespace ns.
func (l *lab) ns(ns string, timeout time.Duration, args ...string) (string, error) {
	return run(timeout, "ip", append([]string{"netns", "exec", ns}, args...)...)
}

func (l *lab) nsMust(ns string, args ...string) string {
	l.t.Helper()
	out, err := l.ns(ns, 30*time.Second, args...)
	if err != nil {
		l.t.Fatalf("in %s: %s: %v\n%s", ns, strings.Join(args, " "), err, out)
	}
	return out
}

// ipBatch runs `ip -batch` commands, inside ns unless it is "".
func (l *lab) ipBatch(ns, cmds string) {
	l.t.Helper()
	args := []string{"-batch", "-"}
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	cmd := exec.Command("ip", args...)
	cmd.Stdin = strings.NewReader(cmds)
	if out, err := cmd.CombinedOutput(); err != nil {
		l.t.Fatalf("ip %s: %v\n%s\ncommands:\n%s", strings.Join(args, " "), err, out, cmds)
	}
}

// helperProc is a traffic helper running in a namespace; its stdout lines
// are collected.
type helperProc struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	news  chan struct{}
	done  chan struct{}
	err   error
	errb  bytes.Buffer
}

// start runs the test binary as a helper in ns (see helper_test.go) and
// returns once it printed its first line ("ready" for servers).
func (l *lab) start(ns string, args ...string) *helperProc {
	l.t.Helper()
	exe, err := os.Executable()
	if err != nil {
		l.t.Fatal(err)
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, exe}, args...)...)
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	cmd.SysProcAttr = dieWithTest()
	h := &helperProc{cmd: cmd, news: make(chan struct{}, 1), done: make(chan struct{})}
	cmd.Stderr = &h.errb
	out, err := cmd.StdoutPipe()
	if err != nil {
		l.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		l.t.Fatalf("start helper %v in %s: %v", args, ns, err)
	}
	l.mu.Lock()
	l.procs = append(l.procs, cmd)
	l.mu.Unlock()
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			h.mu.Lock()
			h.lines = append(h.lines, sc.Text())
			h.mu.Unlock()
			select {
			case h.news <- struct{}{}:
			default:
			}
		}
		h.err = cmd.Wait()
		close(h.done)
	}()
	if !h.waitLine(func(string) bool { return true }, 15*time.Second) {
		l.t.Fatalf("helper %v in %s printed nothing: %v\n%s", args, ns, h.err, h.stderr())
	}
	return h
}

func (h *helperProc) stderr() string {
	select {
	case <-h.done:
		return h.errb.String()
	default:
		return "(still running)"
	}
}

// snapshot returns the lines printed so far.
func (h *helperProc) snapshot() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.lines...)
}

// waitLine waits until a printed line satisfies match.
func (h *helperProc) waitLine(match func(string) bool, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		for _, s := range h.snapshot() {
			if match(s) {
				return true
			}
		}
		select {
		case <-h.news:
		case <-h.done:
			for _, s := range h.snapshot() {
				if match(s) {
					return true
				}
			}
			return false
		case <-deadline:
			return false
		}
	}
}

// helper runs a client helper to completion in ns and returns its output.
func (l *lab) helper(ns string, timeout time.Duration, args ...string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, exe}, args...)...)
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	cmd.SysProcAttr = dieWithTest()
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("helper %v timed out after %v", args, timeout)
	}
	return buf.String(), err
}

// helperOK runs a client helper and fails the test unless it succeeds.
func (l *lab) helperOK(ns string, args ...string) string {
	l.t.Helper()
	out, err := l.helper(ns, 60*time.Second, args...)
	if err != nil {
		l.t.Fatalf("in %s: helper %s: %v\n%s", ns, strings.Join(args, " "), err, out)
	}
	return out
}

// ping runs ping in ns and reports whether at least one reply came back
// (exit status 0), with the output.
func (l *lab) ping(ns string, args ...string) (string, bool) {
	out, err := l.ns(ns, 30*time.Second, append([]string{"ping", "-n"}, args...)...)
	return out, err == nil
}

// pingOK fails the test unless ping to dst gets replies.
func (l *lab) pingOK(ns, dst string, extra ...string) string {
	l.t.Helper()
	args := append([]string{"-c", "3", "-i", "0.2", "-w", "10"}, extra...)
	out, ok := l.ping(ns, append(args, dst)...)
	if !ok {
		l.t.Fatalf("ping %s from %s failed:\n%s\n%s", dst, ns, out, l.siitLog())
	}
	return out
}

// pingFails fails the test if ping to dst gets a reply.
func (l *lab) pingFails(ns, dst string, extra ...string) string {
	l.t.Helper()
	args := append([]string{"-c", "2", "-i", "0.3", "-W", "1"}, extra...)
	out, ok := l.ping(ns, append(args, dst)...)
	if ok {
		l.t.Fatalf("ping %s from %s got replies, want none:\n%s", dst, ns, out)
	}
	return out
}

// eventually polls cond every 100 ms until it holds or timeout passes.
func eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// xdpAttached reports whether an XDP program is attached to ifname in ns.
func (l *lab) xdpAttached(ns, ifname string) bool {
	l.t.Helper()
	out, err := run(10*time.Second, "ip", "-n", ns, "-d", "link", "show", "dev", ifname)
	if err != nil {
		l.t.Fatalf("ip link show %s in %s: %v\n%s", ifname, ns, err, out)
	}
	return strings.Contains(out, "xdp") || strings.Contains(out, "prog/xdp")
}

// as points the lab's failure reporting at subtest t until the returned
// function restores the parent (subtests sharing a lab run one at a time).
func (l *lab) as(t *testing.T) func() {
	parent := l.t
	l.t = t
	return func() { l.t = parent }
}
