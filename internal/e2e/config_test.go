package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pingOnce reports whether a single echo to dst is answered within 2 s.
func (l *lab) pingOnce(ns, dst string) bool {
	_, ok := l.ping(ns, "-c", "1", "-W", "2", dst)
	return ok
}

// TestConfigCLI changes the running daemon's configuration with the
// jool_siit-compatible CLI and checks the data plane follows at once.
func TestConfigCLI(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	// Only the client's EAM: the server's EAM address is not translated.
	l.startSiit("--pool6", pool6, "--eamt", eamClient)
	l.pingOK(l.C, server6)
	l.pingFails(l.C, server6e)

	t.Run("eamt-add", func(t *testing.T) {
		defer l.as(t)()
		l.cliOK("eamt", "add", "2001:db8:46::20/128", "203.0.113.20/32")
		// The first echo after the command returns is answered.
		if !l.pingOnce(l.C, server6e) {
			t.Fatalf("the new EAM does not work right after `eamt add` returned\n%s", l.siitLog())
		}
		out := l.cliOK("eamt", "display")
		if !strings.Contains(out, "2001:db8:46::20/128") || !strings.Contains(out, "203.0.113.20/32") {
			t.Errorf("eamt display lacks the new entry:\n%s", out)
		}
	})
	t.Run("eamt-remove", func(t *testing.T) {
		defer l.as(t)()
		l.cliOK("eamt", "remove", "2001:db8:46::20/128")
		if l.pingOnce(l.C, server6e) {
			t.Fatalf("the removed EAM still translates")
		}
		l.pingOK(l.C, server6)
	})
	t.Run("manually-enabled", func(t *testing.T) {
		defer l.as(t)()
		l.cliOK("global", "update", "manually-enabled", "false")
		// Packets go to the kernel, which has no route to pool6.
		out := l.pingFails(l.C, server6)
		if !strings.Contains(out, "unreachable") {
			t.Errorf("with translation disabled the kernel should answer unreachable:\n%s", out)
		}
		l.pingOK(l.C, tr6) // the host still answers
		l.cliOK("global", "update", "manually-enabled", "true")
		if !l.pingOnce(l.C, server6) {
			t.Fatalf("translation did not resume after manually-enabled true\n%s", l.siitLog())
		}
	})
	t.Run("denylist4", func(t *testing.T) {
		defer l.as(t)()
		// A denylisted IPv4 address is not translated through pool6.
		l.cliOK("denylist4", "add", server4+"/32")
		if l.pingOnce(l.C, server6) {
			t.Fatalf("a denylisted address still translates through pool6")
		}
		l.cliOK("denylist4", "remove", server4+"/32")
		if !l.pingOnce(l.C, server6) {
			t.Fatalf("translation did not resume after denylist4 remove")
		}
	})
	t.Run("instance-remove-add", func(t *testing.T) {
		defer l.as(t)()
		l.cliOK("instance", "remove", "default")
		l.pingFails(l.C, server6)
		l.pingOK(l.C, tr6)
		// A new instance starts translating as soon as it has what the
		// flow needs: pool6 for the server, an EAM for the client.
		l.cliOK("instance", "add", "--netfilter", "--pool6", pool6)
		l.cliOK("eamt", "add", "2001:db8:6::/120", "192.0.2.0/24")
		if !l.pingOnce(l.C, server6) {
			t.Fatalf("no translation after instance add + eamt add\n%s", l.siitLog())
		}
	})
	t.Run("jool_siit-alias", func(t *testing.T) {
		defer l.as(t)()
		alias := filepath.Join(l.dir, "jool_siit")
		if err := os.Symlink(siitBin, alias); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(alias, "eamt", "display", "--csv")
		cmd.Env = append(os.Environ(), "SIIT_SOCKET="+l.sock)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "2001:db8:6::/120") {
			t.Errorf("jool_siit eamt display: %v\n%s", err, out)
		}
	})
	t.Run("pool6-update", func(t *testing.T) {
		defer l.as(t)()
		// A new pool6 replaces the old one in the data plane and the
		// steering program.
		l.cliOK("global", "update", "pool6", "2001:db8:64::/96")
		if !l.pingOnce(l.C, "2001:db8:64::203.0.113.10") {
			t.Fatalf("the new pool6 does not translate\n%s", l.siitLog())
		}
		l.pingFails(l.C, server6)
		l.cliOK("global", "update", "pool6", pool6)
		if !l.pingOnce(l.C, server6) {
			t.Fatalf("pool6 %s does not translate again", pool6)
		}
	})
	t.Run("stats-display", func(t *testing.T) {
		defer l.as(t)()
		out := l.cliOK("stats", "display")
		if !strings.Contains(out, "JSTAT_SUCCESS") {
			t.Errorf("stats display lacks JSTAT_SUCCESS:\n%s", out)
		}
		out = l.cliOK("stats", "display", "--csv")
		if !regexp.MustCompile(`(?m)^JSTAT_SUCCESS,[1-9][0-9]*$`).MatchString(out) {
			t.Errorf("stats display --csv: JSTAT_SUCCESS is not positive:\n%s", out)
		}
	})
}

// eamJSON is one EAMT entry of a Jool JSON file.
type eamJSON struct{ p6, p4 string }

// writeConfig writes a Jool-format JSON file for the default instance.
func writeConfig(t *testing.T, path string, eams []eamJSON) {
	t.Helper()
	if err := writeConfigFile(path, eams); err != nil {
		t.Fatal(err)
	}
}

// writeConfigFile replaces path atomically with a Jool JSON file for the
// default instance: pool6 and eams.
func writeConfigFile(path string, eams []eamJSON) error {
	return writeInstanceFile(path, "default", eams)
}

