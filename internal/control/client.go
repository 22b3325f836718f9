package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/siit-project/siit/internal/config"
	"github.com/siit-project/siit/xlat/eamt"
)

// Client talks to the daemon's control socket. Each call uses its own
// connection, so a Client may be shared between goroutines.
type Client struct {
	Path    string        // socket path (default SocketPath())
	Timeout time.Duration // whole request (default 2 minutes)
	// Version is the protocol version to announce (default ProtocolVersion;
	// tests change it to check the daemon's refusal).
	Version int
}

// NewClient returns a client for the socket at path ("" for SocketPath()).
func NewClient(path string) *Client {
	if path == "" {
		path = SocketPath()
	}
	return &Client{Path: path}
}

// NotRunningError means no daemon answers on the socket.
type NotRunningError struct {
	Path string
	Err  error
}

func (e *NotRunningError) Error() string {
	return fmt.Sprintf("siit daemon is not running (no control socket at %s); start it with `siit run IFACE...`", e.Path)
}

func (e *NotRunningError) Unwrap() error { return e.Err }

// DialError is a failure to reach the daemon: nothing was sent. It wraps
// the reason (a *NotRunningError, a permission *Error, or the socket error).
type DialError struct{ Err error }

func (e *DialError) Error() string { return e.Err.Error() }
func (e *DialError) Unwrap() error { return e.Err }

// Do sends one request and returns the answer. A daemon-side failure comes
// back as an *Error with the daemon's errno and message.
func (c *Client) Do(op, instance string, args any, payload []byte) (json.RawMessage, []byte, error) {
	return c.do(op, instance, args, int64(len(payload)), func(w io.Writer) error {
		if len(payload) == 0 {
			return nil
		}
		_, err := w.Write(payload)
		return err
	})
}

