package frames

import (
	"errors"
	"fmt"
	"net/netip"
)

// Expect describes what a correctly forwarded or translated test frame looks like at the receiver.
type Expect struct {
	Family    int          // 4 or 6
	Dst       netip.Addr   // exact destination
	SrcPrefix netip.Prefix // the sources vary over flows within this prefix
}

// ErrUnexpected is wrapped by Check's errors.
var ErrUnexpected = errors.New("unexpected frame")

// Check returns nil when in is a valid test frame matching e.
func (e Expect) Check(in Info) error {
	switch {
	case !in.HasStamp:
		return fmt.Errorf("%w: no stamp", ErrUnexpected)
	case in.Family != e.Family:
		return fmt.Errorf("%w: IPv%d, want IPv%d", ErrUnexpected, in.Family, e.Family)
	case !in.IPChecksumOK:
		return fmt.Errorf("%w: bad IPv4 header checksum", ErrUnexpected)
	case !in.L4ChecksumOK:
		return fmt.Errorf("%w: bad L4 checksum (protocol %d)", ErrUnexpected, in.L4Proto)
	case e.Dst.IsValid() && in.Dst != e.Dst:
		return fmt.Errorf("%w: destination %v, want %v", ErrUnexpected, in.Dst, e.Dst)
	case e.SrcPrefix.IsValid() && !e.SrcPrefix.Contains(in.Src):
		return fmt.Errorf("%w: source %v outside %v", ErrUnexpected, in.Src, e.SrcPrefix)
	}
	return nil
}
