package main

import (
	"fmt"
	"os"
)

// benchMain is replaced by the bench package's entry point once it lands.
func benchMain(args []string) int {
	fmt.Fprintln(os.Stderr, "siit bench: not built into this binary yet; use tools/bench.sh")
	return 2
}
