// Package lab builds the benchmark's network-namespace lab and runs trials through it.
//
// Topology (all documentation addresses; names carry a tag so parallel labs never collide):
//
//	ns A (IPv6 side)          ns DUT                          ns B (IPv4 side)
//	a0 ---------------------- d6  [peer under test]  d4 ---------------------- b0
//	gen 6->4, sink 4->6       2001:db8:a::ff/64               gen 4->6, sink 6->4
//	                          198.51.100.129/25   198.51.100.1/25
//	                                              2001:db8:b::ff/64
//
// Each end namespace hosts both a generator (XDP live frames leaving its veth) and a sink (tc or XDP on the same
// veth), so a trial picks its direction: 6->4 frames (2001:db8:64::c000:201 -> 2001:db8:64::cb00:7101, i.e.
// 192.0.2.1 -> 203.0.113.1 under pool6 2001:db8:64::/96) leave A, 4->6 frames (203.0.113.1 -> 192.0.2.1) leave B.
// The generator threads run on the leg's sending veth; in a bidirectional trial every thread sends both legs,
// running on a0 and alternating its frames with 4->6 frames redirected to b0 through a devmap (which may hold
// devices of other namespaces). The DUT namespace holds the peer under test: kernel forwarding (plain IPv6/IPv4
// routing of the same frames), the XDP redirect forwarder, TAYGA, or siit; each peer installs and removes its own
// routes. The DUT has permanent neighbour entries for the end namespaces (no ND/ARP during trials), GRO on d6/d4 (a
// veth only runs NAPI for XDP-originated frames when GRO or an XDP program is on) and otherwise default veth
// offloads; the ends have IPv6 disabled so nothing but test traffic flows.
//
// Lab implements search.DUT through Trial: exact frame counts from the generator, received test frames of the
// current trial counted by the sinks.
//
// External makes the same kind of Lab out of two tester ports cabled to a DUT the package does not build (`siit
// bench throughput`): no namespaces of its own, sinks on the two ports, and Traffic set to the DUT's addresses.
// One port serves a one-armed DUT: both legs come back through it (see External).
// The sinks check translated frames against the mirror leg (see Traffic), so any pool6 or EAMT setup works.
package lab
