package e2e

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Traffic helpers run inside a namespace as `ip netns exec NS TESTBINARY
// CMD ARGS...` with SIIT_E2E_HELPER=1 (see lab.helper). Servers print
// "ready" once listening and then one line per event; clients print "ok ..."
// and exit 0, or print the failure to stderr and exit 1.
//
//	udpecho [-q] ADDR...          echo datagrams; "recv SRC LEN" per datagram unless -q
//	tcpecho ADDR                  echo streams; "conn SRC" per connection
//	udpping [-src A] [-nocsum] DST SIZE N
//	                              N request/response exchanges with payload check
//	                              (-nocsum: IPv4 UDP checksum zero)
//	udpflows DST SIZE K           K exchanges, each from a new socket (new flow)
//	udpone [-src A] [-nocsum] DST SIZE
//	                              send exactly one datagram, no retry
//	udprefused DST                expect ECONNREFUSED (an ICMP port unreachable)
//	tcpping [-src A] DST SIZE     connect, send SIZE bytes, read them back
//	udpstream DST PPS N SIZE      send N datagrams at PPS, count verified echoes
//	httpget URL                   print the body of a 200 answer
func runHelper(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "helper: no command")
		return 2
	}
	var err error
	switch args[0] {
	case "udpecho":
		err = udpEcho(args[1:])
	case "tcpecho":
		err = tcpEcho(args[1:])
	case "udpping":
		err = udpPing(args[1:])
	case "udpflows":
		err = udpFlows(args[1:])
	case "udpone":
		err = udpOne(args[1:])
	case "udprefused":
		err = udpRefused(args[1:])
	case "tcpping":
		err = tcpPing(args[1:])
	case "udpstream":
		err = udpStream(args[1:])
	case "httpget":
		err = httpGet(args[1:])
	default:
		err = fmt.Errorf("unknown command %q", args[0])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "helper %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

var (
	stdoutMu sync.Mutex
	stdout   = bufio.NewWriter(os.Stdout)
)

func say(format string, a ...any) {
	stdoutMu.Lock()
	defer stdoutMu.Unlock()
	fmt.Fprintf(stdout, format+"\n", a...)
	stdout.Flush()
}

// pattern fills b with bytes derived from seq, after an 8-byte seq prefix.
func pattern(b []byte, seq uint64) {
	binary.BigEndian.PutUint64(b, seq)
	for i := 8; i < len(b); i++ {
		b[i] = byte(uint64(i)*131 + seq*7)
	}
}

// checkPattern reports the seq of b if b is an intact pattern of size n.
func checkPattern(b []byte, n int) (uint64, bool) {
	if len(b) != n || n < 8 {
		return 0, false
	}
	seq := binary.BigEndian.Uint64(b)
	want := make([]byte, n)
	pattern(want, seq)
	return seq, bytes.Equal(b, want)
}

func parseArgs(name string, args []string, n int, define func(*flag.FlagSet)) (*flag.FlagSet, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	if define != nil {
		define(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() != n {
		return nil, fmt.Errorf("want %d arguments, got %q", n, fs.Args())
	}
	return fs, nil
}

func atoi(s string) (int, error) {
	var v int
	if _, err := fmt.Sscan(s, &v); err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return v, nil
}

func udpEcho(args []string) error {
	fs := flag.NewFlagSet("udpecho", flag.ContinueOnError)
	quiet := fs.Bool("q", false, "quiet")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("want at least one address")
	}
	// One socket per address, so replies leave from the address the
	// request came to.
	var conns []net.PacketConn
	for _, a := range fs.Args() {
		pc, err := net.ListenPacket("udp", a)
		if err != nil {
			return err
		}
		if uc, ok := pc.(*net.UDPConn); ok {
			_ = uc.SetReadBuffer(4 << 20)
			_ = uc.SetWriteBuffer(4 << 20)
		}
		conns = append(conns, pc)
	}
	say("ready")
	errc := make(chan error, len(conns))
	for _, pc := range conns {
		go func() {
			buf := make([]byte, 65536)
			for {
				n, from, err := pc.ReadFrom(buf)
				if err != nil {
					errc <- err
					return
				}
				if !*quiet {
					say("recv %s %d", from.(*net.UDPAddr).IP, n)
				}
				if _, err := pc.WriteTo(buf[:n], from); err != nil && !*quiet {
					say("write error %v", err)
				}
			}
		}()
	}
	return <-errc
}

func tcpEcho(args []string) error {
	fs, err := parseArgs("tcpecho", args, 1, nil)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", fs.Arg(0))
	if err != nil {
		return err
	}
	say("ready %s", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		say("conn %s", c.RemoteAddr().(*net.TCPAddr).IP)
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			_, _ = io.Copy(c, c)
		}()
	}
}

// dial opens a connection to dst, from src if given.
func dial(network, src, dst string) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	if src != "" {
		ip := net.ParseIP(src)
		if ip == nil {
			return nil, fmt.Errorf("-src %q is not an address", src)
		}
		if network == "udp" {
			d.LocalAddr = &net.UDPAddr{IP: ip}
		} else {
			d.LocalAddr = &net.TCPAddr{IP: ip}
		}
	}
	return d.Dial(network, dst)
}

