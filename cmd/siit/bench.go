package main

import (
	"os"

	"github.com/siit-project/siit/bench"
)

// benchMain runs `siit bench ...`: generator, sink and the RFC 8219 harness.
func benchMain(args []string) int {
	return bench.Main(args, os.Stdout, os.Stderr)
}
