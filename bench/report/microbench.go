package report

import (
	"bufio"
	"fmt"
	"slices"
	"sort"
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

	// Set by Median when it merged more than one run: how many, and the spread of their ns/op.
	Runs         int
	MinNs, MaxNs float64
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

// Median merges the runs of each benchmark (`go test -count N`), in the order of their first appearance: each
// becomes its median run by ns/op (of an even number, the faster of the middle two), with Runs and the ns/op
// spread set. One run stays as it is.
func Median(bs []Bench) []Bench {
	type key struct{ pkg, name string }
	var order []key
	runs := map[key][]Bench{}
	for _, b := range bs {
		k := key{b.Pkg, b.Name}
		if _, ok := runs[k]; !ok {
			order = append(order, k)
		}
		runs[k] = append(runs[k], b)
	}
	out := make([]Bench, 0, len(order))
	for _, k := range order {
		rs := runs[k]
		if len(rs) == 1 {
			out = append(out, rs[0])
			continue
		}
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].NsPerOp < rs[j].NsPerOp })
		m := rs[(len(rs)-1)/2]
		m.Runs, m.MinNs, m.MaxNs = len(rs), rs[0].NsPerOp, rs[len(rs)-1].NsPerOp
		out = append(out, m)
	}
	return out
}

// BenchTable renders results as Markdown; a merged result (Median) shows its ns/op spread.
func BenchTable(bs []Bench) string {
	var b strings.Builder
	b.WriteString("| package | benchmark | ns/op | B/op | allocs/op | other |\n|---|---|---:|---:|---:|---|\n")
	for _, x := range bs {
		var extra []string
		for k, v := range x.Extra {
			extra = append(extra, fmt.Sprintf("%s %s", trimFloat(v), k))
		}
		slices.Sort(extra) // map order would shuffle the column from one run to the next
		ns := trimFloat(x.NsPerOp)
		if x.Runs > 1 {
			ns = fmt.Sprintf("%s (%s–%s)", ns, trimFloat(x.MinNs), trimFloat(x.MaxNs))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", strings.TrimPrefix(x.Pkg, "github.com/siit-project/siit/"),
			x.Name, ns, trimFloat(x.BytesPerOp), trimFloat(x.AllocsPerOp), strings.Join(extra, ", "))
	}
	return b.String()
}
