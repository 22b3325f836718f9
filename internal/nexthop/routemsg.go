package nexthop

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Routes and nexthop objects are read from raw rtnetlink dumps: the netlink
// package's route parser drops RTA_NH_ID (routes that use nexthop objects,
// `ip nexthop`, as FRR installs them) and RTA_ENCAP (lightweight tunnels),
// and it has no nexthop object support at all.
//
// A route that names a nexthop object (nhid) takes its nexthops from the
// object: a single nexthop (gateway and/or device, of either family: an
// IPv4 route may use an IPv6 gateway), a blackhole, or a group whose members
// share the traffic in proportion to their weights (hash-threshold and
// resilient groups alike; siit's hash is not the kernel's, the distribution
// is). With net.ipv4.nexthop_compat_mode=1 (the default) the kernel also
// spells the nexthops out in the route itself; with 0 it does not, and a
// change of a nexthop object sends no route notification, so the mirror
// subscribes to nexthop objects and re-reads them.

const (
	rtaNHID = 30 // RTA_NH_ID
	nhaFDB  = 11 // NHA_FDB
)

// nhObject is a nexthop object (RTM_NEWNEXTHOP).
type nhObject struct {
	id        uint32
	blackhole bool
	fdb       bool // for bridge/VXLAN forwarding entries only: routes cannot use it
	encap     bool // lightweight tunnel (MPLS, seg6, ...): the kernel's job
	flags     uint32
	ifindex   int32
	gw        netip.Addr
	group     []nhMember // non-empty: a group
}

type nhMember struct {
	id     uint32
	weight uint32 // 1..65536
}

// routeFromMessage parses one RTM_NEWROUTE message (struct rtmsg and its
// attributes). Other families and cached clones are rejected.
func routeFromMessage(b []byte) (rawRoute, bool) {
	if len(b) < unix.SizeofRtMsg {
		return rawRoute{}, false
	}
	fam, dstLen, srcLen := b[0], int(b[1]), int(b[2])
	ne := nl.NativeEndian()
	flags := ne.Uint32(b[8:12])
	if (fam != unix.AF_INET && fam != unix.AF_INET6) || flags&unix.RTM_F_CLONED != 0 {
		return rawRoute{}, false
	}
	v6 := fam == unix.AF_INET6
	bits := 32
	if v6 {
		bits = 128
	}
	if dstLen > bits || srcLen > bits {
		return rawRoute{}, false
	}
	r := rawRoute{table: int(b[4]), typ: int(b[7]), tos: int(b[3]), srcLen: uint8(srcLen)}
	if v6 {
		r.dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	} else {
		r.dst = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	}
	attrs, ok := parseAttrs(b[unix.SizeofRtMsg:])
	if !ok {
		return rawRoute{}, false
	}
	single := rawNexthop{weight: 1, flags: int(flags & 0xff)}
	var multipath []byte
	for _, a := range attrs {
		v := a.v
		switch a.typ {
		case unix.RTA_DST:
			ad, ok := netip.AddrFromSlice(v)
			if !ok || ad.Is6() != v6 {
				return rawRoute{}, false
			}
			r.dst = netip.PrefixFrom(ad, dstLen).Masked()
		case unix.RTA_TABLE:
			if len(v) >= 4 {
				r.table = int(ne.Uint32(v))
			}
		case unix.RTA_PRIORITY:
			r.priority = int(attrU32(v))
		case unix.RTA_OIF:
			single.ifindex = int32(attrU32(v))
		case unix.RTA_GATEWAY, unix.RTA_VIA, unix.RTA_ENCAP_TYPE:
			single.setAttr(a)
		case unix.RTA_MULTIPATH:
			multipath = v
		case unix.RTA_METRICS:
			if ms, ok := parseAttrs(v); ok {
				for _, m := range ms {
					if m.typ == unix.RTAX_MTU && len(m.v) >= 4 {
						r.mtu = ne.Uint32(m.v)
					}
				}
			}
		case rtaNHID:
			r.nhid = attrU32(v)
		}
	}
	switch {
	case multipath != nil:
		nhs, ok := parseMultipath(multipath)
		if !ok {
			return rawRoute{}, false
		}
		r.nhs = nhs
	case single.ifindex > 0:
		r.nhs = []rawNexthop{single}
	}
	return r, true
}