// writeInstanceFile is writeConfigFile for instance name.
func writeInstanceFile(path, name string, eams []eamJSON) error {
	var b strings.Builder
	fmt.Fprintf(&b, `{"instance": %q, "framework": "netfilter", "global": {"pool6": "64:ff9b::/96"}, "eamt": [`, name)
	for i, e := range eams {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n  {\"ipv6 prefix\": %q, \"ipv4 prefix\": %q}", e.p6, e.p4)
	}
	b.WriteString("\n]}\n")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// baseEAMs are the lab's two EAMs.
var baseEAMs = []eamJSON{{"2001:db8:6::/120", "192.0.2.0/24"}, {"2001:db8:46::20/128", "203.0.113.20/32"}}

// TestConfigFile starts siit with -f, reloads a changed file on SIGHUP, and
// keeps the running configuration when the new file is bad.
func TestConfigFile(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	file := filepath.Join(l.dir, "siit.json")
	writeConfig(t, file, baseEAMs)
	p := l.startSiit("-f", file)
	l.pingOK(l.C, server6)
	l.pingOK(l.C, server6e)
	l.pingOK(l.S, client4)

	t.Run("sighup-reload", func(t *testing.T) {
		defer l.as(t)()
		// Move the server's EAM to another IPv6 address.
		writeConfig(t, file, []eamJSON{baseEAMs[0], {"2001:db8:47::20/128", "203.0.113.20/32"}})
		if err := p.signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		if !eventually(10*time.Second, func() bool {
			out, _ := l.cli("eamt", "display")
			return strings.Contains(out, "2001:db8:47::20/128")
		}) {
			t.Fatalf("SIGHUP did not load the new EAMT\n%s", p.log())
		}
		l.pingOK(l.C, "2001:db8:47::20")
		l.pingFails(l.C, server6e)
		l.pingOK(l.C, server6)
	})
	t.Run("sighup-bad-file", func(t *testing.T) {
		defer l.as(t)()
		before, _ := l.cli("eamt", "display")
		p.reloadBadFile(t, file, "default")
		if after, _ := l.cli("eamt", "display"); after != before {
			t.Errorf("EAMT changed after a bad reload:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		out := l.cliOK("global", "display")
		if !strings.Contains(out, "64:ff9b::/96") {
			t.Errorf("pool6 changed after a bad reload:\n%s", out)
		}
		l.pingOK(l.C, server6)
		l.pingOK(l.C, "2001:db8:47::20")
	})
	t.Run("file-handle", func(t *testing.T) {
		defer l.as(t)()
		// The CLI's `file handle` applies a file to the running daemon.
		other := filepath.Join(l.dir, "handle.json")
		writeConfig(t, other, baseEAMs)
		l.cliOK("file", "handle", other)
		if !l.pingOnce(l.C, server6e) {
			t.Fatalf("the EAM from `file handle` does not work right away")
		}
		l.pingFails(l.C, "2001:db8:47::20")
	})
}

// metricsText fetches /metrics from inside the translator namespace.
func (l *lab) metricsText(addr string) string {
	l.t.Helper()
	return l.helperOK(l.T, "httpget", "http://"+addr+"/metrics")
}

// metricSum adds up the samples of metric name whose label sets contain
// every one of labels (each `key="value"`).
func metricSum(text, name string, labels ...string) (float64, bool) {
	var sum float64
	found := false
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, lb := range labels {
			if !strings.Contains(line, lb) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			continue
		}
		sum += v
		found = true
	}
	return sum, found
}

// TestMetrics: --metrics serves Prometheus text inside the namespace with
// Jool's counters, per-socket traffic and the slow path.
func TestMetrics(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	const addr = "127.0.0.1:9469"
	l.startSiit(append(defaultArgs(), "--metrics", addr)...)
	// The first packet toward the unresolved router takes the slow path.
	l.must("ip", "-n", l.T, "neigh", "flush", "all")
	l.pingOK(l.C, server6)
	l.pingOK(l.S, client4)
	var text string
	if !eventually(10*time.Second, func() bool {
		text = l.metricsText(addr)
		v, _ := metricSum(text, "siit_jool_stat_total", `stat="JSTAT_SUCCESS"`)
		return v >= 12 // 3 echoes and 3 replies each way
	}) {
		t.Fatalf("siit_jool_stat_total{stat=\"JSTAT_SUCCESS\"} below 12:\n%s", text)
	}
	for _, m := range []struct {
		name   string
		labels []string
		min    float64
	}{
		{"siit_jool_stat_total", []string{`instance="default"`, `stat="JSTAT_RECEIVED6"`}, 6},
		{"siit_jool_stat_total", []string{`stat="JSTAT_RECEIVED4"`}, 6},
		{"siit_rx_packets_total", []string{`iface="t6"`}, 6},
		{"siit_tx_packets_total", []string{`iface="t4"`}, 1},
		{"siit_xdp_steer_total", []string{`iface="t6"`, `outcome="redirected6"`}, 6},
		{"siit_af_xdp_mode", []string{`iface="t6"`}, 1},
		{"siit_xdp_mode", []string{`iface="t4"`}, 1},
		{"siit_slow_path_total", nil, 1},
		{"siit_neighbour_resolutions_total", nil, 1},
		{"siit_config_generation", nil, 1},
	} {
		v, ok := metricSum(text, m.name, m.labels...)
		if !ok || v < m.min {
			t.Errorf("%s%v = %v (found %v), want >= %v", m.name, m.labels, v, ok, m.min)
		}
	}
	if !strings.Contains(text, "# TYPE siit_jool_stat_total counter") {
		t.Errorf("no TYPE line for siit_jool_stat_total")
	}
}
