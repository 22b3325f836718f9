package control

import (
	"fmt"
	"os"

	"github.com/siit-project/siit/internal/config"
)

// LoadFile applies a Jool SIIT JSON file to the state, as `siit file handle
// FILE` does but without a client: read, parse, validate, build the EAM
// table, publish; all or nothing. It is what `siit run -f FILE` and a reload
// on SIGHUP call. name plays the part of -i ("" to take the name from the
// file); force allows overlapping EAMT entries.
func (s *State) LoadFile(path, name string, force bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("load configuration: %w", err)
	}
	c, err := config.Parse(data, name)
	if err != nil {
		return invalid(fmt.Errorf("load configuration %s: %w", path, err))
	}
	return s.HandleFile(c, force)
}
