package xdpprog

import (
	"errors"
	"fmt"
	"net"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// Fwd is the plain XDP redirect forwarder.
type Fwd struct {
	objs  fwdObjects
	links []link.Link
}

// LoadFwd loads the forwarder.
func LoadFwd() (*Fwd, error) {
	f := &Fwd{}
	if err := loadFwdObjects(&f.objs, nil); err != nil {
		return nil, fmt.Errorf("load forwarder xdp program (needs root and BPF support): %w", err)
	}
	return f, nil
}

// AddRule makes frames arriving on ifindex in leave through out with the given MAC addresses.
func (f *Fwd) AddRule(in, out int, src, dst net.HardwareAddr) error {
	if len(src) != 6 || len(dst) != 6 {
		return errors.New("add forwarder rule: MAC addresses must have 6 bytes")
	}
	r := fwdRule{OutIfindex: uint32(out)}
	copy(r.Src[:], src)
	copy(r.Dst[:], dst)
	if err := f.objs.Rules.Update(uint32(in), r, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("add forwarder rule %d -> %d: %w", in, out, err)
	}
	return nil
}

// Attach attaches the forwarder to ifindex (calling thread's namespace).
func (f *Fwd) Attach(ifindex int) error {
	l, err := link.AttachXDP(link.XDPOptions{Program: f.objs.BenchFwd, Interface: ifindex})
	if err != nil {
		return fmt.Errorf("attach forwarder to ifindex %d: %w", ifindex, err)
	}
	f.links = append(f.links, l)
	return nil
}

// Close detaches and releases everything.
func (f *Fwd) Close() error {
	var errs []error
	for _, l := range f.links {
		errs = append(errs, l.Close())
	}
	f.links = nil
	return errors.Join(append(errs, f.objs.Close())...)
}
