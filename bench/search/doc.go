// Package search implements the RFC 2544 / RFC 8219 measurement procedures against an abstract device under
// test, so the logic is testable on a simulated device:
//
//   - Throughput: binary search for the highest offered rate whose trial loses no more than a tolerance (0 for
//     RFC 2544's zero loss, 0.001 for the 0.1 % variant), between a floor and the generator's capacity. The rate
//     reported is always what was actually offered. A pass at the generator's capacity is flagged GenLimited.
//     Two passes in a row whose requested rate the generator could not offer, while it offered about as much as
//     it ever did through this DUT, end the search as Saturated (no higher rate can be pushed through; on veth
//     the DUT's receive path shares the generator's CPU). A shortfall well below that (a paced generator that
//     was preempted) only rules out the requested rate.
//   - Repeat: trials repeated, summarised as median with min and max.
//   - LossCurve: the frame loss rate at a list of fractions of a rate (RFC 2544 §26.3).
//
// The package makes no syscalls and does not sleep; every trial is the DUT's business.
package search
