// Package gen is the traffic generator of `siit bench gen`: XDP live frames (BPF_PROG_RUN with
// BPF_F_TEST_XDP_LIVE_FRAMES) sent by one thread per CPU, each thread pinned to its CPU.
//
// Contract:
//   - A Stream is one loaded generator program with its frame length and templates (one stream for synthetic
//     traffic; one per distinct frame length for a pcap replay). Streams are sent round-robin, each in rounds of
//     its template count, so a replay keeps the capture's order within a frame length.
//   - An interleaved stream (NewInterleaved) alternates the templates of several legs in one program run, each leg
//     through its own port (devmap) and trimmed to its frame length, so every thread sends every leg at one rate.
//   - Count mode sends exactly Count frames in total (the program enforces a per-CPU limit, so an interrupted
//     and restarted syscall cannot overshoot); Duration mode sends until the deadline; both stop on ctx.
//   - Every BPF_PROG_RUN call costs milliseconds of set-up (page pool), so a thread makes one long call per
//     stream and a watchdog ends it with SIGURG (ignored by the Go runtime outside its own preemption) once the
//     count is reached, the deadline passed or ctx is done.
//   - Rate 0 sends at full speed; otherwise the program itself spaces frames 1/(Rate/threads) apart (a clock read
//     per iteration, early iterations are dropped without sending), so the offered traffic is even, not bursty;
//     a thread preempted for more than 1 ms restarts its schedule instead of bursting to catch up. Sending
//     threads always keep their CPU busy, like any software packet generator.
//   - The Result reports what was actually offered, measured from the programs' own counters.
package gen
