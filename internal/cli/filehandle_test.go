package cli

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
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
	e.fails(int(syscall.EEXIST), "eamt: eam #2: add eam 192.0.2.0/24 <-> 2001:db8:1::/120: existing entry", "file", "handle", dup)
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

// oldDaemon answers like a daemon from before file.load: it does not know
// the operation, and takes file.handle (the EAMT in binary). It records the
// operations it was asked for and the payload sizes.
func oldDaemon(t *testing.T, sock string) (requests func() []string) {
	t.Helper()
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var got []string
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				read := func() []byte {
					var n [4]byte
					if _, err := io.ReadFull(conn, n[:]); err != nil {
						return nil
					}
					b := make([]byte, binary.BigEndian.Uint32(n[:]))
					io.ReadFull(conn, b)
					return b
				}
				var req struct{ Op string }
				json.Unmarshal(read(), &req)
				payload := read()
				mu.Lock()
				got = append(got, fmt.Sprintf("%s %d", req.Op, len(payload)))
				mu.Unlock()
				resp := `{"version":1,"ok":true}`
				if req.Op != "file.handle" {
					resp = `{"version":1,"error":"the daemon does not know operation \"` + req.Op + `\"","errno":95}`
				}
				out := binary.BigEndian.AppendUint32(nil, uint32(len(resp)))
				out = append(out, resp...)
				conn.Write(binary.BigEndian.AppendUint32(out, 0))
			}()
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}

// TestFileHandleOlderDaemon: a daemon that predates file.load (still
// running after an upgrade) gets the file parsed by the client instead.
func TestFileHandleOlderDaemon(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "old.sock")
	requests := oldDaemon(t, sock)
	file := filepath.Join(dir, "good.json")
	if err := os.WriteFile(file, []byte(goodFile), 0o600); err != nil {
		t.Fatal(err)
	}
	var o, er strings.Builder
	if code := Main("jool_siit", []string{"--socket", sock, "file", "handle", file}, &o, &er); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, er.String())
	}
	if want := []string{fmt.Sprintf("file.load %d", len(goodFile)), "file.handle 22"}; !slices.Equal(requests(), want) {
		t.Fatalf("requests %q, want %q", requests(), want)
	}
}
