package lab

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/siit-project/siit/bench/xdpprog"
)

// Peer is a device under test installed in the DUT namespace.
type Peer interface {
	Name() string
	// Translates is true when 6->4 frames leave as IPv4 (and 4->6 as IPv6); false for plain forwarding.
	Translates() bool
	// Available returns nil or why the peer cannot run on this machine.
	Available() error
	Start(l *Lab) error
	Stop(l *Lab) error
	// PID returns the process to measure CPU time of, or 0.
	PID() int
}

// routes installs commands in the DUT and remembers how to undo them.
type routes struct{ undo [][]string }

func (r *routes) add(l *Lab, cmds ...[]string) error {
	for _, c := range cmds {
		if _, err := l.DUT.Exec(c...); err != nil {
			return err
		}
		u := append([]string(nil), c...)
		for i, w := range u {
			if w == "add" {
				u[i] = "del"
			}
		}
		r.undo = append(r.undo, u)
	}
	return nil
}

func (r *routes) del(l *Lab) error {
	var errs []error
	for i := len(r.undo) - 1; i >= 0; i-- {
		if _, err := l.DUT.Exec(r.undo[i]...); err != nil {
			errs = append(errs, err)
		}
	}
	r.undo = nil
	return errors.Join(errs...)
}

// translatorRoutes are what a translator in the DUT needs after translating: IPv4 to 203.0.113.0/24 leaves
// towards B, IPv6 to the pool6 image of 192.0.2.0/24 leaves towards A.
func translatorRoutes() [][]string {
	return [][]string{
		{"ip", "-6", "route", "add", "2001:db8:64::c000:200/120", "via", GwA6, "dev", IfD6},
		{"ip", "-4", "route", "add", "203.0.113.0/24", "via", GwB4, "dev", IfD4},
	}
}

// Kernel is plain kernel forwarding: 6->4 frames are routed as IPv6 to B, 4->6 frames as IPv4 to A.
type Kernel struct{ r routes }

func (*Kernel) Name() string         { return "kernel forwarding" }
func (*Kernel) Translates() bool     { return false }
func (*Kernel) Available() error     { return nil }
func (*Kernel) PID() int             { return 0 }
func (k *Kernel) Stop(l *Lab) error  { return k.r.del(l) }
func (k *Kernel) Start(l *Lab) error { return k.r.add(l, plainRoutes()...) }

// plainRoutes route the test frames untranslated: 6->4 frames as IPv6 to B, 4->6 frames as IPv4 to A.
func plainRoutes() [][]string {
	return [][]string{
		{"ip", "-6", "route", "add", "2001:db8:64::cb00:7100/120", "via", GwB6, "dev", IfD4},
		{"ip", "-4", "route", "add", "192.0.2.0/24", "via", GwA4, "dev", IfD6},
	}
}

// XDPFwd is the plain XDP redirect forwarder (MAC rewrite + bpf_redirect), the lab's upper bound.
type XDPFwd struct{ f *xdpprog.Fwd }

func (*XDPFwd) Name() string     { return "XDP redirect forwarder" }
func (*XDPFwd) Translates() bool { return false }
func (*XDPFwd) Available() error { return nil }
func (*XDPFwd) PID() int         { return 0 }
func (x *XDPFwd) Start(l *Lab) error {
	f, err := xdpprog.LoadFwd()
	if err != nil {
		return err
	}
	err = errors.Join(
		f.AddRule(l.PD6.Index, l.PD4.Index, l.PD4.MAC, l.PB.MAC),
		f.AddRule(l.PD4.Index, l.PD6.Index, l.PD6.MAC, l.PA.MAC))
	if err == nil {
		err = l.DUT.Do(func() error {
			return errors.Join(f.Attach(l.PD6.Index), f.Attach(l.PD4.Index))
		})
	}
	if err != nil {
		f.Close()
		return err
	}
	x.f = f
	return nil
}
func (x *XDPFwd) Stop(*Lab) error {
	if x.f == nil {
		return nil
	}
	err := x.f.Close()
	x.f = nil
	return err
}

// Tayga runs TAYGA (a tun-based userspace NAT64/SIIT) with pool6 2001:db8:64::/96. TAYGA refuses the
// well-known prefix 64:ff9b::/96 for non-global IPv4 such as the lab's documentation addresses, hence the
// network-specific prefix.
type Tayga struct {
	Bin    string // default "tayga" from PATH
	CPUs   []int  // CPUs TAYGA may run on, as siit's workers (nil: any)
	r      routes
	cmd    *exec.Cmd
	exited chan struct{}
	dir    string
}

