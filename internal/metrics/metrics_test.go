package metrics

import (
	"io"
	"math"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWriteTextFormat(t *testing.T) {
	var r Registry
	r.Register(func(e *Emitter) {
		e.Emit("siit_packets_total", "Packets received.", Counter, 12, Label{"iface", "eth0"}, Label{"queue", "0"})
		e.Emit("siit_packets_total", "Packets received.", Counter, 3, Label{"iface", "eth1"}, Label{"queue", "0"})
	})
	r.Register(func(e *Emitter) {
		e.Emit("siit_af_xdp_mode", "Bind mode.\nsecond line", Gauge, 1, Label{"mode", `co"py\`})
		e.Emit("siit_ratio", "A ratio.", Gauge, 0.25)
		e.Emit("siit_inf", "Inf.", Gauge, math.Inf(1))
	})
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("content type %q", ct)
	}
	want := `# HELP siit_af_xdp_mode Bind mode.\nsecond line
# TYPE siit_af_xdp_mode gauge
siit_af_xdp_mode{mode="co\"py\\"} 1
# HELP siit_inf Inf.
# TYPE siit_inf gauge
siit_inf +Inf
# HELP siit_packets_total Packets received.
# TYPE siit_packets_total counter
siit_packets_total{iface="eth0",queue="0"} 12
siit_packets_total{iface="eth1",queue="0"} 3
# HELP siit_ratio A ratio.
# TYPE siit_ratio gauge
siit_ratio 0.25
`
	if string(body) != want {
		t.Errorf("got:\n%s\nwant:\n%s", body, want)
	}
}
