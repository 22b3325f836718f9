package daemon

import (
	"encoding/binary"
	"io"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/siit-project/siit/internal/control"
	"github.com/siit-project/siit/xlat"
	"github.com/siit-project/siit/xlat/eamt"
)

func TestParseOptions(t *testing.T) {
	o, err := ParseOptions([]string{"--pool6", "64:ff9b::/96", "--eamt", "2001:db8::/120,192.0.2.0/24", "--cpus", "1-2,0", "eth0", "eth1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.Interfaces, []string{"eth0", "eth1"}) || o.Pool6 != netip.MustParsePrefix("64:ff9b::/96") ||
		!slices.Equal(o.CPUs, []int{1, 2, 0}) || len(o.EAMT) != 1 {
		t.Fatalf("parsed %+v", o)
	}
	o, err = ParseOptions([]string{"-f", "x.json", "--file", "y.json", "eth0"}, io.Discard)
	if err != nil || !slices.Equal(o.ConfigFiles, []string{"x.json", "y.json"}) {
		t.Fatalf("parsed %+v, %v", o, err)
	}
	o, err = ParseOptions([]string{"--serve", "dc=eth0,eth1", "--serve", "lab=eth2", "eth0", "eth1", "eth2", "eth3"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"eth0": "dc", "eth1": "dc", "eth2": "lab"}; !maps.Equal(o.Serve, want) {
		t.Fatalf("--serve parsed as %v, want %v", o.Serve, want)
	}
	bad := map[string][]string{
		"no interface given":         {"--pool6", "64:ff9b::/96"},
		"not an IPv6 prefix":         {"--pool6", "nope", "eth0"},
		"must be auto, native":       {"--xdp-mode", "fast", "eth0"},
		"must be auto, zerocopy":     {"--bind-mode", "x", "eth0"},
		"between 1 and 256":          {"--batch", "0", "eth0"},
		"power of two":               {"--frames", "1000", "eth0"},
		"2048 or 4096":               {"--frame-size", "1500", "eth0"},
		"given twice":                {"eth0", "eth0"},
		"not a CPU list":             {"--cpus", "a-b", "eth0"},
		"must be debug, info":        {"--log-level", "loud", "eth0"},
		"flag provided but not":      {"--nope", "eth0"},
		"put flags before IFACE.":    {"eth0", "--pool6"},
		"want NAME=IFACE":            {"--serve", "dc", "eth0"},
		"the instance name is":       {"--serve", "=eth0", "eth0"},
		"is not one of the":          {"--serve", "dc=eth1", "eth0"},
		"served by both":             {"--serve", "a=eth0", "--serve", "b=eth1,eth0", "eth0", "eth1"},
		"limit is 15":                {"--serve", "a-very-long-instance-name=eth0", "eth0"},
		"cannot be combined with -f": {"-f", "x.json", "--pool6", "64:ff9b::/96", "eth0"},
		"with -f: the files":         {"--eamt", "2001:db8::/120,192.0.2.0/24", "-f", "x.json", "eth0"},
	}
	for want, args := range bad {
		var stderr strings.Builder
		_, err := ParseOptions(args, &stderr)
		if err == nil || !strings.Contains(err.Error()+stderr.String(), want) {
			t.Errorf("%v: got %v, want error containing %q", args, err, want)
		}
	}
}

func TestParseCPUList(t *testing.T) {
	got, err := ParseCPUList("0-3,6,2")
	if err != nil || !slices.Equal(got, []int{0, 1, 2, 3, 6}) {
		t.Fatalf("got %v %v", got, err)
	}
	for _, s := range []string{"", "3-1", "-1", "x", "1,,2"} {
		if _, err := ParseCPUList(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestParseEAM(t *testing.T) {
	for _, c := range [][2]string{{"2001:db8::/120", "192.0.2.0/24"}, {"192.0.2.0/24", "2001:db8::/120"}} {
		e, err := parseEAM(c[0], c[1])
		if err != nil || e.Prefix6 != netip.MustParsePrefix("2001:db8::/120") || e.Prefix4 != netip.MustParsePrefix("192.0.2.0/24") {
			t.Errorf("%v: %+v %v", c, e, err)
		}
	}
	if e, err := parseEAM("2001:db8::1", "192.0.2.1"); err != nil || e.Prefix6.Bits() != 128 || e.Prefix4.Bits() != 32 {
		t.Errorf("bare addresses: %+v %v", e, err)
	}
	for _, c := range [][2]string{{"2001:db8::/120", "2001:db8::/120"}, {"x", "192.0.2.0/24"}, {"192.0.2.0/24", "192.0.2.0/24"}} {
		if _, err := parseEAM(c[0], c[1]); err == nil {
			t.Errorf("%v accepted", c)
		}
	}
}

func TestSteerPrefixes(t *testing.T) {
	if v4, v6 := steerPrefixes(nil); v4 != nil || v6 != nil {
		t.Fatal("no instance must steer nothing")
	}
	tab, err := eamt.New([]eamt.Entry{{Prefix6: netip.MustParsePrefix("2001:db8:46::/120"), Prefix4: netip.MustParsePrefix("198.51.100.0/24")}})
	if err != nil {
		t.Fatal(err)
	}
	in := &control.Instance{Globals: xlat.DefaultGlobals(), EAMT: tab}
	v4, v6 := steerPrefixes(in)
	if len(v4) != 1 || v4[0] != netip.MustParsePrefix("198.51.100.0/24") || len(v6) != 1 {
		t.Fatalf("EAMT only: %v %v", v4, v6)
	}
	in.Globals.Pool6 = netip.MustParsePrefix("64:ff9b::/96")
	v4, v6 = steerPrefixes(in)
	if !slices.Contains(v4, netip.MustParsePrefix("0.0.0.0/0")) || !slices.Contains(v6, in.Globals.Pool6) {
		t.Fatalf("pool6: %v %v", v4, v6)
	}
}

// sum16 is an independent full IPv4 header checksum.
func sum16(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

func TestForwardDecrement(t *testing.T) {
	h := []byte{0x45, 0, 0, 20, 0, 0, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1, 198, 51, 100, 1}
	binary.BigEndian.PutUint16(h[10:], sum16(h))
	for ttl := 64; ttl > 1; ttl-- {
		if !forwardDecrement(h, false) {
			t.Fatalf("ttl %d refused", ttl)
		}
		if h[8] != byte(ttl-1) || sum16(h) != 0 {
			t.Fatalf("ttl %d: header checksum invalid after decrement", ttl)
		}
	}
	if forwardDecrement(h, false) {
		t.Fatal("TTL 1 forwarded")
	}
	v6 := make([]byte, 40)
	v6[0], v6[7] = 0x60, 2
	if !forwardDecrement(v6, true) || v6[7] != 1 || forwardDecrement(v6, true) {
		t.Fatal("hop limit handling")
	}
	if forwardDecrement(v6[:39], true) || forwardDecrement(h[:19], false) {
		t.Fatal("truncated header forwarded")
	}
}

func TestTokenBucket(t *testing.T) {
	var b tokenBucket
	n := 0
	for b.allow(1) {
		n++
	}
	if n != icmpErrBurst {
		t.Fatalf("burst %d, want %d", n, icmpErrBurst)
	}
	n = 0
	for b.allow(1 + 1e9/icmpErrRate*5) { // 5 tokens' worth of time
		n++
	}
	if n != 5 {
		t.Fatalf("refilled %d, want 5", n)
	}
	n = 0
	for b.allow(1 + 100e9) { // long idle: capped at the burst
		n++
	}
	if n != icmpErrBurst {
		t.Fatalf("after idle %d, want %d", n, icmpErrBurst)
	}
}

func TestSlowLaneAccounting(t *testing.T) {
	l, err := newSlowLane()
	if err != nil {
		t.Fatal(err)
	}
	pkt := make([]byte, 100)
	ok := 0
	for range slowPoolSize + 10 {
		if l.handOff(pkt, false) {
			ok++
		}
	}
	if ok != slowPoolSize || l.dropCnt.get() != 10 {
		t.Fatalf("handed off %d, dropped %d", ok, l.dropCnt.get())
	}
	// The slow path returns buffers; the worker can hand off again.
	batch := make([]slowPkt, 8)
	n := l.toSlow.PopBatch(batch)
	for _, p := range batch[:n] {
		l.free.Push(p.idx)
	}
	if !l.handOff(pkt, true) {
		t.Fatal("no buffer after return")
	}
	if l.handOff(make([]byte, slowBufSize+1), false) {
		t.Fatal("oversized packet accepted")
	}
	allocs := testing.AllocsPerRun(100, func() {
		if n := l.toSlow.PopBatch(batch[:1]); n == 1 {
			l.free.Push(batch[0].idx)
		}
		l.handOff(pkt, false)
	})
	if allocs != 0 {
		t.Fatalf("hand-off allocates: %v", allocs)
	}
}
