package daemon

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/siit-project/siit/ring"
	"github.com/siit-project/siit/xlat"
)

// The slow path hands translated packets to the kernel when the fast path
// cannot send them itself: the neighbour is not resolved yet, the egress
// interface is not one siit is attached to, or the packet is for this host.
// The kernel routes the packet (raw socket with the IP header included; its
// source and TOS passed along, see send), queues it while it resolves the
// neighbour, and delivers it, so the first packet of a flow is not lost; the
// worker also asks the next-hop mirror to resolve the neighbour so the
// following packets take the fast path.
//
// Workers never block on it: each worker owns a fixed pool of buffers and two
// single-producer/single-consumer rings (to the slow path, and free buffers
// back), so handing off is a copy plus a ring push, with no allocation. When
// the pool or the ring is full the packet is dropped and counted.

const (
	slowBufSize  = 2048 // ≥ largest L3 packet handed off (frames are at most 1518 + growth)
	slowPoolSize = 256  // buffers per worker
)

// slowPkt is one queued hand-off: a buffer index, its length and family
// (and, between workers, the egress interface).
type slowPkt struct {
	idx     uint16
	n       uint16
	v6      bool
	ifindex int32
}

// slowLane is one worker's connection to the slow path.
type slowLane struct {
	bufs    [][slowBufSize]byte
	toSlow  *ring.SPSC[slowPkt]
	free    *ring.SPSC[uint16] // filled by the slow path goroutine, drained by the worker
	local   []uint16           // worker-side cache of free indices
	sent    counter            // handed to the kernel (single writer: the slow path)
	failed  counter            // the kernel refused it (single writer: the slow path)
	dropCnt counter            // no buffer or ring full (single writer: the worker)
}

func newSlowLane() (*slowLane, error) {
	to, err := ring.NewSPSC[slowPkt](slowPoolSize)
	if err != nil {
		return nil, err
	}
	free, err := ring.NewSPSC[uint16](slowPoolSize)
	if err != nil {
		return nil, err
	}
	l := &slowLane{
		bufs:   make([][slowBufSize]byte, slowPoolSize),
		toSlow: to,
		free:   free,
		local:  make([]uint16, 0, slowPoolSize),
	}
	for i := slowPoolSize - 1; i >= 0; i-- {
		l.local = append(l.local, uint16(i))
	}
	return l, nil
}

// handOff copies an L3 packet into a free buffer and queues it for the kernel.
// It reports false (and counts a drop) when no buffer is free. Worker only.
func (l *slowLane) handOff(pkt []byte, v6 bool) bool {
	return l.put(nil, pkt, slowPkt{v6: v6})
}

// handOffFrame is handOff for another worker (see worker.transfer): it
// queues the Ethernet frame hdr+pkt for transmission on ifindex.
func (l *slowLane) handOffFrame(hdr, pkt []byte, ifindex int32) bool {
	return l.put(hdr, pkt, slowPkt{ifindex: ifindex})
}

// put copies hdr+pkt into a free buffer and queues it with p's other fields.
func (l *slowLane) put(hdr, pkt []byte, p slowPkt) bool {
	if len(l.local) == 0 {
		l.local = l.local[:l.free.PopBatch(l.local[:cap(l.local)])]
	}
	if len(l.local) == 0 || len(hdr)+len(pkt) > slowBufSize {
		l.dropCnt.add(1)
		return false
	}
	idx := l.local[len(l.local)-1]
	l.local = l.local[:len(l.local)-1]
	n := copy(l.bufs[idx][:], hdr)
	n += copy(l.bufs[idx][n:], pkt)
	p.idx, p.n = idx, uint16(n)
	if !l.toSlow.Push(p) {
		l.local = append(l.local, idx)
		l.dropCnt.add(1)
		return false
	}
	return true
}

// slowPath owns the raw sockets and drains every lane.
type slowPath struct {
	fd4, fd6 int
	lanes    []*slowLane
	oob      []byte // control messages of the packet being sent
	noProto4 bool   // the kernel refused IP_PROTOCOL (an older kernel): send IPv4 without it
}

