package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/siit-project/siit/internal/control"
)

// siitProc is a `siit run` child process inside the translator namespace.
type siitProc struct {
	l       *lab
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error
	stopped bool
}

// defaultArgs is the lab's standard configuration.
func defaultArgs() []string {
	return []string{"--pool6", pool6, "--eamt", eamClient, "--eamt", eamServer}
}

// startSiit runs `siit run --socket SOCK ARGS... t6 t4` (t0 one-armed) in the translator
// namespace and waits until its control socket answers. A cleanup stops it
// with SIGTERM and checks that it exits 0 and leaves no XDP program.
func (l *lab) startSiit(args ...string) *siitProc {
	l.t.Helper()
	p := l.spawnSiit(append(append([]string{"--socket", l.sock}, args...), l.ifaces...)...)
	c := control.NewClient(l.sock)
	c.Timeout = 5 * time.Second
	ready := eventually(30*time.Second, func() bool {
		select {
		case <-p.done:
			return true
		default:
		}
		return c.Ping() == nil
	})
	select {
	case <-p.done:
		l.t.Fatalf("siit run exited early: %v\n%s", p.err, p.log())
	default:
	}
	if !ready {
		l.t.Fatalf("siit run: control socket %s did not answer within 30 s\n%s", l.sock, p.log())
	}
	t := l.t
	t.Cleanup(func() {
		defer l.as(t)()
		if p.stopped {
			return
		}
		if err := p.stop(); err != nil {
			t.Errorf("stop siit: %v\n%s", err, p.log())
		}
		for _, ifc := range l.ifaces {
			if l.xdpAttached(l.T, ifc) {
				t.Errorf("an XDP program is still attached to %s after siit exited", ifc)
			}
		}
	})
	return p
}

// spawnSiit starts `siit run ARGS...` in the translator namespace without
// waiting for anything.
func (l *lab) spawnSiit(args ...string) *siitProc {
	l.t.Helper()
	p := &siitProc{l: l, done: make(chan struct{})}
	p.logPath = filepath.Join(l.dir, fmt.Sprintf("siit-%d.log", time.Now().UnixNano()))
	f, err := os.Create(p.logPath)
	if err != nil {
		l.t.Fatal(err)
	}
	p.cmd = exec.Command("ip", append([]string{"netns", "exec", l.T, siitBin, "run"}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	p.cmd.SysProcAttr = dieWithTest()
	if err := p.cmd.Start(); err != nil {
		f.Close()
		l.t.Fatalf("start siit run: %v", err)
	}
	l.siit = p
	go func() {
		p.err = p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p
}

// log returns what siit printed so far.
func (p *siitProc) log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// siitLog returns the running daemon's log for failure messages.
func (l *lab) siitLog() string {
	if l.siit == nil {
		return "(siit not started)"
	}
	return "siit log:\n" + l.siit.log()
}

// signal sends sig to siit (`ip netns exec` execs, so the pid is siit's).
func (p *siitProc) signal(sig syscall.Signal) error {
	return p.cmd.Process.Signal(sig)
}

// reloadBadFile writes a Jool file for instance name whose pool6 length is
// invalid to path, sends SIGHUP and waits for siit to log the failed reload.
func (p *siitProc) reloadBadFile(t *testing.T, path, name string) {
	t.Helper()
	bad := fmt.Sprintf(`{"instance": %q, "framework": "netfilter", "global": {"pool6": "64:ff9b::/95"}}`, name)
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	failed := strings.Count(p.log(), "reload failed")
	if err := p.signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if !eventually(10*time.Second, func() bool { return strings.Count(p.log(), "reload failed") > failed }) {
		t.Fatalf("no `reload failed` log line after a bad file\n%s", p.log())
	}
}

// wait waits up to timeout for siit to exit and returns its exit error.
func (p *siitProc) wait(timeout time.Duration) error {
	select {
	case <-p.done:
		p.stopped = true
		return p.err
	case <-time.After(timeout):
		return fmt.Errorf("siit did not exit within %v", timeout)
	}
}

// stop sends SIGTERM and waits for a zero exit status.
func (p *siitProc) stop() error {
	if err := p.signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("send SIGTERM: %w", err)
	}
	err := p.wait(30 * time.Second)
	if err != nil {
		p.kill()
		return fmt.Errorf("after SIGTERM: %w", err)
	}
	return nil
}

// kill ends siit with SIGKILL if it still runs.
func (p *siitProc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
	}
	p.stopped = true
}

// client returns a control client for the lab's daemon.
func (l *lab) client() *control.Client {
	c := control.NewClient(l.sock)
	c.Timeout = 60 * time.Second
	return c
}

// cli runs the siit CLI against the lab's daemon and returns its output and
// exit status.
func (l *lab) cli(args ...string) (string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, siitBin, args...)
	cmd.Env = append(os.Environ(), control.SocketEnv+"="+l.sock)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	code := 0
	if err != nil {
		code = -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
	}
	return buf.String(), code
}

// cliOK runs the CLI and fails the test unless it exits 0.
func (l *lab) cliOK(args ...string) string {
	l.t.Helper()
	out, code := l.cli(args...)
	if code != 0 {
		l.t.Fatalf("siit %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}
