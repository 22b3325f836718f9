package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// DefaultSocketPath is where the daemon listens unless told otherwise.
const DefaultSocketPath = "/run/siit/siit.sock"

// SocketEnv names the environment variable that overrides the socket path.
const SocketEnv = "SIIT_SOCKET"

// SocketPath returns $SIIT_SOCKET if set, else DefaultSocketPath.
func SocketPath() string {
	if p := os.Getenv(SocketEnv); p != "" {
		return p
	}
	return DefaultSocketPath
}

// ServerOptions configures the control socket server. Zero values mean the
// defaults.
type ServerOptions struct {
	Path        string        // socket path (default SocketPath())
	AllowUIDs   []uint32      // peers allowed besides uid 0 (default: the daemon's own uid)
	MaxHeader   int           // default DefaultMaxHeader
	MaxPayload  int           // default DefaultMaxPayload
	MaxClients  int           // concurrent connections (default 64); more are told to retry
	IdleTimeout time.Duration // wait for the next request on a connection (default 10 s)
	IOTimeout   time.Duration // read one request / write one answer (default 60 s)
	Logger      *zap.Logger   // default: no logging
	// Namespace is shown in the Namespace column of `instance display`
	// (default: the inode of the daemon's network namespace, in hex).
	Namespace string
}

// Server serves the control protocol on a unix socket.
type Server struct {
	state     *State
	opts      ServerOptions
	ln        *net.UnixListener
	log       *zap.Logger
	namespace string
	sem       chan struct{}

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Listen creates the control socket (mode 0600; its directory is created
// with mode 0755 if missing). A stale socket left by a dead daemon is
// replaced; a socket a live daemon answers on is an error.
func Listen(st *State, opts ServerOptions) (*Server, error) {
	if opts.Path == "" {
		opts.Path = SocketPath()
	}
	if opts.MaxHeader <= 0 {
		opts.MaxHeader = DefaultMaxHeader
	}
	if opts.MaxPayload <= 0 {
		opts.MaxPayload = DefaultMaxPayload
	}
	if opts.MaxClients <= 0 {
		opts.MaxClients = 64
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 10 * time.Second
	}
	if opts.IOTimeout <= 0 {
		opts.IOTimeout = 60 * time.Second
	}
	if opts.AllowUIDs == nil {
		opts.AllowUIDs = []uint32{uint32(os.Getuid())}
	}
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	ns := opts.Namespace
	if ns == "" {
		ns = netnsID()
	}
	ln, err := listenPrivate(opts.Path)
	if err != nil {
		return nil, err
	}
	return &Server{state: st, opts: opts, ln: ln, log: log, namespace: ns,
		sem: make(chan struct{}, opts.MaxClients), conns: map[net.Conn]struct{}{}}, nil
}

// Start is Listen followed by Serve in a new goroutine.
func Start(st *State, opts ServerOptions) (*Server, error) {
	s, err := Listen(st, opts)
	if err != nil {
		return nil, err
	}
	go s.Serve() //nolint:errcheck // Serve's error after Close is expected and nil
	return s, nil
}

// listenPrivate binds under a temporary name, restricts it to 0600 and then
// renames it into place, so the socket is never reachable with looser
// permissions.
func listenPrivate(path string) (*net.UnixListener, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create control socket directory %s: %w", dir, err)
	}
	if _, err := os.Lstat(path); err == nil {
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("control socket %s is in use: another siit daemon is running; stop it first, or use another socket path (%s)", path, SocketEnv)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale control socket %s: %w", path, err)
		}
	}
	tmp := path + ".tmp" + strconv.Itoa(os.Getpid())
	os.Remove(tmp)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listen on control socket %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, 0o600); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("restrict control socket %s to 0600: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("move control socket into place at %s: %w", path, err)
	}
	return ln, nil
}

// netnsID identifies the daemon's network namespace like Jool's Namespace
// column does (an opaque hex number that is equal for equal namespaces).
func netnsID() string {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/ns/net", &st); err != nil {
		return "0"
	}
	return strconv.FormatUint(st.Ino, 16)
}

// Path returns the socket path.
func (s *Server) Path() string { return s.opts.Path }

// Serve accepts connections until Close. It returns nil after Close.
func (s *Server) Serve() error {
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return fmt.Errorf("accept on control socket: %w", err)
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return nil
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(c)
	}
}

