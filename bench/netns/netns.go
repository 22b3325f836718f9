// Package netns creates named network namespaces (as `ip netns` does) and runs code or commands inside them.
//
// Contract: Create makes /run/netns/NAME with `ip netns add`; Close removes it (links inside die with it). Do
// runs a function on a locked OS thread that has entered the namespace and restores the thread afterwards;
// Enter moves the calling goroutine's thread into the namespace for good (the goroutine must stay locked and the
// runtime discards the thread when the goroutine exits). Everything needs root.
//
// A nil *NS is the caller's own namespace: Do runs the function directly, Enter does nothing, Exec and Command
// run the command as it is, Close does nothing. Code that takes an optional namespace needs no special case.
package netns

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// NS is a named network namespace.
type NS struct {
	Name string
}

// String is the namespace's name, "(current)" for nil.
func (n *NS) String() string {
	if n == nil {
		return "(current)"
	}
	return n.Name
}

// Create adds a named network namespace with its loopback up.
func Create(name string) (*NS, error) {
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("create netns %s (needs root and iproute2): %w: %s", name, err, bytes.TrimSpace(out))
	}
	n := &NS{Name: name}
	if _, err := n.Exec("ip", "link", "set", "lo", "up"); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

// Close deletes the namespace.
func (n *NS) Close() error {
	if n == nil {
		return nil
	}
	if out, err := exec.Command("ip", "netns", "del", n.Name).CombinedOutput(); err != nil {
		return fmt.Errorf("delete netns %s: %w: %s", n.Name, err, bytes.TrimSpace(out))
	}
	return nil
}

// Exec runs a command inside the namespace and returns its combined output.
func (n *NS) Exec(args ...string) ([]byte, error) {
	out, err := n.Command(args...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("in netns %s run %q: %w: %s", n, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return out, nil
}

// Command returns an unstarted command that will run inside the namespace.
func (n *NS) Command(args ...string) *exec.Cmd {
	if n == nil {
		return exec.Command(args[0], args[1:]...)
	}
	return exec.Command("ip", append([]string{"netns", "exec", n.Name}, args...)...)
}

func (n *NS) setns() error {
	f, err := os.Open("/run/netns/" + n.Name)
	if err != nil {
		return fmt.Errorf("open netns %s: %w", n.Name, err)
	}
	defer f.Close()
	if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("enter netns %s: %w", n.Name, err)
	}
	return nil
}

// Enter locks the calling goroutine to its thread and moves the thread into the namespace. The goroutine must
// not unlock the thread: when it exits, the runtime destroys the thread.
func (n *NS) Enter() error {
	if n == nil {
		return nil
	}
	runtime.LockOSThread()
	return n.setns()
}

// Do runs f in the namespace on a dedicated locked thread, then restores the thread's namespace.
func (n *NS) Do(f func() error) error {
	if n == nil {
		return f()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			errc <- fmt.Errorf("open current netns: %w", err)
			return // thread stays locked and is discarded
		}
		defer orig.Close()
		if err := n.setns(); err != nil {
			errc <- err
			return
		}
		ferr := f()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("restore netns: %w", err))
			return // thread discarded
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}
