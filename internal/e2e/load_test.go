package e2e

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/siit-project/siit/xlat/eamt"
)

// streamResult is what the udpstream helper reports.
type streamResult struct{ sent, recv, bad, dup, errs int }

func (r streamResult) lossless() bool {
	return r.recv == r.sent && r.bad == 0 && r.dup == 0 && r.errs == 0
}

// stream sends n datagrams at pps from the client to the server through
// pool6 and the client's EAM (the echo comes back the same way) and returns
// the counts.
func (l *lab) stream(pps, n int) streamResult {
	l.t.Helper()
	out := l.helperOK(l.C, "udpstream", hostPort(server6, "7000"), fmt.Sprint(pps), fmt.Sprint(n), "256")
	var r streamResult
	if _, err := fmt.Sscanf(out, "sent %d recv %d bad %d dup %d errs %d", &r.sent, &r.recv, &r.bad, &r.dup, &r.errs); err != nil {
		l.t.Fatalf("udpstream output %q: %v", out, err)
	}
	return r
}

// churnEntry is the i-th EAM the churn adds and removes: /32s in the unused
// part of 198.51.100.0/24, /128s in 2001:db8:100::/64.
func churnEntry(i int) eamt.Entry {
	return eamt.Entry{
		Prefix6: netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 14: byte(i >> 8), 15: byte(i)}), 128),
		Prefix4: netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 51, 100, byte(64 + i%160)}), 32),
	}
}

// TestLiveUpdateUnderLoad: while a steady UDP flow crosses the translator
// through EAMs and pool6 that stay configured, thousands of EAMT changes on
// other entries (over the control socket) and repeated SIGHUP reloads lose
// or mistranslate no packet of the flow.
func TestLiveUpdateUnderLoad(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	file := filepath.Join(l.dir, "siit.json")
	writeConfig(t, file, baseEAMs)
	const metricsAddr = "127.0.0.1:9469"
	p := l.startSiit("-f", file, "--metrics", metricsAddr)
	l.start(l.S, "udpecho", "-q", hostPort(server4, "7000"))
	l.helperOK(l.C, "udpping", hostPort(server6, "7000"), "256", "3") // warm neighbours

	// The veth lab itself must carry the flow without loss, or the
	// comparison means nothing: find a rate it carries on this machine now.
	var pps int
	var base streamResult
	for _, rate := range []int{1000, 500, 250} {
		base = l.stream(rate, 2*rate)
		t.Logf("baseline without updates at %d pps: %+v", rate, base)
		if base.lossless() {
			pps = rate
			break
		}
	}
	if pps == 0 {
		t.Skipf("the lab loses packets even at 250 pps without any update (%+v): the machine is too busy to judge", base)
	}
	// judge fails the test when r has mangled packets, or lost packets
	// unless the lab, measured
	// again right away without updates, loses packets too (then the run
	// says nothing about the updates).
	judge := func(t *testing.T, what string, r streamResult) {
		t.Helper()
		if r.lossless() {
			return
		}
		if r.bad > 0 || r.dup > 0 || r.errs > 0 {
			t.Errorf("the flow got mangled or duplicated packets, or ICMP errors, during %s: %+v\n%s", what, r, l.lossReport(metricsAddr))
			return
		}
		if again := l.stream(pps, 2*pps); !again.lossless() {
			t.Skipf("inconclusive: %+v during %s, but the lab also loses packets without updates now (%+v)", r, what, again)
		}
		t.Errorf("the flow lost packets during %s: %+v (the lab alone: %+v)\n%s", what, r, base, l.lossReport(metricsAddr))
	}

	t.Run("eamt-churn", func(t *testing.T) {
		defer l.as(t)()
		var ops, fails atomic.Int64
		var firstErr atomic.Value
		stop := make(chan struct{})
		var wg sync.WaitGroup
		// Two concurrent clients, each on its own half of the entries.
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := l.client()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					e := churnEntry(w*80 + i%80)
					err := c.AddEAM("default", e, false)
					if err == nil {
						err = c.RemoveEAM("default", &e.Prefix6, nil)
						ops.Add(1)
					}
					if err != nil {
						fails.Add(1)
						firstErr.CompareAndSwap(nil, err)
						continue
					}
					ops.Add(1)
				}
			}()
		}
		r := l.stream(pps, 5*pps)
		close(stop)
		wg.Wait()
		t.Logf("with %d EAMT changes (%d failed): %+v", ops.Load(), fails.Load(), r)
		if fails.Load() > 0 {
			t.Errorf("%d EAMT changes failed, first: %v", fails.Load(), firstErr.Load())
		}
		judge(t, "EAMT changes", r)
		if ops.Load() < 1000 {
			t.Errorf("only %d EAMT changes during the flow, want thousands", ops.Load())
		}
		left, err := l.client().EAMT("default")
		if err != nil || len(left) != len(baseEAMs) {
			t.Errorf("EAMT after the churn: %v (err %v), want only the %d base entries", left, err, len(baseEAMs))
		}
	})

	t.Run("sighup-churn", func(t *testing.T) {
		defer l.as(t)()
		// Two files with the same base entries and different extra ones.
		fileA := append([]eamJSON(nil), baseEAMs...)
		fileB := append([]eamJSON(nil), baseEAMs...)
		for i := range 100 {
			e := churnEntry(i)
			fileA = append(fileA, eamJSON{e.Prefix6.String(), e.Prefix4.String()})
			e = churnEntry(500 + i)
			e.Prefix4 = netip.PrefixFrom(netip.AddrFrom4([4]byte{203, 0, 113, byte(100 + i)}), 32)
			fileB = append(fileB, eamJSON{e.Prefix6.String(), e.Prefix4.String()})
		}
		stop := make(chan struct{})
		done := make(chan int)
		go func() {
			reloads := 0
			for {
				select {
				case <-stop:
					done <- reloads
					return
				case <-time.After(100 * time.Millisecond):
				}
				files := fileA
				if reloads%2 == 1 {
					files = fileB
				}
				if err := writeConfigFile(file, files); err != nil {
					t.Errorf("write %s: %v", file, err)
				}
				if err := p.signal(syscall.SIGHUP); err != nil {
					t.Errorf("SIGHUP: %v", err)
				}
				reloads++
			}
		}()
		r := l.stream(pps, 3*pps)
		close(stop)
		reloads := <-done
		t.Logf("with %d SIGHUP reloads: %+v", reloads, r)
		judge(t, "SIGHUP reloads", r)
		if reloads < 10 {
			t.Errorf("only %d reloads during the flow", reloads)
		}
		// Signals may coalesce, but most reloads must have happened.
		if n := strings.Count(p.log(), "configuration loaded"); n < 1+reloads/2 {
			t.Errorf("%d `configuration loaded` log lines after %d SIGHUPs", n, reloads)
		}
	})
}

// lossReport lists the daemon's non-zero drop and hand-off counters, to
// tell where packets went.
func (l *lab) lossReport(addr string) string {
	text := l.metricsText(addr)
	var b strings.Builder
	b.WriteString("siit counters that explain losses:\n")
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "#") || strings.HasSuffix(line, " 0") {
			continue
		}
		for _, m := range []string{"siit_af_xdp_ring_total", "siit_tx_dropped_total", "siit_worker_drops_total",
			"siit_slow_path", "siit_xdp_steer_total", "siit_jool_stat_total", "siit_rx_packets_total", "siit_tx_packets_total"} {
			if strings.HasPrefix(line, m) {
				b.WriteString("  " + line + "\n")
			}
		}
	}
	return b.String()
}
