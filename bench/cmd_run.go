package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/siit-project/siit/bench/report"
	"github.com/siit-project/siit/bench/xdpprog"
)

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	mode := "quick"
	if len(args) > 0 && (args[0] == "quick" || args[0] == "full") {
		mode, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("siit bench run [quick|full]", flag.ContinueOnError)
	siitBin := fs.String("siit", "bin/siit", "siit binary for the siit rows (missing: rows marked not available)")
	out := fs.String("out", "BENCHMARKS.md", "Markdown file whose bench sections are rewritten (\"\": none)")
	resDir := fs.String("results", "bench/results", "directory for SVG plots and JSON results")
	micro := fs.Bool("micro", true, "also run go test -bench of ./xlat/... and ./ring/... into the micro section")
	cpus := fs.String("cpus", "0", "generator CPUs for the main table")
	only := fs.String("only", "", "comma-separated peers to measure (default all): kernel forwarding, XDP redirect forwarder, TAYGA, siit --forward-only, siit")
	sink := fs.String("sink", "tc", "how the far ends count what the DUT forwards: tc (tcx ingress, the same skb path "+
		"for every DUT) or xdp (an XDP program; on veth it copies frames that AF_XDP copy mode or a tun sent, "+
		"at the DUT's expense)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	plan := QuickPlan()
	if mode == "full" {
		plan = FullPlan()
	}
	plan.SiitBin = *siitBin
	var err error
	if plan.Sink, err = xdpprog.ParseSinkMode(*sink); err != nil {
		return usageError{err}
	}
	if *only != "" {
		for _, n := range strings.Split(*only, ",") {
			plan.Only = append(plan.Only, strings.TrimSpace(n))
		}
	}
	if plan.CPUs, err = parseCPUs(*cpus); err != nil {
		return err
	}
	res, err := RunPlan(ctx, plan, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, res.MainTable())
	sections := [][2]string{}
	if *out != "" {
		rel, err := filepath.Rel(filepath.Dir(*out), *resDir)
		if err != nil {
			rel = *resDir
		}
		sections = append(sections, [2]string{"lab", res.LabSection(filepath.ToSlash(rel))})
	}
	if err := res.WriteFiles(*resDir); err != nil {
		return err
	}
	if *micro && *out != "" {
		fmt.Fprintln(stderr, "running micro-benchmarks...")
		text, err := microBench(ctx, mode)
		if err != nil {
			fmt.Fprintf(stderr, "micro-benchmarks: %v\n", err)
		}
		if text != "" {
			sections = append(sections, [2]string{"micro", text})
		}
	}
	if *out != "" {
		if err := report.UpdateFile(*out, Intro, sections); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s and %s\n", *out, *resDir)
	}
	return nil
}

// microBench runs the core's Go benchmarks (packages that exist) and renders them.
func microBench(ctx context.Context, mode string) (string, error) {
	var pkgs []string
	for _, dir := range []string{"xlat", "ring"} {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			pkgs = append(pkgs, "./"+dir+"/...")
		}
	}
	if len(pkgs) == 0 {
		return "", nil
	}
	benchtime := "200ms"
	if mode == "full" {
		benchtime = "1s"
	}
	gobin := "go"
	if _, err := exec.LookPath(gobin); err != nil {
		gobin = "/usr/local/go/bin/go"
	}
	// One package at a time (-p 1): go test otherwise runs the packages' benchmarks side by side, on the same
	// cores. Three runs each; the table gives the median and the spread.
	const count = "3"
	args := append([]string{"test", "-p", "1", "-run", "^$", "-bench", ".", "-benchmem", "-benchtime", benchtime,
		"-count", count}, pkgs...)
	outb, err := exec.CommandContext(ctx, gobin, args...).CombinedOutput()
	bs := report.Median(report.ParseBench(string(outb)))
	var b strings.Builder
	fmt.Fprintf(&b, "### Micro-benchmarks (`go test -p 1 -bench . -benchmem -benchtime %s -count %s %s`)\n\n", benchtime,
		count, strings.Join(pkgs, " "))
	b.WriteString("ns/op: the median of the " + count + " runs, their spread in parentheses.\n\n")
	if len(bs) == 0 {
		b.WriteString("No benchmark results")
		if err != nil {
			fmt.Fprintf(&b, " (go test failed: %v)", err)
		}
		b.WriteString(".\n")
		return b.String(), err
	}
	b.WriteString(report.BenchTable(bs))
	if err != nil {
		fmt.Fprintf(&b, "\nSome packages failed: %v\n", err)
	}
	return b.String(), nil
}
