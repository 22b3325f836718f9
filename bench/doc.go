// Package bench implements `siit bench`: a traffic generator built on XDP, a counting sink (XDP or tc), and a lab
// harness that measures siit side by side with kernel forwarding, an XDP forwarder and TAYGA following RFC 8219,
// writing BENCHMARKS.md.
//
// Entry point: Main(args, stdout, stderr) with args being the words after `bench` (`gen ...`, `sink ...`,
// `throughput ...`, `run ...`, `help`); it returns the process exit code. cmd/siit dispatches `siit bench ...` to it. The daemon
// never imports this package.
//
// Sub-packages: frames (templates, parsing), xdpprog (BPF programs), gen (generator threads), search (RFC 2544
// procedures on an abstract DUT), lab (netns topology, peers, trials), report (Markdown, markers, SVG), pcap,
// netns.
package bench
