package e2e

import (
	"testing"
	"time"
)

// stat returns a JSTAT counter of the daemon's default instance.
func (l *lab) stat(name string) uint64 {
	l.t.Helper()
	cs, err := l.client().Stats("default")
	if err != nil {
		l.t.Fatalf("read stats: %v", err)
	}
	for _, c := range cs {
		if c.Name == name {
			return c.Value
		}
	}
	return 0
}

// waitStat waits until counter name exceeds base.
func (l *lab) waitStat(name string, base uint64) bool {
	return eventually(5*time.Second, func() bool { return l.stat(name) > base })
}

// TestFragments sends fragmented UDP both ways and checks the payload comes
// back intact (the echo travels the opposite way, fragmented too).
// Fragmented ICMP cannot be translated statelessly (its checksum covers the
// whole message): like Jool, siit drops and counts it.
func TestFragments(t *testing.T) {
	t.Parallel()
	l := newLab(t, labOpts{})
	l.startSiit(defaultArgs()...)
	srv4 := l.start(l.S, "udpecho", hostPort(server4, "7000"), hostPort(server4e, "7000"))
	srv6 := l.start(l.C, "udpecho", "[::]:7001")

	t.Run("6to4", func(t *testing.T) {
		defer l.as(t)()
		// IPv6 fragments become IPv4 fragments; the IPv4 echo comes back in
		// fragments of 1500 bytes, which grow past the IPv6 MTU once
		// translated and must be split again.
		for _, size := range []string{"1600", "4000", "20000"} {
			l.helperOK(l.C, "udpping", hostPort(server6, "7000"), size, "3")
			l.helperOK(l.C, "udpping", hostPort(server6e, "7000"), size, "3")
		}
		if !sawFrom(srv4, client4) {
			t.Errorf("server saw no datagram from %s: %q", client4, srv4.snapshot())
		}
	})
	t.Run("4to6", func(t *testing.T) {
		defer l.as(t)()
		for _, size := range []string{"1600", "4000", "20000"} {
			l.helperOK(l.S, "udpping", hostPort(client4, "7001"), size, "3")
			l.helperOK(l.S, "udpping", "-src", server4e, hostPort(client4, "7001"), size, "3")
		}
		if !sawFrom(srv6, "64:ff9b::cb00:710a") {
			t.Errorf("client saw no datagram from the server: %q", srv6.snapshot())
		}
	})
	t.Run("fragmented-icmp-counted", func(t *testing.T) {
		defer l.as(t)()
		base64, base46 := l.stat("JSTAT64_FRAGMENTED_ICMP"), l.stat("JSTAT46_FRAGMENTED_ICMP")
		l.ping(l.C, "-c", "1", "-W", "1", "-s", "3000", server6)
		if !l.waitStat("JSTAT64_FRAGMENTED_ICMP", base64) {
			t.Errorf("JSTAT64_FRAGMENTED_ICMP did not grow after a fragmented ICMPv6 echo")
		}
		l.ping(l.S, "-c", "1", "-W", "1", "-s", "3000", client4)
		if !l.waitStat("JSTAT46_FRAGMENTED_ICMP", base46) {
			t.Errorf("JSTAT46_FRAGMENTED_ICMP did not grow after a fragmented ICMPv4 echo")
		}
		// Unfragmented pings still work.
		l.pingOK(l.C, server6, "-s", "1400")
	})
}