// noChecksum makes c send UDP datagrams with checksum zero (IPv4 only).
func noChecksum(c net.Conn) error {
	raw, err := c.(*net.UDPConn).SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_NO_CHECK, 1)
	}); err != nil {
		return err
	}
	return serr
}

func udpPing(args []string) error {
	var src string
	var nocsum bool
	fs, err := parseArgs("udpping", args, 3, func(fs *flag.FlagSet) {
		fs.StringVar(&src, "src", "", "source")
		fs.BoolVar(&nocsum, "nocsum", false, "send checksum zero")
	})
	if err != nil {
		return err
	}
	size, err := atoi(fs.Arg(1))
	if err != nil {
		return err
	}
	count, err := atoi(fs.Arg(2))
	if err != nil {
		return err
	}
	c, err := dial("udp", src, fs.Arg(0))
	if err != nil {
		return err
	}
	defer c.Close()
	if nocsum {
		if err := noChecksum(c); err != nil {
			return err
		}
	}
	out := make([]byte, size)
	in := make([]byte, 65536)
	for seq := range uint64(count) {
		pattern(out, seq)
		ok := false
		for try := 0; try < 5 && !ok; try++ {
			if _, err := c.Write(out); err != nil {
				return fmt.Errorf("send %d bytes: %w", size, err)
			}
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			for {
				n, err := c.Read(in)
				if err != nil {
					break // timeout or refused: retry
				}
				if got, good := checkPattern(in[:n], size); good && got == seq {
					ok = true
					break
				}
				if got, _ := checkPattern(in[:n], n); got == seq {
					return fmt.Errorf("echo %d of %d bytes is corrupted", seq, n)
				}
			}
		}
		if !ok {
			return fmt.Errorf("no echo for datagram %d (%d bytes) to %s after 5 tries", seq, size, fs.Arg(0))
		}
	}
	say("ok %s %s", c.LocalAddr(), c.RemoteAddr())
	return nil
}

func udpFlows(args []string) error {
	fs, err := parseArgs("udpflows", args, 3, nil)
	if err != nil {
		return err
	}
	size, err := atoi(fs.Arg(1))
	if err != nil {
		return err
	}
	k, err := atoi(fs.Arg(2))
	if err != nil {
		return err
	}
	for i := range k {
		if err := udpPing([]string{fs.Arg(0), fmt.Sprint(size), "1"}); err != nil {
			return fmt.Errorf("flow %d: %w", i, err)
		}
	}
	return nil
}

func udpOne(args []string) error {
	var src string
	var nocsum bool
	fs, err := parseArgs("udpone", args, 2, func(fs *flag.FlagSet) {
		fs.StringVar(&src, "src", "", "source")
		fs.BoolVar(&nocsum, "nocsum", false, "send checksum zero")
	})
	if err != nil {
		return err
	}
	size, err := atoi(fs.Arg(1))
	if err != nil {
		return err
	}
	c, err := dial("udp", src, fs.Arg(0))
	if err != nil {
		return err
	}
	defer c.Close()
	if nocsum {
		if err := noChecksum(c); err != nil {
			return err
		}
	}
	out := make([]byte, size)
	pattern(out, 0)
	if _, err := c.Write(out); err != nil {
		return err
	}
	say("ok %s", c.LocalAddr())
	return nil
}

