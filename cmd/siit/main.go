// Command siit is the translator: `siit run IFACE...` is the daemon, every
// other command line is jool_siit's syntax (it is also installed as
// jool_siit), and `siit bench ...` is the benchmark tool.
package main

import (
	"os"
	"path/filepath"

	"github.com/siit-project/siit/internal/cli"
	"github.com/siit-project/siit/internal/daemon"
)

func main() {
	os.Exit(dispatch(os.Args))
}

func dispatch(argv []string) int {
	prog := filepath.Base(argv[0])
	args := argv[1:]
	if prog != "jool_siit" && len(args) > 0 {
		switch args[0] {
		case "run":
			return daemon.Main(args[1:], os.Stdout, os.Stderr)
		case "bench":
			return benchMain(args[1:])
		}
	}
	return cli.Main(argv[0], args, os.Stdout, os.Stderr)
}
