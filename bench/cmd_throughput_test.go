package bench

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/siit-project/siit/bench/lab"
)

// throughputArgs points `siit bench throughput` at the lab's DUT from its two end namespaces, as if they were a
// tester's two ports cabled to another machine.
func throughputArgs(l *lab.Lab, extra ...string) []string {
	return append([]string{"-netns", l.A.Name, "-i", l.PA.Name, "-dst-mac", l.PD6.MAC.String(),
		"-netns2", l.B.Name, "-i2", l.PB.Name, "-dst-mac2", l.PD4.MAC.String(), "-sizes", "128",
		"-duration", "100ms", "-cpus", "0", "-validate", "4"}, extra...)
}

// resultRow returns the Mpps column of the result line for size, or fails.
func resultRow(t *testing.T, out string, size int) (float64, string) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + strconv.Itoa(size) + `\s+\S+\s+([0-9.]+)\s.*$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no result row for %d B in:\n%s", size, out)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v, m[0]
}

// A DUT that keeps up at the highest rate asked for passes the first trial: the search reports that rate, marks
// it generator-limited, and every sampled frame validates. Kernel forwarding is the DUT (-forward). The trial
// lasts a second: a paced generator's start-up costs a short trial more than the 3 % a rate may fall short by.
func TestThroughputExternalForwarder(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the netns lab needs root")
	}
	l := cliLab(t)
	k := &lab.Kernel{}
	if err := k.Start(l); err != nil {
		t.Fatal(err)
	}
	defer k.Stop(l)
	var out, errb bytes.Buffer
	err := cmdThroughput(context.Background(), throughputArgs(l, "-forward", "-max", "20000", "-dir", "both",
		"-duration", "1s"), &out, &errb)
	if err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	mpps, row := resultRow(t, out.String(), 128)
	if mpps < 0.0194 || mpps > 0.0206 || !strings.Contains(row, "generator-limited") {
		t.Fatalf("row %q: want about 0.020 Mpps, generator-limited\n%s", row, errb.String())
	}
	if n := strings.Count(errb.String(), "offered"); n != 1 {
		t.Fatalf("%d trials, want 1:\n%s", n, errb.String())
	}
}

// A DUT that loses frames makes the search descend: with nothing forwarded (no routes in the DUT) every trial
// fails and the throughput is 0 after descending to the lowest rate.
func TestThroughputExternalDescends(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the netns lab needs root")
	}
	l := cliLab(t)
	var out, errb bytes.Buffer
	err := cmdThroughput(context.Background(), throughputArgs(l, "-forward", "-max", "64000", "-dir", "a",
		"-steps", "20"), &out, &errb)
	if err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, errb.String())
	}
	if mpps, row := resultRow(t, out.String(), 128); mpps != 0 {
		t.Fatalf("row %q: want 0 Mpps", row)
	}
	// 64000, 16000, 4000, 1000, 250, 64 (Min = Max/1000): the last trial is at the lowest rate.
	if n := strings.Count(errb.String(), "offered"); n != 6 {
		t.Fatalf("%d trials, want 6:\n%s", n, errb.String())
	}
}

// A translating DUT (TAYGA) is checked against the mirror of the other leg: leg A's frames must arrive as IPv4
// from -dst2 to -src2, leg B's as IPv6 from -dst to -src. Both legs at a rate TAYGA keeps up with (it loses a
// few frames at any rate, hence the tolerance).
func TestThroughputExternalTranslator(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the netns lab needs root")
	}
	tg := &lab.Tayga{}
	if err := tg.Available(); err != nil {
		t.Skip(err)
	}
	l := cliLab(t)
	if err := tg.Start(l); err != nil {
		t.Fatal(err)
	}
	defer tg.Stop(l)
	var out, errb bytes.Buffer
	err := cmdThroughput(context.Background(), throughputArgs(l, "-max", "4000", "-loss", "0.2", "-dir", "both",
		"-duration", "1s"),
		&out, &errb)
	if err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	if mpps, row := resultRow(t, out.String(), 128); mpps < 0.0038 {
		t.Fatalf("row %q: want about 0.004 Mpps", row)
	}
	if !regexp.MustCompile(`validated [1-9][0-9]* sampled frames: 0 invalid`).MatchString(out.String()) {
		t.Fatalf("no frame validated:\n%s", out.String())
	}
	// The same run against a forwarder's expectations: the frames arrive in the other family, count as lost, and
	// the command fails saying so.
	out.Reset()
	errb.Reset()
	err = cmdThroughput(context.Background(), throughputArgs(l, "-max", "4000", "-loss", "0.2", "-dir", "a",
		"-forward", "-steps", "1"), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "wrong IP version") {
		t.Fatalf("translated frames judged as forwarded: err %v\nstdout:\n%s", err, out.String())
	}
	if mpps, row := resultRow(t, out.String(), 128); mpps != 0 {
		t.Fatalf("row %q: want 0 Mpps", row)
	}
}

// Bad arguments are usage errors, found before anything is attached.
func TestThroughputUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-i", "a0"},
		{"-i", "a0", "-i2", "b0"},
		{"-i", "a0", "-i2", "b0", "-dst-mac", "02:00:00:00:00:01", "-dst-mac2", "x"},
		{"-i", "a0", "-i2", "b0", "-dir", "up"},
		{"-i", "a0", "-i2", "b0", "-sizes", "84,12"},
		{"-i", "a0", "-i2", "b0", "-loss", "1"},
		{"-i", "a0", "-i2", "b0", "-sink", "nic"},
		{"-i", "a0", "-i2", "b0", "-src", "nope"},
	} {
		var out, errb bytes.Buffer
		if rc := Main(append([]string{"throughput"}, args...), &out, &errb); rc != 2 {
			t.Errorf("%q: rc %d, want 2 (stderr %q)", args, rc, errb.String())
		}
	}
}
