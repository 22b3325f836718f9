package ring

import (
	"sync"
	"testing"
)

// desc mirrors the size of an AF_XDP descriptor (16 bytes: address, length, options).
type desc struct {
	_ uint64
	_ uint32
	_ uint32
}

func BenchmarkSPSCBatch64(b *testing.B) {
	r, _ := NewSPSC[desc](1024)
	buf := make([]desc, 64)
	b.ReportAllocs()
	for b.Loop() {
		r.PushBatch(buf)
		r.PopBatch(buf)
	}
}

func BenchmarkMPSCBatch64(b *testing.B) {
	r, _ := NewMPSC[desc](1024)
	buf := make([]desc, 64)
	b.ReportAllocs()
	for b.Loop() {
		r.PushBatch(buf)
		r.PopBatch(buf)
	}
}

func BenchmarkSPSCSingle(b *testing.B) {
	r, _ := NewSPSC[desc](1024)
	b.ReportAllocs()
	for b.Loop() {
		r.Push(desc{})
		r.Pop()
	}
}

// benchmarkCrossGoroutine moves b.N descriptors from producer goroutines to
// the benchmark goroutine in batches of 64.
func benchmarkCrossGoroutine(b *testing.B, producers int, push func([]desc) int, pop func([]desc) int) {
	b.ReportAllocs()
	var wg sync.WaitGroup
	per := b.N/producers + 1
	b.ResetTimer()
	for range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]desc, 64)
			for left := per; left > 0; {
				k := min(left, len(buf))
				n := push(buf[:k])
				left -= n
			}
		}()
	}
	out := make([]desc, 64)
	for got := 0; got < per*producers; {
		got += pop(out)
	}
	wg.Wait()
}

func BenchmarkSPSCCrossGoroutine(b *testing.B) {
	r, _ := NewSPSC[desc](4096)
	benchmarkCrossGoroutine(b, 1, r.PushBatch, r.PopBatch)
}

func BenchmarkMPSCCrossGoroutine2(b *testing.B) {
	r, _ := NewMPSC[desc](4096)
	benchmarkCrossGoroutine(b, 2, r.PushBatch, r.PopBatch)
}
