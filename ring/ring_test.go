package ring

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

// queue is the common surface of SPSC and MPSC, so behaviour tests run on both.
type queue[T any] interface {
	Push(T) bool
	PushBatch([]T) int
	Pop() (T, bool)
	PopBatch([]T) int
	Len() int
	Cap() int
}

func newQueues(t *testing.T, capacity int) map[string]queue[uint64] {
	t.Helper()
	s, err := NewSPSC[uint64](capacity)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMPSC[uint64](capacity)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]queue[uint64]{"SPSC": s, "MPSC": m}
}

func TestBadCapacity(t *testing.T) {
	for _, c := range []int{-4, 0, 1, 3, 6, 100, 1 << 31} {
		if _, err := NewSPSC[int](c); err == nil {
			t.Errorf("NewSPSC(%d): want error", c)
		}
		if _, err := NewMPSC[int](c); err == nil {
			t.Errorf("NewMPSC(%d): want error", c)
		}
	}
}

func TestFullEmpty(t *testing.T) {
	for name, q := range newQueues(t, 8) {
		t.Run(name, func(t *testing.T) {
			if _, ok := q.Pop(); ok {
				t.Fatal("pop from empty ring succeeded")
			}
			if n := q.PopBatch(make([]uint64, 4)); n != 0 {
				t.Fatalf("PopBatch on empty = %d", n)
			}
			for i := range uint64(8) {
				if !q.Push(i) {
					t.Fatalf("push %d into ring of 8 failed", i)
				}
			}
			if q.Push(99) {
				t.Fatal("push into full ring succeeded")
			}
			if n := q.PushBatch([]uint64{1, 2}); n != 0 {
				t.Fatalf("PushBatch into full ring = %d", n)
			}
			if q.Len() != 8 || q.Cap() != 8 {
				t.Fatalf("Len/Cap = %d/%d, want 8/8", q.Len(), q.Cap())
			}
			v, ok := q.Pop()
			if !ok || v != 0 {
				t.Fatalf("Pop = %d,%v want 0,true", v, ok)
			}
			if n := q.PushBatch([]uint64{100, 101, 102}); n != 1 {
				t.Fatalf("PushBatch with one free slot = %d, want 1", n)
			}
			out := make([]uint64, 16)
			n := q.PopBatch(out)
			want := []uint64{1, 2, 3, 4, 5, 6, 7, 100}
			if n != len(want) {
				t.Fatalf("PopBatch = %d, want %d", n, len(want))
			}
			for i := range want {
				if out[i] != want[i] {
					t.Fatalf("out[%d] = %d, want %d", i, out[i], want[i])
				}
			}
			if q.Len() != 0 {
				t.Fatalf("Len after drain = %d", q.Len())
			}
		})
	}
}

// TestWraparound runs many laps through a tiny ring with random batch sizes
// and checks FIFO order against a counter.
func TestWraparound(t *testing.T) {
	for name, q := range newQueues(t, 4) {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			var next, expect uint64
			in := make([]uint64, 7)
			out := make([]uint64, 7)
			for range 100000 {
				k := rng.IntN(len(in) + 1)
				for i := range k {
					in[i] = next + uint64(i)
				}
				pushed := q.PushBatch(in[:k])
				if pushed > k {
					t.Fatalf("pushed %d of %d", pushed, k)
				}
				next += uint64(pushed)
				if q.Len() > q.Cap() {
					t.Fatalf("Len %d > Cap %d", q.Len(), q.Cap())
				}
				m := q.PopBatch(out[:rng.IntN(len(out)+1)])
				for i := range m {
					if out[i] != expect {
						t.Fatalf("popped %d, want %d", out[i], expect)
					}
					expect++
				}
			}
			for {
				v, ok := q.Pop()
				if !ok {
					break
				}
				if v != expect {
					t.Fatalf("popped %d, want %d", v, expect)
				}
				expect++
			}
			if expect != next {
				t.Fatalf("popped %d values, pushed %d", expect, next)
			}
		})
	}
}

