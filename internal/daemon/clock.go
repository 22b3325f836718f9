package daemon

import "time"

var epoch = time.Now()

// nanotime is a monotonic clock in nanoseconds; it does not allocate.
func nanotime() int64 { return int64(time.Since(epoch)) }
