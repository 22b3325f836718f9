package nexthop

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"runtime"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// A link that is up but has lost its carrier keeps its routes: the kernel
// flags them linkdown and goes on routing through them, unless
// net.ipv{4,6}.conf.*.ignore_routes_with_linkdown is set, in which case it
// skips them and falls back to other nexthops or a shorter prefix. The
// mirror reads that setting through rtnetlink's netconf objects (dump and
// notifications), per family and device, and follows it.

const (
	netconfaIfindex      = 1 // NETCONFA_IFINDEX
	netconfaIgnoreLinkdn = 6 // NETCONFA_IGNORE_ROUTES_WITH_LINKDOWN
	netconfAll           = -1
)

type netconfKey struct {
	v6      bool
	ifindex int32 // netconfAll for net.ipv{4,6}.conf.all
}

// netconfFromMessage parses one RTM_NEWNETCONF message (struct netconfmsg,
// padded to 4 bytes, and its attributes); ok is false unless it names a
// device (or "all") and carries ignore_routes_with_linkdown.
func netconfFromMessage(b []byte) (k netconfKey, ignore, ok bool) {
	if len(b) < 4 || (b[0] != unix.AF_INET && b[0] != unix.AF_INET6) {
		return netconfKey{}, false, false
	}
	attrs, good := parseAttrs(b[4:])
	if !good {
		return netconfKey{}, false, false
	}
	k.v6 = b[0] == unix.AF_INET6
	var hasIndex, hasIgnore bool
	for _, a := range attrs {
		switch a.typ {
		case netconfaIfindex:
			k.ifindex, hasIndex = int32(attrU32(a.v)), len(a.v) >= 4
		case netconfaIgnoreLinkdn:
			ignore, hasIgnore = attrU32(a.v) != 0, len(a.v) >= 4
		}
	}
	return k, ignore, hasIndex && hasIgnore && (k.ifindex > 0 || k.ifindex == netconfAll)
}

// dumpNetconf reads ignore_routes_with_linkdown of both families, "all"
// and every device; only the true ones are kept.
func (m *Mirror) dumpNetconf() (map[netconfKey]bool, error) {
	out := map[netconfKey]bool{}
	for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
		part := map[netconfKey]bool{}
		// struct netconfmsg (the family), padded to 4 bytes.
		err := m.dumpRaw("netconf", unix.RTM_GETNETCONF, dumpHdr{fam, 0, 0, 0}, unix.RTM_NEWNETCONF, func() { clear(part) }, func(msg []byte) {
			if k, ignore, ok := netconfFromMessage(msg); ok && ignore {
				part[k] = true
			}
		})
		if err != nil {
			return nil, err
		}
		maps.Copy(out, part)
	}
	return out, nil
}

// refreshNetconf re-reads the netconf objects after a notification and
// reports whether the setting changed anywhere.
func (m *Mirror) refreshNetconf() (bool, error) {
	nc, err := m.dumpNetconf()
	if err != nil {
		return false, err
	}
	if maps.Equal(nc, m.st.netconf) {
		return false, nil
	}
	m.st.netconf = nc
	return true, nil
}

// useNeighPath is the sysctl by which classic IPv4 multipath routes pass over
// a nexthop whose gateway's neighbour entry is not valid, as nexthop groups
// always do. It has no netlink notification: the mirror reads it with every
// route dump (and so at least at each periodic resync).
const useNeighPath = "/proc/sys/net/ipv4/fib_multipath_use_neigh"

// readUseNeigh reads fib_multipath_use_neigh of the mirrored namespace;
// false when it cannot be read (a kernel without multipath).
func (m *Mirror) readUseNeigh() bool {
	var b []byte
	err := inNetns(m.ns, func() error {
		var err error
		b, err = os.ReadFile(useNeighPath)
		return err
	})
	return err == nil && string(bytes.TrimSpace(b)) != "0"
}

// inNetns runs f on a thread inside ns (the current namespace when ns is
// not open): /proc/sys/net shows the namespace of the thread that opens a
// file. A thread that cannot be switched back is not returned to the Go
// scheduler (it stays locked and ends with its goroutine).
func inNetns(ns netns.NsHandle, f func() error) error {
	if !ns.IsOpen() {
		return f()
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			done <- err
			return
		}
		defer orig.Close()
		if err := netns.Set(ns); err != nil {
			runtime.UnlockOSThread()
			done <- fmt.Errorf("enter network namespace: %w", err)
			return
		}
		err = f()
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
		done <- err
	}()
	return <-done
}
