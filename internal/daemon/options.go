package daemon

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/siit-project/siit/internal/config"
)

// Options configures `siit run`.
type Options struct {
	Interfaces  []string
	ConfigFiles []string          // -f (repeatable): Jool JSON files, one instance each, loaded at start and on SIGHUP
	Instance    string            // instance name for flag-given configuration; also the default served instance
	Serve       map[string]string // --serve NAME=IFACE,...: interface -> the instance that translates its traffic
	Pool6       netip.Prefix      // --pool6
	EAMT        []string          // --eamt "PREFIX6,PREFIX4" (repeatable)
	ForwardOnly bool              // --forward-only: route frames untranslated (benchmark ceiling)
	CPUs        []int             // --cpus
	Queues      int               // --queues: queues per interface (0 = all RX queues)
	XDPMode     string            // auto | native | generic
	BindMode    string            // auto | zerocopy | copy
	BusyPoll    bool              // --busy-poll: never back off when idle
	SharedUmem  bool              // --shared-umem: one UMEM per queue index across interfaces
	Batch       int               // RX/TX batch size
	Frames      int               // UMEM frames per socket
	FrameSize   int               // UMEM frame size
	MetricsAddr string            // --metrics ADDR for Prometheus; empty = off
	PprofAddr   string            // --pprof ADDR serves net/http/pprof (profiling); empty = off
	Socket      string            // control socket path
	LogLevel    string            // debug | info | warn | error
	LogFormat   string            // console | json
	StatsEvery  time.Duration     // --stats-interval: log a counter summary this often (0 = never)
}

