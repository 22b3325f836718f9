package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const goodFile = `{"instance": "default", "framework": "netfilter", "global": {"pool6": "64:ff9b::/96"},
	"eamt": [{"ipv6 prefix": "2001:db8::/120", "ipv4 prefix": "192.0.2.0/24"}]}`

// TestFileHandleBrokenFileWithoutDaemon: the daemon parses files now, but a
// broken file is still reported as such (not as "daemon not running") when
// there is no daemon, as Jool's client validates a file before it talks to
// the kernel; a good file gets the not-running error.
func TestFileHandleBrokenFileWithoutDaemon(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "none.sock")
	bad := filepath.Join(dir, "bad.json")
	good := filepath.Join(dir, "good.json")
	if err := os.WriteFile(bad, []byte("{\"instance\": \"default\",\n\"framework\": \"netfilter\",\n\"eamt\": [{\"ipv6 prefix\": \"2001:db8::/129\", \"ipv4 prefix\": \"192.0.2.0/24\"}]}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte(goodFile), 0o600); err != nil {
		t.Fatal(err)
	}
	var o, er strings.Builder
	code := Main("jool_siit", []string{"--socket", sock, "file", "handle", bad}, &o, &er)
	want := "Error: " + bad + ": line 3: cannot parse \"2001:db8::/129\": prefix length 129 is out of bounds (0-128)\n"
	if code != 234 || er.String() != want {
		t.Fatalf("broken file, no daemon: exit %d, stderr %q; want 234, %q", code, er.String(), want)
	}
	er.Reset()
	code = Main("jool_siit", []string{"--socket", sock, "file", "handle", good}, &o, &er)
	if code != 253 || !strings.Contains(er.String(), "siit daemon is not running") {
		t.Fatalf("good file, no daemon: exit %d, stderr %q", code, er.String())
	}
}

// TestFileHandleErrorsAsBefore: errors for a broken file read the same
// whether or not a daemon runs (path, line, message; exit status EINVAL).
func TestFileHandleErrorsAsBefore(t *testing.T) {
	e := newEnv(t)
	bad := e.writeFile("bad.json", "{\"instance\": \"default\",\n\"framework\": \"netfilter\",\n\"eamt\": [{\"ipv6 prefix\": \"2001:db8::/129\", \"ipv4 prefix\": \"192.0.2.0/24\"}]}")
	r := e.run("file", "handle", bad)
	want := "Error: " + bad + ": line 3: cannot parse \"2001:db8::/129\": prefix length 129 is out of bounds (0-128)\n"
	if r.code != 234 || r.err != want {
		t.Fatalf("exit %d, stderr %q; want 234, %q", r.code, r.err, want)
	}
	dup := e.writeFile("dup.json", `{"instance": "default", "framework": "netfilter", "eamt": [
		{"ipv6 prefix": "2001:db8::/120", "ipv4 prefix": "192.0.2.0/24"},
		{"ipv6 prefix": "2001:db8:1::/120", "ipv4 prefix": "192.0.2.0/24"}]}`)
	e.fails(256-int(syscall.EEXIST), "eamt: eam #2: add eam 192.0.2.0/24 <-> 2001:db8:1::/120: existing entry", "file", "handle", dup)
	e.fails(234, "does not match the instance named in the file", "-i", "other", "file", "handle", e.writeFile("g.json", goodFile))
	e.fails(int(syscall.EISDIR), "cannot read file \""+e.dir+"\": is a directory", "file", "handle", e.dir)
}

// TestFileHandleFromPipe: a file that is not a regular file (here a FIFO,
// like `<(generate-config)`) is parsed by the client and still applied.
func TestFileHandleFromPipe(t *testing.T) {
	e := newEnv(t)
	fifo := filepath.Join(e.dir, "conf.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.WriteString(goodFile)
		f.Close()
	}()
	e.ok("file", "handle", fifo)
	if in := e.st.Snapshot().Instance("default"); in == nil || in.EAMT.Len() != 1 {
		t.Fatalf("instance after file handle from a pipe: %v", in)
	}
}
