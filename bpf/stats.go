package bpf

import (
	"errors"
	"fmt"
)

// Counter indexes of the stats map; keep in step with enum stat in steer.c.
const (
	statRedirected4 = iota
	statRedirected6
	statNoSocket4
	statNoSocket6
	statPassed
	statPassedLocal
	statPassedVLAN
	statPassedDisabled
	statPassedNonIP
	statPassedSpecial
	statPassedNDP
	statPassedMalformed
	statMax
)

// Stats are the program's counters summed over CPUs. Every frame the program sees increments exactly one.
type Stats struct {
	Redirected4     uint64 // IPv4 frames given to an AF_XDP socket
	Redirected6     uint64 // IPv6 frames given to an AF_XDP socket
	NoSocket4       uint64 // IPv4 frames to steer on a queue without a socket, passed to the kernel
	NoSocket6       uint64 // IPv6 frames to steer on a queue without a socket, passed to the kernel
	Passed          uint64 // IP frames whose destination is in no prefix set
	PassedLocal     uint64 // destination is a local address
	PassedVLAN      uint64 // VLAN-tagged with VLAN steering off, or more than two tags
	PassedDisabled  uint64 // steering disabled
	PassedNonIP     uint64 // ARP and every other non-IP EtherType
	PassedSpecial   uint64 // multicast, broadcast, link-local, loopback or unspecified destination
	PassedNDP       uint64 // ICMPv6 neighbour discovery, MLD and other link-scope ICMPv6
	PassedMalformed uint64 // truncated or inconsistent Ethernet, VLAN or IP header
}

// RedirectFailed is the number of frames that should have been steered but found no socket on their queue.
func (s Stats) RedirectFailed() uint64 { return s.NoSocket4 + s.NoSocket6 }

// Total is the number of frames the program has seen.
func (s Stats) Total() uint64 {
	var t uint64
	for _, v := range s.array() {
		t += v
	}
	return t
}

func (s Stats) array() [statMax]uint64 {
	return [statMax]uint64{s.Redirected4, s.Redirected6, s.NoSocket4, s.NoSocket6, s.Passed, s.PassedLocal,
		s.PassedVLAN, s.PassedDisabled, s.PassedNonIP, s.PassedSpecial, s.PassedNDP, s.PassedMalformed}
}

func statsFromArray(a [statMax]uint64) Stats {
	return Stats{a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]}
}

// Stats reads the counters, summed over all CPUs. Reads are not atomic across counters.
func (p *Program) Stats() (Stats, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return Stats{}, errors.New("read steering stats: program is closed")
	}
	var a [statMax]uint64
	var perCPU []uint64
	for i := range a {
		if err := p.objs.Stats.Lookup(uint32(i), &perCPU); err != nil {
			return Stats{}, wrapErr(fmt.Sprintf("read steering stats: counter %d", i), err)
		}
		for _, v := range perCPU {
			a[i] += v
		}
	}
	return statsFromArray(a), nil
}
