package control

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"

	"github.com/siit-project/siit/internal/config"
)

// sendFile is what `siit file handle` does with a regular file.
func sendFile(c *Client, data []byte, name, instance string, force bool) error {
	return c.LoadFile(bytes.NewReader(data), int64(len(data)), name, instance, force)
}

// TestLoadFileMatchesClientParse checks that a file the daemon parses is
// judged exactly as when the client parsed it and sent the binary EAMT: the
// same errors word for word, the same errno, the same resulting state; and
// that a rejected file changes nothing.
func TestLoadFileMatchesClientParse(t *testing.T) {
	good := `{"instance": "a", "framework": "netfilter", "global": {"pool6": "64:ff9b::/96"},
	"eamt": [{"ipv6 prefix": "2001:db8::/120", "ipv4 prefix": "192.0.2.0/24"},
	         {"ipv4 prefix": "198.51.100.7", "ipv6 prefix": "2001:db8:1::7"}],
	"denylist4": ["203.0.113.0/24"]}`
	files := []struct{ name, instance, doc string }{
		{"good", "", good},
		{"good, -i agrees", "a", good},
		{"-i disagrees", "b", good},
		{"no name", "", `{"framework": "netfilter"}`},
		{"syntax", "", `{"instance": "a", "framework": "netfilter", "eamt": [ {"ipv6 prefix": "2001:db8::/120" "ipv4 prefix": "192.0.2.0/24"}]}`},
		{"bad ipv6", "", `{"instance": "a", "framework": "netfilter", "eamt": [{"ipv6 prefix": "2001:db8::g/120", "ipv4 prefix": "192.0.2.0/24"}]}`},
		{"bad length", "", `{"instance": "a", "framework": "netfilter", "eamt": [{"ipv6 prefix": "2001:db8::/129", "ipv4 prefix": "192.0.2.0/24"}]}`},
		{"host bits", "", `{"instance": "a", "framework": "netfilter", "eamt": [{"ipv6 prefix": "2001:db8::1/120", "ipv4 prefix": "192.0.2.0/24"}]}`},
		{"suffix rule", "", `{"instance": "a", "framework": "netfilter", "eamt": [{"ipv6 prefix": "2001:db8::/124", "ipv4 prefix": "192.0.2.0/24"}]}`},
		{"duplicate", "", `{"instance": "a", "framework": "netfilter", "eamt": [{"ipv6 prefix": "2001:db8::/120", "ipv4 prefix": "192.0.2.0/24"}, {"ipv6 prefix": "2001:db8:2::/120", "ipv4 prefix": "192.0.2.0/24"}]}`},
		{"overlap", "", `{"instance": "a", "framework": "netfilter", "eamt": [{"ipv6 prefix": "2001:db8::/120", "ipv4 prefix": "192.0.2.0/24"}, {"ipv6 prefix": "2001:db8::/124", "ipv4 prefix": "198.51.100.0/28"}]}`},
		{"denylist twice", "", `{"instance": "a", "framework": "netfilter", "denylist4": ["203.0.113.0/24", "203.0.113.0/24"]}`},
		{"bad global", "", `{"instance": "a", "framework": "netfilter", "global": {"pool6": "64:ff9b::/95"}}`},
		{"empty", "", ``},
	}
	for _, f := range files {
		for _, force := range []bool{false, true} {
			// The old way: the client parses, the daemon gets the EAMT in binary.
			stOld, _, cOld := startServer(t, ServerOptions{})
			var errOld error
			if in, err := config.Parse([]byte(f.doc), f.instance); err != nil {
				errOld = invalid(fmt.Errorf("%s: %w", "conf.json", err))
			} else {
				errOld = cOld.HandleFile(in, force)
			}
			// The new way: the daemon parses.
			stNew, _, cNew := startServer(t, ServerOptions{})
			gen := stNew.Snapshot().Generation
			errNew := sendFile(cNew, []byte(f.doc), "conf.json", f.instance, force)
			if fmt.Sprint(errOld) != fmt.Sprint(errNew) || (errOld != nil && ErrnoOf(errOld) != ErrnoOf(errNew)) {
				t.Errorf("%s (force %v):\nclient parse: %v (errno %d)\ndaemon parse: %v (errno %d)", f.name, force,
					errOld, ErrnoOf(errOld), errNew, ErrnoOf(errNew))
				continue
			}
			if errNew != nil {
				if stNew.Snapshot().Generation != gen {
					t.Errorf("%s: a rejected file changed the state", f.name)
				}
				continue
			}
			for _, name := range []string{"a"} {
				o, n := stOld.Snapshot().Instance(name), stNew.Snapshot().Instance(name)
				if o == nil || n == nil || !bytes.Equal(config.Marshal(o.Config()), config.Marshal(n.Config())) {
					t.Errorf("%s: the daemon-parsed file gave another configuration", f.name)
				}
			}
		}
	}
}

