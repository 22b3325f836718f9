// Package search implements the RFC 2544 / RFC 8219 measurement procedures against an abstract device under
// test, so the logic is testable on a simulated device:
//
//   - Throughput: binary search for the highest offered rate whose trial loses no more than a tolerance (0 for
//     RFC 2544's zero loss, 0.001 for the 0.1 % variant), between a floor and the generator's capacity. A rate
//     the generator could not actually offer is never reported as passed; a result at the generator's capacity
//     is flagged GenLimited.
//   - Repeat: trials repeated, summarised as median with min and max.
//   - LossCurve: the frame loss rate at a list of fractions of a rate (RFC 2544 §26.3).
//
// The package makes no syscalls and does not sleep; every trial is the DUT's business.
package search
