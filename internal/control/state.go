package control

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/siit-project/siit/internal/config"
	"github.com/siit-project/siit/xlat"
	"github.com/siit-project/siit/xlat/eamt"
)

// Options configures a State.
type Options struct {
	// Prepare, if set, is called for every new or changed instance of a
	// change before it is published, from the goroutine making the change.
	// An error rejects the whole change (nothing is published) and is shown to
	// the user; the result is stored in Instance.Data. Use it to build what
	// the data plane needs (e.g. an *xlat.Config), so that anything the data
	// plane would refuse is refused by the CLI too.
	Prepare func(*Instance) (any, error)
}

// State holds the daemon's instances. Every change is validated completely
// on a copy and then published as a new immutable Snapshot with one atomic
// pointer store; on error nothing changes. Methods are safe for concurrent
// use; changes are serialized.
type State struct {
	opts Options
	mu   sync.Mutex // serializes changes and subscriber calls
	snap atomic.Pointer[Snapshot]
	subs map[int]func(*Snapshot)
	next int

	stats statsRegistry
}

// NewState returns a State with no instances (like a freshly loaded Jool
// module: nothing is translated until an instance exists).
func NewState(opts Options) *State {
	s := &State{opts: opts, subs: map[int]func(*Snapshot){}}
	s.snap.Store(&Snapshot{})
	return s
}

// Snapshot returns the current snapshot (never nil). It never blocks.
func (s *State) Snapshot() *Snapshot { return s.snap.Load() }

// Subscribe registers fn to receive every snapshot published from now on, in
// order, synchronously from the goroutine that made the change and before
// that change's caller gets its answer. fn must not call State's mutators.
// The returned function unsubscribes.
func (s *State) Subscribe(fn func(*Snapshot)) (cancel func()) {
	s.mu.Lock()
	id := s.next
	s.next++
	s.subs[id] = fn
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.subs, id)
		s.mu.Unlock()
	}
}

// Watch returns a channel that always offers the newest snapshot: a slow
// reader skips intermediate versions but never misses the latest one. The
// current snapshot is delivered first. cancel stops delivery (the channel
// is not closed).
func (s *State) Watch() (<-chan *Snapshot, func()) {
	ch := make(chan *Snapshot, 1)
	offer := func(sn *Snapshot) {
		for {
			select {
			case ch <- sn:
				return
			default:
			}
			select {
			case <-ch: // drop the stale one
			default:
			}
		}
	}
	s.mu.Lock()
	offer(s.snap.Load())
	id := s.next
	s.next++
	s.subs[id] = offer
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.subs, id)
		s.mu.Unlock()
	}
}

// txn is a change being built on copies of the current instances.
type txn struct {
	instances []*Instance
	changed   map[string]bool
}

// get returns a writable copy of the named instance.
func (t *txn) get(name string) (*Instance, error) {
	for i, in := range t.instances {
		if in.Name == name {
			if !t.changed[name] {
				in = in.clone()
				t.instances[i] = in
				t.changed[name] = true
			}
			return in, nil
		}
	}
	return nil, noInstance(name)
}

// update runs fn on a transaction and publishes its result.
func (s *State) update(fn func(t *txn) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.snap.Load()
	t := &txn{instances: slices.Clone(cur.instances), changed: map[string]bool{}}
	if err := fn(t); err != nil {
		return invalid(err)
	}
	if s.opts.Prepare != nil {
		for _, in := range t.instances {
			if !t.changed[in.Name] {
				continue
			}
			data, err := s.opts.Prepare(in)
			if err != nil {
				return invalid(fmt.Errorf("instance %s: %w", in.Name, err))
			}
			in.Data = data
		}
	}
	next := &Snapshot{Generation: cur.Generation + 1, instances: t.instances}
	s.snap.Store(next)
	for _, fn := range s.subs {
		fn(next)
	}
	return nil
}

