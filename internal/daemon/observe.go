package daemon

import (
	"slices"
	"strconv"

	"go.uber.org/zap"

	"github.com/siit-project/siit/internal/metrics"
	"github.com/siit-project/siit/xlat"
)

// collect emits the Prometheus metrics: Jool counters, per-socket traffic,
// worker drops, AF_XDP ring statistics and modes, steering counters and the
// slow path.
func (d *Daemon) collect(e *metrics.Emitter) {
	var names []string // served instances, in interface order
	for _, ifc := range d.ifaces {
		if p := ifc.serves.Load(); p != nil && *p != "" && !slices.Contains(names, *p) {
			names = append(names, *p)
		}
	}
	for _, name := range names {
		sum := d.countersOf(name)
		for c := xlat.Counter(0); c < xlat.NumCounters; c++ {
			if c.IsNAT64Only() {
				continue
			}
			e.Emit("siit_jool_stat_total", "Jool JSTAT counters of each served instance (see `siit stats display --explain`).",
				metrics.Counter, float64(sum[c]), metrics.Label{Name: "instance", Value: name}, metrics.Label{Name: "stat", Value: c.Name()})
		}
	}
	for _, w := range d.workers {
		q := strconv.Itoa(w.id)
		for _, p := range w.ports {
			l := []metrics.Label{{Name: "iface", Value: p.name}, {Name: "queue", Value: strconv.Itoa(int(p.queue))}}
			e.Emit("siit_rx_packets_total", "Frames received from the AF_XDP socket.", metrics.Counter, float64(p.ctr.rxPackets.get()), l...)
			e.Emit("siit_rx_bytes_total", "Bytes received from the AF_XDP socket.", metrics.Counter, float64(p.ctr.rxBytes.get()), l...)
			e.Emit("siit_tx_packets_total", "Frames queued for transmission.", metrics.Counter, float64(p.ctr.txPackets.get()), l...)
			e.Emit("siit_tx_bytes_total", "Bytes queued for transmission.", metrics.Counter, float64(p.ctr.txBytes.get()), l...)
			e.Emit("siit_tx_dropped_total", "Frames dropped at transmission (TX ring full or no free frame).", metrics.Counter, float64(p.ctr.txDropped.get()), l...)
			e.Emit("siit_af_xdp_mode", "AF_XDP bind mode of the socket (1 for the mode in use).", metrics.Gauge, 1,
				append(l, metrics.Label{Name: "mode", Value: p.sock.Mode().String()})...)
			if st, err := p.sock.Stats(); err == nil {
				for _, kv := range []struct {
					k string
					v uint64
				}{{"rx_dropped", st.RxDropped}, {"rx_invalid_descs", st.RxInvalidDescs}, {"tx_invalid_descs", st.TxInvalidDescs},
					{"rx_ring_full", st.RxRingFull}, {"rx_fill_ring_empty_descs", st.RxFillRingEmptyDescs}, {"tx_ring_empty_descs", st.TxRingEmptyDescs}} {
					e.Emit("siit_af_xdp_ring_total", "Kernel XDP_STATISTICS of the socket.", metrics.Counter, float64(kv.v),
						append(l, metrics.Label{Name: "stat", Value: kv.k})...)
				}
			}
			fc := p.umem.Counts()
			for _, kv := range []struct {
				k string
				v int
			}{{"free", fc.Free}, {"fill", fc.Fill}, {"held", fc.Held}, {"tx", fc.Tx}} {
				e.Emit("siit_umem_frames", "UMEM frames by place.", metrics.Gauge, float64(kv.v), append(l, metrics.Label{Name: "place", Value: kv.k})...)
			}
		}
		ql := metrics.Label{Name: "worker", Value: q}
		for _, kv := range []struct {
			k string
			v uint64
		}{{"vlan", w.ctr.vlan.get()}, {"not_ip", w.ctr.notIP.get()}, {"no_route", w.ctr.noRoute.get()}, {"ttl_expired", w.ctr.expired.get()}, {"icmp_error_not_sent", w.ctr.errLimited.get()}, {"debug_log_dropped", w.ctr.debugDropped.get()}} {
			e.Emit("siit_worker_drops_total", "Frames the worker dropped, by reason.", metrics.Counter, float64(kv.v), ql, metrics.Label{Name: "reason", Value: kv.k})
		}
		e.Emit("siit_slow_path_total", "Packets handed to the kernel (unresolved neighbour, foreign egress, local).", metrics.Counter, float64(w.ctr.slowPath.get()), ql)
		e.Emit("siit_slow_path_dropped_total", "Packets for the kernel dropped because the hand-off queue was full.", metrics.Counter, float64(w.lane.dropCnt.get()), ql)
		e.Emit("siit_slow_path_sent_total", "Packets the slow path handed to the kernel's raw sockets.", metrics.Counter, float64(w.lane.sent.get()), ql)
		e.Emit("siit_slow_path_failed_total", "Packets the kernel's raw sockets refused.", metrics.Counter, float64(w.lane.failed.get()), ql)
		var xferDropped uint64
		for _, x := range w.xfer {
			xferDropped += x.lane.dropCnt.get()
		}
		e.Emit("siit_worker_transfers_total", "Frames handed between workers for an interface the sending worker has no socket on.", metrics.Counter,
			float64(w.ctr.xferOut.get()), ql, metrics.Label{Name: "direction", Value: "out"})
		e.Emit("siit_worker_transfers_total", "Frames handed between workers for an interface the sending worker has no socket on.", metrics.Counter,
			float64(w.ctr.xferIn.get()), ql, metrics.Label{Name: "direction", Value: "in"})
		e.Emit("siit_worker_transfers_dropped_total", "Frames for another worker dropped because its lane was full.", metrics.Counter, float64(xferDropped), ql)
		e.Emit("siit_neighbour_resolutions_total", "Neighbour resolutions requested from the kernel.", metrics.Counter, float64(w.ctr.resolve.get()), ql)
		e.Emit("siit_extra_packets_total", "Fragments and ICMP errors emitted by the translator.", metrics.Counter, float64(w.ctr.extraPkts.get()), ql)
		e.Emit("siit_forwarded_untranslated_total", "Frames forwarded without translation (--forward-only).", metrics.Counter, float64(w.ctr.fwdOnly.get()), ql)
	}
	for _, ifc := range d.ifaces {
		st, err := ifc.prog.Stats()
		if err != nil {
			continue
		}
		il := metrics.Label{Name: "iface", Value: ifc.name}
		for _, kv := range []struct {
			k string
			v uint64
		}{{"redirected4", st.Redirected4}, {"redirected6", st.Redirected6}, {"no_socket4", st.NoSocket4}, {"no_socket6", st.NoSocket6},
			{"passed", st.Passed}, {"passed_local", st.PassedLocal}, {"passed_vlan", st.PassedVLAN}, {"passed_disabled", st.PassedDisabled},
			{"passed_non_ip", st.PassedNonIP}, {"passed_special", st.PassedSpecial}, {"passed_ndp", st.PassedNDP}, {"passed_malformed", st.PassedMalformed}} {
			e.Emit("siit_xdp_steer_total", "Frames seen by the XDP steering program, by outcome.", metrics.Counter, float64(kv.v), il, metrics.Label{Name: "outcome", Value: kv.k})
		}
		e.Emit("siit_xdp_mode", "XDP attach mode (1 for the mode in use).", metrics.Gauge, 1, il, metrics.Label{Name: "mode", Value: ifc.prog.AttachedMode().String()})
	}
	e.Emit("siit_policy_rules", "Policy routing rules translated packets are routed by, when they differ from the kernel's defaults (0: local, then main table).",
		metrics.Gauge, float64(len(d.mirror.Table().PolicyRules())))
	e.Emit("siit_routes_unfollowed", "Routes the next-hop mirror leaves out: IPv6 source-specific routes (their destinations are skipped), and TOS routes no packet can match.",
		metrics.Gauge, float64(d.mirror.Table().UnfollowedRoutes()))
	e.Emit("siit_config_generation", "Generation of the configuration the data plane runs.", metrics.Gauge, float64(d.state.Snapshot().Generation))
}

// logSummary logs the main counters (--stats-interval).
func (d *Daemon) logSummary() {
	sum := d.counters()
	var rx, tx, slow uint64
	for _, w := range d.workers {
		for _, p := range w.ports {
			rx += p.ctr.rxPackets.get()
			tx += p.ctr.txPackets.get()
		}
		slow += w.ctr.slowPath.get()
	}
	d.log.Info("stats", zap.Uint64("rx", rx), zap.Uint64("tx", tx), zap.Uint64("slow_path", slow),
		zap.Uint64("received6", sum[xlat.StatReceived6]), zap.Uint64("received4", sum[xlat.StatReceived4]),
		zap.Uint64("success", sum[xlat.StatSuccess]))
}
