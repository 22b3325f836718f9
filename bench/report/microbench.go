package report

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

// Bench is one `go test -bench` result line.
type Bench struct {
	Pkg         string
	Name        string
	N           int64
	NsPerOp     float64
	BytesPerOp  float64
	AllocsPerOp float64
	Extra       map[string]float64 // custom metrics (b.ReportMetric), e.g. "Mpps" or "MB/s"
}

// ParseBench parses `go test -bench` output; package lines ("pkg: ...") name the following results.
func ParseBench(out string) []Bench {
	var res []Bench
	pkg := ""
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = p
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		b := Bench{Pkg: pkg, Name: f[0], N: n, Extra: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			switch f[i+1] {
			case "ns/op":
				b.NsPerOp = v
			case "B/op":
				b.BytesPerOp = v
			case "allocs/op":
				b.AllocsPerOp = v
			default:
				b.Extra[f[i+1]] = v
			}
		}
		res = append(res, b)
	}
	return res
}

// BenchTable renders results as Markdown.
func BenchTable(bs []Bench) string {
	var b strings.Builder
	b.WriteString("| package | benchmark | ns/op | B/op | allocs/op | other |\n|---|---|---:|---:|---:|---|\n")
	for _, x := range bs {
		var extra []string
		for k, v := range x.Extra {
			extra = append(extra, fmt.Sprintf("%s %s", trimFloat(v), k))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", strings.TrimPrefix(x.Pkg, "github.com/siit-project/siit/"),
			x.Name, trimFloat(x.NsPerOp), trimFloat(x.BytesPerOp), trimFloat(x.AllocsPerOp), strings.Join(extra, ", "))
	}
	return b.String()
}
