package e2e

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// hostPort joins an address and a port ("[v6]:p" or "v4:p").
func hostPort(addr, port string) string { return net.JoinHostPort(addr, port) }

// sawFrom waits until server h reported traffic ("recv A ..." or "conn A")
// whose source is addr.
func sawFrom(h *helperProc, addr string) bool {
	want := netip.MustParseAddr(addr)
	return h.waitLine(func(s string) bool {
		f := strings.Fields(s)
		if len(f) < 2 || (f[0] != "recv" && f[0] != "conn") {
			return false
		}
		a, err := netip.ParseAddr(f[1])
		return err == nil && a.Unmap() == want
	}, 10*time.Second)
}

// TestTraffic sends ICMP echo, UDP and TCP both ways, through pool6 and
// through an EAM, between real kernel stacks.
func TestTraffic(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	// siit needs no bpffs (it pins nothing): in the translator's namespace
	// `ip netns exec` mounts a fresh sysfs, so /sys/fs/bpf is a plain
	// directory there, and siit runs as it would on a host without bpffs.
	if fs := strings.TrimSpace(l.nsMust(l.T, "stat", "-f", "-c", "%T", "/sys/fs/bpf")); fs == "bpf_fs" {
		t.Fatalf("/sys/fs/bpf is bpffs in the translator's namespace; this test assumes it is not")
	}
	l.startSiit(defaultArgs()...)

	t.Run("icmp", func(t *testing.T) {
		defer l.as(t)()
		// 6->4 through pool6 and through the server's EAM.
		out := l.pingOK(l.C, server6)
		if !strings.Contains(out, "from 64:ff9b::cb00:710a") {
			t.Errorf("replies do not come from 64:ff9b::cb00:710a:\n%s", out)
		}
		out = l.pingOK(l.C, server6e)
		if !strings.Contains(out, "from "+server6e) {
			t.Errorf("replies do not come from %s:\n%s", server6e, out)
		}
		// 4->6: the IPv4 server pings the client's EAM address, from its
		// plain address (the client sees it through pool6) and from its
		// EAM address.
		out = l.pingOK(l.S, client4)
		if !strings.Contains(out, "from "+client4) {
			t.Errorf("replies do not come from %s:\n%s", client4, out)
		}
		l.pingOK(l.S, client4, "-I", server4e)
	})

	t.Run("udp", func(t *testing.T) {
		defer l.as(t)()
		srv4 := l.start(l.S, "udpecho", hostPort(server4, "7000"), hostPort(server4e, "7000"))
		l.helperOK(l.C, "udpping", hostPort(server6, "7000"), "100", "5")
		if !sawFrom(srv4, client4) {
			t.Errorf("the IPv4 server did not see the client as %s: %q", client4, srv4.snapshot())
		}
		l.helperOK(l.C, "udpping", hostPort(server6e, "7000"), "1000", "5")

		srv6 := l.start(l.C, "udpecho", "[::]:7001")
		l.helperOK(l.S, "udpping", hostPort(client4, "7001"), "100", "5")
		if !sawFrom(srv6, "64:ff9b::cb00:710a") {
			t.Errorf("the IPv6 client did not see the server through pool6: %q", srv6.snapshot())
		}
		l.helperOK(l.S, "udpping", "-src", server4e, hostPort(client4, "7001"), "1200", "5")
		if !sawFrom(srv6, server6e) {
			t.Errorf("the IPv6 client did not see the server's EAM address %s: %q", server6e, srv6.snapshot())
		}
	})

	t.Run("tcp", func(t *testing.T) {
		defer l.as(t)()
		srv4 := l.start(l.S, "tcpecho", "0.0.0.0:8000")
		// Big enough for many full-size segments both ways.
		l.helperOK(l.C, "tcpping", hostPort(server6, "8000"), "300000")
		if !sawFrom(srv4, client4) {
			t.Errorf("the IPv4 server did not see the client as %s: %q", client4, srv4.snapshot())
		}
		l.helperOK(l.C, "tcpping", hostPort(server6e, "8000"), "300000")

		srv6 := l.start(l.C, "tcpecho", "[::]:8001")
		l.helperOK(l.S, "tcpping", hostPort(client4, "8001"), "300000")
		if !sawFrom(srv6, "64:ff9b::cb00:710a") {
			t.Errorf("the IPv6 client did not see the server through pool6: %q", srv6.snapshot())
		}
		l.helperOK(l.S, "tcpping", "-src", server4e, hostPort(client4, "8001"), "300000")
		if !sawFrom(srv6, server6e) {
			t.Errorf("the IPv6 client did not see the server's EAM address %s: %q", server6e, srv6.snapshot())
		}
	})
}

