// Package bpf is siit's XDP steering program and its loader.
//
// One Program per interface decides, for every received frame, between two outcomes only: redirect it to the
// AF_XDP socket of its RX queue (the translator) or hand it to the kernel (XDP_PASS). It makes no translation
// decision beyond that.
//
// # Classification, in order (steer.c; model_test.go states the same in Go)
//
//  1. Steering disabled (SetEnabled(false)) → pass.
//  2. VLAN-tagged (802.1Q, 802.1ad, 0x9100): pass, unless Options.SteerVLAN, then up to two tags are skipped and
//     the inner frame classified (more tags → pass). Tags stripped by NIC offload are invisible here.
//  3. Truncated or inconsistent Ethernet/VLAN/IP header (IPv4: version, IHL < 5, total length outside the
//     frame; IPv6: version, payload length past the frame; ICMPv6 shorter than its header) → pass, so the
//     kernel drops or handles it. Garbage is never redirected.
//  4. Non-IP (ARP, LLDP, ...) → pass.
//  5. Special destinations → pass. IPv4: 0/8, 127/8, 169.254/16, 224/4, 240/4 (broadcast). IPv6: ff00::/8,
//     fe80::/10, ::, ::1.
//  6. IPv6 whose first header is ICMPv6 of a link-scope type (MLD 130-132 and 143, ND 133-137, inverse ND
//     141-142, SEND 148-149, multicast router discovery 151-153) → pass, whatever the destination.
//  7. Destination in the local address set (SetLocalAddrs) → pass, even inside a steering prefix.
//  8. Destination in the family's prefix set (SetPrefixes) → bpf_redirect_map(xsks, rx_queue_index); a queue
//     without a registered socket falls back to pass.
//  9. Anything else → pass.
//
// Every frame increments exactly one per-CPU counter (Stats).
//
// # Lifecycle and fail-open
//
// Load creates the maps and loads the program, enabled but with empty sets, so nothing is redirected until
// SetPrefixes; call SetLocalAddrs before SetPrefixes. Attach uses a bpf_link that is never pinned: when the
// owning process exits for any reason, SIGKILL included, the kernel closes the link and detaches the program,
// and traffic flows through the kernel as before. No bpffs mount is needed. Close detaches and frees
// everything. Attach and Load (when given an interface index) act in the network namespace of the calling
// thread.
//
// Prefix sets are reduced to their smallest equivalent cover before they reach the LPM tries, and updates add
// new entries before deleting stale ones, so a destination covered by both the old and the new set never
// misses during an update.
//
// Errors are one line naming the action and the remedy (missing privileges, another XDP program attached, a
// driver without native XDP, a full map) and wrap the underlying error for errors.Is.
package bpf
