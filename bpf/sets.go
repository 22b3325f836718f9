package bpf

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/cilium/ebpf"
)

// SetPrefixes makes the steering prefix sets equal to v4 and v6: IPv6 frames whose destination is inside a v6
// prefix (pool6, EAMT IPv6 prefixes) and IPv4 frames whose destination is inside a v4 prefix (EAMT IPv4
// prefixes, translated ranges) go to the AF_XDP socket. Prefixes are masked and the sets reduced to their
// smallest equivalent cover (covered prefixes dropped, sibling halves merged) before they reach the maps.
// New entries are added before stale ones are deleted, so an address covered before and after never misses.
// On error the maps hold the old set plus part of the change; call again to converge.
func (p *Program) SetPrefixes(v4, v6 []netip.Prefix) error {
	want4, err := normalizePrefixes(v4, true)
	if err != nil {
		return fmt.Errorf("set steering prefixes: %w", err)
	}
	want6, err := normalizePrefixes(v6, false)
	if err != nil {
		return fmt.Errorf("set steering prefixes: %w", err)
	}
	if len(want4) > p.opts.MaxPrefixes || len(want6) > p.opts.MaxPrefixes {
		return fmt.Errorf("set steering prefixes: %d IPv4 / %d IPv6 prefixes after aggregation exceed the limit %d "+
			"(raise Options.MaxPrefixes)", len(want4), len(want6), p.opts.MaxPrefixes)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("set steering prefixes: program is closed")
	}
	want := make(map[netip.Prefix]struct{}, len(want4)+len(want6))
	for _, pf := range slices.Concat(want4, want6) {
		want[pf] = struct{}{}
		if _, ok := p.prefixes[pf]; ok {
			continue
		}
		m, key := p.prefixKey(pf)
		if err := m.Update(key, uint32(1), ebpf.UpdateAny); err != nil {
			return wrapErr("set steering prefixes: add "+pf.String(), err)
		}
		p.prefixes[pf] = struct{}{}
	}
	for pf := range p.prefixes {
		if _, ok := want[pf]; ok {
			continue
		}
		m, key := p.prefixKey(pf)
		if err := m.Delete(key); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return wrapErr("set steering prefixes: delete "+pf.String(), err)
		}
		delete(p.prefixes, pf)
	}
	return nil
}

func (p *Program) prefixKey(pf netip.Prefix) (*ebpf.Map, any) {
	if pf.Addr().Is4() {
		return p.objs.Prefixes4, steerLpm4Key{Prefixlen: uint32(pf.Bits()), Addr: pf.Addr().As4()}
	}
	return p.objs.Prefixes6, steerLpm6Key{Prefixlen: uint32(pf.Bits()), Addr: pf.Addr().As16()}
}

// SetLocalAddrs makes the local address sets equal to addrs: frames to these destinations always go to the
// kernel, even inside a steering prefix. Give every address of the host that may appear inside a prefix, and
// directed broadcast addresses of attached IPv4 subnets. IPv4-mapped IPv6 addresses count as IPv4; zones are
// ignored. Adds come before deletes, as in SetPrefixes.
func (p *Program) SetLocalAddrs(addrs []netip.Addr) error {
	want := make(map[netip.Addr]struct{}, len(addrs))
	n4 := 0
	for _, a := range addrs {
		if !a.IsValid() {
			return errors.New("set local addresses: invalid (zero) address")
		}
		a = a.Unmap().WithZone("")
		if _, dup := want[a]; !dup && a.Is4() {
			n4++
		}
		want[a] = struct{}{}
	}
	if n4 > p.opts.MaxLocalAddrs || len(want)-n4 > p.opts.MaxLocalAddrs {
		return fmt.Errorf("set local addresses: %d addresses exceed the limit %d (raise Options.MaxLocalAddrs)",
			len(want), p.opts.MaxLocalAddrs)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("set local addresses: program is closed")
	}
	for a := range want {
		if _, ok := p.locals[a]; ok {
			continue
		}
		m, key := p.localKey(a)
		if err := m.Update(key, uint32(1), ebpf.UpdateAny); err != nil {
			return wrapErr("set local addresses: add "+a.String(), err)
		}
		p.locals[a] = struct{}{}
	}
	for a := range p.locals {
		if _, ok := want[a]; ok {
			continue
		}
		m, key := p.localKey(a)
		if err := m.Delete(key); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return wrapErr("set local addresses: delete "+a.String(), err)
		}
		delete(p.locals, a)
	}
	return nil
}

func (p *Program) localKey(a netip.Addr) (*ebpf.Map, any) {
	if a.Is4() {
		return p.objs.Local4, a.As4()
	}
	return p.objs.Local6, steerAddr6{Addr: a.As16()}
}

// normalizePrefixes validates, masks and sorts the prefixes of one family and returns the smallest set of
// prefixes covering exactly the same addresses.
func normalizePrefixes(in []netip.Prefix, v4 bool) ([]netip.Prefix, error) {
	fam := "IPv6"
	if v4 {
		fam = "IPv4"
	}
	ps := make([]netip.Prefix, 0, len(in))
	for _, pf := range in {
		if !pf.IsValid() {
			return nil, fmt.Errorf("invalid %s prefix %q", fam, pf.String())
		}
		if pf.Addr().Is4() != v4 || pf.Addr().Zone() != "" {
			return nil, fmt.Errorf("%s is not an %s prefix", pf, fam)
		}
		ps = append(ps, pf.Masked())
	}
	slices.SortFunc(ps, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(a.Bits(), b.Bits())
	})
	// Sorted by address, shorter first: a prefix covered by any kept prefix is covered by the last kept one,
	// because kept prefixes are disjoint. Merging two sibling halves may make the parent the sibling of the
	// new top of the stack, hence the loop.
	out := ps[:0]
	for _, pf := range ps {
		if n := len(out); n > 0 && out[n-1].Bits() <= pf.Bits() && out[n-1].Contains(pf.Addr()) {
			continue
		}
		out = append(out, pf)
		for n := len(out); n >= 2; n = len(out) {
			a, b := out[n-2], out[n-1]
			if a.Bits() != b.Bits() || a.Bits() == 0 {
				break
			}
			parent := netip.PrefixFrom(a.Addr(), a.Bits()-1).Masked()
			if parent.Addr() != a.Addr() || !parent.Contains(b.Addr()) {
				break
			}
			out = append(out[:n-2], parent)
		}
	}
	return out, nil
}