// TestOneArmed: siit on one interface for both families (a border relay
// beside a router, see lab.oneArmed). Every translated packet leaves by the
// interface it arrived on: ICMP echo, UDP and TCP both ways through pool6
// and the EAMs, traceroute through the translator, and the host itself stays
// reachable over both families on that interface; siit bench throughput
// measures it with one tester port. The counters show the
// packets went through siit's workers on t0, not through the kernel (which
// has no translator).
func TestOneArmed(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{oneArmed: true})
	const addr = "127.0.0.1:9471"
	l.startSiit(append(defaultArgs(), "--metrics", addr)...)

	out := l.pingOK(l.C, server6)
	if !strings.Contains(out, "from 64:ff9b::cb00:710a") {
		t.Errorf("replies do not come from 64:ff9b::cb00:710a:\n%s", out)
	}
	l.pingOK(l.C, server6e)
	if out := l.pingOK(l.S, client4); !strings.Contains(out, "from "+client4) {
		t.Errorf("replies do not come from %s:\n%s", client4, out)
	}
	// The translator's own addresses, through the same interface.
	l.pingOK(l.C, "2001:db8:ff::1")
	l.pingOK(l.S, tr4)

	srv4 := l.start(l.S, "udpecho", hostPort(server4, "7000"))
	l.helperOK(l.C, "udpping", hostPort(server6, "7000"), "1000", "5")
	if !sawFrom(srv4, client4) {
		t.Errorf("the IPv4 server did not see the client as %s: %q", client4, srv4.snapshot())
	}
	srv6 := l.start(l.C, "tcpecho", "[::]:8001")
	l.helperOK(l.S, "tcpping", "-src", server4e, hostPort(client4, "8001"), "300000")
	if !sawFrom(srv6, server6e) {
		t.Errorf("the IPv6 client did not see the server's EAM address %s: %q", server6e, srv6.snapshot())
	}
	tcp4 := l.start(l.S, "tcpecho", "0.0.0.0:8000")
	l.helperOK(l.C, "tcpping", hostPort(server6, "8000"), "300000")
	if !sawFrom(tcp4, client4) {
		t.Errorf("the IPv4 server did not see the client as %s: %q", client4, tcp4.snapshot())
	}
	// traceroute from the client: R, the translator, R again (as an IPv4
	// router seen through pool6), the server.
	out, err := l.ns(l.C, 60*time.Second, "traceroute", "-6", "-n", "-q", "1", "-w", "2", "-m", "6", server6)
	hops := regexp.MustCompile(`(?m)^ *2 +2001:db8:ff::1 .*\n *3 +64:ff9b::c633:6402 .*\n *4 +64:ff9b::cb00:710a `)
	if err != nil || !hops.MatchString(out) {
		t.Errorf("traceroute to %s through the one-armed translator: %v; want hops 2001:db8:ff::1, "+
			"64:ff9b::c633:6402, 64:ff9b::cb00:710a\n%s", server6, err, out)
	}

	// siit bench throughput against it from R's port (one tester port): each leg's frames come back translated
	// through r0, from the EAM and pool6 addresses of the other side; one leg, then the other, then both.
	for _, dir := range []string{"a", "b", "both"} {
		out, err := l.ns(l.R, 2*time.Minute, siitBin, "bench", "throughput", "-i", "r0", "-dst-mac", "02:00:00:00:00:01",
			"-src", client6, "-dst", server6, "-src2", server4, "-dst2", client4, "-dir", dir, "-max", "20000",
			"-sizes", "128", "-duration", "300ms", "-validate", "4", "-sink", "tc",
			"-addr-flows", "8") // sources ...10 to ...17: 203.0.113.20 has an EAM of its own
		m := regexp.MustCompile(`(?m)^128\s+` + dir + `\s+([0-9.]+)\s`).FindStringSubmatch(out)
		if err != nil || m == nil || m[1] == "0.000" ||
			!regexp.MustCompile(`validated [1-9][0-9]* sampled frames: 0 invalid`).MatchString(out) {
			t.Errorf("siit bench throughput -dir %s through the one-armed translator: %v\n%s", dir, err, out)
		}
	}

	text := l.metricsText(addr)
	rx, ok := metricSum(text, "siit_rx_packets_total", `iface="t0"`)
	tx, ok2 := metricSum(text, "siit_tx_packets_total", `iface="t0"`)
	if !ok || !ok2 || rx < 100 || tx < 100 {
		t.Errorf("siit's workers on t0 received %v and sent %v packets, want at least 100 each:\n%s", rx, tx, text)
	}
}

