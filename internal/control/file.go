package control

import (
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/siit-project/siit/internal/config"
	"github.com/siit-project/siit/xlat/eamt"
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
	label := "load configuration " + path
	c, tab, err := s.buildBytes(data, label, name, force, nil)
	if err != nil {
		if c != nil { // BuildFile's error: name the file, as BuildFiles does
			err = fmt.Errorf("%s: %w", label, err)
		}
		return err
	}
	return s.ApplyBuilt(c, tab)
}

// handleFileBytes parses a Jool JSON file (label names it in errors), then
// validates, builds and publishes it as HandleFile does.
//
// A big file is a bulk load: the garbage collector is paused while it is
// parsed and built (see pauseGC), and the parsed entry list is dropped as
// soon as the table holds them.
func (s *State) handleFileBytes(data []byte, label, name string, force bool) error {
	c, tab, err := s.buildBytes(data, label, name, force, nil)
	if err != nil {
		return err
	}
	return s.ApplyBuilt(c, tab)
}

// buildBytes parses data as a Jool SIIT JSON file (label prefixes parse
// errors; name plays -i), lets check refuse the parsed instance, then
// validates and builds it (BuildFile), with the garbage collector paused
// for a bulk load. The instance is nil when the file did not parse or check
// refused it; otherwise an error comes from BuildFile.
func (s *State) buildBytes(data []byte, label, name string, force bool, check func(*config.Instance) error) (*config.Instance, *eamt.Table, error) {
	resume := pauseGC(len(data))
	defer resume()
	c, err := config.Parse(data, name)
	if err != nil {
		// Jool's client parses files: what does not parse is its mistake.
		return nil, nil, clientSide(fmt.Errorf("%s: %w", label, err))
	}
	if check != nil {
		if err := check(c); err != nil {
			return nil, nil, err
		}
	}
	tab, err := s.BuildFile(c, force)
	c.EAMT = nil // in the table now, or rejected
	return c, tab, err
}

// BuildFiles reads, parses, validates and builds several Jool SIIT JSON
// files (each names its instance), without touching the state; errors name
// the file. Two files may not configure the same instance.
func (s *State) BuildFiles(paths []string) ([]*config.Instance, []*eamt.Table, error) {
	cs := make([]*config.Instance, 0, len(paths))
	tabs := make([]*eamt.Table, 0, len(paths))
	from := map[string]string{}
	for _, path := range paths {
		data, err := config.ReadFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("load configuration: %w", err)
		}
		c, tab, err := s.buildBytes(data, "load configuration "+path, "", false, func(c *config.Instance) error {
			if other, dup := from[c.Name]; dup {
				return invalid(fmt.Errorf("load configuration %s: instance %q is also configured by %s; give each file its own instance", path, c.Name, other))
			}
			from[c.Name] = path
			return nil
		})
		if err != nil {
			if c != nil { // BuildFile's error: name the file
				err = fmt.Errorf("load configuration %s: %w", path, err)
			}
			return nil, nil, err
		}
		cs, tabs = append(cs, c), append(tabs, tab)
	}
	return cs, tabs, nil
}

// LoadFiles applies several files as one change (all or nothing); see
// BuildFiles. A reload of `siit run -f A -f B` calls it.
func (s *State) LoadFiles(paths []string) error {
	cs, tabs, err := s.BuildFiles(paths)
	if err != nil {
		return err
	}
	return s.ApplyBuiltAll(cs, tabs)
}

// bulkBytes is the size from which a file counts as a bulk load.
const bulkBytes = 8 << 20

var gcPause struct {
	sync.Mutex
	depth   int
	percent int
}

// pauseGC turns the garbage collector off for a bulk load of size bytes and
// returns the function that turns it back on (concurrent loads nest: the
// last one out restores the setting). A bulk load allocates a few large
// buffers that all stay live until it ends (the file, the entry list, the
// table), so collecting during it finds almost nothing to free, while
// marking the entry list on every heap doubling takes a core away from the
// build. GOMEMLIMIT, if set, still applies.
func pauseGC(size int) (resume func()) {
	if size < bulkBytes {
		return func() {}
	}
	gcPause.Lock()
	if gcPause.depth == 0 {
		gcPause.percent = debug.SetGCPercent(-1)
	}
	gcPause.depth++
	gcPause.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			gcPause.Lock()
			if gcPause.depth--; gcPause.depth == 0 {
				debug.SetGCPercent(gcPause.percent)
			}
			gcPause.Unlock()
		})
	}
}
