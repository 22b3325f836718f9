package control

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/siit-project/siit/internal/config"
)

func startServer(t *testing.T, opts ServerOptions) (*State, *Server, *Client) {
	t.Helper()
	st := NewState(Options{})
	if opts.Path == "" {
		opts.Path = filepath.Join(t.TempDir(), "siit.sock")
	}
	srv, err := Start(st, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return st, srv, NewClient(opts.Path)
}

func TestSocketMode0600AndStaleSocket(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "siit.sock")
	_, srv, c := startServer(t, ServerOptions{Path: path})
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v, want socket 0600", fi.Mode())
	}
	if err := c.Ping(); err != nil {
		t.Fatal(err)
	}
	// A second daemon on the same path is refused while the first one lives.
	if _, err := Listen(NewState(Options{}), ServerOptions{Path: path}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Listen: %v", err)
	}
	srv.Close()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket left after Close: %v", err)
	}
	// A stale socket file (nobody listening) is replaced.
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	_, _, c2 := startServer(t, ServerOptions{Path: path})
	if err := c2.Ping(); err != nil {
		t.Fatalf("after replacing a stale socket: %v", err)
	}
}

func TestClientDaemonNotRunning(t *testing.T) {
	c := NewClient(filepath.Join(t.TempDir(), "none.sock"))
	err := c.Ping()
	var nr *NotRunningError
	if !errors.As(err, &nr) || !strings.Contains(err.Error(), "start it with `siit run IFACE...`") {
		t.Fatalf("Ping: %v", err)
	}
}

func TestProtocolVersionMismatch(t *testing.T) {
	_, _, c := startServer(t, ServerOptions{})
	c.Version = 2
	err := c.Ping()
	if ErrnoOf(err) != syscall.EPROTO || !strings.Contains(err.Error(), "client speaks version 2, the daemon speaks version 1") {
		t.Fatalf("version 2 request: %v", err)
	}
}

// TestRefusalsSayWhoseMistake: the daemon's refusals carry Kernel (Jool's
// kernel module would refuse them too), a file that does not parse does not
// (Jool's client finds that), and neither do the protocol's own errors.
func TestRefusalsSayWhoseMistake(t *testing.T) {
	_, _, c := startServer(t, ServerOptions{})
	kind := func(err error) (syscall.Errno, bool) {
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("%v is not an *Error", err)
		}
		return ce.Errno, ce.Kernel
	}
	if errno, k := kind(c.RemoveInstance("nope")); errno != syscall.ESRCH || !k {
		t.Errorf("missing instance: errno %d, kernel %v", errno, k)
	}
	if err := c.AddInstance("default", config.Netfilter, netip.Prefix{}); err != nil {
		t.Fatal(err)
	}
	if errno, k := kind(c.AddInstance("default", config.Netfilter, netip.Prefix{})); errno != syscall.EEXIST || !k {
		t.Errorf("instance twice: errno %d, kernel %v", errno, k)
	}
	if errno, k := kind(c.UpdateGlobal("default", "lowest-ipv6-mtu", "1279", false)); errno != syscall.EINVAL || !k {
		t.Errorf("lowest-ipv6-mtu 1279: errno %d, kernel %v", errno, k)
	}
	doc := []byte(`{"instance": "default", "framework": "netfilter", "global": {"tos": 256}}`)
	if errno, k := kind(sendFile(c, doc, "f.json", "", false)); errno != syscall.EINVAL || k {
		t.Errorf("file that does not parse: errno %d, kernel %v", errno, k)
	}
	doc = []byte(`{"instance": "default", "framework": "netfilter", "global": {"lowest-ipv6-mtu": 1279}}`)
	if errno, k := kind(sendFile(c, doc, "f.json", "", false)); errno != syscall.EINVAL || !k {
		t.Errorf("file with a refused value: errno %d, kernel %v", errno, k)
	}
	// An instance name that is too long is the client's mistake in Jool,
	// found as it builds the request, worded as jool_siit words it.
	for _, err := range []error{c.UpdateGlobal("1234567890123456", "tos", "5", false), sendFile(c, doc, "f.json", "1234567890123456", false)} {
		if errno, k := kind(err); errno != syscall.EINVAL || k || err.Error() != badInstanceName {
			t.Errorf("long instance name: errno %d, kernel %v, %q", errno, k, err)
		}
	}
	c.Version = 2
	if errno, k := kind(c.Ping()); errno != syscall.EPROTO || k {
		t.Errorf("protocol mismatch: errno %d, kernel %v", errno, k)
	}
}

// rawConn sends hand-made frames.
func rawConn(t *testing.T, path string) net.Conn {
	t.Helper()
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	return conn
}