// TestMultiQueue: with two RX queues per interface siit runs a worker per
// queue; flows spread over both queues and all get through both ways.
func TestMultiQueue(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{queues: 2})
	const addr = "127.0.0.1:9469"
	p := l.startSiit(append(defaultArgs(), "--metrics", addr)...)
	if n := strings.Count(p.log(), "af_xdp socket bound"); n != 4 {
		t.Fatalf("%d AF_XDP sockets bound, want 4 (2 interfaces x 2 queues)\n%s", n, p.log())
	}
	l.start(l.S, "udpecho", "-q", hostPort(server4, "7000"))
	l.start(l.C, "udpecho", "-q", "[::]:7001")
	// Each flow is a new socket, so the sending veths hash them over both
	// queues; 24 flows all on one queue is a 1-in-8-million event.
	l.helperOK(l.C, "udpflows", hostPort(server6, "7000"), "300", "24")
	l.helperOK(l.S, "udpflows", hostPort(client4, "7001"), "300", "24")
	l.start(l.S, "tcpecho", hostPort(server4, "8000"))
	for range 4 {
		l.helperOK(l.C, "tcpping", hostPort(server6, "8000"), "100000")
	}
	text := l.metricsText(addr)
	for _, ifc := range []string{"t6", "t4"} {
		for _, q := range []string{"0", "1"} {
			v, ok := metricSum(text, "siit_rx_packets_total", `iface="`+ifc+`"`, `queue="`+q+`"`)
			if !ok || v == 0 {
				t.Errorf("no packet received on %s queue %s:\n%s", ifc, q, text)
			}
		}
	}
}

// TestUDPChecksumZero: IPv4 UDP with checksum zero (legal in IPv4, not in
// IPv6) is dropped and counted unless amend-udp-checksum-zero is on; then
// the translator computes the checksum.
func TestUDPChecksumZero(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	l.startSiit(defaultArgs()...)
	srv := l.start(l.C, "udpecho", "[::]:7001")
	base := l.stat("JSTAT46_FRAGMENTED_ZERO_CSUM")
	l.helperOK(l.S, "udpone", "-nocsum", hostPort(client4, "7001"), "100")
	if !l.waitStat("JSTAT46_FRAGMENTED_ZERO_CSUM", base) {
		t.Errorf("JSTAT46_FRAGMENTED_ZERO_CSUM did not grow")
	}
	if len(srv.snapshot()) != 1 {
		t.Errorf("the client received a zero-checksum datagram with amend-udp-checksum-zero off: %q", srv.snapshot())
	}
	l.cliOK("global", "update", "amend-udp-checksum-zero", "true")
	l.helperOK(l.S, "udpping", "-nocsum", hostPort(client4, "7001"), "1000", "3")
	if !sawFrom(srv, "64:ff9b::cb00:710a") {
		t.Errorf("the client saw nothing: %q", srv.snapshot())
	}
}

// TestCrossWorker gives the IPv6-side interface two queues and the IPv4 side
// one, with two workers: the worker of t6's queue 1 has no socket on t4, so
// it hands its translated frames to the worker that has one, instead of
// sending them through the kernel.
func TestCrossWorker(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{queues: 2, queues4: 1})
	const addr = "127.0.0.1:9470"
	p := l.startSiit(append(defaultArgs(), "--cpus", "0,1", "--metrics", addr)...)
	if !strings.Contains(p.log(), "worker hands frames to another worker") {
		t.Fatalf("no worker was linked to another\n%s", p.log())
	}
	// --cpus 0,1: one worker thread pinned to each.
	pinned := map[string]int{} // threads by the CPUs they may run on
	for _, th := range procThreads(t, p.cmd.Process.Pid) {
		pinned[th.cpus]++
	}
	if pinned["0"] == 0 || pinned["1"] == 0 || strings.Contains(p.log(), "could not be pinned") {
		t.Fatalf("threads by allowed CPUs %v; want a thread pinned to CPU 0 and one to CPU 1\n%s", pinned, p.log())
	}
	l.pingOK(l.C, server6) // resolves the neighbours
	l.start(l.S, "udpecho", "-q", hostPort(server4, "7000"))
	l.helperOK(l.C, "udpflows", hostPort(server6, "7000"), "300", "24")
	text := l.metricsText(addr)
	if v, ok := metricSum(text, "siit_rx_packets_total", `iface="t6"`, `queue="1"`); !ok || v == 0 {
		t.Fatalf("no packet arrived on t6 queue 1; the test proves nothing:\n%s", text)
	}
	// Every frame handed over is transmitted by the receiving worker.
	var in, out float64
	if !eventually(5*time.Second, func() bool {
		text = l.metricsText(addr)
		out, _ = metricSum(text, "siit_worker_transfers_total", `direction="out"`)
		in, _ = metricSum(text, "siit_worker_transfers_total", `direction="in"`)
		return out > 0 && in == out
	}) {
		t.Errorf("worker transfers: %v out, %v in; want the same, above zero:\n%s", out, in, text)
	}
}

