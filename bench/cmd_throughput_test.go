package bench

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/siit-project/siit/bench/lab"
	"github.com/siit-project/siit/bench/netns"
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

// Kernel forwarding as the DUT (-forward) at a rate it keeps up with: the search reports a rate no higher than
// the one asked for, calls it generator-limited exactly when the first trial passed at that rate, every sampled
// frame validates, and the latency trial reports consistent figures. Nothing here depends on how fast the
// machine is (a busy machine may make the paced generator fall short, and the search go on below).
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
		"-duration", "1s", "-latency", "0.5"), &out, &errb)
	if err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	mpps, row := resultRow(t, out.String(), 128)
	trials := strings.Count(errb.String(), "offered")
	if mpps <= 0 || mpps > 0.0205 || (trials == 1) != strings.Contains(row, "generator-limited") {
		t.Fatalf("row %q after %d trials: want at most 0.020 Mpps, generator-limited after one\n%s", row, trials,
			errb.String())
	}
	if !regexp.MustCompile(`validated [1-9][0-9]* sampled frames: 0 invalid`).MatchString(out.String()) {
		t.Fatalf("no frame validated:\n%s", out.String())
	}
	// The latency trial runs at half that rate for a second with every frame stamped.
	m := regexp.MustCompile(`(?m)^128\s+both\s+latency at ([0-9.]+) Mpps \(([0-9]+) frames, loss ([0-9.]+) %\): ` +
		`min ([0-9.]+) µs, median ([0-9.]+) µs, p99 ([0-9.]+) µs, p99\.9 ([0-9.]+) µs, PDV ([0-9.]+) µs$`).
		FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no latency line:\n%s", out.String())
	}
	f := make([]float64, len(m))
	for i := 1; i < len(m); i++ {
		f[i], _ = strconv.ParseFloat(m[i], 64)
	}
	rate, n, minLat, p50, p99, p999, pdv := f[1], f[2], f[4], f[5], f[6], f[7], f[8]
	// The rate is printed to 0.001 Mpps: a one-second trial sends up to 500 frames more than it says.
	if abs(rate-mpps/2) > 0.001 || n <= 0 || n > (rate+0.0005)*1e6+2 || minLat <= 0 || p50 < minLat || p99 < p50 ||
		p999 < p99 || abs(pdv-(p999-minLat)) > 0.11 {
		t.Fatalf("latency line %q: inconsistent", m[0])
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
// few frames at any rate, hence the tolerance; on a busy machine it may pass only below the rate asked for).
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
	if mpps, row := resultRow(t, out.String(), 128); mpps <= 0 || mpps > 0.0041 {
		t.Fatalf("row %q: want a rate of at most 0.004 Mpps", row)
	}
	if !regexp.MustCompile(`validated [1-9][0-9]* sampled frames: 0 invalid`).MatchString(out.String()) {
		t.Fatalf("no frame validated:\n%s", out.String())
	}
	// The same run against a forwarder's expectations: the frames arrive in the other family, count as lost, and
	// the command fails saying so.
	// TAYGA exits when a write to its tun fails: restart it if the first run ended it.
	if _, err := tg.Revive(l); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	err = cmdThroughput(context.Background(), throughputArgs(l, "-max", "4000", "-loss", "0.2", "-dir", "a",
		"-forward", "-steps", "3"), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "wrong IP version") {
		t.Fatalf("translated frames judged as forwarded: err %v\nstdout:\n%s", err, out.String())
	}
	if mpps, row := resultRow(t, out.String(), 128); mpps != 0 {
		t.Fatalf("row %q: want 0 Mpps", row)
	}
}