func readResponse(t *testing.T, r io.Reader) Response {
	t.Helper()
	hdr, _, err := readFrame(r, DefaultMaxHeader, DefaultMaxPayload, nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	var resp Response
	if err := json.Unmarshal(hdr, &resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestBoundedRequests(t *testing.T) {
	_, srv, _ := startServer(t, ServerOptions{MaxHeader: 1024, MaxPayload: 4096})
	// Header over the limit: refused before it is read.
	conn := rawConn(t, srv.Path())
	binary.Write(conn, binary.BigEndian, uint32(1<<30))
	if r := readResponse(t, conn); r.OK || r.Errno != int(syscall.EMSGSIZE) || !strings.Contains(r.Error, "limit") {
		t.Fatalf("oversized header: %+v", r)
	}
	// Payload over the limit.
	conn = rawConn(t, srv.Path())
	h, _ := json.Marshal(Request{Version: 1, Op: OpPing})
	binary.Write(conn, binary.BigEndian, uint32(len(h)))
	conn.Write(h)
	binary.Write(conn, binary.BigEndian, uint32(5000))
	if r := readResponse(t, conn); r.OK || r.Errno != int(syscall.EMSGSIZE) {
		t.Fatalf("oversized payload: %+v", r)
	}
	// Garbage header.
	conn = rawConn(t, srv.Path())
	writeFrame(conn, "not a request", nil)
	if r := readResponse(t, conn); r.OK || r.Errno != int(syscall.EPROTO) {
		t.Fatalf("garbage: %+v", r)
	}
	// Unknown operation.
	_, _, c := startServer(t, ServerOptions{})
	if _, _, err := c.Do("bogus.op", "", nil, nil); ErrnoOf(err) != syscall.EOPNOTSUPP {
		t.Fatalf("unknown op: %v", err)
	}
}

func TestIdleTimeoutClosesConnection(t *testing.T) {
	_, srv, _ := startServer(t, ServerOptions{IdleTimeout: 50 * time.Millisecond})
	conn := rawConn(t, srv.Path())
	var b [1]byte
	if _, err := conn.Read(b[:]); err != io.EOF {
		t.Fatalf("idle connection: read returned %v, want EOF once the daemon hangs up", err)
	}
}

func TestConcurrentClients(t *testing.T) {
	st, _, c := startServer(t, ServerOptions{})
	if err := c.AddInstance("default", config.Netfilter, pfx("64:ff9b::/96")); err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				p6 := netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(w), byte(i)}), 128)
				p4 := netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 51, byte(w), byte(i)}), 32)
				if err := c.AddEAM("default", entry(p6.String(), p4.String()), false); err != nil {
					errs <- err
				}
				if _, err := c.EAMT("default"); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := st.Snapshot().Instance("default").EAMT.Len(); n != workers*each {
		t.Fatalf("EAMT has %d entries, want %d", n, workers*each)
	}
}

// The peer-credential check: a client running as another uid (nobody) is
// refused even when the socket file itself would let it in, and cannot even
// connect when the socket has its normal 0600 mode.
func TestPeerCredentialsRejectOtherUID(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a client under another uid")
	}
	dir, err := os.MkdirTemp("", "siit-ctl-peer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	path := filepath.Join(dir, "siit.sock")
	_, _, _ = startServer(t, ServerOptions{Path: path})
	exe := filepath.Join(dir, "ctl.test")
	if err := copyFile(mustExecutable(t), exe); err != nil {
		t.Fatal(err)
	}
	run := func() (string, error) {
		cmd := exec.Command(exe, "-test.run=^TestPeerHelper$")
		cmd.Env = append(os.Environ(), "SIIT_CTL_PEER_SOCKET="+path)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run()
	if err != nil || !strings.Contains(out, "PEER-RESULT: permission denied on the control socket") {
		t.Fatalf("0600 socket, uid 65534: %v\n%s", err, out)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	out, err = run()
	if err != nil || !strings.Contains(out, "PEER-RESULT: permission denied: uid 65534") {
		t.Fatalf("0666 socket, uid 65534: %v\n%s", err, out)
	}
}

// TestPeerHelper runs in the child process of TestPeerCredentialsRejectOtherUID.
func TestPeerHelper(t *testing.T) {
	path := os.Getenv("SIIT_CTL_PEER_SOCKET")
	if path == "" {
		t.Skip("helper for TestPeerCredentialsRejectOtherUID")
	}
	err := NewClient(path).Ping()
	fmt.Printf("PEER-RESULT: %v\n", err)
}

func mustExecutable(t *testing.T) string {
	p, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func TestClientRoundTripAllOps(t *testing.T) {
	_, _, c := startServer(t, ServerOptions{})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.AddInstance("a", config.IPTables, pfx("64:ff9b::/96")))
	must(c.UpdateGlobal("a", "tos", "9", false))
	must(c.AddEAM("a", entry("2001:db8::/120", "192.0.2.0/24"), false))
	must(c.AddDenylist4("a", pfx("198.51.100.0/24"), false))
	g, err := c.Globals("a")
	must(err)
	if g.Globals.TOS != 9 || g.Framework != config.IPTables {
		t.Fatalf("globals %+v", g)
	}
	doc, err := c.FileDisplay("a")
	must(err)
	in, err := config.Parse(doc, "")
	must(err)
	in.Name = "b"
	must(c.HandleFile(in, false))
	doc2, err := c.FileDisplay("b")
	must(err)
	if strings.Replace(string(doc), `"a"`, `"b"`, 1) != string(doc2) {
		t.Fatalf("display → file → load changed the config:\n%s\n%s", doc, doc2)
	}
	q, err := c.Query("b", netip.MustParseAddr("192.0.2.5"))
	must(err)
	if q.Method != MethodEAMT || q.Result.String() != "2001:db8::5" {
		t.Fatalf("query %+v", q)
	}
	list, err := c.Instances()
	must(err)
	if len(list) != 2 || list[1].Name != "b" || list[1].Framework != "iptables" {
		t.Fatalf("instances %+v", list)
	}
	must(c.RemoveEAM("b", nil, ptr(pfx("192.0.2.0/24"))))
	must(c.FlushDenylist4("b"))
	must(c.FlushEAMT("a"))
	must(c.FlushInstances())
	if ok, err := c.InstanceExists("a"); ok || err != nil {
		t.Fatalf("exists after flush: %v %v", ok, err)
	}
}