// procThread is what /proc/PID/task/TID/status says of one thread: the CPUs
// it may run on (Cpus_allowed_list, e.g. "1" or "0-1") and its scheduler
// state (R, S, ...).
type procThread struct{ cpus, state string }

// procThreads lists the threads of process pid.
func procThreads(t *testing.T, pid int) []procThread {
	t.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("threads of %d: %v", pid, err)
	}
	var out []procThread
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread exited
		}
		var th procThread
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
				th.cpus = strings.TrimSpace(v)
			} else if v, ok := strings.CutPrefix(line, "State:"); ok {
				if f := strings.Fields(v); len(f) > 0 {
					th.state = f[0]
				}
			}
		}
		out = append(out, th)
	}
	return out
}

// TestSharedUmem runs traffic both ways with --shared-umem: t6's and t4's
// sockets of a queue share one UMEM, so a translated frame leaves by the
// other interface's socket itself, without the copy between UMEMs of the
// default setup (the path a zero-copy NIC would take; veth binds in copy
// mode, but the worker's side is the same). Afterwards no frame is lost:
// once the traffic stops, every frame of the UMEM is free or in the fill
// ring again, none held by the worker or stuck in TX.
func TestSharedUmem(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	const addr = "127.0.0.1:9472"
	l.startSiit(append(defaultArgs(), "--shared-umem", "--metrics", addr)...)
	frames := func(text, place string) float64 {
		v, _ := metricSum(text, "siit_umem_frames", `iface="t6"`, `place="`+place+`"`)
		return v
	}
	before := l.metricsText(addr)
	total := frames(before, "free") + frames(before, "fill") + frames(before, "held") + frames(before, "tx")
	if total == 0 {
		t.Fatalf("no UMEM frames reported:\n%s", before)
	}
	l.pingOK(l.C, server6)
	l.pingOK(l.S, client4)
	srv4 := l.start(l.S, "udpecho", hostPort(server4, "7000"))
	l.helperOK(l.C, "udpping", hostPort(server6, "7000"), "1000", "50")
	if !sawFrom(srv4, client4) {
		t.Errorf("the IPv4 server did not see the client as %s: %q", client4, srv4.snapshot())
	}
	l.start(l.S, "tcpecho", "0.0.0.0:8000")
	l.helperOK(l.C, "tcpping", hostPort(server6, "8000"), "300000")
	text := l.metricsText(addr)
	for _, ifc := range []string{"t6", "t4"} {
		if v, ok := metricSum(text, "siit_tx_packets_total", `iface="`+ifc+`"`); !ok || v == 0 {
			t.Fatalf("nothing transmitted on %s: the frames did not cross between the sockets:\n%s", ifc, text)
		}
	}
	if !eventually(5*time.Second, func() bool {
		text = l.metricsText(addr)
		return frames(text, "held") == 0 && frames(text, "tx") == 0 &&
			frames(text, "free")+frames(text, "fill") == total
	}) {
		t.Errorf("UMEM frames after the traffic: free %v fill %v held %v tx %v; want free+fill = %v, none held or in TX",
			frames(text, "free"), frames(text, "fill"), frames(text, "held"), frames(text, "tx"), total)
	}
}

