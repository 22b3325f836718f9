// Package xlat is siit's translation core: RFC 7915 stateless IP/ICMP
// translation between IPv6 and IPv4, in place, inside a caller's frame buffer.
//
// It knows nothing about sockets, goroutines or netlink. Addresses map through
// the RFC 7757 EAM table (package eamt, consulted first in both directions),
// the RFC 6052 pool6 prefix (lengths 32, 40, 48, 56, 64, 96) and, for ICMP
// errors whose source has no counterpart, the RFC 6791 pools. Every per-packet
// outcome is a Verdict, never an error value, and the hot path neither
// allocates, locks nor logs (TestNoAllocs, the benchmarks).
//
// # Configuration
//
//	cfg, err := xlat.NewConfig(xlat.Params{Globals: g, EAMT: table, Denylist4: d, SelfV4: a4, SelfV6: a6})
//	p := cfg.Params() // deep copy, for display
//
// A *Config is an immutable snapshot (validated all-or-nothing by NewConfig);
// publish it to workers with one atomic pointer store.
//
// # Translating
//
// One Translator and one Output per worker, never shared:
//
//	tr := xlat.NewTranslator(stats)   // stats: this worker's *Stats
//	tr.MTU = oracle                    // optional MTUOracle (egress MTUs); nil means 1500
//	out := xlat.NewOutput(n, size, headroom)
//	r := tr.Translate(cfg, buf, off, n, out) // or Translate6to4 / Translate4to6
//
// buf is the whole frame buffer and the L3 packet is buf[off:off+n]; buf[:off]
// is headroom. 6->4 shrinks the headers (the packet start moves forward); 4->6
// writes the IPv6 header (+ fragment header) in front of the upper-layer
// header without moving the payload and needs off >= 40+8-IHL (ICMP errors:
// 88+8-IHL-innerIHL). With less headroom the packet is first moved toward the
// end of buf if buf has room (a copy), else dropped with StatENOMEM.
//
// Verdicts (Result):
//   - Forward: send buf[r.Off:r.Off+r.Len] (family r.Family), then the r.Extra
//     packets in out (out.Packet(i) / out.Frame(i), out.Family(i)): further
//     IPv6 fragments when a DF=0 IPv4 packet exceeded
//     min(lowest-ipv6-mtu, egress MTU).
//   - Reply: the packet is dropped; out.Packet(0) is an ICMP error (family
//     out.Family(0) == r.Family) for its source: Time Exceeded, Packet Too
//     Big / Fragmentation Needed, Parameter Problem (routing header segments
//     left), Destination Unreachable (source route failed). r.Reason names
//     the cause (it is counted, and so is StatICMP4ErrSuccess /
//     StatICMP6ErrSuccess: the daemon adds *ErrFailure if sending fails).
//     Errors come from SelfV4 / SelfV6; without one the packet is dropped
//     and *ErrFailure counted.
//   - Pass: not for the translator; hand the untouched packet to the kernel.
//     Destination matching neither the EAMT nor pool6 (StatPool6Mismatch /
//     StatPool4Mismatch), destination or source translating into denylist4
//     (Stat64Dst/Stat46Dst, Stat64Src/Stat46Src), an address that must never
//     be translated (StatUntranslatableAddr4), or the instance disabled. This
//     follows Jool, which returns such packets to the kernel.
//   - Drop: r.Reason is the counter incremented (Jool's JSTAT names).
//
// Counted per packet: StatReceived6 / StatReceived4 on entry, StatSuccess on
// Forward, and the reason of every Drop, Pass or Reply.
//
// # Behaviour worth knowing (Jool's, unless said otherwise)
//
//   - EAMT before pool6; denylist4 applies to pool6 translations only; the
//     never-translate IPv4 set (0/8, 127/8, 169.254/16, 224/4,
//     255.255.255.255) applies to both, including pool6-embedded forms. For
//     ICMP errors neither filter applies (an error from a denylisted router
//     still gets through). IPv6 ::, ::1, fe80::/10, ff00::/8 are dropped
//     (StatUntranslatableAddr6).
//   - 6->4 DF is set only when the IPv4 packet exceeds 1260 bytes (RFC 8021:
//     no atomic fragments); the IPv4 identification is the fragment header's
//     low 16 bits, or from the translator's PRNG (xorshift64*; Seed for tests).
//   - IPv4 UDP with checksum zero: computed when the packet is whole and
//     amend-udp-checksum-zero is on; otherwise dropped
//     (Stat46FragmentedZeroCsum) — Jool's can_compute_csum().
//   - Fragmented ICMP (either direction) is dropped: its checksum cannot be
//     translated statelessly.
//   - ICMP errors: the incoming checksum is verified, the inner packet is
//     translated (addresses, header, inner TCP/UDP/echo checksums best
//     effort), the result truncated to 576 (IPv4) / 1280 (IPv6) bytes and RFC
//     4884 extensions re-laid out (dropped when they do not fit next to a
//     128-byte original datagram, or the new type has no length field).
//     Errors about errors are dropped (StatDoubleICMP6Error/4Error).
//   - eam-hairpin-mode: a 6->4 result addressed to an EAMT IPv4 prefix is
//     translated back to IPv6 in the same call (Forward, Family6): in
//     intrinsic mode when the destination came from pool6 (or, for an ICMP
//     error, the inner source), in simple mode whenever the IPv4 destination
//     is in the EAMT. The 4->6 half translates the source through pool6, not
//     the EAMT (RFC 7757 §4.2); in simple mode that also applies to IPv4
//     packets from the wire, as in Jool. Every fragment of a datagram
//     U-turns, not only the first. Intrinsic U-turns decrement the hop
//     limit once; a failing second half is a Drop (never a Reply), except
//     for size: see MTUs.
//   - MTUs: MTUOracle.MTU4/MTU6 give egress MTUs (nil or 0: 1500). 6->4
//     packets larger than the IPv4 egress MTU get an ICMPv6 Packet Too Big
//     with max(1280, MTU+20); 4->6 DF=1 packets larger than the IPv6 egress
//     MTU get Fragmentation Needed with MTU-20 (-28 for fragments). PTB <->
//     Frag Needed translation adjusts by 20 and uses mtu-plateaus when the
//     IPv4 MTU field is zero. An intrinsic U-turn never leaves as IPv4, so
//     the IPv4 MTU does not apply to it (Jool skips its IPv4 size check); a
//     simple-mode one stands for a packet that crosses the IPv4 side, so it
//     does. A U-turn whose IPv4 form has DF (not a fragment, over 1260
//     bytes) and whose IPv6 form exceeds the IPv6 egress MTU gets a Packet
//     Too Big with that MTU, in both modes (Jool loses that error in its
//     nested intrinsic pass; in simple mode its Fragmentation Needed comes
//     back translated into a Packet Too Big).
//
// # Performance notes
//
// The per-packet budget is a few hundred instructions (the target is 25 ns
// per TCP/UDP packet), so the hot path is shaped as follows:
//
//   - Counters: one worker writes its Stats, so Inc is a plain unlocked add
//     on amd64/arm64 (stats_plain.go) and readers load atomically.
//     sync/atomic's Store would be a locked XCHG, about 6 ns each, twice per
//     packet. Race builds and other architectures use atomics
//     (stats_atomic.go).
//   - Result: a Status and two ints, at most four fields at each level, so
//     the compiler keeps it in registers. With six flat fields it went
//     through the stack, written a byte at a time and read back 16 bytes at
//     a time: a store-forwarding stall at every call level, about a third of
//     the time of a whole translation.
//   - Call depth: Translate calls the fast paths (and slow46/slow64)
//     directly; they count received/success themselves. Go has no
//     callee-saved registers, so every call spills what is live across it.
//   - Fast paths (fast.go): a plain TCP/UDP packet (20-byte IPv4 header, or
//     IPv6 with TCP/UDP right after the fixed header) takes fast46/fast64
//     (so does an ICMP echo request or reply, in the leaves only),
//     leaves that call nothing (pool6 /96, an EAMT of up to 8 entries per
//     family scanned inline, Translator.MTUFloor instead of the MTU oracle),
//     else fast46Calls/fast64Calls, which make the calls. They do nothing
//     but the checks that shape needs and fall back to the general path
//     without side effects otherwise. A differential test keeps them
//     identical to it.
//   - Checksums: the address change is one RFC 1624 delta per packet
//     (csumDelta, csumApply); the IPv4 header checksum is computed from the
//     field values being written (writeIPv4Sum), and an incoming 20-byte
//     header is verified with five 32-bit loads (sumIPv4Header); fold is an
//     end-around add plus one rotate-and-add.
//   - EAMT: an address outside the table's range (the usual pool6
//     destination or Internet source) misses after two inlined comparisons
//     (eamt Near4/Near6), without a call. Simple-mode hairpinning does not
//     look up an address the EAMT itself produced.
//   - Guards: TestNoAllocs (0 allocations on every path), TestInlining (the
//     small helpers above must stay inlinable), the bench_test.go benchmarks
//     (b.ReportAllocs).
//
// BENCHMARKS.md has the current figures. What remains is spread thinly:
// header checks, two address translations, Go's spills around calls; an
// EAMT hit (hash and probe) is the largest single item.
//
// Files: headers.go (views), checksum.go (RFC 1071/1624), addr.go (pool6,
// EAMT, denylist, RFC 6791), ipv6ext.go (extension headers), 6to4.go,
// 4to6.go, icmp6to4.go, icmp4to6.go (ICMP errors with inner packets),
// rfc4884.go, frag.go, icmperr.go (generated errors), output.go,
// translator.go, fast.go (fast paths), config.go, globals.go, stats.go.
// testdata/README.md maps each RFC requirement to the test that checks it.
package xlat
