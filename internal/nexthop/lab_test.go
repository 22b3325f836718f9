package nexthop

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"go.uber.org/zap/zaptest"
)

// Root-only lab helpers: namespaces are created with `ip netns add` (never
// by switching the test's own thread) and configured with `ip -n`.

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2 (ip) to build the lab")
	}
}

type labNS struct {
	name string
	h    netns.NsHandle
	nl   *netlink.Handle
}

// newNS creates a namespace named nh-<label>-<random> with lo up.
func newNS(t *testing.T, label string) *labNS {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := "nh-" + label + "-" + hex.EncodeToString(b[:])
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	h, err := netns.GetFromName(name)
	if err != nil {
		t.Fatalf("open netns %s: %v", name, err)
	}
	t.Cleanup(func() { h.Close() })
	nh, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatalf("netlink handle in %s: %v", name, err)
	}
	t.Cleanup(nh.Close)
	ns := &labNS{name: name, h: h, nl: nh}
	// No duplicate address detection: a tentative link-local address
	// delays the first neighbour solicitation by a second.
	ns.exec(t, "sysctl -q -w net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0")
	ns.ip(t, "link set lo up")
	return ns
}

// ip runs `ip -n NS <args>`; args are split on spaces.
func (ns *labNS) ip(t *testing.T, args string) {
	t.Helper()
	full := append([]string{"-n", ns.name}, strings.Fields(args)...)
	if out, err := exec.Command("ip", full...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(full, " "), err, out)
	}
}

// ips runs `ip -n NS` once per command.
func (ns *labNS) ips(t *testing.T, cmds ...string) {
	t.Helper()
	for _, c := range cmds {
		ns.ip(t, c)
	}
}

func (ns *labNS) link(t *testing.T, name string) (int32, [6]byte) {
	t.Helper()
	l, err := ns.nl.LinkByName(name)
	if err != nil {
		t.Fatalf("link %s in %s: %v", name, ns.name, err)
	}
	var mac [6]byte
	copy(mac[:], l.Attrs().HardwareAddr)
	return int32(l.Attrs().Index), mac
}

// veth connects a (name ifA) and b (name ifB), both up.
func veth(t *testing.T, a *labNS, ifA string, b *labNS, ifB string) {
	t.Helper()
	a.ip(t, "link add "+ifA+" type veth peer name "+ifB+" netns "+b.name)
	a.ip(t, "link set "+ifA+" up")
	b.ip(t, "link set "+ifB+" up")
}

// eventually polls cond every few milliseconds for up to 10 seconds.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, detail := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %s", what, detail)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func mustMAC(s string) [6]byte {
	m, err := net.ParseMAC(s)
	if err != nil || len(m) != 6 {
		panic("bad test MAC " + s)
	}
	return [6]byte(m)
}

// sameNetns fails the test if the calling thread left the test's namespace.
func checkOwnNetns(t *testing.T, orig netns.NsHandle) {
	t.Helper()
	cur, err := netns.Get()
	if err != nil {
		t.Fatalf("get current netns: %v", err)
	}
	defer cur.Close()
	if !cur.Equal(orig) {
		t.Fatal("test thread was left in another network namespace")
	}
}

func timeAfter(seconds int) <-chan time.Time { return time.After(time.Duration(seconds) * time.Second) }

// exec runs a command inside the namespace (`ip netns exec`).
func (ns *labNS) exec(t *testing.T, cmd string) {
	t.Helper()
	full := append([]string{"netns", "exec", ns.name}, strings.Fields(cmd)...)
	if out, err := exec.Command("ip", full...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(full, " "), err, out)
	}
}

// linkNames maps the ifindex of lo and of the links named to their names.
func linkNames(t *testing.T, ns *labNS, links ...string) map[int32]string {
	t.Helper()
	names := map[int32]string{}
	for _, n := range append([]string{"lo"}, links...) {
		i, _ := ns.link(t, n)
		names[i] = n
	}
	return names
}

// startQuiet starts a mirror of ns without the periodic resync, so a test
// sees only what notifications bring; it is closed at cleanup.
func startQuiet(t *testing.T, ns *labNS) *Mirror {
	t.Helper()
	m, err := Start(context.Background(), Options{Netns: ns.h, Logger: zaptest.NewLogger(t), ResyncInterval: -1})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// keyAddr sets an address of a Flow in trie-key form (IPv4 in the top 32
// bits of hi).
func keyAddr(a netip.Addr) (hi, lo uint64) {
	if a.Is4() {
		hi, _, _ = prefixKey(netip.PrefixFrom(a, 32))
		return hi, 0
	}
	return addrKey(a)
}
