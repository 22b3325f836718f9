// Package eamt is the RFC 7757 Explicit Address Mapping Table (EAMT) that the translator consults in both
// directions, with Jool's validation and collision rules.
//
// # Contract
//
//   - A *Table is an immutable snapshot; nil is a valid empty table. New, Add, AddAll and Remove return a new
//     version and leave the receiver untouched, also when they fail (they then return the receiver and an
//     error wrapping ErrInvalid, ErrExists, ErrOverlap or ErrNotFound, with a message naming the entry and
//     the remedy).
//   - Lookup4 and Lookup6 are the hot path: longest-prefix match, suffix bits carried over (RFC 7757 §3.2),
//     no locks, no atomics, no allocation; safe from any number of goroutines at any time. Addresses are
//     integers: IPv4 a big-endian uint32, IPv6 two big-endian uint64 halves. Probe4 and Probe6 give the same
//     answers without the bounds check (below), for callers that expect a hit.
//   - Live publishes versions through one atomic pointer (RCU style): workers Load a snapshot per batch,
//     the control plane builds the next version and Stores it (or uses Update, which serializes writers).
//     The garbage collector reclaims a version once no worker holds it.
//
// # Rules (RFC 7757, Jool 4 src/mod/common/db/eam.c)
//
//   - Both prefixes must be masked: a prefix with bits set after its length is rejected, as Jool does
//     ("seems to have a suffix"), rather than silently masked.
//   - Suffix rule: 32-len4 <= 128-len6 (Jool's validate_prefixes). Equal suffixes map one to one. A longer
//     IPv6 suffix is allowed: 4->6 puts the IPv4 suffix right after the IPv6 prefix and zeroes the rest; 6->4
//     takes the 32-len4 bits after the IPv6 prefix and ignores any further bits (Jool's bit-copy loops).
//   - Add rejects an entry whose IPv6 or IPv4 prefix is already in the table (ErrExists, even with force).
//     It also looks up the first address of each new prefix: if the longest existing prefix containing it
//     belongs to another entry, the new entry overlaps (ErrOverlap) unless force is given (Jool's --force,
//     used e.g. to coexist with IVI). Like Jool, an existing more-specific prefix that does not contain the
//     new prefix's first address is not detected, so the outcome depends on the order of addition.
//   - Remove takes the IPv6 prefix, the IPv4 prefix or both; each must equal an entry's prefix exactly, and
//     both must belong to the same entry.
//   - Entries lists the newest entry first, which is Jool's `eamt display` order (its trie keeps a list with
//     new nodes at the head). New(list) therefore displays the list reversed, as Jool does after loading the
//     same list from a JSON file.
//
// # Data structure, and why
//
// Each family has an open-addressing hash set keyed by (masked prefix, length) with linear probing, and a
// bitmap of the prefix lengths present. A lookup probes the present lengths from the longest down; the first
// hit is the longest match, and the matched slot holds the other side of the entry inline, so a typical
// lookup costs one hash and one cache line per probed length. Real EAMTs have few distinct lengths (mostly
// /32 <-> /128 plus a few ranges), so this beats a trie, whose depth grows with the prefix length (up to 16
// levels of 8 bits for IPv6 /128s) and whose nodes are costly to compress and to copy. The cost is paid by
// tables with many distinct lengths: a miss probes each of them (at most 33 IPv4 / 129 IPv6 lengths). In front
// of the probes, each family keeps the range from the lowest to the highest address any entry covers: the
// common misses (a pool6 destination, an IPv4 source on the Internet) fall outside it and cost two comparisons.
// Add widens the range, Remove leaves it (too wide is still correct) until a shrinking rebuild recomputes it.
//
// The sets are split into pages of 1024 slots (32 KiB for IPv4, 24 KiB for IPv6; pointer-free, so the
// garbage collector never scans them). Versions share pages: a writer clones the small page directory and
// copies a page only before its first change (copy-on-write), so Add or Remove on a 1M-entry table copies
// about 56 KiB plus the directories, and every older version stays readable. Probing wraps inside a page;
// deletion shifts later slots back (no tombstones); a page above 3/4 full doubles the page count, and a
// table that shrank to under a quarter of its capacity is compacted on the next write. Bulk loads size the
// table once for about half-full pages, allocate its pages as one slab, and read ahead the slots the next
// entries will probe so that their cache misses overlap (prefetch.go).
//
// Measured numbers (1M entries: load time, memory, lookup and update costs) are in the package benchmarks;
// the memory bound is asserted by TestMemory1M.
package eamt
