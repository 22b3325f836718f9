package afxdp

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// ErrZeroCopyUnsupported is wrapped by Open when ModeZeroCopy was forced and
// the driver refused it.
var ErrZeroCopyUnsupported = errors.New("zero-copy af_xdp not supported by this driver/queue")

// actionError names what failed and, where one is known, what to do about it:
// "bind af_xdp socket to veth0 queue 3: device or resource busy (another
// program holds this queue?)".
func actionError(action string, err error, hint string) error {
	if hint == "" {
		return fmt.Errorf("%s: %w", action, err)
	}
	return fmt.Errorf("%s: %w (%s)", action, err, hint)
}

// hintFor returns a remedy for common errnos of the given setup step.
func hintFor(step string, err error) string {
	var errno unix.Errno
	if !errors.As(err, &errno) {
		return ""
	}
	switch errno {
	case unix.EPERM, unix.EACCES:
		if step == "txbudget" {
			return "budget must be between 32 and the tx ring size"
		}
		return "needs root or CAP_NET_ADMIN+CAP_NET_RAW"
	case unix.EAFNOSUPPORT:
		return "kernel built without CONFIG_XDP_SOCKETS"
	case unix.ENOMEM, unix.ENOBUFS:
		if step == "umem" || step == "mmap" {
			return "raise RLIMIT_MEMLOCK (ulimit -l) or use fewer/smaller frames"
		}
		return "out of memory; use smaller rings"
	case unix.EBUSY:
		if step == "bind" {
			return "another program holds this queue?"
		}
	case unix.ENODEV:
		return "no such interface in this network namespace"
	case unix.EINVAL:
		switch step {
		case "bind":
			return "queue id beyond the device's queues (ethtool -l), or device down?"
		case "umem":
			return "frame size/headroom rejected by the kernel"
		}
	case unix.EOPNOTSUPP:
		if step == "bind" {
			return "driver lacks zero-copy af_xdp; use copy mode"
		}
	case unix.ENOPROTOOPT:
		if step == "busypoll" {
			return "kernel lacks SO_PREFER_BUSY_POLL (needs Linux 5.11+); disable busy polling"
		}
	}
	return ""
}
