// Command benchmain runs `siit bench` until cmd/siit dispatches to the bench package itself; tools/bench.sh
// uses it when bin/siit lacks the bench command.
package main

import (
	"os"

	"github.com/siit-project/siit/bench"
)

func main() {
	os.Exit(bench.Main(os.Args[1:], os.Stdout, os.Stderr))
}
