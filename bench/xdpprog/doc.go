// Package xdpprog loads the benchmark's XDP programs (C sources in c/, compiled with bpf2go; the generated
// objects are committed so building needs no clang) and wraps their maps and variables:
//
//   - Gen: the live-frame generator run with BPF_PROG_RUN + BPF_F_TEST_XDP_LIVE_FRAMES. Each calling thread must be
//     pinned to one CPU: per-CPU state (frames sent, send limit) lives in an mmap-ed array indexed by CPU, and the
//     program stops transmitting at the limit, which makes frame counts exact even across EINTR restarts.
//   - Sink: counts frames per CPU and drops test frames; reordering, latency histogram, family and IPv4 header
//     checksum checks are done in BPF; sampled frames are copied to a ring buffer for full checks in userspace.
//   - Fwd: a plain XDP redirect forwarder (MAC rewrite + bpf_redirect), the upper bound of a veth lab.
//
// Attaching uses ifindexes of the calling thread's network namespace: callers that work in a namespace must
// attach from a thread that has entered it. Nothing here is on a per-packet Go path.
package xdpprog