// DefaultOptions returns the defaults `siit run` uses.
func DefaultOptions() Options {
	return Options{
		Instance:  "default",
		XDPMode:   "auto",
		BindMode:  "auto",
		Batch:     256,
		Frames:    8192,
		FrameSize: 2048,
		Socket:    "",
		LogLevel:  "info",
		LogFormat: "console",
	}
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, " ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// ParseOptions parses `siit run` arguments. Errors are one line, naming the
// flag and the accepted values.
func ParseOptions(args []string, stderr io.Writer) (Options, error) {
	o := DefaultOptions()
	fs := flag.NewFlagSet("siit run", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned as one line; usage only for --help
	var pool6, cpus string
	var eamt, serve, files stringList
	fs.Var(&files, "f", "Jool-format JSON configuration `file` (reloaded on SIGHUP); repeatable, one instance per file")
	fs.Var(&files, "file", "same as -f `file`")
	fs.StringVar(&o.Instance, "instance", o.Instance, "instance `name` for configuration given by flags")
	fs.Var(&serve, "serve", "instance NAME translates what arrives on the interfaces listed, given as `NAME=IFACE[,IFACE...]` (repeatable; other interfaces: --instance if it exists, else the first instance no --serve names)")
	fs.StringVar(&pool6, "pool6", "", "RFC 6052 pool6 `prefix` (length 32, 40, 48, 56, 64 or 96)")
	fs.Var(&eamt, "eamt", "EAMT entry `PREFIX6,PREFIX4` (repeatable)")
	fs.BoolVar(&o.ForwardOnly, "forward-only", false, "do not translate: route frames unchanged (measures the AF_XDP path itself)")
	fs.StringVar(&cpus, "cpus", "", "CPU `list` for workers, e.g. 1 or 0-3,6 (default: spread over available CPUs)")
	fs.IntVar(&o.Queues, "queues", 0, "RX `queues` to serve per interface (default: all)")
	fs.StringVar(&o.XDPMode, "xdp-mode", o.XDPMode, "XDP attach `mode`: auto (native, then generic), native, generic")
	fs.StringVar(&o.BindMode, "bind-mode", o.BindMode, "AF_XDP bind `mode`: auto (zero-copy, then copy), zerocopy, copy")
	fs.BoolVar(&o.BusyPoll, "busy-poll", false, "spin on the rings without backing off when idle (lowest latency, 100% CPU)")
	fs.BoolVar(&o.SharedUmem, "shared-umem", o.SharedUmem, "share one UMEM between the interfaces' sockets of a queue, so frames change interface without a copy (--shared-umem=false: one UMEM per socket)")
	fs.IntVar(&o.Batch, "batch", o.Batch, "RX/TX batch `size` (1-256)")
	fs.IntVar(&o.Frames, "frames", o.Frames, "UMEM `frames` per socket (power of two)")
	fs.IntVar(&o.FrameSize, "frame-size", o.FrameSize, "UMEM frame `size`: 2048 or 4096")
	fs.StringVar(&o.MetricsAddr, "metrics", "", "serve Prometheus /metrics on `address` (e.g. 127.0.0.1:9469)")
	fs.StringVar(&o.PprofAddr, "pprof", "", "serve Go profiling (net/http/pprof) on `address`, e.g. 127.0.0.1:6060")
	fs.StringVar(&o.Socket, "socket", "", "control socket `path` (default $SIIT_SOCKET or /run/siit/siit.sock)")
	fs.StringVar(&o.LogLevel, "log-level", o.LogLevel, "log `level`: debug, info, warn, error")
	fs.StringVar(&o.LogFormat, "log-format", o.LogFormat, "log `format`: console or json")
	fs.DurationVar(&o.StatsEvery, "stats-interval", 0, "log a counter summary every `duration` (0: never)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "usage: siit run [flags] IFACE...")
			fmt.Fprintln(stderr, "Attaches siit to the interfaces (one for both families, or one per family) and translates until SIGINT/SIGTERM.")
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return o, err
		}
		return o, fmt.Errorf("siit run: %w (see siit run --help)", err)
	}
	o.Interfaces = fs.Args()
	o.EAMT = eamt
	o.ConfigFiles = files
	if len(o.Interfaces) == 0 {
		return o, errors.New("siit run: no interface given; usage: siit run [flags] IFACE...")
	}
	seen := map[string]bool{}
	for _, n := range o.Interfaces {
		if strings.HasPrefix(n, "-") {
			return o, fmt.Errorf("siit run: flag %q after the interface names; put flags before IFACE...", n)
		}
		if seen[n] {
			return o, fmt.Errorf("siit run: interface %q given twice", n)
		}
		seen[n] = true
	}
	if len(serve) > 0 {
		o.Serve = map[string]string{}
	}
	for _, v := range serve {
		name, list, ok := strings.Cut(v, "=")
		if !ok || list == "" {
			return o, fmt.Errorf("siit run: --serve %q: want NAME=IFACE[,IFACE...] (example: --serve dc=eth0,eth1)", v)
		}
		if err := config.ValidateName(name); err != nil {
			return o, fmt.Errorf("siit run: --serve %q: %w", v, err)
		}
		for _, n := range strings.Split(list, ",") {
			if !seen[n] {
				return o, fmt.Errorf("siit run: --serve %q: %q is not one of the interfaces given (%s)", v, n, strings.Join(o.Interfaces, " "))
			}
			if other, dup := o.Serve[n]; dup {
				return o, fmt.Errorf("siit run: --serve: interface %q is served by both %q and %q; give each interface one instance", n, other, name)
			}
			o.Serve[n] = name
		}
	}
	if len(files) > 0 && (pool6 != "" || len(eamt) > 0) {
		// The files are the whole configuration (SIGHUP reloads them, and a
		// reload would drop an instance the flags made), so there is no way
		// to keep both: say so rather than ignore the flags.
		return o, errors.New("siit run: --pool6 and --eamt cannot be combined with -f: the files are the whole " +
			"configuration (reloaded on SIGHUP); put pool6 under \"global\" and the entries under \"eamt\" in a file")
	}
	if pool6 != "" {
		p, err := netip.ParsePrefix(pool6)
		if err != nil {
			return o, fmt.Errorf("siit run: --pool6 %q is not an IPv6 prefix (example: 64:ff9b::/96)", pool6)
		}
		o.Pool6 = p
	}
	if cpus != "" {
		list, err := ParseCPUList(cpus)
		if err != nil {
			return o, fmt.Errorf("siit run: --cpus: %w", err)
		}
		o.CPUs = list
	}
	switch o.XDPMode {
	case "auto", "native", "generic":
	default:
		return o, fmt.Errorf("siit run: --xdp-mode %q must be auto, native or generic", o.XDPMode)
	}
	switch o.BindMode {
	case "auto", "zerocopy", "copy":
	default:
		return o, fmt.Errorf("siit run: --bind-mode %q must be auto, zerocopy or copy", o.BindMode)
	}
	if o.Batch < 1 || o.Batch > 256 {
		return o, fmt.Errorf("siit run: --batch %d must be between 1 and 256", o.Batch)
	}
	if o.Frames < 64 || o.Frames&(o.Frames-1) != 0 {
		return o, fmt.Errorf("siit run: --frames %d must be a power of two, at least 64", o.Frames)
	}
	if o.FrameSize != 2048 && o.FrameSize != 4096 {
		return o, fmt.Errorf("siit run: --frame-size %d must be 2048 or 4096", o.FrameSize)
	}
	switch o.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return o, fmt.Errorf("siit run: --log-level %q must be debug, info, warn or error", o.LogLevel)
	}
	switch o.LogFormat {
	case "console", "json":
	default:
		return o, fmt.Errorf("siit run: --log-format %q must be console or json", o.LogFormat)
	}
	if o.Queues < 0 {
		return o, fmt.Errorf("siit run: --queues %d must not be negative", o.Queues)
	}
	return o, nil
}

// ParseCPUList parses a Linux CPU list such as "0-3,6".
func ParseCPUList(s string) ([]int, error) {
	var out []int
	seen := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("%q is not a CPU list (example: 0-3,6)", s)
		}
		b := a
		if isRange {
			b, err = strconv.Atoi(hi)
			if err != nil || b < a {
				return nil, fmt.Errorf("%q is not a CPU list (example: 0-3,6)", s)
			}
		}
		for c := a; c <= b; c++ {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out, nil
}
