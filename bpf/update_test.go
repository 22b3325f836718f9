package bpf

import (
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cilium/ebpf"
)

// TestUpdateNoTransientMiss swaps between prefix sets that both cover 198.51.100.7 (once through a /24 made of
// two merged /25s, once through one /25) while frames to it run continuously: none may miss.
func TestUpdateNoTransientMiss(t *testing.T) {
	p := loadTest(t, Options{})
	if err := p.RegisterSocket(0, xskSocket(t)); err != nil {
		t.Fatal(err)
	}
	mp := func(s ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, x := range s {
			out = append(out, netip.MustParsePrefix(x))
		}
		return out
	}
	sets := [][]netip.Prefix{
		mp("198.51.100.0/25", "198.51.100.128/25", "203.0.113.0/24"),
		mp("198.51.100.0/25", "192.0.2.0/24"),
		mp("198.51.100.0/28", "198.51.100.0/26", "0.0.0.0/0"),
	}
	if err := p.SetPrefixes(sets[0], nil); err != nil {
		t.Fatal(err)
	}
	frame := ether(0x0800, ipv4("203.0.113.9", "198.51.100.7", 17, udp()))
	var stop atomic.Bool
	var runs, misses atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			ret, err := p.objs.XdpSteer.Run(&ebpf.RunOptions{Data: frame, Repeat: 1})
			if err != nil || ret != xdpRedirect {
				misses.Add(1)
			}
			runs.Add(1)
		}
	}()
	deadline := time.Now().Add(2 * time.Second)
	updates := 0
	for ; updates < 3000 && time.Now().Before(deadline); updates++ {
		if err := p.SetPrefixes(sets[updates%len(sets)], nil); err != nil {
			stop.Store(true)
			wg.Wait()
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d updates, %d runs", updates, runs.Load())
	if misses.Load() != 0 {
		t.Fatalf("%d of %d frames to a continuously covered address missed", misses.Load(), runs.Load())
	}
}

// TestLargePrefixSet loads 20000 disjoint IPv6 /64s (no aggregation possible), checks lookups at the edges, then
// replaces them with a disjoint set.
func TestLargePrefixSet(t *testing.T) {
	p := loadTest(t, Options{})
	if err := p.RegisterSocket(0, xskSocket(t)); err != nil {
		t.Fatal(err)
	}
	// 20000 /64s inside 2001:db8::/32, every other one (off 0) or the ones in between (off 1).
	gen := func(off int) []netip.Prefix {
		out := make([]netip.Prefix, 0, 20000)
		for i := 0; i < 20000; i++ {
			a := netip.MustParseAddr("2001:db8::").As16()
			n := uint32(i*2 + off)
			a[4], a[5], a[6], a[7] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
			out = append(out, netip.PrefixFrom(netip.AddrFrom16(a), 64))
		}
		return out
	}
	dst := func(n uint32) string { return fmt.Sprintf("2001:db8:%x:%x::1", n>>16, n&0xffff) }
	start := time.Now()
	if err := p.SetPrefixes(nil, gen(0)); err != nil {
		t.Fatal(err)
	}
	t.Logf("20000 prefixes added in %v", time.Since(start))
	for n, want := range map[uint32]int{0: statRedirected6, 1: statPassed, 39998: statRedirected6, 39999: statPassed} {
		checkRun(t, p, "first set "+dst(n), ether(0x86dd, ipv6("2001:db8:1::9", dst(n), 17, udp())), want)
	}
	start = time.Now()
	if err := p.SetPrefixes(nil, gen(1)); err != nil {
		t.Fatal(err)
	}
	t.Logf("20000 prefixes replaced in %v", time.Since(start))
	for n, want := range map[uint32]int{0: statPassed, 1: statRedirected6, 39998: statPassed, 39999: statRedirected6} {
		checkRun(t, p, "second set "+dst(n), ether(0x86dd, ipv6("2001:db8:1::9", dst(n), 17, udp())), want)
	}
}

// BenchmarkSteer measures the program per frame in the kernel (BPF_PROG_RUN, Repeat b.N).
func BenchmarkSteer(b *testing.B) {
	p, _ := loadConfigured(b, true)
	if err := p.RegisterSocket(0, xskSocket(b)); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		frame []byte
	}{
		{"v6-redirect", ether(0x86dd, ipv6("2001:db8:1::9", "64:ff9b::c633:6407", 17, udp()))},
		{"v4-redirect", ether(0x0800, ipv4("203.0.113.9", "198.51.100.7", 17, udp()))},
		{"v4-local", ether(0x0800, ipv4("203.0.113.9", "192.0.2.1", 17, udp()))},
		{"arp", ether(0x0806, arp())},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			ret, err := p.objs.XdpSteer.Run(&ebpf.RunOptions{Data: c.frame, Repeat: uint32(b.N)})
			if err != nil || (ret != xdpRedirect && ret != xdpPass) {
				b.Fatalf("verdict %d: %v", ret, err)
			}
		})
	}
}