// TestLoadFileErrorNamesFile checks the wording the user sees for a broken
// file (the file name, then the line).
func TestLoadFileErrorNamesFile(t *testing.T) {
	_, _, c := startServer(t, ServerOptions{})
	err := sendFile(c, []byte("{\n\"instance\": \"a\",\n\"framework\": \"netfilter\",\n\"pool6\": 1}"), "/etc/siit.json", "", false)
	var ce *Error
	if !errors.As(err, &ce) || ce.Errno != syscall.EINVAL ||
		!strings.HasPrefix(err.Error(), "/etc/siit.json: line 4: unknown key \"pool6\" at the top level") {
		t.Fatalf("got %v", err)
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(b []byte) (int, error) {
	if r.n <= 0 {
		return 0, syscall.EIO
	}
	k := min(len(b), r.n)
	for i := range b[:k] {
		b[i] = ' '
	}
	r.n -= k
	return k, nil
}

// TestLoadFileReadFailure checks that a file that cannot be read to its
// end, or that is shorter than announced, changes nothing, that the read
// error is what the caller gets, and that the daemon keeps serving.
func TestLoadFileReadFailure(t *testing.T) {
	st, _, c := startServer(t, ServerOptions{})
	if err := c.AddInstance("x", config.Netfilter, netip.MustParsePrefix("64:ff9b::/96")); err != nil {
		t.Fatal(err)
	}
	gen := st.Snapshot().Generation
	err := c.LoadFile(&failingReader{n: 3 << 20}, 4<<20, "f.json", "", false)
	if !errors.Is(err, syscall.EIO) {
		t.Fatalf("read failure: %v", err)
	}
	err = c.LoadFile(strings.NewReader(`{"instance": "a", "framework": "netfilter"}`), 1000, "f.json", "", false)
	if err == nil || !strings.Contains(err.Error(), "changed while being read") {
		t.Fatalf("short file: %v", err)
	}
	if st.Snapshot().Generation != gen {
		t.Fatal("an unreadable file changed the state")
	}
	if err := c.Ping(); err != nil {
		t.Fatalf("daemon after aborted transfers: %v", err)
	}
}

func TestLoadFileDialError(t *testing.T) {
	c := NewClient(filepath.Join(t.TempDir(), "none.sock"))
	err := sendFile(c, []byte(`{}`), "f.json", "", false)
	var de *DialError
	var nr *NotRunningError
	if !errors.As(err, &de) || !errors.As(err, &nr) {
		t.Fatalf("got %v", err)
	}
}

// TestPauseGCNests: concurrent bulk loads nest, and the last one out
// restores the collector's setting; a small file leaves it alone.
func TestPauseGCNests(t *testing.T) {
	prev := debug.SetGCPercent(137)
	defer debug.SetGCPercent(prev)
	small := pauseGC(1000)
	if got := debug.SetGCPercent(137); got != 137 {
		t.Fatalf("a small file changed GOGC to %d", got)
	}
	small()
	a := pauseGC(bulkBytes)
	b := pauseGC(bulkBytes)
	a()
	a() // idempotent
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Fatalf("GC back on (%d) while a load is still running", got)
	}
	b()
	if got := debug.SetGCPercent(137); got != 137 {
		t.Fatalf("GOGC after both loads: %d, want 137", got)
	}
}

// TestStateLoadFileWording pins the wording of a reload's errors (what the
// daemon logs on SIGHUP).
func TestStateLoadFileWording(t *testing.T) {
	st := NewState(Options{})
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{\"instance\":\"default\",\n\"framework\":\"netfilter\",\"x\":1}"), 0o600)
	if err := st.LoadFile(bad, "", false); err == nil || !strings.HasPrefix(err.Error(), "load configuration "+bad+": line 2: unknown key \"x\"") || ErrnoOf(err) != syscall.EINVAL {
		t.Fatalf("parse error: %v", err)
	}
	dup := filepath.Join(dir, "dup.json")
	os.WriteFile(dup, []byte(`{"instance":"default","framework":"netfilter","eamt":[
		{"ipv6 prefix":"2001:db8::/120","ipv4 prefix":"192.0.2.0/24"},{"ipv6 prefix":"2001:db8::/120","ipv4 prefix":"198.51.100.0/24"}]}`), 0o600)
	if err := st.LoadFile(dup, "", false); err == nil || !strings.HasPrefix(err.Error(), "load configuration "+dup+": eamt: eam #2: ") ||
		ErrnoOf(err) != syscall.EEXIST {
		t.Fatalf("collision: %v", err)
	}
	if err := st.LoadFile(filepath.Join(dir, "missing.json"), "", false); err == nil || !strings.HasPrefix(err.Error(), "load configuration: open ") {
		t.Fatalf("missing file: %v", err)
	}
}