func newSlowPath() (*slowPath, error) {
	fd4, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
	if err != nil {
		return nil, fmt.Errorf("open raw IPv4 socket for the slow path: %w (needs CAP_NET_RAW)", err)
	}
	fd6, err := unix.Socket(unix.AF_INET6, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
	if err != nil {
		unix.Close(fd4)
		return nil, fmt.Errorf("open raw IPv6 socket for the slow path: %w (needs CAP_NET_RAW)", err)
	}
	// IPPROTO_RAW implies the IP header is included for IPv4; say so for IPv6
	// too. Let the kernel fragment (PMTU discovery off) as a router would not,
	// but a DF=0 packet is allowed to be.
	_ = unix.SetsockoptInt(fd6, unix.IPPROTO_IPV6, unix.IPV6_HDRINCL, 1)
	_ = unix.SetsockoptInt(fd4, unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_PROBE)
	_ = unix.SetsockoptInt(fd6, unix.IPPROTO_IPV6, unix.IPV6_MTU_DISCOVER, unix.IP_PMTUDISC_PROBE)
	// The packet's own source goes with it (see send), and it is not an
	// address of this host; IPv4 raw sockets with the header included
	// accept that as they are, IPv6 ones with FREEBIND.
	_ = unix.SetsockoptInt(fd6, unix.IPPROTO_IPV6, unix.IPV6_FREEBIND, 1)
	return &slowPath{fd4: fd4, fd6: fd6, oob: make([]byte, 3*unix.CmsgSpace(unix.SizeofInet6Pktinfo))}, nil
}

func (s *slowPath) addLane() (*slowLane, error) {
	l, err := newSlowLane()
	if err != nil {
		return nil, err
	}
	s.lanes = append(s.lanes, l)
	return l, nil
}

// run drains the lanes until ctx ends. It sleeps briefly when idle: this path
// carries the first packets of flows, not bulk traffic.
func (s *slowPath) run(ctx context.Context) {
	batch := make([]slowPkt, 32)
	idle := 0
	for ctx.Err() == nil {
		busy := false
		for _, l := range s.lanes {
			n := l.toSlow.PopBatch(batch)
			for _, p := range batch[:n] {
				if s.send(l.bufs[p.idx][:p.n], p.v6) {
					l.sent.add(1)
				} else {
					l.failed.add(1)
				}
				for !l.free.Push(p.idx) {
					time.Sleep(time.Microsecond) // cannot happen: the pool fits the ring
				}
			}
			busy = busy || n > 0
		}
		if busy {
			idle = 0
			continue
		}
		idle++
		if idle < 100 {
			time.Sleep(20 * time.Microsecond)
		} else {
			time.Sleep(time.Millisecond)
		}
	}
}

// send hands one packet to the kernel, which routes it by its output route
// lookup. What that lookup needs from the packet travels beside it, since a
// raw socket does not take it from the header it sends: the source address
// and TOS / traffic class as control messages (IP_PKTINFO and IP_TOS,
// IPV6_PKTINFO and IPV6_TCLASS), the protocol as IP_PROTOCOL for IPv4 and in
// the port field of the destination for IPv6. Policy routing rules by source,
// TOS or protocol, TOS-specific routes and IPv6 source-specific routes then
// see them. (The lookup of a raw packet still knows no ports.)
func (s *slowPath) send(pkt []byte, v6 bool) bool {
	if v6 {
		if len(pkt) < 40 {
			return false
		}
		var sa unix.SockaddrInet6
		copy(sa.Addr[:], pkt[24:40])
		sa.Port = int(upperProto6(pkt))
		var info [unix.SizeofInet6Pktinfo]byte
		copy(info[:16], pkt[8:24])
		n := putCmsg(s.oob, unix.IPPROTO_IPV6, unix.IPV6_PKTINFO, info[:])
		n += putCmsgInt(s.oob[n:], unix.IPPROTO_IPV6, unix.IPV6_TCLASS, int32(xlat.IPv6(pkt).TrafficClass()))
		err := sendmsg(s.fd6, pkt, s.oob[:n], &sa)
		if errors.Is(err, unix.EINVAL) {
			sa.Port = 0
			err = unix.Sendto(s.fd6, pkt, 0, &sa)
		}
		return err == nil
	}
	if len(pkt) < 20 {
		return false
	}
	var sa unix.SockaddrInet4
	copy(sa.Addr[:], pkt[16:20])
	var info [unix.SizeofInet4Pktinfo]byte // ifindex, spec_dst (the source to route by), addr
	copy(info[4:8], pkt[12:16])
	n := putCmsg(s.oob, unix.IPPROTO_IP, unix.IP_PKTINFO, info[:])
	n += putCmsgInt(s.oob[n:], unix.IPPROTO_IP, unix.IP_TOS, int32(pkt[1]))
	if !s.noProto4 {
		m := n + putCmsgInt(s.oob[n:], unix.IPPROTO_IP, unix.IP_PROTOCOL, int32(pkt[9]))
		if err := sendmsg(s.fd4, pkt, s.oob[:m], &sa); !errors.Is(err, unix.EINVAL) {
			return err == nil
		}
	}
	err := sendmsg(s.fd4, pkt, s.oob[:n], &sa)
	if err == nil {
		s.noProto4 = true // refused with IP_PROTOCOL only: this kernel does not know it
	} else if errors.Is(err, unix.EINVAL) {
		err = unix.Sendto(s.fd4, pkt, 0, &sa)
	}
	return err == nil
}

// upperProto6 returns the protocol an IPv6 packet carries, looking past a
// fragment header (the only extension header translated packets have).
func upperProto6(pkt []byte) uint8 {
	if p := pkt[6]; p != unix.IPPROTO_FRAGMENT || len(pkt) < 48 {
		return p
	}
	return pkt[40]
}

// sendmsg sends pkt with its control messages. The kernel refuses them with
// EINVAL when it does not know one, or for a non-local source without
// FREEBIND support; the caller then sends the packet without them, routed by
// its destination only.
func sendmsg(fd int, pkt, oob []byte, sa unix.Sockaddr) error {
	_, err := unix.SendmsgN(fd, pkt, oob, sa, 0)
	return err
}

// putCmsg writes one control message (struct cmsghdr, then data, padded)
// into b and returns its space.
func putCmsg(b []byte, level, typ int32, data []byte) int {
	h := b[:unix.CmsgSpace(len(data))]
	clear(h)
	ne := binary.NativeEndian
	if unix.SizeofCmsghdr == 16 { // 64-bit: the length is a size_t
		ne.PutUint64(h, uint64(unix.CmsgLen(len(data))))
	} else {
		ne.PutUint32(h, uint32(unix.CmsgLen(len(data))))
	}
	ne.PutUint32(h[unix.SizeofCmsghdr-8:], uint32(level))
	ne.PutUint32(h[unix.SizeofCmsghdr-4:], uint32(typ))
	copy(h[unix.CmsgLen(0):], data)
	return len(h)
}

func putCmsgInt(b []byte, level, typ, v int32) int {
	var d [4]byte
	binary.NativeEndian.PutUint32(d[:], uint32(v))
	return putCmsg(b, level, typ, d[:])
}

func (s *slowPath) close() {
	unix.Close(s.fd4)
	unix.Close(s.fd6)
}
