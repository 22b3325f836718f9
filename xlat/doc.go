// Package xlat is siit's translation core: RFC 7915 stateless IP/ICMP
// translation between IPv6 and IPv4, in place, inside a caller's frame buffer.
//
// It knows nothing about sockets, goroutines or netlink. Addresses map through
// the RFC 6052 pool6 prefix, the RFC 7757 EAM table (package eamt) and the
// RFC 6791 pools. Configuration is an immutable *Config that workers read
// through one atomic pointer; counters are per worker (Stats) with Jool's
// JSTAT names. Every per-packet outcome is a verdict, never an error value, and
// the hot path neither allocates, locks nor logs.
package xlat
