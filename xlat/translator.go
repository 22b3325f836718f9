package xlat

import "math/rand/v2"

// Family is an IP version: 4 or 6.
type Family uint8

const (
	Family4 Family = 4
	Family6 Family = 6
)

// Verdict is what the caller does with a packet after Translate.
type Verdict uint8

const (
	// Drop: discard the packet; Result.Reason names the counter incremented.
	Drop Verdict = iota
	// Forward: send buf[Off:Off+Len] (family Result.Family), then the
	// Result.Extra packets in the Output (further fragments).
	Forward
	// Pass: not for the translator; hand the untouched packet to the kernel.
	Pass
	// Reply: discard the packet and send the ICMP error in Output packet 0
	// back toward its source.
	Reply
)

var verdictNames = [...]string{Drop: "drop", Forward: "forward", Pass: "pass", Reply: "reply"}

func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return "verdict?"
}

// Result is the outcome of one Translate call: a Status (its fields read as
// Result's own: r.Verdict, r.Reason, r.Family, r.Extra) and where the
// translated packet is.
//
// The nesting is for speed. The compiler keeps a struct of at most four
// fields in registers; with six flat fields every Result went through the
// stack, written a field at a time and copied back 16 bytes at a time, a
// store-forwarding stall at each call level that cost about a third of the
// time of a whole translation.
type Result struct {
	Status
	Off int // Forward: start of the translated L3 packet in buf
	Len int // Forward: its length
}

// Status is a Result's verdict and what qualifies it.
type Status struct {
	Verdict Verdict
	Reason  Counter // Drop: the counter incremented; Reply/Pass: what triggered it
	Family  Family  // Forward: family of buf[Off:Off+Len]; Reply: family of the error
	Extra   int     // packets written into the Output
}

// MTUOracle tells the translator the egress MTU of a translated packet. The
// daemon implements it from its next-hop mirror, which routes by the
// kernel's policy routing rules; the flow carries what those rules select
// on. A nil oracle, or a zero answer, means 1500.
type MTUOracle interface {
	MTU4(src, dst uint32, proto, tos uint8, sport, dport uint16) uint32
	MTU6(srcHi, srcLo, dstHi, dstLo uint64, proto, tos uint8, sport, dport uint16) uint32
}

// The oracle's arguments describe a translated packet as policy routing
// sees it: addresses (IPv6 as big-endian halves), transport protocol, TOS /
// traffic class, and the ports of a TCP or UDP packet that is not a later
// fragment (else 0). They are plain scalars so that they travel in
// registers: a struct of that size would be built on the stack first
// (measured: 40-54 more instructions per packet).

// l4ports returns the ports of buf[l4:end] for a flow.
func l4ports(buf []byte, l4, end int, proto uint8, first bool) (sport, dport uint16) {
	if first && (proto == protoTCP || proto == protoUDP) && l4+4 <= end {
		return be16(buf[l4:]), be16(buf[l4+2:])
	}
	return 0, 0
}

// defaultMTU is assumed when no oracle answers.
const defaultMTU = 1500

// Translator translates packets. It is owned by one worker and never shared:
// it holds that worker's counters and PRNG state. The zero value is not
// usable; call NewTranslator.
type Translator struct {
	Stats *Stats
	MTU   MTUOracle
	// MTUFloor, with an MTU oracle, is a lower bound on its every answer (a
	// zero answer counting as 1500): the fast path does not ask it about a
	// packet no bigger. 0: no bound is known. The daemon sets it from the
	// next-hop mirror, whose smallest next-hop MTU bounds every route.
	MTUFloor uint32
	rng      uint64
}

// NewTranslator returns a translator counting into stats (a fresh Stats if
// nil), with a randomly seeded PRNG for IPv4 identifications and RFC 6791
// addresses.
func NewTranslator(stats *Stats) *Translator {
	if stats == nil {
		stats = new(Stats)
	}
	return &Translator{Stats: stats, rng: rand.Uint64() | 1}
}

// Seed makes the translator's PRNG deterministic (tests, reproducible runs).
func (t *Translator) Seed(s uint64) { t.rng = s | 1 }

