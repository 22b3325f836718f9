package bpf

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// actionError is a one-line error naming the action and the remedy; Unwrap gives the kernel's or the
// library's error for errors.Is.
type actionError struct {
	msg string
	err error
}

func (e *actionError) Error() string { return e.msg }
func (e *actionError) Unwrap() error { return e.err }

const privRemedy = "run as root or with CAP_BPF+CAP_NET_ADMIN"

// wrapErr names the action and, for the causes an operator can fix, the remedy.
func wrapErr(action string, err error) error {
	var verr *ebpf.VerifierError
	switch {
	case errors.As(err, &verr):
		// Checked first: the verifier rejects with EACCES. Its log is long; the last line names the fault. A
		// rejected program is a build bug.
		return &actionError{fmt.Sprintf("%s: rejected by the kernel verifier: %v (report this as a bug)", action, verr), err}
	case errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES):
		return &actionError{fmt.Sprintf("%s: operation not permitted (%s)", action, privRemedy), err}
	case errors.Is(err, ebpf.ErrNotSupported):
		return &actionError{fmt.Sprintf("%s: not supported by this kernel (needs Linux 5.9 or newer with BPF and XDP): %v",
			action, err), err}
	case errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.E2BIG):
		return &actionError{fmt.Sprintf("%s: map full (raise the Options limit): %v", action, err), err}
	}
	return &actionError{fmt.Sprintf("%s: %v", action, err), err}
}

// attachErr explains why link.AttachXDP failed on interface ifname in mode m.
func attachErr(ifname string, m Mode, err error) error {
	action := fmt.Sprintf("attach xdp to %s in %s mode", ifname, m)
	switch {
	case errors.Is(err, unix.EBUSY) || errors.Is(err, unix.EEXIST):
		return &actionError{fmt.Sprintf("%s: another XDP program is already attached (inspect with `ip -d link show dev %s`, "+
			"remove a stale one with `ip link set dev %s xdp off`)", action, ifname, ifname), err}
	case errors.Is(err, unix.EOPNOTSUPP) && m == ModeNative:
		return &actionError{fmt.Sprintf("%s: the driver does not support native XDP (use generic mode)", action), err}
	case errors.Is(err, unix.EOPNOTSUPP):
		return &actionError{fmt.Sprintf("%s: the interface does not support XDP", action), err}
	case errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO):
		return &actionError{fmt.Sprintf("%s: interface is gone", action), err}
	case errors.Is(err, unix.ERANGE):
		return &actionError{fmt.Sprintf("%s: MTU too large for XDP on this interface (lower the MTU or use generic mode)",
			action), err}
	}
	return wrapErr(action, err)
}

// fallbackToGeneric reports whether a native-mode failure is worth retrying in generic mode: not when the
// cause would fail generic mode too.
func fallbackToGeneric(err error) bool {
	for _, e := range []error{unix.EBUSY, unix.EEXIST, unix.EPERM, unix.EACCES, unix.ENODEV, unix.ENXIO} {
		if errors.Is(err, e) {
			return false
		}
	}
	return true
}
