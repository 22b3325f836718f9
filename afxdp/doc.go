// Package afxdp is a small AF_XDP (XDP socket) implementation on
// golang.org/x/sys/unix. It knows nothing about IP: it moves Ethernet frames
// between a NIC queue and user space through a UMEM and four rings.
//
// # Model
//
// A Umem is one mmapped area split into equal frames (chunks) of FrameSize
// bytes. A Socket is bound to one (interface, queue) and owns an RX and a TX
// ring; the fill and completion rings belong to the socket that registered the
// UMEM (Open) or, for sockets sharing a UMEM on another interface or queue
// (OpenShared), to each socket separately.
//
// # Frame accounting
//
// Every frame is always in exactly one place, and the Umem tracks which:
//
//	free   on the Umem's free stack          (Alloc takes, Free/Complete put back)
//	fill   given to the kernel for receiving  (Refill gives, Receive takes back)
//	held   owned by the caller                (Receive/Alloc give, Transmit/Free take)
//	tx     given to the kernel for sending    (Transmit gives, Complete takes back)
//
// Transitions are checked per frame: freeing or transmitting a frame the
// caller does not hold is refused and counted, never silently duplicated.
// Counts reports how many frames are in each place; they always sum to the
// frame count.
//
// # Worker loop
//
//	n := s.Receive(descs)      // frames now held
//	... rewrite frames in place (Umem.Bytes / Umem.Chunk) ...
//	s.Transmit(out)            // or s.Free(addr) for drops
//	s.Kick()                   // sendto only when the kernel needs it
//	s.Complete()               // TX completions back to the free stack
//	s.Refill()                 // keep the fill ring full
//
// # Ownership
//
// A Socket, and every Socket sharing its Umem, must be driven by one
// goroutine at a time (the rings' cached indices and the free stack are not
// synchronised). Use separate Umems for sockets driven by different
// goroutines and hand frames between them with package ring. Stats,
// RingCounts and the Mode/identity getters are safe from any goroutine.
//
// # Unsafe
//
// All use of package unsafe (mmap'd ring pointers, socket options carrying
// structs, the raw sendto/recvfrom wakeups) is confined to *_unsafe.go files.
package afxdp
