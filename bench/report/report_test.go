package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplaceSectionKeepsOtherText(t *testing.T) {
	doc := "# Title\n\nhand-written intro\n\n<!-- bench:lab:begin -->\nold lab\n<!-- bench:lab:end -->\n\n## Notes\nkeep me\n"
	got, err := ReplaceSection(doc, "lab", "new lab\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# Title\n\nhand-written intro\n\n<!-- bench:lab:begin -->\nnew lab\n<!-- bench:lab:end -->\n\n## Notes\nkeep me\n"
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	got2, err := ReplaceSection(got, "micro", "micro table")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got2, want) || !strings.HasSuffix(got2, "<!-- bench:micro:begin -->\nmicro table\n<!-- bench:micro:end -->\n") {
		t.Fatalf("appended section:\n%s", got2)
	}
	again, _ := ReplaceSection(got2, "lab", "new lab")
	if again != got2 {
		t.Fatal("rewriting with the same content changed the document")
	}
	if _, err := ReplaceSection("<!-- bench:lab:begin -->\nno end", "lab", "x"); err == nil {
		t.Fatal("missing end marker accepted")
	}
	if _, err := ReplaceSection("stray <!-- bench:lab:end -->", "lab", "x"); err == nil {
		t.Fatal("stray end marker accepted")
	}
}

func TestUpdateFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	if err := UpdateFile(p, "# Benchmarks\n\nintro\n", [][2]string{{"lab", "L1"}, {"micro", "M1"}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if err := os.WriteFile(p, append(b, "\n## Hand notes\nstay\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := UpdateFile(p, "ignored intro", [][2]string{{"lab", "L2"}}); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(p)
	s := string(b)
	for _, want := range []string{"# Benchmarks\n\nintro\n", "L2", "M1", "## Hand notes\nstay\n"} {
		if !strings.Contains(s, want) {
			t.Fatalf("missing %q in:\n%s", want, s)
		}
	}
	if strings.Contains(s, "L1") || strings.Contains(s, "ignored intro") {
		t.Fatalf("stale content in:\n%s", s)
	}
}

func TestParseBench(t *testing.T) {
	out := `goos: linux
pkg: github.com/siit-project/siit/xlat
BenchmarkTranslate6to4-2   	 5000000	       231.5 ns/op	       0 B/op	       0 allocs/op
BenchmarkChecksum-2        	10000000	       101 ns/op	 14000.50 MB/s
pkg: github.com/siit-project/siit/ring
BenchmarkSPSC-2 	 1000	 12.0 ns/op	 83.3 Mops/s
PASS
ok  	github.com/siit-project/siit/xlat	3.1s
`
	bs := ParseBench(out)
	if len(bs) != 3 {
		t.Fatalf("parsed %d results: %+v", len(bs), bs)
	}
	if bs[0].Pkg != "github.com/siit-project/siit/xlat" || bs[0].NsPerOp != 231.5 || bs[0].AllocsPerOp != 0 || bs[0].N != 5000000 {
		t.Fatalf("first: %+v", bs[0])
	}
	if bs[1].Extra["MB/s"] != 14000.5 || bs[2].Pkg != "github.com/siit-project/siit/ring" || bs[2].Extra["Mops/s"] != 83.3 {
		t.Fatalf("extras: %+v %+v", bs[1], bs[2])
	}
	if tbl := BenchTable(bs); !strings.Contains(tbl, "| xlat | BenchmarkTranslate6to4-2 | 231.5 | 0 | 0 |") {
		t.Fatalf("table:\n%s", tbl)
	}
}

func TestSVG(t *testing.T) {
	s := Plot{Title: "rate <vs> size", XLabel: "bytes", YLabel: "Mpps", Series: []Series{
		{Name: "kernel", Points: [][2]float64{{84, 1.1}, {1518, 0.8}}},
		{Name: "xdp", Points: [][2]float64{{84, 3}, {1518, 2}}},
	}}.SVG()
	if !strings.HasPrefix(s, "<svg") || strings.Count(s, "<polyline") != 2 || !strings.Contains(s, "rate &lt;vs&gt; size") {
		t.Fatalf("svg:\n%s", s)
	}
	if e := (Plot{}).SVG(); !strings.HasSuffix(e, "</svg>\n") {
		t.Fatal("empty plot")
	}
}

// Median keeps each benchmark's median run of several, in first-seen order, with the spread; the table shows
// it, and lists a result's custom metrics in a stable order.
func TestMedianBench(t *testing.T) {
	out := `pkg: github.com/siit-project/siit/xlat
BenchmarkA-2 	 100	 30 ns/op	 2 B/op	 0 allocs/op	 9 z-metric	 1 a-metric
BenchmarkB-2 	 100	 5 ns/op
BenchmarkA-2 	 100	 20 ns/op	 1 B/op	 0 allocs/op	 8 z-metric	 1 a-metric
BenchmarkB-2 	 100	 7 ns/op
BenchmarkA-2 	 100	 25 ns/op	 3 B/op	 0 allocs/op	 7 z-metric	 1 a-metric
BenchmarkC-2 	 100	 4 ns/op
`
	bs := Median(ParseBench(out))
	if len(bs) != 3 || bs[0].Name != "BenchmarkA-2" || bs[1].Name != "BenchmarkB-2" || bs[2].Name != "BenchmarkC-2" {
		t.Fatalf("merged: %+v", bs)
	}
	if a := bs[0]; a.NsPerOp != 25 || a.BytesPerOp != 3 || a.Extra["z-metric"] != 7 || a.Runs != 3 || a.MinNs != 20 || a.MaxNs != 30 {
		t.Fatalf("A: %+v", a)
	}
	if b := bs[1]; b.NsPerOp != 5 || b.Runs != 2 || b.MinNs != 5 || b.MaxNs != 7 {
		t.Fatalf("B (even count: the faster middle run): %+v", b)
	}
	if c := bs[2]; c.NsPerOp != 4 || c.Runs != 0 {
		t.Fatalf("C (one run, unchanged): %+v", c)
	}
	tbl := BenchTable(bs)
	for range 20 { // map order differs between calls; the rendering must not
		if again := BenchTable(bs); again != tbl {
			t.Fatalf("table changed between renderings:\n%s\n%s", tbl, again)
		}
	}
	for _, want := range []string{"| xlat | BenchmarkA-2 | 25 (20–30) | 3 | 0 | 1 a-metric, 7 z-metric |",
		"| xlat | BenchmarkB-2 | 5 (5–7) |", "| xlat | BenchmarkC-2 | 4 | 0 | 0 |  |"} {
		if !strings.Contains(tbl, want) {
			t.Fatalf("table lacks %q:\n%s", want, tbl)
		}
	}
}