// Close stops accepting, closes open connections, waits for their handlers
// and removes the socket file.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	os.Remove(s.opts.Path)
	return err
}

func (s *Server) serveConn(c *net.UnixConn) {
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
		s.wg.Done()
	}()
	fail := func(errno syscall.Errno, msg string) {
		c.SetWriteDeadline(time.Now().Add(s.opts.IOTimeout))
		writeFrame(c, Response{Version: ProtocolVersion, Error: msg, Errno: int(errno)}, nil) //nolint:errcheck // best effort
	}
	if err := s.checkPeer(c); err != nil {
		s.log.Warn("control connection refused", zap.Error(err))
		fail(syscall.EPERM, err.Error())
		return
	}
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	default:
		fail(syscall.EBUSY, fmt.Sprintf("the daemon is already serving %d control clients; retry", s.opts.MaxClients))
		return
	}
	for {
		c.SetReadDeadline(time.Now().Add(s.opts.IdleTimeout))
		hdr, payload, err := readFrame(c, s.opts.MaxHeader, s.opts.MaxPayload, func() {
			c.SetReadDeadline(time.Now().Add(s.opts.IOTimeout))
		})
		if err != nil {
			var big *frameTooBig
			if errors.As(err, &big) {
				fail(syscall.EMSGSIZE, err.Error()+"; the request was refused")
			}
			return // EOF, timeout or a broken frame: nothing more to say
		}
		resp, out := s.answer(hdr, payload)
		c.SetWriteDeadline(time.Now().Add(s.opts.IOTimeout))
		if err := writeFrame(c, resp, out); err != nil {
			return
		}
		if resp.Errno == int(syscall.EPROTO) {
			return
		}
	}
}

func (s *Server) answer(hdr, payload []byte) (Response, []byte) {
	var req Request
	if err := json.Unmarshal(hdr, &req); err != nil {
		return Response{Version: ProtocolVersion, Errno: int(syscall.EPROTO),
			Error: fmt.Sprintf("malformed control request (%v); use a siit client of the same version as the daemon", err)}, nil
	}
	if req.Version != ProtocolVersion {
		return Response{Version: ProtocolVersion, Errno: int(syscall.EPROTO),
			Error: fmt.Sprintf("control protocol version mismatch: the client speaks version %d, the daemon speaks version %d; use the siit binary that matches the running daemon", req.Version, ProtocolVersion)}, nil
	}
	result, out, err := s.handle(&req, payload)
	if err != nil {
		s.log.Info("control request failed", zap.String("op", req.Op), zap.String("instance", req.Instance), zap.Error(err))
		return Response{Version: ProtocolVersion, Error: err.Error(), Errno: int(ErrnoOf(err)), Kernel: isKernel(err)}, nil
	}
	resp := Response{Version: ProtocolVersion, OK: true}
	if result != nil {
		b, err := json.Marshal(result)
		if err != nil {
			return Response{Version: ProtocolVersion, Errno: int(syscall.EIO), Error: "encode answer: " + err.Error()}, nil
		}
		resp.Result = b
	}
	if !isReadOnly(req.Op) {
		s.log.Info("configuration changed", zap.String("op", req.Op), zap.String("instance", req.Instance),
			zap.Uint64("generation", s.state.Snapshot().Generation))
	}
	return resp, out
}

func isReadOnly(op string) bool {
	switch op {
	case OpPing, OpInstanceDisplay, OpInstanceStatus, OpGlobalDisplay, OpEAMTDisplay, OpDenylistDisplay, OpStatsDisplay, OpAddressQuery, OpFileDisplay:
		return true
	}
	return false
}

// checkPeer lets in uid 0 and the allowed uids (by default the daemon's own).
func (s *Server) checkPeer(c *net.UnixConn) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return fmt.Errorf("read control peer credentials: %w", err)
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return fmt.Errorf("read control peer credentials: %w", err)
	}
	if cerr != nil {
		return fmt.Errorf("read control peer credentials: %w", cerr)
	}
	if cred.Uid == 0 || slices.Contains(s.opts.AllowUIDs, cred.Uid) {
		return nil
	}
	return fmt.Errorf("permission denied: uid %d (pid %d) may not configure siit; only root may: run the command as root (e.g. with sudo)", cred.Uid, cred.Pid)
}
