package nexthop_test

import (
	"context"
	"encoding/binary"

	"github.com/siit-project/siit/internal/nexthop"
)

// A worker loads the snapshot once per batch and looks up each packet's
// destination; an unresolved neighbour sends the packet to the kernel and
// asks for resolution. (Compiled, not run: it needs root.)
func Example_worker() {
	m, err := nexthop.Start(context.Background(), nexthop.Options{})
	if err != nil {
		return
	}
	defer m.Close()

	var batch [][]byte // IPv4 packets, Ethernet header stripped
	tab := m.Table()
	for _, pkt := range batch {
		dst := binary.BigEndian.Uint32(pkt[16:20])
		hop, res := tab.Lookup4(dst, 0 /* flow hash */)
		switch res {
		case nexthop.Found:
			if !hop.Resolved {
				m.Resolve(hop.Ifindex, hop.Via)
				// hand pkt to the kernel (slow path)
				continue
			}
			if uint32(len(pkt)) > hop.MTU {
				// fragment or send Packet Too Big / Frag Needed
			}
			// write Ethernet header hop.DstMAC <- hop.SrcMAC, send on hop.Ifindex
		case nexthop.SlowPath, nexthop.Local:
			// hand to the kernel
		case nexthop.NoRoute, nexthop.Unreachable:
			// ICMP destination unreachable
		case nexthop.Prohibit:
			// ICMP administratively prohibited
		case nexthop.Blackhole:
			// drop silently
		}
	}
}
