// Package e2e holds siit's end-to-end tests: each test builds a lab of
// network namespaces joined by veth pairs, starts the real `siit run` binary
// inside the translator namespace, and sends traffic between real kernel
// stacks (ping, traceroute, TCP and UDP sockets) to check what arrives on the
// far side.
//
// Lab (one per test, namespace names carry "e2e", the pid and a counter):
//
//	[C] c6 ---- t6 [T: siit] t4 ---- r4 [R: IPv4 router] rs ---- s4 [S]
//	2001:db8:6::10/64   2001:db8:6::1/64       198.51.100.2/24     203.0.113.10/24
//	2001:db8:6::11/64   198.51.100.1/24        203.0.113.1/24      203.0.113.20/24
//
// siit runs with pool6 64:ff9b::/96 and two EAMs: 2001:db8:6::/120 <->
// 192.0.2.0/24 (the IPv6 client ::10 is 192.0.2.16 to IPv4) and
// 2001:db8:46::20/128 <-> 203.0.113.20/32 (the server's second address).
//
// Scenarios (issue 4 "Proof", issue 5 live updates):
//
//	TestTraffic, TestMultiQueue     ICMP echo, UDP, TCP both ways, pool6 and EAMs; a worker per queue
//	TestOneArmed                    the same and traceroute with one translator interface for both families,
//	                                beside a router (lab.oneArmed draws that topology)
//	TestICMPErrors                  traceroute both ways (translator and an IPv4 router), port unreachable
//	TestPathMTU                     Frag Needed / PTB by the translator (live MTU changes) and via a
//	                                1280-byte IPv4 link, kernel PMTU caches, TCP path-MTU discovery
//	TestFragments                   fragmented UDP both ways (refragmented when it grows), fragmented ICMP counted
//	TestUDPChecksumZero             amend-udp-checksum-zero
//	TestHairpin                     eam-hairpin-mode intrinsic, simple, off
//	TestUnresolvedNeighbour[Burst]  first packets toward unresolved neighbours delivered, resolution requested,
//	                                the next packets on the fast path
//	TestHostStillReachable          ND, ARP, ping and TCP to the host while attached, live host addresses
//	TestDirectedBroadcastToKernel   the IPv4 subnet broadcast address goes to the kernel, not through pool6
//	TestRouteChangeLive, TestLinkFlap, TestForeignEgress   routes, links, egress outside siit
//	TestPolicyRoutingLive           policy routing rules added and removed while siit runs
//	TestNexthopObjectsLive          routes through nexthop objects (compat mode 0) as the objects change
//	TestIPv4ViaIPv6Gateway          IPv4 via an IPv6 link-local gateway (BGP unnumbered) on the fast path
//	TestSlowPathFollowsPolicy       packets handed to the kernel are routed there by their source too
//	TestSlowPathFollowsProtocolRules   ... and by their protocol, both families
//	TestDetachOnSignal, TestSIGKILLFailsOpen               clean detach, fail-open when killed
//	TestRunBadInput                 one error line, non-zero exit, nothing attached
//	TestConfigCLI, TestConfigFile   CLI against the daemon, -f, SIGHUP reload, bad reload, file handle
//	TestMetrics                     Prometheus /metrics
//	TestCrossWorker                 a worker without a socket on the egress interface hands frames to one that has;
//	                                each worker pinned to its --cpus CPU
//	TestSharedUmem                  --shared-umem traffic both ways, then every UMEM frame accounted for
//	TestThreeInterfaces             a third interface (a second IPv6 network with its own EAM)
//	TestForcedModes                 --xdp-mode generic and --bind-mode copy
//	TestIdleWorkerSleeps            an idle worker backs off into poll(2)
//	TestDemo                        README's first command (tools/demo.sh) end to end
//	TestServeByInterface, TestServeFiles   two instances in one daemon, one per interface (--serve), two -f files
//	TestLiveUpdateUnderLoad         thousands of EAMT changes and SIGHUP reloads under a flow: zero loss
//
// The tests need root, the ip, ping and ethtool tools, and XDP on veth;
// without them they skip with the reason (TestDemo also uses curl,
// traceroute and python3, which tools/demo.sh installs when missing). No
// bpffs: siit pins nothing. Traffic helpers run inside the
// namespaces by re-executing the test binary (see helper_test.go). The
// package has no non-test API.
package e2e