// TestThreeInterfaces attaches siit to three interfaces: the client's IPv6
// network (t6), the IPv4 side (t4) and a second IPv6 network (t7), each
// network with its own EAM. Pings cross between t7 and t4 both ways while the
// t6 client keeps working, so frames go between any two of the three.
func TestThreeInterfaces(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{third6: true})
	const addr = "127.0.0.1:9473"
	l.startSiit("--pool6", pool6, "--eamt", "2001:db8:6::/121,192.0.2.0/25", "--eamt", "2001:db8:7::/121,192.0.2.128/25",
		"--eamt", eamServer, "--metrics", addr)
	const third4 = "192.0.2.144" // third6 through its EAM
	out := l.pingOK(l.R, server6)
	if !strings.Contains(out, "from 64:ff9b::cb00:710a") {
		t.Errorf("replies to the third network do not come from 64:ff9b::cb00:710a:\n%s", out)
	}
	l.pingOK(l.S, third4)
	l.pingOK(l.S, third4, "-I", server4e)
	l.pingOK(l.C, server6)
	l.pingOK(l.S, client4)
	text := l.metricsText(addr)
	for _, ifc := range []string{"t6", "t4", "t7"} {
		if v, ok := metricSum(text, "siit_rx_packets_total", `iface="`+ifc+`"`); !ok || v == 0 {
			t.Errorf("siit received nothing on %s:\n%s", ifc, text)
		}
	}
}

// TestDemo runs README's first command, `make demo` (tools/demo.sh, with the
// siit the tests built): it must finish cleanly, show every kind of traffic it
// announces going through, and leave no namespace behind.
func TestDemo(t *testing.T) {
	t.Parallel()
	needLab(t)
	cmd := exec.Command("../../tools/demo.sh")
	cmd.Env = append(os.Environ(), "SIIT_BIN="+siitBin)
	cmd.SysProcAttr = dieWithTest()
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("tools/demo.sh: %v\n%s", err, text)
	}
	for _, want := range []string{
		"bytes from 64:ff9b::c633:640a", // ping 6->4 through pool6 (64:ff9b::198.51.100.10)
		"bytes from 2001:db8:46::20",    // and through the server's EAM
		"bytes from 192.0.2.16",         // ping 4->6
		"hello from the IPv4-only server",
		"translated IPv4 frames received by the server",
		"JSTAT_SUCCESS",
		"== Done; cleaning up",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "hello from the IPv4-only server"); n != 2 {
		t.Errorf("HTTP answered %d times, want 2 (through pool6 and through the EAM)", n)
	}
	if m := regexp.MustCompile(`received by the server: (\d+)`).FindStringSubmatch(text); m == nil || m[1] == "0" {
		t.Errorf("the packet-rate step got no frame through: %v", m)
	}
	list, _ := exec.Command("ip", "netns", "list").Output()
	if strings.Contains(string(list), "siit-demo-") {
		t.Errorf("the demo left namespaces behind:\n%s", list)
	}
}

// TestForcedModes: --xdp-mode generic and --bind-mode copy are honoured (the
// log and the metrics say so) and traffic flows both ways in those modes.
func TestForcedModes(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	const addr = "127.0.0.1:9474"
	p := l.startSiit(append(defaultArgs(), "--xdp-mode", "generic", "--bind-mode", "copy", "--metrics", addr)...)
	l.pingOK(l.C, server6)
	l.pingOK(l.S, client4)
	log := p.log()
	for _, ifc := range []string{"t6", "t4"} {
		if !regexp.MustCompile(`xdp attached.*"iface": "` + ifc + `".*"mode": "generic"`).MatchString(log) {
			t.Errorf("the log does not say %s was attached in generic mode:\n%s", ifc, log)
		}
	}
	text := l.metricsText(addr)
	if v, ok := metricSum(text, "siit_af_xdp_mode", `mode="copy"`); !ok || v != 2 {
		t.Errorf("siit_af_xdp_mode{mode=\"copy\"} = %v, want 2 (one socket per interface):\n%s", v, text)
	}
}

// TestIdleWorkerSleeps: with no traffic, a worker backs off into poll(2)
// instead of spinning (the thread sleeps; README: "Idle workers back off").
// A worker that never backed off would always be running or runnable.
func TestIdleWorkerSleeps(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	p := l.startSiit(append(defaultArgs(), "--cpus", "1")...)
	l.pingOK(l.C, server6) // some traffic first, then none
	// The worker pinned itself to CPU 1, and threads the Go runtime starts
	// from it inherit that affinity, so several threads may be pinned there:
	// all of them must be seen asleep at once (a spinning worker never is).
	var states string
	if !eventually(10*time.Second, func() bool {
		states = ""
		for _, th := range procThreads(t, p.cmd.Process.Pid) {
			if th.cpus == "1" {
				states += th.state
			}
		}
		return states != "" && strings.Trim(states, "S") == ""
	}) {
		t.Fatalf("the threads pinned to the worker's CPU are in states %q; want all S (sleeping, the worker in poll)", states)
	}
}
