package e2e

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// statOf returns a JSTAT counter of instance name.
func (l *lab) statOf(name, counter string) uint64 {
	l.t.Helper()
	cs, err := l.client().Stats(name)
	if err != nil {
		l.t.Fatalf("read stats of %s: %v", name, err)
	}
	for _, c := range cs {
		if c.Name == counter {
			return c.Value
		}
	}
	return 0
}

// TestServeByInterface runs two instances in one daemon, each translating
// what arrives on one interface (--serve): "six" the IPv6 side, "four" the
// IPv4 side. An echo through the translator needs both directions, so it
// is answered only while both instances exist, and each instance counts only
// its own direction.
func TestServeByInterface(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	l.startSiit("--serve", "six=t6", "--serve", "four=t4")
	// No instance yet: the kernel has no route to pool6.
	l.pingFails(l.C, server6)

	l.cliOK("instance", "add", "six", "--netfilter", "--pool6", pool6)
	l.cliOK("-i", "six", "eamt", "add", "2001:db8:6::/120", "192.0.2.0/24")
	// Requests are translated, replies arriving on t4 are not.
	l.pingFails(l.C, server6)
	if l.statOf("six", "JSTAT_SUCCESS") == 0 {
		t.Fatalf("instance six translated nothing\n%s", l.siitLog())
	}

	l.cliOK("instance", "add", "four", "--netfilter", "--pool6", pool6)
	l.cliOK("-i", "four", "eamt", "add", "2001:db8:6::/120", "192.0.2.0/24")
	l.pingOK(l.C, server6)
	six6, six4 := l.statOf("six", "JSTAT_RECEIVED6"), l.statOf("six", "JSTAT_RECEIVED4")
	four6, four4 := l.statOf("four", "JSTAT_RECEIVED6"), l.statOf("four", "JSTAT_RECEIVED4")
	if six6 == 0 || six4 != 0 || four4 == 0 || four6 != 0 {
		t.Errorf("instance six received %d IPv6 and %d IPv4 packets, four %d and %d; want IPv6 only on six and IPv4 only on four",
			six6, six4, four6, four4)
	}
	out := l.cliOK("instance", "display")
	for _, name := range []string{"six", "four"} {
		if !strings.Contains(out, name) {
			t.Errorf("instance display lacks %s:\n%s", name, out)
		}
	}

	// A change to one instance affects its interface only: without its EAM,
	// "four" cannot translate the replies back to the client.
	l.cliOK("-i", "four", "eamt", "remove", "2001:db8:6::/120")
	l.pingFails(l.C, server6)
	l.cliOK("-i", "four", "eamt", "add", "2001:db8:6::/120", "192.0.2.0/24")
	if !eventually(10*time.Second, func() bool { return l.pingOnce(l.C, server6) }) {
		t.Fatalf("translation did not resume after the EAM came back\n%s", l.siitLog())
	}

	// Removing an instance stops its interface only; re-created, it counts
	// from zero, as Jool's instances do.
	l.cliOK("instance", "remove", "six")
	l.pingFails(l.C, server6)
	l.cliOK("instance", "add", "six", "--netfilter", "--pool6", pool6)
	if got := l.statOf("six", "JSTAT_RECEIVED6"); got != 0 {
		t.Errorf("re-created instance six starts with JSTAT_RECEIVED6 = %d, want 0", got)
	}
	l.cliOK("-i", "six", "eamt", "add", "2001:db8:6::/120", "192.0.2.0/24")
	l.pingOK(l.C, server6)
	if l.statOf("six", "JSTAT_RECEIVED6") == 0 {
		t.Errorf("re-created instance six counts nothing")
	}
}

// TestServeFiles starts two instances from two files (-f twice), each
// serving one interface, and reloads both atomically on SIGHUP: when one
// file is bad, neither changes.
func TestServeFiles(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	six, four := filepath.Join(l.dir, "six.json"), filepath.Join(l.dir, "four.json")
	write := func(path, name string, eams []eamJSON) {
		t.Helper()
		if err := writeInstanceFile(path, name, eams); err != nil {
			t.Fatal(err)
		}
	}
	write(six, "six", baseEAMs)
	write(four, "four", baseEAMs)
	p := l.startSiit("-f", six, "-f", four, "--serve", "six=t6", "--serve", "four=t4")
	l.pingOK(l.C, server6)
	l.pingOK(l.C, server6e)
	if l.statOf("six", "JSTAT_RECEIVED6") == 0 || l.statOf("four", "JSTAT_RECEIVED4") == 0 {
		t.Fatalf("the two instances did not both translate\n%s", l.siitLog())
	}

	// The server's EAM moves in six.json, but four.json is broken: nothing
	// may change.
	eamtOf := func(name string) string {
		t.Helper()
		out, _ := l.cli("-i", name, "eamt", "display")
		return out
	}
	before6, before4 := eamtOf("six"), eamtOf("four")
	moved := []eamJSON{baseEAMs[0], {"2001:db8:47::20/128", "203.0.113.20/32"}}
	write(six, "six", moved)
	p.reloadBadFile(t, four, "four")
	if after6, after4 := eamtOf("six"), eamtOf("four"); after6 != before6 || after4 != before4 {
		t.Errorf("a reload with one bad file changed the configuration:\nsix before:\n%s\nsix after:\n%s\nfour before:\n%s\nfour after:\n%s",
			before6, after6, before4, after4)
	}
	l.pingOK(l.C, server6e)

	// Both files good: both change.
	write(four, "four", moved)
	if err := p.signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if !eventually(10*time.Second, func() bool {
		return strings.Contains(eamtOf("six"), "2001:db8:47::20/128") && strings.Contains(eamtOf("four"), "2001:db8:47::20/128")
	}) {
		t.Fatalf("SIGHUP did not load both files\n%s", p.log())
	}
	l.pingOK(l.C, "2001:db8:47::20")
	l.pingFails(l.C, server6e)
}
