package control

import (
	"net/netip"
	"slices"

	"github.com/siit-project/siit/internal/config"
	"github.com/siit-project/siit/xlat"
	"github.com/siit-project/siit/xlat/eamt"
)

// Instance is one published, immutable version of an instance's
// configuration. Never modify an Instance obtained from a Snapshot.
type Instance struct {
	Name      string
	Framework config.Framework
	Globals   xlat.Globals
	// EAMT is the instance's EAM table (nil is a valid empty table).
	EAMT *eamt.Table
	// Denylist4 lists the denylisted IPv4 prefixes in the order they were added.
	Denylist4 []netip.Prefix
	// Data is what State's Prepare hook returned for this version (for example
	// the daemon's *xlat.Config); nil without a hook.
	Data any
}

// Config expands the instance into the file model (EAMT oldest first, so
// that config.Marshal and a later load keep the display order).
func (in *Instance) Config() *config.Instance {
	es := in.EAMT.Entries() // newest first
	slices.Reverse(es)
	return &config.Instance{
		Name:      in.Name,
		Framework: in.Framework,
		Globals:   in.Globals.Clone(),
		EAMT:      es,
		Denylist4: slices.Clone(in.Denylist4),
	}
}

// clone returns a copy that a transaction may modify (the EAM table is
// immutable and shared).
func (in *Instance) clone() *Instance {
	c := *in
	c.Globals = in.Globals.Clone()
	c.Denylist4 = slices.Clone(in.Denylist4)
	c.Data = nil
	return &c
}

// Snapshot is one immutable version of the whole control state.
type Snapshot struct {
	// Generation increases by one with every published change.
	Generation uint64
	instances  []*Instance // in creation order
}

// Instances returns the instances in creation order (a new slice; the
// instances themselves are shared and immutable).
func (s *Snapshot) Instances() []*Instance { return slices.Clone(s.instances) }

// Instance returns the named instance, or nil.
func (s *Snapshot) Instance(name string) *Instance {
	for _, in := range s.instances {
		if in.Name == name {
			return in
		}
	}
	return nil
}
