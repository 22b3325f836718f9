package config

import (
	"runtime"
	"sync"
)

// eamSpans locates an EAMT entry's two strings in the document: the IPv6
// prefix is data[s6:e6] and the IPv4 prefix data[s4:e4], unless the string
// had escapes, in which case its text is in the escaped map. 16 bytes and no
// pointers per entry, so a million of them cost the garbage collector
// nothing.
type eamSpans struct{ s6, e6, s4, e4 uint32 }

// spanRecorder collects spans during the first pass.
type spanRecorder struct {
	spans   []eamSpans
	escaped map[int]string // key: entry index*2 (+1 for the IPv4 prefix)
}

// span reads a string value and returns where its content is.
func (s *scanner) span(name string, r *spanRecorder, key int) (start, end uint32, err error) {
	if s.peek() != '"' {
		return 0, 0, s.errAt(s.pos, "%q must be a string, found %s", name, s.kindName())
	}
	open := s.pos
	b, err := s.rawString()
	if err != nil {
		return 0, 0, err
	}
	if s.escaped {
		if r.escaped == nil {
			r.escaped = map[int]string{}
		}
		r.escaped[key] = string(b)
	}
	return uint32(open + 1), uint32(open + 1 + len(b)), nil
}

func (s *scanner) spanText(r *spanRecorder, key int, start, end uint32) string {
	if t, ok := r.escaped[key]; ok {
		return t
	}
	return string(s.data[start:end])
}

// parseSpans parses the recorded prefixes on all CPUs. On error it reports
// the first bad entry in file order.
func (s *scanner) parseSpans(r *spanRecorder) ([]EAMEntry, error) {
	spans := r.spans
	out := make([]EAMEntry, len(spans))
	workers := runtime.GOMAXPROCS(0)
	if len(spans) < 8192 || workers < 2 {
		workers = 1
	}
	chunk := (len(spans) + workers - 1) / workers
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(spans))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func(w, lo, hi int) {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				sp := spans[i]
				p6, err := ParsePrefix6(s.spanText(r, 2*i, sp.s6, sp.e6))
				if err != nil {
					errs[w] = s.errAt(int(sp.s6), "%v", err)
					return
				}
				p4, err := ParsePrefix4(s.spanText(r, 2*i+1, sp.s4, sp.e4))
				if err != nil {
					errs[w] = s.errAt(int(sp.s4), "%v", err)
					return
				}
				out[i] = EAMEntry{Prefix6: p6, Prefix4: p4}
			}
		}(w, lo, hi)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
