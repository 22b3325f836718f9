package xlat

import (
	"math/rand/v2"
	"testing"
)

// The fast IPv4 header helpers agree with the plain reference sum: a header
// written by writeIPv4 verifies, and sumIPv4Header folds to 0xffff exactly
// for headers whose checksum is right. Edge values (all zeros, all ones) are
// included because one's-complement arithmetic has two zeros.
func TestIPv4HeaderHelpersMatchReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	h := make([]byte, IPv4MinLen)
	edges := []uint32{0, 0xffffffff, 0x0000ffff, 0xffff0000}
	for i := range 20000 {
		tos, ttl, proto := uint8(r.Uint32()), uint8(r.Uint32()), uint8(r.Uint32())
		tl, id, frag := int(uint16(r.Uint32())), uint16(r.Uint32()), uint16(r.Uint32())
		src, dst := r.Uint32(), r.Uint32()
		if i < len(edges)*len(edges) {
			src, dst = edges[i%len(edges)], edges[i/len(edges)]
			tos, ttl, proto, tl, id, frag = 0, 0, 0, 0, 0, 0
		}
		writeIPv4(h, tos, tl, id, frag, ttl, proto, src, dst)
		if s := refSum(h, 0); s != 0xffff {
			t.Fatalf("writeIPv4 header % x sums to %04x; want ffff", h, s)
		}
		if got := fold(sumIPv4Header(h)); got != 0xffff {
			t.Fatalf("sumIPv4Header(% x) folds to %04x; want ffff", h, got)
		}
		// Any single corrupted byte must be caught, like the generic path does.
		k := r.IntN(IPv4MinLen)
		old := h[k]
		h[k] ^= byte(1 + r.IntN(255))
		if (fold(sumIPv4Header(h)) == 0xffff) != (checksum(h, 0) == 0) {
			t.Fatalf("sumIPv4Header and checksum disagree on % x", h)
		}
		h[k] = old
	}
}

// csumApply(csumDelta(old, new)) is the same function as the two-fold RFC
// 1624 form it replaced, bit for bit (including which zero it returns).
func TestCsumDeltaMatchesTwoFoldForm(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	ref := func(hc uint16, old, new uint64) uint16 {
		return ^fold(uint64(^hc) + uint64(^fold(old)) + new)
	}
	vals := []uint64{0, 1, 0xffff, 0x10000, 0x1fffe, 0xfffffffff}
	for i := range 100000 {
		hc, old, new := uint16(r.Uint32()), r.Uint64()>>20, r.Uint64()>>20
		if i < len(vals)*len(vals) {
			old, new, hc = vals[i%len(vals)], vals[i/len(vals)], uint16(i)
		}
		if got, want := csumApply(hc, csumDelta(old, new)), ref(hc, old, new); got != want {
			t.Fatalf("hc %04x old %x new %x: %04x; want %04x", hc, old, new, got, want)
		}
	}
}

// Counters are written by their owner without locked instructions and read
// by anyone: a concurrent reader only ever sees each counter grow, and sees
// the exact totals once the owner is done. (Under -race this exercises the
// atomic variant and lets the detector check the reader side.)
func TestStatsConcurrentReader(t *testing.T) {
	cfg := mustConfig(t, testParams(t))
	tr := NewTranslator(nil)
	out := NewOutput(4, 2048, 32)
	in := unhex(t, goldenPackets["6to4-udp"][0])
	buf := make([]byte, 256)
	const n = 20000
	done := make(chan struct{})
	errs := make(chan string, 1)
	go func() {
		defer close(errs)
		var last [NumCounters]uint64
		for {
			var now [NumCounters]uint64
			tr.Stats.Snapshot(&now)
			for i := range now {
				if now[i] < last[i] {
					errs <- Counter(i).Name() + " went backwards"
					return
				}
			}
			last = now
			select {
			case <-done:
				return
			default:
			}
		}
	}()
	for range n {
		copy(buf[128:], in)
		if r := tr.Translate(cfg, buf, 128, len(in), out); r.Verdict != Forward {
			t.Fatalf("verdict %v %s", r.Verdict, r.Reason.Name())
		}
	}
	close(done)
	if e, ok := <-errs; ok {
		t.Fatal(e)
	}
	if got := tr.Stats.Get(StatReceived6); got != n {
		t.Errorf("%s = %d; want %d", StatReceived6.Name(), got, n)
	}
	if got := tr.Stats.Get(StatSuccess); got != n {
		t.Errorf("%s = %d; want %d", StatSuccess.Name(), got, n)
	}
}