// AddInstance creates an instance with default globals (pool6 optional).
func (s *State) AddInstance(name string, fw config.Framework, pool6 netip.Prefix) error {
	if err := config.ValidateName(name); err != nil {
		return err
	}
	if _, err := config.ParseFramework(string(fw)); err != nil {
		return err
	}
	g := xlat.DefaultGlobals()
	g.Pool6 = pool6
	// As in Jool, instance add does not ask for --force (pool6's u-octet).
	if err := config.ValidateGlobals(g, true); err != nil {
		return invalid(err)
	}
	return s.update(func(t *txn) error {
		for _, in := range t.instances {
			if in.Name == name {
				return errnoErr(syscall.EEXIST, "instance %q already exists; remove it first (`siit instance remove %s`) or pick another name", name, name)
			}
		}
		t.instances = append(t.instances, &Instance{Name: name, Framework: fw, Globals: g})
		t.changed[name] = true
		return nil
	})
}

// RemoveInstance deletes an instance.
func (s *State) RemoveInstance(name string) error {
	return s.update(func(t *txn) error {
		for i, in := range t.instances {
			if in.Name == name {
				t.instances = slices.Delete(t.instances, i, i+1)
				return nil
			}
		}
		return noInstance(name)
	})
}

// FlushInstances deletes every instance.
func (s *State) FlushInstances() error {
	return s.update(func(t *txn) error {
		t.instances = nil
		return nil
	})
}

// UpdateGlobal sets one global from its textual value (Jool's syntax; see
// config.SetGlobal). key is the exact global name; force is --force.
func (s *State) UpdateGlobal(name, key, value string, force bool) error {
	return s.update(func(t *txn) error {
		in, err := t.get(name)
		if err != nil {
			return err
		}
		return config.SetGlobal(&in.Globals, key, value, force)
	})
}

// SetGlobals replaces an instance's globals after validating them (without
// --force).
func (s *State) SetGlobals(name string, g xlat.Globals) error {
	if err := config.ValidateGlobals(g, false); err != nil {
		return invalid(err)
	}
	return s.update(func(t *txn) error {
		in, err := t.get(name)
		if err != nil {
			return err
		}
		in.Globals = g.Clone()
		return nil
	})
}

// eamtErr maps package eamt's errors onto Jool's errnos.
func eamtErr(err error) error {
	switch {
	case errors.Is(err, eamt.ErrExists):
		return &Error{Errno: syscall.EEXIST, Err: err}
	case errors.Is(err, eamt.ErrNotFound):
		return &Error{Errno: syscall.ESRCH, Err: err}
	case errors.Is(err, eamt.ErrOverlap):
		return &Error{Errno: syscall.EEXIST, Err: fmt.Errorf("%w; add it with --force to keep both (the longest prefix wins)", err)}
	}
	return invalid(err)
}

// AddEAM adds one EAMT entry; force allows it to overlap existing entries.
func (s *State) AddEAM(name string, e eamt.Entry, force bool) error {
	return s.update(func(t *txn) error {
		in, err := t.get(name)
		if err != nil {
			return err
		}
		tab, err := in.EAMT.Add(e, force)
		if err != nil {
			return eamtErr(err)
		}
		in.EAMT = tab
		return nil
	})
}

// RemoveEAM removes the entry named by its IPv6 prefix, its IPv4 prefix or
// both (nil for "not given").
func (s *State) RemoveEAM(name string, p6, p4 *netip.Prefix) error {
	return s.update(func(t *txn) error {
		in, err := t.get(name)
		if err != nil {
			return err
		}
		tab, err := in.EAMT.Remove(p6, p4)
		if err != nil {
			return eamtErr(err)
		}
		in.EAMT = tab
		return nil
	})
}

// FlushEAMT empties an instance's EAM table.
func (s *State) FlushEAMT(name string) error {
	return s.update(func(t *txn) error {
		in, err := t.get(name)
		if err != nil {
			return err
		}
		in.EAMT = nil
		return nil
	})
}

// AddDenylist4 appends a denylist4 prefix; force allows prefixes inside the
// ranges that are never translated anyway.
func (s *State) AddDenylist4(name string, p netip.Prefix, force bool) error {
	if err := config.CheckDenylist4(p, force); err != nil {
		return invalid(err)
	}
	return s.update(func(t *txn) error {
		in, err := t.get(name)
		if err != nil {
			return err
		}
		// A prefix already listed is listed again, as Jool does (its
		// removal then takes out one of the two).
		in.Denylist4 = append(in.Denylist4, p)
		return nil
	})
}

