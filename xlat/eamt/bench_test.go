package eamt

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const million = 1_000_000

// bigEntries returns n non-overlapping entries as a large SIIT-DC deployment might have them: every 8th entry
// maps a /28 to a /124, the others map a single address (/32 <-> /128). IPv4 comes from 10.0.0.0/8 (16
// addresses per entry), IPv6 from 2001:db8:100::/64.
func bigEntries(n int) []Entry {
	es := make([]Entry, n)
	for i := range es {
		base := uint32(i) * 16
		k := uint32(i*7) & 15
		if i%8 == 0 {
			es[i] = Entry{
				Prefix4: netipPrefix4(0x0a000000+base, 28),
				Prefix6: netipPrefix6(0x20010db801000000, uint64(base), 124),
			}
			continue
		}
		es[i] = Entry{
			Prefix4: netipPrefix4(0x0a000000+base+k, 32),
			Prefix6: netipPrefix6(0x20010db801000000, uint64(base+k), 128),
		}
	}
	return es
}

var (
	bigOnce  sync.Once
	bigTable *Table
	bigList  []Entry
)

// big returns a shared 1M-entry table (built once per test binary run).
func big(b *testing.B) (*Table, []Entry) {
	bigOnce.Do(func() {
		bigList = bigEntries(million)
		t, err := New(bigList)
		if err != nil {
			panic(err)
		}
		bigTable = t
	})
	return bigTable, bigList
}

// hitAddrs returns n addresses inside random entries of es, in random order.
func hitAddrs(es []Entry, n int) (v4 []uint32, hi, lo []uint64) {
	g := gen{rand.New(rand.NewPCG(1, 2))}
	for range n {
		e := es[g.r.IntN(len(es))]
		v4 = append(v4, u4(g.addrIn(e.Prefix4)))
		h, l := u6(g.addrIn(e.Prefix6))
		hi, lo = append(hi, h), append(lo, l)
	}
	return v4, hi, lo
}

var sink uint64

// threadCPU returns the CPU time of the calling thread. On a shared machine the wall-clock ns/op of a lookup
// benchmark includes time other processes run; the cpu-ns/op metric (thread CPU time per op, the benchmark
// goroutine locked to its thread) does not, so it is the number to compare across runs.
func threadCPU() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_THREAD, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuTimer reports cpu-ns/op for the b.Loop that follows start.
type cpuTimer struct{ start time.Duration }

func startCPU() cpuTimer {
	runtime.LockOSThread()
	return cpuTimer{threadCPU()}
}

func (c cpuTimer) report(b *testing.B) {
	b.ReportMetric(float64(threadCPU()-c.start)/float64(b.N), "cpu-ns/op")
	runtime.UnlockOSThread()
}

func benchLookup4(b *testing.B, n int) {
	tb, es := big(b)
	addrs, _, _ := hitAddrs(es, n)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	defer cpu.report(b)
	var acc uint64
	i := 0
	for b.Loop() {
		hi, lo, ok := tb.Lookup4(addrs[i])
		if !ok {
			b.Fatal("miss")
		}
		acc += hi ^ lo
		if i++; i == len(addrs) {
			i = 0
		}
	}
	sink = acc
}

func benchLookup6(b *testing.B, n int) {
	tb, es := big(b)
	_, his, los := hitAddrs(es, n)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	defer cpu.report(b)
	var acc uint64
	i := 0
	for b.Loop() {
		a, ok := tb.Lookup6(his[i], los[i])
		if !ok {
			b.Fatal("miss")
		}
		acc += uint64(a)
		if i++; i == len(his) {
			i = 0
		}
	}
	sink = acc
}

// The _1M benchmarks cycle through 4096 active addresses (a translator's working set stays in cache); the
// _1M_Cold ones through 1M random addresses, so nearly every lookup misses the CPU caches.
func BenchmarkLookup4_1M(b *testing.B)      { benchLookup4(b, 4096) }
func BenchmarkLookup6_1M(b *testing.B)      { benchLookup6(b, 4096) }
func BenchmarkLookup4_1M_Cold(b *testing.B) { benchLookup4(b, million) }
func BenchmarkLookup6_1M_Cold(b *testing.B) { benchLookup6(b, million) }

// Misses probe every prefix length present (two here): the cost paid for pool6 traffic that is not in the EAMT.
func BenchmarkLookup4_1M_Miss(b *testing.B) {
	tb, _ := big(b)
	b.ReportAllocs()
	var a uint32 = 0xcb007100
	for b.Loop() {
		if _, _, ok := tb.Lookup4(a); ok {
			b.Fatal("hit")
		}
		a++
	}
}

func BenchmarkLookup6_1M_Miss(b *testing.B) {
	tb, _ := big(b)
	b.ReportAllocs()
	var lo uint64 = 0xc0000200
	for b.Loop() {
		if _, ok := tb.Lookup6(0x0064ff9b00000000, lo); ok {
			b.Fatal("hit")
		}
		lo++
	}
}

// heapMiB returns the live heap after a full collection.
func heapMiB() float64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// BenchmarkNew_1M reports the bulk load time (ns/op) and the heap a finished 1M table keeps (table-MiB).
func BenchmarkNew_1M(b *testing.B) {
	es := bigEntries(million)
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if _, err := New(es); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu.report(b)
	base := heapMiB()
	tb, _ := New(es)
	b.ReportMetric(heapMiB()-base, "table-MiB")
	runtime.KeepAlive(tb)
	runtime.KeepAlive(es)
}

// BenchmarkAdd_1M and BenchmarkRemove_1M measure one incremental update of a 1M-entry table; the old version
// stays intact (copy-on-write of one page per family plus the page directories).
func BenchmarkAdd_1M(b *testing.B) {
	tb, _ := big(b)
	b.ReportAllocs()
	cpu := startCPU()
	defer cpu.report(b)
	i := 0
	for b.Loop() {
		e := Entry{
			Prefix4: netipPrefix4(0xc6330000+uint32(i), 32),
			Prefix6: netipPrefix6(0x20010db802000000, uint64(i), 128),
		}
		if _, err := tb.Add(e, false); err != nil {
			b.Fatal(err)
		}
		i = (i + 1) & 0xffff
	}
}

func BenchmarkRemove_1M(b *testing.B) {
	tb, es := big(b)
	b.ReportAllocs()
	cpu := startCPU()
	defer cpu.report(b)
	i := 0
	for b.Loop() {
		if _, err := tb.Remove(&es[i].Prefix6, nil); err != nil {
			b.Fatal(err)
		}
		i = (i + 7919) % len(es)
	}
}

func BenchmarkEntries_1M(b *testing.B) {
	tb, _ := big(b)
	b.ReportAllocs()
	for b.Loop() {
		if len(tb.Entries()) != million {
			b.Fatal("wrong length")
		}
	}
}