// setAttr applies a nexthop attribute of a route, alone or in
// RTA_MULTIPATH: gateway (RTA_GATEWAY, or RTA_VIA of either family) and
// tunnel encapsulation; others are ignored.
func (nh *rawNexthop) setAttr(a attr) {
	switch a.typ {
	case unix.RTA_GATEWAY:
		nh.gw = attrAddr(a.v)
	case unix.RTA_VIA:
		nh.gw = viaAddr(a.v)
	case unix.RTA_ENCAP_TYPE:
		nh.encap = attrEncap(a.v)
	}
}

// attrU32 is a 32-bit attribute, 0 when it is too short.
func attrU32(v []byte) uint32 {
	if len(v) < 4 {
		return 0
	}
	return nl.NativeEndian().Uint32(v)
}

// attrAddr is an address attribute (4 or 16 bytes), invalid otherwise.
func attrAddr(v []byte) netip.Addr {
	a, _ := netip.AddrFromSlice(v)
	return a
}

// attrEncap reports whether an encapsulation type attribute names one.
func attrEncap(v []byte) bool { return len(v) >= 2 && nl.NativeEndian().Uint16(v) != 0 }

// viaAddr decodes struct rtvia (family, then the address).
func viaAddr(v []byte) netip.Addr {
	if len(v) < 2 {
		return netip.Addr{}
	}
	a, ok := netip.AddrFromSlice(v[2:])
	if !ok {
		return netip.Addr{}
	}
	switch nl.NativeEndian().Uint16(v) {
	case unix.AF_INET:
		if a.Is4() {
			return a
		}
	case unix.AF_INET6:
		if a.Is6() {
			return a
		}
	}
	return netip.Addr{}
}

// parseMultipath splits RTA_MULTIPATH: struct rtnexthop records (length,
// flags, hops = weight-1, ifindex), each followed by its own attributes.
func parseMultipath(b []byte) ([]rawNexthop, bool) {
	ne := nl.NativeEndian()
	var out []rawNexthop
	for len(b) >= unix.SizeofRtNexthop {
		l := int(ne.Uint16(b))
		if l < unix.SizeofRtNexthop || l > len(b) {
			return nil, false
		}
		nh := rawNexthop{flags: int(b[2]), weight: uint32(b[3]) + 1, ifindex: int32(ne.Uint32(b[4:8]))}
		attrs, ok := parseAttrs(b[unix.SizeofRtNexthop:l])
		if !ok {
			return nil, false
		}
		for _, a := range attrs {
			nh.setAttr(a)
		}
		out = append(out, nh)
		b = b[min((l+3)&^3, len(b)):]
	}
	return out, true
}

// nhObjectFromMessage parses one RTM_NEWNEXTHOP message (struct nhmsg and
// its attributes).
func nhObjectFromMessage(b []byte) (nhObject, bool) {
	const sizeofNhmsg = 8
	if len(b) < sizeofNhmsg {
		return nhObject{}, false
	}
	ne := nl.NativeEndian()
	o := nhObject{flags: ne.Uint32(b[4:8])}
	attrs, ok := parseAttrs(b[sizeofNhmsg:])
	if !ok {
		return nhObject{}, false
	}
	for _, a := range attrs {
		v := a.v
		switch a.typ {
		case unix.NHA_ID:
			o.id = attrU32(v)
		case unix.NHA_BLACKHOLE:
			o.blackhole = true
		case nhaFDB:
			o.fdb = true
		case unix.NHA_OIF:
			o.ifindex = int32(attrU32(v))
		case unix.NHA_GATEWAY:
			o.gw = attrAddr(v)
		case unix.NHA_ENCAP_TYPE:
			o.encap = attrEncap(v)
		case unix.NHA_GROUP:
			// struct nexthop_grp: id, weight-1 (low byte), weight-1 (high
			// byte, kernels from 6.12), reserved.
			for ; len(v) >= 8; v = v[8:] {
				w := uint32(v[4]) | uint32(v[5])<<8
				o.group = append(o.group, nhMember{id: ne.Uint32(v), weight: w + 1})
			}
		}
	}
	if o.id == 0 {
		return nhObject{}, false
	}
	return o, true
}

