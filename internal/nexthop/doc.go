// Package nexthop mirrors the kernel's forwarding state — routes, neighbours,
// link MTUs/MACs and local addresses — for the AF_XDP workers, which must
// pick an egress interface, Ethernet addresses and MTU per packet without
// asking the kernel.
//
// # Contract
//
// Start subscribes to rtnetlink route, rule, nexthop object, netconf, link, address and neighbour events in
// the target network namespace (the sockets are opened inside it), dumps the
// current state and publishes an immutable *Table before it returns.
// Afterwards every change is applied to a private copy of the state and, after
// a short coalescing delay (Options.Coalesce, 2 ms), compiled into a new Table
// published with one atomic pointer store. Mirror.Table is a single atomic
// load; a Table never changes once published, so a worker may keep using the
// one it loaded for a whole batch. Table.Lookup4, Lookup6, Route, LinkMTU, LinkMAC,
// LinkUp and Neighbour do not allocate, lock or block (tested with
// testing.AllocsPerRun).
//
// Lookup semantics, following the kernel's default policy:
//   - Local (the kernel's "lookup local" rule 0) first: every address of the
//     namespace and every local/broadcast/anycast route of the local table
//     (255) yields Local.
//   - Then longest-prefix match over the main table (254). When the policy
//     routing rules of a family are not the kernel's defaults, Route
//     evaluates them for a Flow (source, destination, protocol, TOS, ports)
//     as the kernel's output route lookup does, with a trie per table they
//     name (see rules.go); rule changes arrive through their own netlink
//     subscription. IPv4 TOS-specific routes (`ip route add ... tos T`)
//     are followed as the kernel's: at the longest matching prefix, a route
//     whose T equals the packet's TOS & 0x1c comes before the plain ones,
//     and a prefix with no route for the packet is passed over for a
//     shorter one; they make IPv4 routing flow-keyed (Policy). Every route
//     of an IPv6 destination prefix that has source-specific routes is left
//     out (the kernel skips such a prefix for packets from other sources,
//     and siit does for all); those and TOS routes no packet can match are
//     counted (Table.UnfollowedRoutes). VRFs are not followed (l3mdev rules
//     never match).
//   - Routes that use nexthop objects (`ip nexthop`, RTA_NH_ID) take their
//     nexthops from the object, read from its own dump and subscription,
//     whatever net.ipv4.nexthop_compat_mode says (see routemsg.go). Routes
//     and objects with a lightweight-tunnel encapsulation give SlowPath.
//   - Among routes for the same prefix the lowest metric whose nexthops are
//     usable wins; a route whose every nexthop is on a link that is down
//     or gone is skipped and the lookup falls back to a shorter prefix, as
//     the kernel does. If nothing is left: NoRoute. A link that is up but
//     has lost its carrier (not IFF_RUNNING) stays usable, as the kernel's
//     linkdown routes do, unless ignore_routes_with_linkdown is set for the
//     route's family (IPv4: "all" or the device; IPv6: the device), which
//     the mirror reads from netconf objects and follows (netconf.go).
//   - blackhole/unreachable/prohibit routes give Blackhole/Unreachable/
//     Prohibit; throw gives NoRoute.
//   - Multipath routes (IPv4 RTA_MULTIPATH, IPv6 siblings of equal metric)
//     choose a nexthop by the caller's flowHash, in proportion to the
//     weights: the hash space is cut into ranges, so a flow keeps its path.
//     This is not the kernel's own hash, only the same distribution. A
//     nexthop object group, like the kernel's, passes over a member whose
//     gateway has a neighbour entry that is not valid (failed, incomplete):
//     the flow takes the next good member, else the first (Table.finish).
//     Classic IPv4 multipath routes do the same when
//     net.ipv4.fib_multipath_use_neigh is set (default 0), which has no
//     notification and is read with every route dump (netconf.go).
//   - Hop.MTU is the route's MTU metric (RTAX_MTU) when set, capped at the
//     link MTU, otherwise the link MTU. Path-MTU exceptions learnt by the
//     kernel are not mirrored: translated traffic does not create them (a
//     Packet Too Big about a translated packet is addressed to its
//     translated source, and translated in turn).
//   - Gateways resolve the gateway's neighbour entry, on-link routes the
//     destination's. Hop.Resolved is true when the kernel's entry is
//     REACHABLE, STALE, DELAY, PROBE, PERMANENT or NOARP with a MAC.
//   - Only Ethernet-like links (ARPHRD_ETHER, 6-byte address, not loopback)
//     are fast-path egresses; a usable route through anything else (tun,
//     wireguard, ...) gives SlowPath so the packet can be handed to the
//     kernel.
//
// When Hop.Resolved is false the caller sends the packet through the kernel
// and calls Mirror.Resolve, which queues (without allocating or blocking) an
// RTM_NEWNEIGH request with NTF_USE: the kernel creates the neighbour entry and
// starts ARP/ND as if it had a packet to send. Requests are deduplicated per
// neighbour (Options.ResolveInterval) and rate-limited (Options.ResolveRate).
// The resolved entry reaches a later snapshot through the neighbour events.
//
// # Keeping up
//
// A route event that names one route exactly is applied to the mirrored
// routes without a dump (patch.go): an add, a replace, an IPv4 append or a
// delete. For the main table of a family without policy rules, only the
// prefixes the events touched are compiled again, into a copy of the
// published snapshot that shares everything else (copy-on-write tries,
// trie_cow.go); other tables rebuild the snapshot from the mirrored state.
// Routes are still re-dumped after events that cannot be placed exactly
// (IPv6 multipath siblings, which the kernel reports one by one; IPv6
// source-specific routes; an IPv4 route prepended before others of the same
// key), after nexthop object events (with the objects) and after links go
// up or down, because the kernel flushes IPv4 routes of a downed link without
// notifications. net.ipv4.fib_multipath_use_neigh, which has no notification,
// is read again with every batch of applied events. Neighbour, link and
// address events are applied incrementally, and neighbour state changes that
// do not alter usability or the MAC (REACHABLE <-> STALE churn) do not cause
// a snapshot. A lost subscription (socket overflow, ENOBUFS) is re-opened
// followed by a full re-dump, and a periodic full re-dump
// (Options.ResyncInterval, 60 s) is a safety net; it also compacts what the
// patched snapshots left behind (a snapshot is rebuilt anyway once that
// garbage outgrows the live entries). Stats counts applied and dumped events
// and patched snapshots.
//
// # Scaling
//
// The longest-prefix match is a path-compressed binary trie per family with
// nodes in one flat slice (40 bytes per node, at most two nodes per route).
// A trie of 4096 nodes or more also gets a 2^16-entry jump table indexed by
// the top 16 address bits, so a lookup starts where the walk would be after
// those bits: with 100 000 random IPv4 routes a walk visits 1.3 nodes on
// average instead of 16.7 (IPv6 tables share their top bits far more, so the
// jump helps them less). A lookup takes about 50-70 ns with a hundred routes
// on an idle core.
//
// A full Internet table (about 1 M IPv4 and 200 k IPv6 routes) fits in
// roughly 100 MB (plus an index of the routes by prefix, built at the first
// route event). Building its snapshot from scratch takes about 0.8 s; a
// route change patched in takes about 1 ms (BenchmarkPatchFullTable), so the
// mirror follows BGP churn on a full table. Dumps are paced (the next may
// start only after three times the previous one's duration) and bursts
// coalesce.
package nexthop
