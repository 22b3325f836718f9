// Package metrics writes the Prometheus text exposition format (version
// 0.0.4) for siit's /metrics endpoint without third-party dependencies.
//
// Collection is pull-based: the daemon registers Collect functions that emit
// the current values on each scrape, so nothing is computed between scrapes and
// the data plane is never touched (per-worker counters are read, not reset).
package metrics
