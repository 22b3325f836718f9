// Package ring provides bounded, lock-free FIFO rings that carry small values
// (typically AF_XDP frame descriptors) between worker goroutines.
//
// Two shapes are offered:
//
//   - SPSC: exactly one producer goroutine and one consumer goroutine.
//   - MPSC: any number of producer goroutines and exactly one consumer.
//
// Contract:
//
//   - Capacity is a power of two fixed at construction; all memory is allocated
//     by the constructor and no method allocates afterwards.
//   - Push never blocks and never overwrites: when the ring is full it accepts
//     fewer values (possibly none) and reports how many it took. The caller
//     decides what to do with the rest (count a drop, recycle the frame, retry).
//   - Every value pushed is popped exactly once, and values from one producer
//     are popped in the order that producer pushed them.
//   - The single-producer / single-consumer rules are not checked at run
//     time; breaking them corrupts the ring. Len may be called from anywhere
//     and returns an approximate occupancy (exact when the ring is quiescent).
//
// Indices are free-running uint64 counters (they never wrap in practice) and a
// slot is index & (capacity-1). Producer and consumer state live on separate
// cache lines so the two sides do not false-share.
package ring