// item carries a producer id and that producer's sequence number.
type item struct {
	producer uint32
	seq      uint32
}

// checkConcurrent runs producers against one consumer and checks that every
// item arrives exactly once and in per-producer order.
func checkConcurrent(t *testing.T, producers int, perProducer uint32, push func(p int, batch []item) int, popBatch func([]item) int) {
	t.Helper()
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(p), 7))
			buf := make([]item, 0, 16)
			var seq uint32
			for seq < perProducer {
				batch := buf[:0]
				k := 1 + rng.IntN(cap(buf))
				for i := 0; i < k && seq+uint32(i) < perProducer; i++ {
					batch = append(batch, item{uint32(p), seq + uint32(i)})
				}
				for len(batch) > 0 {
					n := push(p, batch)
					seq += uint32(n)
					batch = batch[n:]
					if n == 0 {
						runtime.Gosched() // full: let the consumer run (2-core CI)
					}
				}
			}
		}()
	}
	next := make([]uint32, producers)
	total := uint64(producers) * uint64(perProducer)
	out := make([]item, 32)
	var got uint64
	for got < total {
		n := popBatch(out)
		if n == 0 {
			runtime.Gosched()
		}
		for _, it := range out[:n] {
			if int(it.producer) >= producers {
				t.Fatalf("bogus producer %d", it.producer)
			}
			if it.seq != next[it.producer] {
				t.Fatalf("producer %d: got seq %d, want %d (lost, duplicated or reordered)", it.producer, it.seq, next[it.producer])
			}
			next[it.producer]++
		}
		got += uint64(n)
	}
	wg.Wait()
	if n := popBatch(out); n != 0 {
		t.Fatalf("%d extra items after all were delivered", n)
	}
	for p, n := range next {
		if n != perProducer {
			t.Fatalf("producer %d: delivered %d, want %d", p, n, perProducer)
		}
	}
}

func TestSPSCConcurrent(t *testing.T) {
	r, err := NewSPSC[item](16)
	if err != nil {
		t.Fatal(err)
	}
	checkConcurrent(t, 1, 200000, func(_ int, b []item) int {
		if len(b) == 1 {
			if r.Push(b[0]) {
				return 1
			}
			return 0
		}
		return r.PushBatch(b)
	}, r.PopBatch)
}

func TestMPSCConcurrent(t *testing.T) {
	r, err := NewMPSC[item](32)
	if err != nil {
		t.Fatal(err)
	}
	checkConcurrent(t, 4, 30000, func(p int, b []item) int {
		if p%2 == 0 && len(b) > 0 {
			if r.Push(b[0]) {
				return 1
			}
			return 0
		}
		return r.PushBatch(b)
	}, func(out []item) int {
		// Mix single and batch pops on the consumer side too.
		if len(out) > 0 && out[0].seq%3 == 0 {
			if v, ok := r.Pop(); ok {
				out[0] = v
				return 1
			}
			return 0
		}
		return r.PopBatch(out)
	})
}

func TestPointersReleased(t *testing.T) {
	r, _ := NewSPSC[*int](2)
	x := 1
	r.Push(&x)
	r.Pop()
	if r.buf[0] != nil {
		t.Fatal("SPSC keeps a reference to a popped value")
	}
	m, _ := NewMPSC[*int](2)
	m.Push(&x)
	m.Pop()
	if m.slots[0].val != nil {
		t.Fatal("MPSC keeps a reference to a popped value")
	}
}

func TestNoAllocs(t *testing.T) {
	for name, q := range newQueues(t, 64) {
		in := make([]uint64, 16)
		out := make([]uint64, 16)
		allocs := testing.AllocsPerRun(1000, func() {
			q.Push(1)
			q.Pop()
			q.PushBatch(in)
			q.PopBatch(out)
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per push/pop round, want 0", name, allocs)
		}
	}
}
