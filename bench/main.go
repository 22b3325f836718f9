package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

const usage = `usage: siit bench <command> [flags]

commands:
  gen         send test traffic out of an interface (XDP live frames), like pktgen
  sink        count (and check) test traffic arriving on an interface
  throughput  zero-loss throughput search (RFC 2544 / RFC 8219) through a device under test cabled to two
              ports: any DUT, on this machine or another
  run         build the netns lab and measure siit, kernel forwarding, an XDP forwarder and TAYGA (RFC 8219),
              writing BENCHMARKS.md; "run quick" (< 3 min) or "run full"
  help        this text; "siit bench <command> -h" for a command's flags
`

// Main runs `siit bench` with args (the words after "bench") and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	// A reader that goes away (`| head`: SIGPIPE) or a closed terminal stops
	// a run as Ctrl-C does, so the lab is torn down instead of left behind.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGPIPE, syscall.SIGHUP)
	defer stop()
	var err error
	switch args[0] {
	case "gen":
		err = cmdGen(ctx, args[1:], stdout, stderr)
	case "sink":
		err = cmdSink(ctx, args[1:], stdout, stderr)
	case "run":
		err = cmdRun(ctx, args[1:], stdout, stderr)
	case "throughput":
		err = cmdThroughput(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "siit bench: unknown command %q\n%s", args[0], usage)
		return 2
	}
	if err == flag.ErrHelp {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "siit bench %s: %v\n", args[0], err)
		if _, ok := err.(usageError); ok {
			return 2
		}
		return 1
	}
	return 0
}

type usageError struct{ error }

func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// parseCPUs parses "0,2-3".
func parseCPUs(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, usageError{fmt.Errorf("parse cpu list %q: want e.g. 0,2-3", s)}
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, usageError{fmt.Errorf("parse cpu list %q: want e.g. 0,2-3", s)}
			}
		}
		for c := a; c <= b; c++ {
			out = append(out, c)
		}
	}
	return out, nil
}