// oneArmedKernelDUT builds a tester namespace and a DUT namespace joined by one veth (t0 - d0): the DUT
// forwards both families back out of d0 (a one-armed router) to the tester, whose MAC it knows for the lab's
// destinations. It returns the tester namespace and the DUT port's MAC.
func oneArmedKernelDUT(t *testing.T) (*netns.NS, string) {
	t.Helper()
	tag := fmt.Sprintf("b1a%d-%d", os.Getpid()%100000, rand.IntN(1000))
	var nss []*netns.NS
	t.Cleanup(func() {
		for _, ns := range nss {
			if err := ns.Close(); err != nil {
				t.Error(err)
			}
		}
	})
	for _, sfx := range []string{"t", "d"} {
		ns, err := netns.Create(tag + "-" + sfx)
		if err != nil {
			t.Skipf("cannot create namespaces here: %v", err)
		}
		nss = append(nss, ns)
	}
	tn, dn := nss[0], nss[1]
	const tMAC, dMAC = "02:00:00:00:0a:01", "02:00:00:00:0a:02"
	def := lab.DefaultTraffic()
	for _, c := range []struct {
		ns   *netns.NS
		args []string
	}{
		{tn, []string{"ip", "link", "add", "t0", "address", tMAC, "type", "veth", "peer", "name", "d0", "address", dMAC,
			"netns", dn.Name}},
		{tn, []string{"ip", "link", "set", "t0", "up"}},
		{dn, []string{"sysctl", "-qw", "net.ipv6.conf.all.forwarding=1", "net.ipv4.ip_forward=1",
			"net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"}},
		{dn, []string{"ip", "link", "set", "d0", "up"}},
		// Each end takes its peer's XDP frames only with GRO on, turned on while it is up (see lab.Setup).
		{tn, []string{"ethtool", "-K", "t0", "gro", "on"}},
		{dn, []string{"ethtool", "-K", "d0", "gro", "on"}},
		{dn, []string{"ip", "route", "add", "2001:db8:64::/96", "dev", "d0"}},
		{dn, []string{"ip", "route", "add", "192.0.2.0/24", "dev", "d0"}},
		{dn, []string{"ip", "route", "add", "203.0.113.0/24", "dev", "d0"}},
		{dn, []string{"ip", "neigh", "replace", def.ADst.String(), "lladdr", tMAC, "dev", "d0", "nud", "permanent"}},
		{dn, []string{"ip", "neigh", "replace", def.BDst.String(), "lladdr", tMAC, "dev", "d0", "nud", "permanent"}},
	} {
		if out, err := c.ns.Exec(c.args...); err != nil {
			t.Fatalf("%v: %v\n%s", c.args, err, out)
		}
	}
	return tn, dMAC
}

// A one-armed DUT (one tester port, -i2 left out): each leg comes back through the port it left by and is
// counted there, one leg or both; here the kernel forwards each family back out of its one port.
func TestThroughputOneArmed(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the netns lab needs root")
	}
	tn, dMAC := oneArmedKernelDUT(t)
	for _, dir := range []string{"a", "b", "both"} {
		var out, errb bytes.Buffer
		err := cmdThroughput(context.Background(), []string{"-netns", tn.Name, "-i", "t0", "-dst-mac", dMAC,
			"-forward", "-dir", dir, "-max", "20000", "-sizes", "128", "-duration", "300ms", "-validate", "4",
			"-sink", "tc"}, &out, &errb)
		if err != nil {
			t.Fatalf("-dir %s: %v\nstdout:\n%s\nstderr:\n%s", dir, err, out.String(), errb.String())
		}
		if mpps, row := resultRow(t, out.String(), 128); mpps <= 0 || mpps > 0.0205 {
			t.Fatalf("-dir %s: row %q: want a rate above 0, at most 0.020 Mpps\n%s", dir, row, errb.String())
		}
		if !regexp.MustCompile(`validated [1-9][0-9]* sampled frames: 0 invalid`).MatchString(out.String()) {
			t.Fatalf("-dir %s: no frame validated:\n%s", dir, out.String())
		}
	}
	// Without -forward the forwarded frames arrive in their own family, not translated. One leg: counted as
	// lost, and the command says why. Both legs: each arrives in the family the other leg expects, so the one
	// sink counts them, but the sampled frames fail validation against their own leg and the command fails.
	var out, errb bytes.Buffer
	err := cmdThroughput(context.Background(), []string{"-netns", tn.Name, "-i", "t0", "-dst-mac", dMAC, "-dir", "a",
		"-max", "4000", "-sizes", "128", "-duration", "100ms", "-steps", "2", "-sink", "tc"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "wrong IP version") {
		t.Fatalf("forwarded frames judged as translated: err %v\nstdout:\n%s", err, out.String())
	}
	out.Reset()
	errb.Reset()
	err = cmdThroughput(context.Background(), []string{"-netns", tn.Name, "-i", "t0", "-dst-mac", dMAC,
		"-max", "4000", "-sizes", "128", "-duration", "300ms", "-steps", "2", "-validate", "2", "-sink", "tc"}, &out,
		&errb)
	if err == nil || !strings.Contains(err.Error(), "failed validation") || !strings.Contains(err.Error(), "want IPv") {
		t.Fatalf("forwarded frames of both legs judged as translated: err %v\nstdout:\n%s", err, out.String())
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
		{"-i2", "b0", "-dst-mac", "02:00:00:00:00:01"},
	} {
		var out, errb bytes.Buffer
		if rc := Main(append([]string{"throughput"}, args...), &out, &errb); rc != 2 {
			t.Errorf("%q: rc %d, want 2 (stderr %q)", args, rc, errb.String())
		}
	}
}
