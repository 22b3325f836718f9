// Package frames builds the benchmark's test frames from templates and parses received frames back.
//
// Contract:
//   - Build turns a Spec (family, L4 protocol, addresses, ports, frame size, flow count) into a Template: a
//     complete Ethernet frame with valid checksums plus the offsets and partial checksums the XDP generator
//     needs to rewrite the frame head, vary the flow and write the test stamp on every transmission.
//   - Frame sizes follow RFC 2544 / RFC 8219: they count the Ethernet header and the 4-byte FCS but not the
//     preamble; the bytes handed to the kernel are FrameSize-4 (the FCS is added by hardware, not by veth).
//   - Every frame carries a 16-byte stamp at the start of its L4 payload (magic, trial id, stream id, sequence
//     number, transmit time); Parse finds it again after translation, since translation keeps L4 payloads.
//   - Template.Render is the reference of what the generator program writes, computed with full (not
//     incremental) checksums, so tests can compare the BPF output byte for byte.
//
// The package is pure Go, allocates only in Build, and never panics on malformed input to Parse.
package frames
