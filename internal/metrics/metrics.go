package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Type is a Prometheus metric type.
type Type string

const (
	Counter Type = "counter"
	Gauge   Type = "gauge"
)

// Label is one name="value" pair.
type Label struct{ Name, Value string }

// Sample is one value of a metric family.
type Sample struct {
	Labels []Label
	Value  float64
}

// Family is a metric with its help text, type and samples.
type Family struct {
	Name    string
	Help    string
	Type    Type
	Samples []Sample
}

// Emitter receives families from collectors during one scrape.
type Emitter struct {
	fams map[string]*Family
}

// Emit adds a sample to family name, creating the family on first use. A
// family's help and type are fixed by its first sample.
func (e *Emitter) Emit(name, help string, typ Type, value float64, labels ...Label) {
	f, ok := e.fams[name]
	if !ok {
		f = &Family{Name: name, Help: help, Type: typ}
		e.fams[name] = f
	}
	f.Samples = append(f.Samples, Sample{Labels: slices.Clone(labels), Value: value})
}

// CollectFunc emits the current values of some metrics.
type CollectFunc func(e *Emitter)

// Registry holds collectors; it is safe for concurrent use.
type Registry struct {
	mu         sync.Mutex
	collectors []CollectFunc
}

// Register adds a collector.
func (r *Registry) Register(c CollectFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.collectors = append(r.collectors, c)
}

// Gather runs every collector and returns the families sorted by name.
func (r *Registry) Gather() []*Family {
	r.mu.Lock()
	cs := slices.Clone(r.collectors)
	r.mu.Unlock()
	e := &Emitter{fams: map[string]*Family{}}
	for _, c := range cs {
		c(e)
	}
	out := make([]*Family, 0, len(e.fams))
	for _, f := range e.fams {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b *Family) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// WriteText writes families in the text exposition format.
func WriteText(w io.Writer, fams []*Family) error {
	bw := bufio.NewWriter(w)
	for _, f := range fams {
		fmt.Fprintf(bw, "# HELP %s %s\n", f.Name, escapeHelp(f.Help))
		fmt.Fprintf(bw, "# TYPE %s %s\n", f.Name, f.Type)
		for _, s := range f.Samples {
			bw.WriteString(f.Name)
			if len(s.Labels) > 0 {
				bw.WriteByte('{')
				for i, l := range s.Labels {
					if i > 0 {
						bw.WriteByte(',')
					}
					bw.WriteString(l.Name)
					bw.WriteString(`="`)
					bw.WriteString(escapeLabel(l.Value))
					bw.WriteByte('"')
				}
				bw.WriteByte('}')
			}
			bw.WriteByte(' ')
			bw.WriteString(formatValue(s.Value))
			bw.WriteByte('\n')
		}
	}
	return bw.Flush()
}

// Handler serves the registry at any path (mount it at /metrics).
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_ = WriteText(w, r.Gather())
	})
}

func formatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
var labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)

func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
func escapeLabel(s string) string { return labelEscaper.Replace(s) }