// rand is xorshift64* : fast, allocation-free, good enough for IPv4
// identifications (RFC 7739 asks for unpredictable, not cryptographic).
func (t *Translator) rand() uint64 {
	x := t.rng
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	t.rng = x
	return x * 0x2545f4914f6cdd1d
}

func (t *Translator) mtu4(src, dst uint32, proto, tos uint8, sport, dport uint16) int {
	if t.MTU == nil {
		return defaultMTU
	}
	return mtuOr(t.MTU.MTU4(src, dst, proto, tos, sport, dport))
}

func (t *Translator) mtu6(shi, slo, dhi, dlo uint64, proto, tos uint8, sport, dport uint16) int {
	if t.MTU == nil {
		return defaultMTU
	}
	return mtuOr(t.MTU.MTU6(shi, slo, dhi, dlo, proto, tos, sport, dport))
}

// mtuOr is an oracle's answer, defaultMTU for "don't know" (0).
func mtuOr(m uint32) int {
	if m == 0 {
		return defaultMTU
	}
	return int(m)
}

func (t *Translator) drop(c Counter) Result {
	t.Stats.Inc(c)
	return Result{Status: Status{Verdict: Drop, Reason: c}}
}

func (t *Translator) pass(c Counter) Result {
	t.Stats.Inc(c)
	return Result{Status: Status{Verdict: Pass, Reason: c}}
}

// Translate dispatches on the IP version nibble of buf[off:off+n].
func (t *Translator) Translate(cfg *Config, buf []byte, off, n int, out *Output) Result {
	// 0 <= off < len(buf), 0 < n <= len(buf)-off: no overflow possible.
	if uint(off) >= uint(len(buf)) || n <= 0 || n > len(buf)-off {
		return t.drop(StatL3HdrOffset)
	}
	// xlat46 and xlat64 written out (Translate4to6 and Translate6to4 only
	// add their own offset check): a fast path is one call deep.
	switch buf[off] >> 4 {
	case 4:
		out.reset()
		t.Stats.Inc(StatReceived4)
		if !cfg.enabled {
			return t.pass(StatXlatorDisabled)
		}
		if isFast46(buf, off, n) {
			if t.leafFirst(cfg.leaf46) {
				outLen, st := t.fast46(cfg, buf, off, n)
				if st == fastDone {
					return forward6(off, outLen)
				}
				if st == fastNo {
					return t.slow46(cfg, buf, off, n, out, fromWire)
				}
			}
			if r, ok := t.fast46Calls(cfg, buf, off, n); ok {
				return r
			}
		}
		return t.slow46(cfg, buf, off, n, out, fromWire)
	case 6:
		out.reset()
		t.Stats.Inc(StatReceived6)
		if !cfg.enabled {
			return t.pass(StatXlatorDisabled)
		}
		if h := buf[off : off+n]; isFast64(h) {
			if t.leafFirst(cfg.leaf64) {
				len4, st := t.fast64(cfg, h)
				if st == fastDone {
					return forward4(off, len4)
				}
				if st == fastNo {
					return t.slow64(cfg, buf, off, n, out)
				}
			}
			if r, ok := t.fast64Calls(cfg, h, off); ok {
				return r
			}
		}
		return t.slow64(cfg, buf, off, n, out)
	}
	return t.drop(StatL3HdrOffset)
}

// success counts a forwarded result.
func (t *Translator) success(r Result) Result {
	if r.Verdict == Forward {
		t.Stats.Inc(StatSuccess)
	}
	return r
}

// makeRoom makes sure `need` bytes of headroom precede the packet at
// buf[off:off+n]: if there are fewer, the packet is moved toward the end of
// buf (a copy, only when the caller gave too little headroom). It returns
// the packet's new offset, or -1 when buf is too small.
func makeRoom(buf []byte, off, n, need int) int {
	if off >= need {
		return off
	}
	if need+n > len(buf) {
		return -1
	}
	copy(buf[need:need+n], buf[off:off+n])
	return need
}
