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
)

// ======================================================================================================
// SiitCommand is THE place that decides how the lab starts the siit daemon. Adjust it when `siit run`'s flags
// change. The daemon runs in the DUT namespace, two-armed: IPv6 side d6, IPv4 side d4; next hops come from
// the kernel routes and permanent neighbours the lab installs (translatorRoutes). Workers go on the CPUs the
// generator does not use (on veth the DUT's RX softirq runs on the generator's CPU); the control socket is
// private to the run.
//
//	forward-only: <bin> run --socket S [--cpus C] --busy-poll --forward-only --pool6 2001:db8:64::/96 d6 d4
//	translating:  <bin> run --socket S [--cpus C] --busy-poll --pool6 2001:db8:64::/96 d6 d4
//
// --busy-poll keeps the worker spinning between trials, as a poll-mode
// data plane under test should (and as the reference AF_XDP forwarder did);
// without it the first frames of each trial wait for the worker to wake up.
//
// ======================================================================================================
func SiitCommand(bin string, forwardOnly bool, cpus, socket string) []string {
	args := []string{bin, "run", "--socket", socket}
	if cpus != "" {
		args = append(args, "--cpus", cpus)
	}
	args = append(args, "--busy-poll")
	if extra := os.Getenv("SIIT_BENCH_ARGS"); extra != "" {
		args = append(args, strings.Fields(extra)...)
	}
	if forwardOnly {
		args = append(args, "--forward-only") // pool6 still selects (steers) the frames; they keep their addresses
	}
	args = append(args, "--pool6", Pool6)
	return append(args, IfD6, IfD4)
}

// Siit runs the siit daemon, translating or with translation bypassed.
type Siit struct {
	Bin         string // path of the siit binary, e.g. bin/siit
	ForwardOnly bool
	CPUs        string // worker CPU list for --cpus ("" lets siit choose)
	r           routes
	cmd         *exec.Cmd
	log         *os.File
}

func (s *Siit) Name() string {
	if s.ForwardOnly {
		return "siit --forward-only"
	}
	return "siit"
}
func (s *Siit) Translates() bool { return !s.ForwardOnly }
func (s *Siit) PID() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Available checks that the binary exists and that `siit run --help` succeeds.
func (s *Siit) Available() error {
	if s.Bin == "" {
		return errors.New("no siit binary given")
	}
	if _, err := os.Stat(s.Bin); err != nil {
		return fmt.Errorf("siit binary %s missing (run make build): %w", s.Bin, err)
	}
	if out, err := exec.Command(s.Bin, "run", "--help").CombinedOutput(); err != nil {
		return fmt.Errorf("%s run --help failed: %w: %.200s", s.Bin, err, out)
	}
	return nil
}

func (s *Siit) Start(l *Lab) error {
	rt := translatorRoutes()
	if s.ForwardOnly { // untranslated frames are routed like the kernel-forwarding peer's
		rt = plainRoutes()
	}
	if err := s.r.add(l, rt...); err != nil {
		return err
	}
	bin, err := filepath.Abs(s.Bin)
	if err != nil {
		return fmt.Errorf("resolve siit binary: %w", err)
	}
	if s.log, err = os.CreateTemp("", "bench-siit-*.log"); err != nil {
		return fmt.Errorf("create siit log: %w", err)
	}
	sock := strings.TrimSuffix(s.log.Name(), ".log") + ".sock"
	s.cmd = l.DUT.Command(SiitCommand(bin, s.ForwardOnly, s.CPUs, sock)...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start siit: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			s.cmd = nil
			return fmt.Errorf("siit exited during start-up (%v); log in %s", err, s.log.Name())
		case <-time.After(200 * time.Millisecond):
		}
		if l.XDPAttached(IfD6) && l.XDPAttached(IfD4) {
			time.Sleep(500 * time.Millisecond) // workers and neighbour mirror settle
			go func() { <-exited }()
			return nil
		}
	}
	return fmt.Errorf("siit did not attach XDP to %s and %s within 15 s; log in %s", IfD6, IfD4, s.log.Name())
}

func (s *Siit) Stop(l *Lab) error {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		for i := 0; i < 50 && (l.XDPAttached(IfD6) || l.XDPAttached(IfD4)); i++ {
			time.Sleep(100 * time.Millisecond)
		}
		s.cmd.Process.Kill()
		s.cmd = nil
	}
	if s.log != nil {
		s.log.Close()
		s.log = nil
	}
	return s.r.del(l)
}