const taygaTun = "nat64"

func (*Tayga) Name() string     { return "TAYGA" }
func (*Tayga) Translates() bool { return true }
func (t *Tayga) bin() string {
	if t.Bin != "" {
		return t.Bin
	}
	return "tayga"
}
func (t *Tayga) Available() error {
	if _, err := exec.LookPath(t.bin()); err != nil {
		return fmt.Errorf("tayga not installed (apt install tayga): %w", err)
	}
	return nil
}
func (t *Tayga) PID() int {
	if t.cmd == nil || t.cmd.Process == nil {
		return 0
	}
	return t.cmd.Process.Pid
}

func (t *Tayga) Start(l *Lab) error {
	dir, err := os.MkdirTemp("", "bench-tayga-")
	if err != nil {
		return fmt.Errorf("create tayga directory: %w", err)
	}
	t.dir = dir
	conf := filepath.Join(dir, "tayga.conf")
	text := fmt.Sprintf("tun-device %s\nipv4-addr 198.51.100.253\nipv6-addr 2001:db8:a::fe\nprefix %s\ndata-dir %s\n",
		taygaTun, Pool6, dir)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return fmt.Errorf("write tayga config: %w", err)
	}
	if _, err := l.DUT.Exec(t.bin(), "-c", conf, "--mktun"); err != nil {
		return err
	}
	if _, err := l.DUT.Exec("ip", "link", "set", taygaTun, "up"); err != nil {
		return err
	}
	if err := t.r.add(l, append(translatorRoutes(),
		[]string{"ip", "-6", "route", "add", Pool6, "dev", taygaTun},
		[]string{"ip", "-4", "route", "add", "192.0.2.0/24", "dev", taygaTun})...); err != nil {
		return err
	}
	return t.spawn(l)
}

func (t *Tayga) spawn(l *Lab) error {
	conf := filepath.Join(t.dir, "tayga.conf")
	t.cmd = l.DUT.Command(t.bin(), "-c", conf, "--nodetach")
	if f, err := os.OpenFile(filepath.Join(t.dir, "tayga.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err == nil {
		t.cmd.Stdout, t.cmd.Stderr = f, f
		defer f.Close()
	}
	t.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := t.cmd.Start(); err != nil {
		return fmt.Errorf("start tayga: %w", err)
	}
	if len(t.CPUs) > 0 { // TAYGA has one thread: pinned as it starts, it handles every packet there
		var set unix.CPUSet
		for _, c := range t.CPUs {
			set.Set(c)
		}
		if err := unix.SchedSetaffinity(t.cmd.Process.Pid, &set); err != nil {
			t.cmd.Process.Kill()
			return fmt.Errorf("pin tayga to cpus %v: %w", t.CPUs, err)
		}
	}
	t.exited = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { c.Wait(); close(done) }(t.cmd, t.exited)
	time.Sleep(300 * time.Millisecond) // tayga opens the tun and starts reading; no readiness signal exists
	return nil
}

// Revive restarts TAYGA if it exited (TAYGA 0.9.2 exits when a write to its tun fails under overload) and
// returns the last lines of its log then; it returns "" when TAYGA was running.
func (t *Tayga) Revive(l *Lab) (string, error) {
	if t.exited == nil {
		return "", nil
	}
	select {
	case <-t.exited:
	default:
		return "", nil
	}
	b, _ := os.ReadFile(filepath.Join(t.dir, "tayga.log"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	last := lines[len(lines)-1]
	l.DUT.Exec("ip", "link", "set", taygaTun, "up")
	return last, t.spawn(l)
}

func (t *Tayga) Stop(l *Lab) error {
	var errs []error
	if t.cmd != nil && t.cmd.Process != nil {
		t.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-t.exited:
		case <-time.After(3 * time.Second):
			t.cmd.Process.Kill()
			<-t.exited
		}
		t.cmd, t.exited = nil, nil
	}
	errs = append(errs, t.r.del(l))
	if t.dir != "" {
		l.DUT.Exec("ip", "link", "del", taygaTun)
		os.RemoveAll(t.dir)
		t.dir = ""
	}
	return errors.Join(errs...)
}
