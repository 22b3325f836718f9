// Package report turns benchmark results into text: Markdown tables, sections of BENCHMARKS.md rewritten
// between markers (everything outside the markers is kept byte for byte), small SVG line plots written without
// any dependency, and a parser for `go test -bench` output.
package report
