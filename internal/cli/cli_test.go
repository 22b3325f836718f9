package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siit-project/siit/internal/control"
)

// env is an in-process daemon (State + Server on a temporary socket) that
// cli.Main talks to.
type env struct {
	t    testing.TB
	st   *control.State
	sock string
	dir  string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	dir := t.TempDir()
	st := control.NewState(control.Options{})
	sock := filepath.Join(dir, "siit.sock")
	srv, err := control.Start(st, control.ServerOptions{Path: sock})
	if err != nil {
		t.Fatalf("start control server: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return &env{t: t, st: st, sock: sock, dir: dir}
}

type result struct {
	out, err string
	code     int
}

func (e *env) run(args ...string) result {
	var o, er bytes.Buffer
	code := Main("jool_siit", append([]string{"--socket", e.sock}, args...), &o, &er)
	return result{o.String(), er.String(), code}
}

// ok runs a command that must succeed.
func (e *env) ok(args ...string) string {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 0 {
		e.t.Fatalf("jool_siit %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.err)
	}
	return r.out
}

// fails runs a command that must fail with the given status and an error
// containing want, and must leave the configuration unchanged.
func (e *env) fails(code int, want string, args ...string) {
	e.t.Helper()
	before := e.dump()
	r := e.run(args...)
	if r.code != code || !strings.Contains(r.err, want) {
		e.t.Errorf("jool_siit %s: exit %d stderr %q; want exit %d and %q", strings.Join(args, " "), r.code, r.err, code, want)
	}
	if after := e.dump(); after != before {
		e.t.Errorf("jool_siit %s changed the configuration:\nbefore %s\nafter  %s", strings.Join(args, " "), before, after)
	}
}

// dump renders the whole state for before/after comparisons.
func (e *env) dump() string {
	var sb strings.Builder
	for _, in := range e.st.Snapshot().Instances() {
		sb.Write(configBytes(in))
	}
	return sb.String()
}

func configBytes(in *control.Instance) []byte {
	return []byte(strings.TrimSpace(string(marshal(in))))
}

func (e *env) writeFile(name, content string) string {
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}