// TestLoadFiles applies several files as one change: all of them, or none
// when one is bad or two name the same instance; errors name the file and
// keep their errno.
func TestLoadFiles(t *testing.T) {
	st := NewState(Options{})
	dir := t.TempDir()
	file := func(name, body string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := file("a.json", `{"instance":"a","framework":"netfilter","global":{"pool6":"64:ff9b::/96"},
		"eamt":[{"ipv6 prefix":"2001:db8:6::/120","ipv4 prefix":"192.0.2.0/24"}]}`)
	b := file("b.json", `{"instance":"b","framework":"netfilter","global":{"pool6":"2001:db8:64::/96"}}`)
	if err := st.LoadFiles([]string{a, b}); err != nil {
		t.Fatal(err)
	}
	gen := st.Snapshot().Generation
	if st.Snapshot().Instance("a") == nil || st.Snapshot().Instance("b") == nil {
		t.Fatal("instances a and b were not both created")
	}
	a2 := file("a2.json", `{"instance":"a","framework":"netfilter","global":{"pool6":"64:ff9b::/96"}}`)
	badEAM := file("bad.json", `{"instance":"b","framework":"netfilter","eamt":[
		{"ipv6 prefix":"2001:db8::/120","ipv4 prefix":"192.0.2.0/24"},{"ipv6 prefix":"2001:db8::/120","ipv4 prefix":"198.51.100.0/24"}]}`)
	dupName := file("dup.json", `{"instance":"a","framework":"netfilter"}`)
	for _, c := range []struct {
		paths []string
		want  string
		errno syscall.Errno
	}{
		{[]string{a2, badEAM}, "load configuration " + badEAM + ": eamt: eam #2: ", syscall.EEXIST},
		{[]string{a2, dupName}, "load configuration " + dupName + `: instance "a" is also configured by ` + a2, syscall.EINVAL},
		{[]string{a2, filepath.Join(dir, "missing.json")}, "load configuration: open ", 0},
	} {
		err := st.LoadFiles(c.paths)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || (c.errno != 0 && ErrnoOf(err) != c.errno) {
			t.Errorf("%v: got %v (errno %v), want %q... (errno %v)", c.paths, err, ErrnoOf(err), c.want, c.errno)
		}
		if st.Snapshot().Generation != gen || st.Snapshot().Instance("a").EAMT.Len() != 1 {
			t.Errorf("%v: a failed load changed the state", c.paths)
		}
	}
}
