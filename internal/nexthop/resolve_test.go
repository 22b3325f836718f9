package nexthop

import (
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestResolveTriggersKernelResolution(t *testing.T) {
	needRoot(t)
	a, b := newNS(t, "ra"), newNS(t, "rb")
	veth(t, a, "veth0", b, "veth1")
	a.ip(t, "addr add 192.0.2.1/24 dev veth0")
	a.ip(t, "addr add 2001:db8:1::1/64 dev veth0 nodad")
	b.ip(t, "addr add 192.0.2.2/24 dev veth1")
	b.ip(t, "addr add 2001:db8:1::2/64 dev veth1 nodad")
	ifx, _ := a.link(t, "veth0")
	_, peerMAC := b.link(t, "veth1")
	m := startMirror(t, a)

	peers := []netip.Addr{netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("2001:db8:1::2")}
	for _, p := range peers {
		h, r := m.Table().Lookup(p, 0)
		if r != Found || h.Ifindex != ifx || h.Via != p {
			t.Fatalf("%s: %v %+v before resolution", p, r, h)
		}
		if h.Resolved {
			t.Fatalf("%s: already resolved before Resolve (lab not clean)", p)
		}
		m.Resolve(h.Ifindex, h.Via)
	}
	for _, p := range peers {
		eventually(t, "kernel resolves "+p.String(), func() (bool, string) {
			h, r := m.Table().Lookup(p, 0)
			return r == Found && h.Resolved && h.DstMAC == peerMAC, hopString(h)
		})
	}

	// Nobody answers for .99: the kernel still holds an entry that is
	// being (or was unsuccessfully) resolved, proving the request probes.
	ghost := netip.MustParseAddr("192.0.2.99")
	m.Resolve(ifx, ghost)
	eventually(t, "kernel neighbour entry for "+ghost.String(), func() (bool, string) {
		ns, err := a.nl.NeighList(int(ifx), unix.AF_INET)
		if err != nil {
			return false, err.Error()
		}
		for _, n := range ns {
			if n.IP.Equal(ghost.AsSlice()) {
				return n.State&(unix.NUD_INCOMPLETE|unix.NUD_FAILED) != 0, "state " + itoa16(n.State)
			}
		}
		return false, "no entry"
	})
	if _, r := m.Table().Lookup(ghost, 0); r != Found {
		t.Errorf("ghost: %v", r)
	}

	// Repeats inside ResolveInterval are dropped before the queue.
	before := m.Stats()
	for i := 0; i < 100; i++ {
		m.Resolve(ifx, ghost)
	}
	st := m.Stats()
	if st.ResolveDeduped-before.ResolveDeduped != 100 {
		t.Errorf("deduplicated %d of 100 repeats", st.ResolveDeduped-before.ResolveDeduped)
	}
	if st.ResolveSent < 3 || st.ResolveErrors != 0 {
		t.Errorf("stats %+v: want >= 3 requests sent, no errors", st)
	}
}

// TestResolveAllocs measures Resolve on a mirror without its goroutines:
// AllocsPerRun counts the allocations of every goroutine, and a running
// resolver building its netlink requests meanwhile is not Resolve's doing
// (with 64 of them that came to about one allocation per call).
func TestResolveAllocs(t *testing.T) {
	o := Options{ResolveQueue: 16}
	o.setDefaults()
	m := &Mirror{opts: o, resolveCh: make(chan resolveReq, o.ResolveQueue), epoch: time.Now()}
	addrs := make([]netip.Addr, 64)
	for i := range addrs {
		addrs[i] = netip.AddrFrom4([4]byte{192, 0, 2, byte(100 + i)})
	}
	i := 0
	// New addresses (queue path, then queue-full path) and repeats
	// (dedup path): none may allocate.
	if n := testing.AllocsPerRun(1000, func() {
		m.Resolve(1, addrs[i%len(addrs)])
		i++
	}); n != 0 {
		t.Errorf("Resolve allocates %v per call", n)
	}
	if st := m.Stats(); st.ResolveDropped == 0 || st.ResolveDeduped == 0 || len(m.resolveCh) != o.ResolveQueue {
		t.Errorf("not every path taken: %+v, %d queued", st, len(m.resolveCh))
	}
}

func itoa16(v int) string {
	const hexd = "0123456789abcdef"
	return "0x" + string([]byte{hexd[v>>4&15], hexd[v&15]})
}

func hopString(h Hop) string {
	return h.Via.String() + " resolved=" + map[bool]string{true: "yes", false: "no"}[h.Resolved]
}