// Translate goes straight to the translation proper; it must behave exactly
// like the per-family entry points: same result, same bytes, same counters,
// for every golden packet and hairpin mode. A U-turn counts as one received
// IPv6 packet and at most one success.
func TestTranslateMatchesFamilyEntryPoints(t *testing.T) {
	for _, mode := range []HairpinMode{HairpinOff, HairpinSimple, HairpinIntrinsic} {
		p := testParams(t)
		p.Globals.EAMHairpinMode = mode
		p.Globals.RFC6791v4Prefix = pfx("203.0.113.8/29")
		cfg := mustConfig(t, p)
		for name, pair := range goldenPackets {
			in := unhex(t, pair[0])
			run := func(direct bool) (Result, []byte, [NumCounters]uint64) {
				tr := NewTranslator(nil)
				tr.Seed(1)
				out := NewOutput(4, 2048, 32)
				buf := make([]byte, 4096)
				copy(buf[128:], in)
				var r Result
				switch {
				case !direct:
					r = tr.Translate(cfg, buf, 128, len(in), out)
				case in[0]>>4 == 4:
					r = tr.Translate4to6(cfg, buf, 128, len(in), out)
				default:
					r = tr.Translate6to4(cfg, buf, 128, len(in), out)
				}
				var c [NumCounters]uint64
				tr.Stats.Snapshot(&c)
				return r, buf, c
			}
			r1, b1, c1 := run(false)
			r2, b2, c2 := run(true)
			if r1 != r2 || string(b1) != string(b2) || c1 != c2 {
				t.Errorf("%s/%s: Translate %+v differs from the family entry point %+v", mode, name, r1, r2)
			}
			rx := c1[StatReceived4] + c1[StatReceived6]
			if rx != 1 || c1[StatSuccess] > 1 || (c1[StatSuccess] == 1) != (r1.Verdict == Forward) {
				t.Errorf("%s/%s: received %d, success %d for verdict %v", mode, name, rx, c1[StatSuccess], r1.Verdict)
			}
		}
	}
}

// fold equals the textbook four-step fold on edge and random values.
func TestFoldMatchesFourStep(t *testing.T) {
	ref := func(acc uint64) uint16 {
		acc = (acc >> 32) + (acc & 0xffffffff)
		acc = (acc >> 32) + (acc & 0xffffffff)
		acc = (acc >> 16) + (acc & 0xffff)
		acc = (acc >> 16) + (acc & 0xffff)
		return uint16(acc)
	}
	r := rand.New(rand.NewPCG(7, 8))
	vals := []uint64{0, 1, 0xffff, 0x10000, 0xfffe0001, 0xffffffff, 0x100000000, 0xffff0000ffff,
		0xffffffff00000000, 0xffffffffffffffff, 0xfffffffffffffffe, 0x8000000080000000}
	for i := range 1000000 {
		v := r.Uint64() >> (r.Uint64() & 63)
		if i < len(vals) {
			v = vals[i]
		}
		if got, want := fold(v), ref(v); got != want {
			t.Fatalf("fold(%#x) = %#04x; want %#04x", v, got, want)
		}
	}
}

// sum6x2 folds to the same 16 bits as two sum6, edge values included (a
// carry out of 64 bits, all ones, zeros).
func TestSum6x2MatchesSum6(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	edges := []uint64{0, 1, 0xffff, 0xffffffffffffffff, 0xfffffffffffffffe, 0x8000000000000000, 0xffff0000ffff0000}
	for i := range 200000 {
		a, b, c, d := r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()
		if i < len(edges)*len(edges) {
			a, b = edges[i%len(edges)], edges[i/len(edges)]
			c, d = b, a
		}
		if got, want := fold(sum6x2(a, b, c, d)), fold(sum6(a, b)+sum6(c, d)); got != want {
			t.Fatalf("sum6x2(%x, %x, %x, %x) folds to %04x; two sum6 fold to %04x", a, b, c, d, got, want)
		}
	}
}
