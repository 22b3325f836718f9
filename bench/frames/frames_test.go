package frames

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
)

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 0xa}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 0xb}
)

// refSum is an independent RFC 1071 checksum: 32-bit accumulation of big-endian words, folded once at the end.
func refSum(b []byte) uint16 {
	var s uint64
	for i := 0; i+1 < len(b); i += 2 {
		s += uint64(b[i])<<8 | uint64(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint64(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// refVerify checks both checksums of a frame from scratch, without using the package's helpers.
func refVerify(t *testing.T, f []byte) {
	t.Helper()
	var src, dst []byte
	var proto byte
	var l4 []byte
	switch binary.BigEndian.Uint16(f[12:]) {
	case 0x0800:
		ip := f[14:34]
		if refSum(ip) != 0 {
			t.Fatalf("IPv4 header checksum invalid: % x", ip)
		}
		src, dst, proto, l4 = ip[12:16], ip[16:20], ip[9], f[34:]
	case 0x86dd:
		ip := f[14:54]
		src, dst, proto, l4 = ip[8:24], ip[24:40], ip[6], f[54:]
	default:
		t.Fatalf("bad ethertype")
	}
	var ph []byte
	if proto != 1 {
		ph = append(append(append([]byte{}, src...), dst...), 0, 0, byte(len(l4)>>8), byte(len(l4)), 0, 0, 0, proto)
		if len(src) == 4 {
			ph = append(append(append([]byte{}, src...), dst...), 0, proto, byte(len(l4)>>8), byte(len(l4)))
		}
	}
	if refSum(append(ph, l4...)) != 0 {
		t.Fatalf("L4 checksum invalid (proto %d)", proto)
	}
}

func specs() []Spec {
	var out []Spec
	for _, fam := range []int{4, 6} {
		src, dst := netip.MustParseAddr("2001:db8:64::c000:201"), netip.MustParseAddr("2001:db8:64::cb00:7101")
		if fam == 4 {
			src, dst = netip.MustParseAddr("203.0.113.1"), netip.MustParseAddr("192.0.2.1")
		}
		for _, p := range []Proto{UDP, TCP, ICMP} {
			for _, size := range []int{MinFrameSize(fam, p), 128, 1518} {
				out = append(out, Spec{Proto: p, SrcMAC: macA, DstMAC: macB, Src: src, Dst: dst,
					SrcPort: 1024, DstPort: 9, FrameSize: size, Flows: 300, AddrFlows: 16})
			}
		}
	}
	return out
}

func TestMinFrameSizes(t *testing.T) {
	// RFC 8219 minimums: 64 B for IPv4, 84 B for IPv6 (FCS counted). UDP and ICMP fit; TCP needs more for the stamp.
	for _, c := range []struct {
		fam  int
		p    Proto
		want int
	}{{4, UDP, 64}, {6, UDP, 84}, {4, ICMP, 64}, {6, ICMP, 84}, {4, TCP, 74}, {6, TCP, 94}} {
		if got := MinFrameSize(c.fam, c.p); got != c.want {
			t.Errorf("MinFrameSize(%d, %s) = %d, want %d", c.fam, c.p, got, c.want)
		}
	}
}

func TestTemplatesParseWithValidChecksums(t *testing.T) {
	buf := make([]byte, 2000)
	for _, s := range specs() {
		tp, err := Build(s)
		if err != nil {
			t.Fatalf("%v/%s/%d: %v", s.Src, s.Proto, s.FrameSize, err)
		}
		if len(tp.Frame) != s.FrameSize-FCSLen {
			t.Fatalf("frame length %d, want %d", len(tp.Frame), s.FrameSize-FCSLen)
		}
		for _, seq := range []uint64{0, 1, 299, 300, 12345, 1<<32 + 7} {
			f := buf[:len(tp.Frame)]
			tp.Render(f, seq, 9, 3, 0x0102030405060708)
			refVerify(t, f)
			in, err := Parse(f)
			if err != nil {
				t.Fatalf("parse %s: %v", s.Proto, err)
			}
			flow := uint16(seq % 300)
			wantSrc := s.Src.AsSlice()
			wantSrc[len(wantSrc)-1] += byte(flow % 16)
			if !in.IPChecksumOK || !in.L4ChecksumOK || !in.HasStamp {
				t.Fatalf("parse %+v: checksums or stamp missing", in)
			}
			if !bytes.Equal(in.Src.AsSlice(), wantSrc) {
				t.Fatalf("source %v, want %v", in.Src, wantSrc)
			}
			if in.Dst != s.Dst || in.SrcPort != 1024+flow || in.Stamp != (Stamp{9, 3, uint32(seq), 0x0102030405060708}) {
				t.Fatalf("seq %d: parsed %+v", seq, in)
			}
		}
	}
}

// emulateGen performs, in Go, exactly what c/gen.c does to a recycled page: copy Head, write the varied
// fields and patch both checksums from the precomputed partial sums.
func emulateGen(tp *Template, page []byte, seq uint64, trial, stream uint8, ts uint64) {
	copy(page, tp.Head)
	flow := uint32(seq % uint64(tp.Spec.Flows))
	l4, ip := tp.L4Base, tp.IPBase
	binary.BigEndian.PutUint16(page[tp.PortOff:], tp.Spec.SrcPort+uint16(flow))
	l4 += uint32(binary.NativeEndian.Uint16(page[tp.PortOff:]))
	page[tp.AddrOff] = tp.AddrBase + uint8(flow%uint32(tp.AddrSpan()))
	w := uint32(binary.NativeEndian.Uint16(page[tp.AddrOff&^1:]))
	ip += w
	if tp.L4Pseudo {
		l4 += w
	}
	s := page[tp.StampOff:]
	s[0], s[1], s[2], s[3] = Magic0, Magic1, trial, stream
	binary.BigEndian.PutUint32(s[4:], uint32(seq))
	binary.BigEndian.PutUint64(s[8:], ts)
	for i := 0; i < StampLen; i += 2 {
		l4 += uint32(binary.NativeEndian.Uint16(s[i:]))
	}
	c := ^uint16(fold(l4))
	if c == 0 && tp.Spec.Proto == UDP {
		c = 0xffff
	}
	binary.NativeEndian.PutUint16(page[tp.L4CsumOff:], c)
	if tp.IPCsumOff != 0 {
		binary.NativeEndian.PutUint16(page[tp.IPCsumOff:], ^uint16(fold(ip)))
	}
}

func TestIncrementalChecksumsMatchRender(t *testing.T) {
	for _, s := range specs() {
		tp, err := Build(s)
		if err != nil {
			t.Fatal(err)
		}
		page := bytes.Repeat([]byte{0xee}, len(tp.Frame)) // a page dirtied by a receiver
		copy(page[len(tp.Head):], tp.Frame[len(tp.Head):])
		want := make([]byte, len(tp.Frame))
		for seq := uint64(0); seq < 700; seq += 7 {
			ts := seq * 0x9e3779b97f4a7c15
			emulateGen(tp, page, seq, 5, 1, ts)
			tp.Render(want, seq, 5, 1, ts)
			if !bytes.Equal(page, want) {
				t.Fatalf("%s/%v seq %d:\n got % x\nwant % x", s.Proto, s.Src, seq, page, want)
			}
		}
	}
}

func TestBuildRejectsBadSpecs(t *testing.T) {
	good := specs()[0]
	for name, mut := range map[string]func(*Spec){
		"mixed families": func(s *Spec) { s.Dst = netip.MustParseAddr("2001:db8::1") },
		"too small":      func(s *Spec) { s.FrameSize = 63 },
		"too large":      func(s *Spec) { s.FrameSize = MaxFrameSize + 1 },
		"no flows":       func(s *Spec) { s.Flows = 0 },
		"port overflow":  func(s *Spec) { s.SrcPort = 65000; s.Flows = 1000 },
		"addr overflow":  func(s *Spec) { s.AddrFlows = 256 },
		"no mac":         func(s *Spec) { s.SrcMAC = nil },
		"bad proto":      func(s *Spec) { s.Proto = 9 },
	} {
		s := good
		mut(&s)
		if _, err := Build(s); err == nil {
			t.Errorf("%s: Build accepted %+v", name, s)
		}
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	tp, err := Build(specs()[0])
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(tp.Frame); n++ {
		if _, err := Parse(tp.Frame[:n]); err == nil && n < 14+20+8 {
			t.Fatalf("Parse accepted a %d-byte truncation", n)
		}
	}
	bad := append([]byte(nil), tp.Frame...)
	bad[40] ^= 0xff
	in, err := Parse(bad)
	if err != nil || in.L4ChecksumOK {
		t.Fatalf("corrupted payload: err %v, L4ChecksumOK %v", err, in.L4ChecksumOK)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range specs() {
		tp, err := Build(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tp.Frame)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := Parse(b)
		if err == nil && in.Family != 4 && in.Family != 6 {
			t.Fatalf("family %d without error", in.Family)
		}
	})
}