// RemoveDenylist4 removes a denylist4 prefix.
func (s *State) RemoveDenylist4(name string, p netip.Prefix) error {
	return s.update(func(t *txn) error {
		in, err := t.get(name)
		if err != nil {
			return err
		}
		i := slices.Index(in.Denylist4, p)
		if i < 0 {
			return errnoErr(syscall.ESRCH, "denylist4 does not contain %s; see `siit denylist4 display`", p)
		}
		in.Denylist4 = slices.Delete(in.Denylist4, i, i+1)
		return nil
	})
}

// FlushDenylist4 empties the denylist4.
func (s *State) FlushDenylist4(name string) error {
	return s.update(func(t *txn) error {
		in, err := t.get(name)
		if err != nil {
			return err
		}
		in.Denylist4 = nil
		return nil
	})
}

// HandleFile applies a whole instance configuration atomically (Jool's
// `file handle`): the instance is created if it does not exist and replaced
// otherwise; everything the file omits is back to its default. force allows
// overlapping EAMT entries and denylist4 prefixes in reserved ranges.
func (s *State) HandleFile(c *config.Instance, force bool) error {
	tab, err := s.BuildFile(c, force)
	if err != nil {
		return err
	}
	return s.ApplyBuilt(c, tab)
}

// BuildFile validates c completely and builds its EAM table, without
// touching the state; ApplyBuilt then publishes it. The split lets the
// expensive part of a huge file run outside the state's lock. c's
// mtu-plateaus come out normalized (config.NormalizePlateaus).
func (s *State) BuildFile(c *config.Instance, force bool) (*eamt.Table, error) {
	if err := config.ValidateName(c.Name); err != nil {
		return nil, invalid(err)
	}
	if _, err := config.ParseFramework(string(c.Framework)); err != nil {
		return nil, invalid(err)
	}
	plateaus, err := config.NormalizePlateaus(c.Globals.MTUPlateaus)
	if err != nil {
		return nil, invalid(fmt.Errorf("global: %w", err))
	}
	c.Globals.MTUPlateaus = plateaus
	if err := config.ValidateGlobals(c.Globals, force); err != nil {
		return nil, invalid(fmt.Errorf("global: %w", err))
	}
	for _, p := range c.Denylist4 { // repeats allowed, as in Jool
		if err := config.CheckDenylist4(p, force); err != nil {
			return nil, invalid(err)
		}
	}
	tab, err := (*eamt.Table)(nil).AddAll(c.EAMT, force)
	if err != nil {
		return nil, eamtErr(fmt.Errorf("eamt: %w", err))
	}
	return tab, nil
}

// ApplyBuilt publishes a configuration validated by BuildFile.
func (s *State) ApplyBuilt(c *config.Instance, tab *eamt.Table) error {
	return s.update(func(t *txn) error { return t.putBuilt(c, tab) })
}

// ApplyBuiltAll publishes several configurations validated by BuildFile in
// one change: all of them or, if one is refused, none.
func (s *State) ApplyBuiltAll(cs []*config.Instance, tabs []*eamt.Table) error {
	return s.update(func(t *txn) error {
		for i, c := range cs {
			if err := t.putBuilt(c, tabs[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// putBuilt creates or replaces the instance c describes.
func (t *txn) putBuilt(c *config.Instance, tab *eamt.Table) error {
	in := &Instance{
		Name:      c.Name,
		Framework: c.Framework,
		Globals:   c.Globals.Clone(),
		EAMT:      tab,
		Denylist4: slices.Clone(c.Denylist4),
	}
	t.changed[c.Name] = true
	for i, old := range t.instances {
		if old.Name == c.Name {
			if old.Framework != c.Framework {
				return fmt.Errorf("instance %q exists with framework %s but the file says %s; change the file or remove the instance first", c.Name, old.Framework, c.Framework)
			}
			t.instances[i] = in
			return nil
		}
	}
	t.instances = append(t.instances, in)
	return nil
}