func udpRefused(args []string) error {
	fs, err := parseArgs("udprefused", args, 1, nil)
	if err != nil {
		return err
	}
	c, err := dial("udp", "", fs.Arg(0))
	if err != nil {
		return err
	}
	defer c.Close()
	in := make([]byte, 2048)
	for try := 0; try < 5; try++ {
		if _, err := c.Write([]byte("anyone there?")); err != nil {
			if errors.Is(err, syscall.ECONNREFUSED) {
				say("refused")
				return nil
			}
			return err
		}
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		_, err := c.Read(in)
		if errors.Is(err, syscall.ECONNREFUSED) {
			say("refused")
			return nil
		}
		if err == nil {
			return errors.New("got an answer from a closed port")
		}
	}
	return errors.New("no ICMP port unreachable (ECONNREFUSED) after 5 tries")
}

func tcpPing(args []string) error {
	var src string
	fs, err := parseArgs("tcpping", args, 2, func(fs *flag.FlagSet) { fs.StringVar(&src, "src", "", "source") })
	if err != nil {
		return err
	}
	size, err := atoi(fs.Arg(1))
	if err != nil {
		return err
	}
	c, err := dial("tcp", src, fs.Arg(0))
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	out := make([]byte, size)
	pattern(out, uint64(size))
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(out)
		if err == nil {
			err = c.(*net.TCPConn).CloseWrite()
		}
		errc <- err
	}()
	in, err := io.ReadAll(c)
	if err != nil {
		return fmt.Errorf("read echo after %d bytes: %w", len(in), err)
	}
	if err := <-errc; err != nil {
		return fmt.Errorf("send: %w", err)
	}
	if !bytes.Equal(in, out) {
		return fmt.Errorf("echo differs: sent %d bytes, got %d", len(out), len(in))
	}
	say("ok %s %s", c.LocalAddr(), c.RemoteAddr())
	return nil
}

// udpStream sends n datagrams at a fixed rate and counts the echoes that come
// back intact; it prints "sent N recv M bad B dup D errs E" (E: ICMP errors
// reported on the socket).
func udpStream(args []string) error {
	fs, err := parseArgs("udpstream", args, 4, nil)
	if err != nil {
		return err
	}
	pps, err := atoi(fs.Arg(1))
	if err != nil {
		return err
	}
	n, err := atoi(fs.Arg(2))
	if err != nil {
		return err
	}
	size, err := atoi(fs.Arg(3))
	if err != nil {
		return err
	}
	c, err := dial("udp", "", fs.Arg(0))
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.(*net.UDPConn).SetReadBuffer(4 << 20)
	seen := make([]bool, n)
	var recv, bad, dup, errs int
	done := make(chan struct{})
	go func() {
		defer close(done)
		in := make([]byte, 65536)
		for {
			k, err := c.Read(in)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					return
				}
				errs++ // an ICMP error (e.g. the translator's kernel had no route): keep counting
				continue
			}
			seq, ok := checkPattern(in[:k], size)
			switch {
			case !ok || seq >= uint64(n):
				bad++
			case seen[seq]:
				dup++
			default:
				seen[seq] = true
				recv++
			}
		}
	}()
	out := make([]byte, size)
	interval := time.Second / time.Duration(pps)
	start := time.Now()
	for seq := range n {
		if d := time.Until(start.Add(time.Duration(seq) * interval)); d > 0 {
			time.Sleep(d)
		}
		pattern(out, uint64(seq))
		if _, err := c.Write(out); err != nil {
			return fmt.Errorf("send %d: %w", seq, err)
		}
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	<-done
	say("sent %d recv %d bad %d dup %d errs %d", n, recv, bad, dup, errs)
	return nil
}

func httpGet(args []string) error {
	fs, err := parseArgs("httpget", args, 1, nil)
	if err != nil {
		return err
	}
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(fs.Arg(0))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", fs.Arg(0), resp.Status)
	}
	_, err = io.Copy(os.Stdout, resp.Body)
	return err
}
