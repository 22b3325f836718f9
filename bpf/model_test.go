package bpf

import (
	"encoding/binary"
	"net/netip"
)

// model is a plain Go statement of the steering contract (steer.c, doc.go): the counter a frame increments.
// Tests and the fuzz target check the kernel program against it.
type model struct {
	enabled, vlan bool
	socket        bool // an AF_XDP socket is registered for RX queue 0
	p4, p6        []netip.Prefix
	local         map[netip.Addr]bool
}

func isVLAN(et uint16) bool { return et == 0x8100 || et == 0x88a8 || et == 0x9100 }

func (m *model) classify(f []byte) int {
	if !m.enabled {
		return statPassedDisabled
	}
	if len(f) < 14 {
		return statPassedMalformed
	}
	et, off := binary.BigEndian.Uint16(f[12:]), 14
	if isVLAN(et) {
		if !m.vlan {
			return statPassedVLAN
		}
		for i := 0; i < 2 && isVLAN(et); i++ {
			if len(f) < off+4 {
				return statPassedMalformed
			}
			et, off = binary.BigEndian.Uint16(f[off+2:]), off+4
		}
		if isVLAN(et) {
			return statPassedVLAN
		}
	}
	switch et {
	case 0x0800:
		return m.classify4(f[off:])
	case 0x86dd:
		return m.classify6(f[off:])
	}
	return statPassedNonIP
}

func (m *model) classify4(b []byte) int {
	if len(b) < 20 || b[0]>>4 != 4 {
		return statPassedMalformed
	}
	ihl, tot := int(b[0]&0xf)*4, int(binary.BigEndian.Uint16(b[2:]))
	if ihl < 20 || tot < ihl || tot > len(b) {
		return statPassedMalformed
	}
	dst := netip.AddrFrom4([4]byte(b[16:20]))
	d := dst.As4()
	if d[0] == 0 || d[0] == 127 || d[0] >= 224 || d[0] == 169 && d[1] == 254 {
		return statPassedSpecial
	}
	return m.steer(dst, m.p4, statRedirected4, statNoSocket4)
}

func (m *model) classify6(b []byte) int {
	if len(b) < 40 || b[0]>>4 != 6 {
		return statPassedMalformed
	}
	plen := int(binary.BigEndian.Uint16(b[4:]))
	if 40+plen > len(b) {
		return statPassedMalformed
	}
	dst := netip.AddrFrom16([16]byte(b[24:40]))
	// Byte tests, not netip's IsMulticast & co., which look through IPv4-mapped addresses.
	d := dst.As16()
	zero15 := [15]byte(d[:15]) == [15]byte{}
	if d[0] == 0xff || d[0] == 0xfe && d[1]&0xc0 == 0x80 || zero15 && d[15] <= 1 {
		return statPassedSpecial
	}
	if b[6] == 58 {
		if plen < 4 {
			return statPassedMalformed
		}
		switch t := b[40]; {
		case t >= 130 && t <= 137, t == 141, t == 142, t == 143, t == 148, t == 149, t >= 151 && t <= 153:
			return statPassedNDP
		}
	}
	return m.steer(dst, m.p6, statRedirected6, statNoSocket6)
}

func (m *model) steer(dst netip.Addr, set []netip.Prefix, ok, nosock int) int {
	if m.local[dst] {
		return statPassedLocal
	}
	for _, p := range set {
		if p.Contains(dst) {
			if m.socket {
				return ok
			}
			return nosock
		}
	}
	return statPassed
}

// verdictOf is the XDP action that goes with a counter.
func verdictOf(stat int) uint32 {
	if stat == statRedirected4 || stat == statRedirected6 {
		return xdpRedirect
	}
	return xdpPass
}
