package daemon

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/siit-project/siit/internal/metrics"
)

// Main runs `siit run ARGS...` in the foreground until SIGINT or SIGTERM and
// returns the process exit status. SIGHUP reloads the -f file.
func Main(args []string, stdout, stderr io.Writer) int {
	o, err := ParseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	log, err := newLogger(o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "siit run:", err)
		return 2
	}
	defer func() { _ = log.Sync() }()

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)

	d, err := Start(ctx, o, log)
	if err != nil {
		fmt.Fprintln(stderr, "siit run:", err)
		return 1
	}
	defer d.Close()

	var msrv *http.Server
	if o.MetricsAddr != "" {
		ln, err := net.Listen("tcp", o.MetricsAddr)
		if err != nil {
			fmt.Fprintf(stderr, "siit run: --metrics %s: %v\n", o.MetricsAddr, err)
			return 1
		}
		reg := &metrics.Registry{}
		reg.Register(d.collect)
		mux := http.NewServeMux()
		mux.Handle("/metrics", reg.Handler())
		msrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = msrv.Serve(ln) }()
		defer msrv.Close()
		log.Info("metrics listening", zap.String("addr", ln.Addr().String()))
	}
	if o.PprofAddr != "" {
		ln, err := net.Listen("tcp", o.PprofAddr)
		if err != nil {
			fmt.Fprintf(stderr, "siit run: --pprof %s: %v\n", o.PprofAddr, err)
			return 1
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		psrv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = psrv.Serve(ln) }()
		defer psrv.Close()
	}
	log.Info("siit running", zap.Strings("interfaces", o.Interfaces), zap.Bool("forward_only", o.ForwardOnly),
		zap.String("socket", d.server.Path()))

	var tick <-chan time.Time
	if o.StatsEvery > 0 {
		t := time.NewTicker(o.StatsEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case s := <-sigs:
			if s == syscall.SIGHUP {
				if err := d.Reload(); err != nil {
					log.Error("reload failed; the running configuration is unchanged", zap.Error(err))
				}
				continue
			}
			log.Info("stopping", zap.Stringer("signal", s))
			return 0
		case <-tick:
			d.logSummary()
		}
	}
}

func newLogger(o Options, stderr io.Writer) (*zap.Logger, error) {
	var lvl zapcore.Level
	if err := lvl.UnmarshalText([]byte(o.LogLevel)); err != nil {
		return nil, err
	}
	ec := zap.NewProductionEncoderConfig()
	ec.EncodeTime = zapcore.ISO8601TimeEncoder
	var enc zapcore.Encoder
	if o.LogFormat == "json" {
		enc = zapcore.NewJSONEncoder(ec)
	} else {
		ec.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(ec)
	}
	core := zapcore.NewCore(enc, zapcore.AddSync(stderr), lvl)
	// Rate-limit repeated messages: the first 10 per second of each, then 1 in 100.
	core = zapcore.NewSamplerWithOptions(core, time.Second, 10, 100)
	return zap.New(core), nil
}