// do sends a request whose payload of size bytes is written by send.
func (c *Client) do(op, instance string, args any, size int64, send func(io.Writer) error) (json.RawMessage, []byte, error) {
	req := Request{Version: c.Version, Op: op, Instance: instance}
	if req.Version == 0 {
		req.Version = ProtocolVersion
	}
	if args != nil {
		b, err := json.Marshal(args)
		if err != nil {
			return nil, nil, fmt.Errorf("encode %s request: %w", op, err)
		}
		req.Args = b
	}
	if size < 0 || size > math.MaxUint32 {
		return nil, nil, fmt.Errorf("encode %s request: a payload of %d bytes does not fit a control message", op, size)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	conn, err := net.DialTimeout("unix", c.Path, 5*time.Second)
	if err != nil {
		switch {
		case errors.Is(err, os.ErrNotExist), errors.Is(err, syscall.ECONNREFUSED):
			err = &NotRunningError{Path: c.Path, Err: err}
		case errors.Is(err, os.ErrPermission):
			err = errnoErr(syscall.EPERM, "permission denied on the control socket %s: only root may configure siit; run the command as root (e.g. with sudo)", c.Path)
		default:
			err = fmt.Errorf("connect to the siit daemon at %s: %w", c.Path, err)
		}
		return nil, nil, &DialError{Err: err}
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	werr := writeHeader(conn, req, uint32(size))
	if werr == nil {
		werr = send(conn)
	}
	if werr != nil {
		// Whatever the daemon got is an incomplete frame, which it drops.
		conn.(*net.UnixConn).CloseWrite()
	}
	// Even if sending failed, the daemon may have answered (it refuses a
	// peer before reading its request): that answer says why.
	hdr, out, err := readFrame(conn, DefaultMaxHeader, DefaultMaxPayload, nil)
	if err != nil {
		if werr != nil {
			return nil, nil, fmt.Errorf("send %s request to the siit daemon: %w", op, werr)
		}
		return nil, nil, fmt.Errorf("read the siit daemon's answer to %s: %w", op, err)
	}
	var resp Response
	if err := json.Unmarshal(hdr, &resp); err != nil {
		return nil, nil, fmt.Errorf("malformed answer from the siit daemon: %w", err)
	}
	if resp.Version != ProtocolVersion {
		return nil, nil, errnoErr(syscall.EPROTO, "control protocol version mismatch: the daemon speaks version %d, this client speaks version %d; use the siit binary that matches the running daemon", resp.Version, ProtocolVersion)
	}
	if !resp.OK {
		errno := syscall.Errno(resp.Errno)
		if errno == 0 {
			errno = syscall.EINVAL
		}
		return nil, nil, &Error{Errno: errno, Err: errors.New(resp.Error), Kernel: resp.Kernel}
	}
	if werr != nil {
		// The daemon said yes to a request it did not fully receive: it cannot have been this one.
		return nil, nil, fmt.Errorf("send %s request to the siit daemon: %w", op, werr)
	}
	return resp.Result, out, nil
}

func (c *Client) call(op, instance string, args, result any, payload []byte) ([]byte, error) {
	raw, out, err := c.Do(op, instance, args, payload)
	if err != nil {
		return nil, err
	}
	if result != nil {
		if err := json.Unmarshal(raw, result); err != nil {
			return nil, fmt.Errorf("malformed %s answer from the siit daemon: %w", op, err)
		}
	}
	return out, nil
}

// Ping checks that the daemon answers.
func (c *Client) Ping() error { _, err := c.call(OpPing, "", nil, nil, nil); return err }

// Instances lists the daemon's instances.
func (c *Client) Instances() ([]InstanceInfo, error) {
	var out []InstanceInfo
	_, err := c.call(OpInstanceDisplay, "", nil, &out, nil)
	return out, err
}

// AddInstance creates an instance; pool6 may be the zero Prefix.
func (c *Client) AddInstance(name string, fw config.Framework, pool6 netip.Prefix) error {
	a := instanceAddArgs{Framework: string(fw)}
	if pool6.IsValid() {
		a.Pool6 = pool6.String()
	}
	_, err := c.call(OpInstanceAdd, name, a, nil, nil)
	return err
}

// RemoveInstance deletes an instance.
func (c *Client) RemoveInstance(name string) error {
	_, err := c.call(OpInstanceRemove, name, nil, nil, nil)
	return err
}

// FlushInstances deletes every instance.
func (c *Client) FlushInstances() error {
	_, err := c.call(OpInstanceFlush, "", nil, nil, nil)
	return err
}

// InstanceExists reports whether the instance exists.
func (c *Client) InstanceExists(name string) (bool, error) {
	var r statusResult
	_, err := c.call(OpInstanceStatus, name, nil, &r, nil)
	return r.Exists, err
}

// Globals returns an instance's globals (as a config.Instance without
// EAMT and denylist4).
func (c *Client) Globals(name string) (*config.Instance, error) {
	var doc string
	if _, err := c.call(OpGlobalDisplay, name, nil, &doc, nil); err != nil {
		return nil, err
	}
	in, err := config.Parse([]byte(doc), "")
	if err != nil {
		return nil, fmt.Errorf("malformed globals from the siit daemon: %w", err)
	}
	return in, nil
}

// UpdateGlobal sets one global (exact key, Jool's value syntax); force is
// --force.
func (c *Client) UpdateGlobal(name, key, value string, force bool) error {
	_, err := c.call(OpGlobalUpdate, name, globalUpdateArgs{Key: key, Value: value, Force: force}, nil, nil)
	return err
}

// EAMT returns the EAM table in display order (newest first).
func (c *Client) EAMT(name string) ([]eamt.Entry, error) {
	out, err := c.call(OpEAMTDisplay, name, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	return decodeEAMT(out)
}

func ptrString(p *netip.Prefix) string {
	if p == nil {
		return ""
	}
	return p.String()
}

// AddEAM adds an entry.
func (c *Client) AddEAM(name string, e eamt.Entry, force bool) error {
	_, err := c.call(OpEAMTAdd, name, eamArgs{Prefix6: e.Prefix6.String(), Prefix4: e.Prefix4.String(), Force: force}, nil, nil)
	return err
}

// RemoveEAM removes the entry given by either prefix or both (nil: not given).
func (c *Client) RemoveEAM(name string, p6, p4 *netip.Prefix) error {
	_, err := c.call(OpEAMTRemove, name, eamArgs{Prefix6: ptrString(p6), Prefix4: ptrString(p4)}, nil, nil)
	return err
}

// FlushEAMT empties the EAM table.
func (c *Client) FlushEAMT(name string) error {
	_, err := c.call(OpEAMTFlush, name, nil, nil, nil)
	return err
}

// Denylist4 lists the denylisted prefixes.
func (c *Client) Denylist4(name string) ([]netip.Prefix, error) {
	var ss []string
	if _, err := c.call(OpDenylistDisplay, name, nil, &ss, nil); err != nil {
		return nil, err
	}
	out := make([]netip.Prefix, 0, len(ss))
	for _, s := range ss {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("malformed denylist4 from the siit daemon: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// AddDenylist4 adds a prefix.
func (c *Client) AddDenylist4(name string, p netip.Prefix, force bool) error {
	_, err := c.call(OpDenylistAdd, name, prefixArgs{Prefix: p.String(), Force: force}, nil, nil)
	return err
}

// RemoveDenylist4 removes a prefix.
func (c *Client) RemoveDenylist4(name string, p netip.Prefix) error {
	_, err := c.call(OpDenylistRemove, name, prefixArgs{Prefix: p.String()}, nil, nil)
	return err
}

// FlushDenylist4 empties the denylist.
func (c *Client) FlushDenylist4(name string) error {
	_, err := c.call(OpDenylistFlush, name, nil, nil, nil)
	return err
}

// Stats returns the instance's counters in Jool's order.
func (c *Client) Stats(name string) ([]Counter, error) {
	var out []Counter
	_, err := c.call(OpStatsDisplay, name, nil, &out, nil)
	return out, err
}

// Query explains how addr translates.
func (c *Client) Query(name string, addr netip.Addr) (QueryResult, error) {
	var r queryResult
	if _, err := c.call(OpAddressQuery, name, queryArgs{Addr: addr.String()}, &r, nil); err != nil {
		return QueryResult{}, err
	}
	q := QueryResult{Method: Method(r.Method)}
	var err error
	if q.Query, err = netip.ParseAddr(r.Query); err == nil {
		q.Result, err = netip.ParseAddr(r.Result)
	}
	if err == nil && q.Method == MethodEAMT {
		if q.EAM.Prefix6, err = netip.ParsePrefix(r.Prefix6); err == nil {
			q.EAM.Prefix4, err = netip.ParsePrefix(r.Prefix4)
		}
	} else if err == nil {
		q.Pool6, err = netip.ParsePrefix(r.Prefix6)
	}
	if err != nil {
		return QueryResult{}, fmt.Errorf("malformed address query answer from the siit daemon: %w", err)
	}
	return q, nil
}

// HandleFile applies a whole instance configuration atomically. The EAMT
// travels in binary form; the daemon validates everything and builds the
// table before anything changes.
func (c *Client) HandleFile(in *config.Instance, force bool) error {
	rest := *in
	rest.EAMT = nil
	args := fileArgs{Config: string(config.Marshal(&rest)), Force: force}
	_, err := c.call(OpFileHandle, in.Name, args, nil, encodeEAMT(in.EAMT))
	return err
}

// FileDisplay returns the instance's whole configuration as a Jool JSON file.
func (c *Client) FileDisplay(name string) ([]byte, error) {
	return c.call(OpFileDisplay, name, nil, nil, nil)
}

// LoadFile is `file handle` for a file the daemon parses itself: the size
// bytes read from r (a Jool JSON file; name is how the user named it, for
// error messages) travel as they are, so the file is parsed once, by the
// daemon, which then validates, builds and applies it all or nothing. A
// failure to read r ends the request before the daemon acts on it and is
// returned as it is. instance plays the part of -i ("" to take the name from
// the file). A *DialError means nothing was sent.
func (c *Client) LoadFile(r io.Reader, size int64, name, instance string, force bool) error {
	rerr := error(nil)
	_, _, err := c.do(OpFileLoad, instance, fileLoadArgs{Name: name, Force: force}, size, func(w io.Writer) error {
		buf := make([]byte, max(min(size, 1<<20), 1))
		n, err := io.CopyBuffer(w, readErrs{io.LimitReader(r, size), &rerr}, buf)
		if err == nil && n < size {
			rerr = fmt.Errorf("the file ended after %d of %d bytes: it changed while being read", n, size)
		}
		if rerr != nil {
			return rerr
		}
		return err
	})
	if rerr != nil {
		return rerr
	}
	return err
}

// readErrs tells a read error from a write error inside io.Copy.
type readErrs struct {
	r   io.Reader
	err *error
}

func (r readErrs) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	if err != nil && err != io.EOF {
		*r.err = err
	}
	return n, err
}
