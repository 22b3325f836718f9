package bpf

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	switch os.Getenv("STEER_CHILD") {
	case "1":
		os.Exit(steerChild())
	case "load":
		// Helper of TestLoadUnprivileged: report Load's error on stdout.
		if _, err := Load(Options{}); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// steerChild is the helper process of TestFailOpenOnSIGKILL: it attaches the steering program to
// $STEER_DEV in netns $STEER_NETNS, says "ready <mode>" on stdout and waits until stdin closes (or two
// minutes pass, so it can never outlive a lost parent for long).
func steerChild() int {
	runtime.LockOSThread() // the netns belongs to this thread only
	fail := func(err error) int { fmt.Println("error", err); return 1 }
	if err := setNetns(os.Getenv("STEER_NETNS")); err != nil {
		return fail(err)
	}
	ifi, err := net.InterfaceByName(os.Getenv("STEER_DEV"))
	if err != nil {
		return fail(err)
	}
	p, err := Load(Options{Ifindex: ifi.Index})
	if err != nil {
		return fail(err)
	}
	if err := steerLab(p); err != nil {
		return fail(err)
	}
	if err := p.Attach(); err != nil {
		return fail(err)
	}
	fmt.Println("ready", p.AttachedMode())
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
	}
	return 0
}

// TestFailOpenOnSIGKILL proves the fail-open property: a process that attached the program and is killed with
// SIGKILL (no chance to clean up) leaves no XDP program behind, and traffic flows through the kernel.
func TestFailOpenOnSIGKILL(t *testing.T) {
	a, b := vethPair(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "STEER_CHILD=1", "STEER_NETNS="+a, "STEER_DEV=st0")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := false
	t.Cleanup(func() {
		stdin.Close()
		if !exited {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})

	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case l := <-line:
		if !strings.HasPrefix(l, "ready ") {
			t.Fatalf("helper process failed: %q", l)
		}
		t.Logf("helper attached in %s mode", strings.TrimPrefix(l, "ready "))
	case <-time.After(60 * time.Second):
		t.Fatal("helper process never became ready")
	}
	if on, _ := xdpState(t, a, "st0"); !on {
		t.Fatal("helper reports ready but no XDP program is attached")
	}
	if !ping(t, b, "192.0.2.1") {
		t.Fatal("host unreachable while the helper's program is attached")
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	exited = true
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("helper did not die of SIGKILL: %v", err)
	}
	if !waitFor(10*time.Second, func() bool { on, _ := xdpState(t, a, "st0"); return !on }) {
		t.Fatal("XDP program still attached 10 s after its owner was SIGKILLed")
	}
	if !ping(t, b, "192.0.2.1") || !ping(t, b, "2001:db8:1::1") {
		t.Fatal("host unreachable after the owner died")
	}
}

// TestLoadUnprivileged: without capabilities Load fails with the one-line error that names the remedy.
func TestLoadUnprivileged(t *testing.T) {
	requireRoot(t)
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("needs setpriv (util-linux) to drop capabilities")
	}
	cmd := exec.Command(setpriv, "--bounding-set=-all", "--inh-caps=-all", "--", os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "STEER_CHILD=load")
	out, err := cmd.Output()
	msg := strings.TrimSpace(string(out))
	const want = "load xdp program: operation not permitted (run as root or with CAP_BPF+CAP_NET_ADMIN)"
	if err == nil || msg != want {
		t.Fatalf("unprivileged Load: exit %v, said %q, want %q", err, msg, want)
	}
}
