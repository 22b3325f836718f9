package bpf

import "testing"

// FuzzSteer runs arbitrary frames through the kernel program (BPF_PROG_RUN) under arbitrary settings and
// checks it against the Go model: the verdict is PASS or REDIRECT as the model says, and exactly the one
// counter the model names moved by one.
func FuzzSteer(f *testing.F) {
	for _, c := range classifyCases() {
		f.Add(byte(7), c.frame) // enabled, VLAN steering, socket
		f.Add(byte(1), c.frame) // enabled only
	}
	f.Add(byte(6), ether(0x86dd, ipv6("2001:db8:1::9", "64:ff9b::c633:6407", 17, udp())))
	requireRoot(f)
	p, m := loadConfigured(f, false)
	fd := xskSocket(f)
	cur := byte(1) // enabled, no VLAN steering, no socket
	f.Fuzz(func(t *testing.T, flags byte, frame []byte) {
		flags &= 7
		if flags != cur {
			if err := p.SetEnabled(flags&1 != 0); err != nil {
				t.Fatal(err)
			}
			if err := p.SetSteerVLAN(flags&2 != 0); err != nil {
				t.Fatal(err)
			}
			var err error
			if flags&4 != 0 {
				err = p.RegisterSocket(0, fd)
			} else {
				err = p.UnregisterSocket(0)
			}
			if err != nil {
				t.Fatal(err)
			}
			cur = flags
		}
		m.enabled, m.vlan, m.socket = flags&1 != 0, flags&2 != 0, flags&4 != 0
		if len(frame) < 14 || len(frame) > 1500 {
			return // BPF_PROG_RUN takes an Ethernet header up to about a page
		}
		want := m.classify(frame)
		verdict, d := runFrame(t, p, frame)
		if got := onlyStat(d); got != want || verdict != verdictOf(want) {
			t.Fatalf("flags %03b frame %x: verdict %d counters %+v, model says %s", flags, frame, verdict, d,
				statName(want))
		}
	})
}