// resolveNexthops gives every route that names a known nexthop object the
// object's nexthops (or its blackhole). Routes are copied only when one
// changes; the input is not modified. A route whose object is unknown (a
// dump raced with a change) keeps the nexthops the kernel spelled out in
// compatibility mode, if any; without them it carries no traffic.
func resolveNexthops(routes []rawRoute, objs map[uint32]nhObject) []rawRoute {
	out := routes
	copied := false
	for i := range routes {
		r := &routes[i]
		if r.nhid == 0 || r.typ != unix.RTN_UNICAST {
			continue
		}
		o, ok := objs[r.nhid]
		if !ok {
			continue
		}
		if !copied {
			out = append([]rawRoute(nil), routes...)
			copied = true
		}
		nr := &out[i]
		nr.nhs = nil
		switch {
		case o.blackhole:
			nr.typ = unix.RTN_BLACKHOLE
		case len(o.group) > 0:
			for _, m := range o.group {
				mo, ok := objs[m.id]
				switch {
				case !ok || mo.fdb || len(mo.group) > 0:
				case mo.blackhole: // only alone in a group
					nr.typ = unix.RTN_BLACKHOLE
				default:
					n := objectNexthop(&mo, m.weight)
					n.member = true
					nr.nhs = append(nr.nhs, n)
				}
			}
		case !o.fdb:
			nr.nhs = []rawNexthop{objectNexthop(&o, 1)}
		}
	}
	return out
}

func objectNexthop(o *nhObject, weight uint32) rawNexthop {
	return rawNexthop{ifindex: o.ifindex, gw: o.gw, weight: weight, flags: int(o.flags & 0xff), encap: o.encap}
}

// dumpRaw runs one rtnetlink dump request on a socket opened in the
// mirrored namespace and hands every reply of type want to f.
func (m *Mirror) dumpRaw(what string, req uint16, hdr nl.NetlinkRequestData, want uint16, reset func(), f func([]byte)) error {
	target := netns.None()
	if m.ns.IsOpen() {
		target = m.ns
	}
	sock, err := nl.GetNetlinkSocketAt(target, netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("dump %s: open netlink socket: %w", what, err)
	}
	defer sock.Close()
	return retryInterrupted(what, func() error {
		reset()
		r := nl.NewNetlinkRequest(int(req), unix.NLM_F_DUMP)
		r.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: {Socket: sock}}
		r.AddData(hdr)
		return r.ExecuteIter(unix.NETLINK_ROUTE, want, func(msg []byte) bool {
			f(msg)
			return true
		})
	})
}

// dumpHdr is the fixed header of a dump request, as bytes.
type dumpHdr []byte

func (h dumpHdr) Len() int          { return len(h) }
func (h dumpHdr) Serialize() []byte { return h }

// dumpNexthops reads every nexthop object. A kernel without nexthop objects
// (before 5.3) answers with an error: then there are none.
func (m *Mirror) dumpNexthops() (map[uint32]nhObject, error) {
	objs := map[uint32]nhObject{}
	// struct nhmsg, all zero: every family, no filter.
	err := m.dumpRaw("nexthops", unix.RTM_GETNEXTHOP, make(dumpHdr, 8), unix.RTM_NEWNEXTHOP, func() { clear(objs) }, func(msg []byte) {
		if o, ok := nhObjectFromMessage(msg); ok {
			objs[o.id] = o
		}
	})
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EINVAL) {
		return map[uint32]nhObject{}, nil
	}
	return objs, err
}
