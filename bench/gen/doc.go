// Package gen is the traffic generator of `siit bench gen`: XDP live frames (BPF_PROG_RUN with
// BPF_F_TEST_XDP_LIVE_FRAMES) sent by one thread per CPU, each thread pinned to its CPU.
//
// Contract:
//   - A Stream is one loaded generator program with its frame length and templates (one stream for synthetic
//     traffic; one per distinct frame length for a pcap replay). Streams are sent round-robin, each in rounds of
//     its template count, so a replay keeps the capture's order within a frame length.
//   - Count mode sends exactly Count frames in total (the program enforces a per-CPU limit, so an interrupted
//     and restarted syscall cannot overshoot); Duration mode sends until the deadline; both stop on ctx.
//   - Rate 0 sends at full speed; otherwise each thread paces itself to Rate/threads frames per second in bursts
//     of Burst worth of frames and sleeps in between; a thread that falls behind does not burst to catch up.
//   - The Result reports what was actually offered, measured from the programs' own counters.
package gen
