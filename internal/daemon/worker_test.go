package daemon

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netns"
	"go.uber.org/zap/zaptest"

	"github.com/siit-project/siit/internal/nexthop"
	"github.com/siit-project/siit/xlat"
)

// The worker gives every port's translator the MTU floor of the next-hop table it routes with, and a new one
// when the table changes: packets within the floor then skip the MTU question, so a floor above a real hop MTU
// would send packets too big for their link.
func TestWorkerTakesMTUFloor(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces)")
	}
	name := fmt.Sprintf("siitwf%d-%d", os.Getpid()%100000, rand.IntN(1000))
	ip := func(args string) {
		t.Helper()
		cmd := exec.Command("ip", append([]string{"-n", name}, strings.Fields(args)...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", args, err, out)
		}
	}
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("cannot create a namespace: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	ip("link add wf0 mtu 1400 type veth peer name wf1")
	ip("addr add 192.0.2.1/24 dev wf0")
	ip("addr add 2001:db8:1::1/64 dev wf0 nodad")
	ip("link set wf0 up")
	ip("link set wf1 up")
	h, err := netns.GetFromName(name)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	m, err := nexthop.Start(context.Background(), nexthop.Options{Netns: h, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	w := &worker{ports: []*port{{tr: xlat.NewTranslator(nil)}, {tr: xlat.NewTranslator(nil)}}}
	wait := func(floor uint32) *nexthop.Table {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			tbl := m.Table()
			if tbl.MTUFloor() == floor {
				return tbl
			}
			if time.Now().After(deadline) {
				t.Fatalf("the mirror's floor stayed %d, want %d", tbl.MTUFloor(), floor)
			}
		}
	}
	check := func(want uint32) {
		t.Helper()
		for i, p := range w.ports {
			if p.tr.MTUFloor != want {
				t.Errorf("port %d translator floor %d, want %d", i, p.tr.MTUFloor, want)
			}
		}
	}
	tbl := wait(1400)
	w.useTable(tbl)
	check(1400)

	ip("link set wf0 mtu 1300")
	w.useTable(wait(1300))
	check(1300)

	// The same table again leaves the translators alone: the floor is taken once per table.
	for _, p := range w.ports {
		p.tr.MTUFloor = 1
	}
	w.useTable(w.hops.tbl)
	check(1)
}
