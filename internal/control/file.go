package control

import (
	"fmt"

	"github.com/siit-project/siit/internal/config"
)

// LoadFile applies a Jool SIIT JSON file to the state, as `siit file handle
// FILE` does but without a client: read, parse, validate, build the EAM
// table, publish; all or nothing. It is what a reload on SIGHUP calls. name
// plays the part of -i ("" to take the name from the file); force allows
// overlapping EAMT entries.
func (s *State) LoadFile(path, name string, force bool) error {
	data, err := config.ReadFile(path)
	if err != nil {
		return fmt.Errorf("load configuration: %w", err)
	}
	if err := s.handleFileBytes(data, path, name, force); err != nil {
		return fmt.Errorf("load configuration: %w", err)
	}
	return nil
}

// handleFileBytes parses a Jool JSON file (label names it in errors), then
// validates, builds and publishes it as HandleFile does.
func (s *State) handleFileBytes(data []byte, label, name string, force bool) error {
	c, err := config.Parse(data, name)
	if err != nil {
		return invalid(fmt.Errorf("%s: %w", label, err))
	}
	return s.HandleFile(c, force)
}
