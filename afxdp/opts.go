package afxdp

import (
	"errors"
	"fmt"
)

// Mode is the data path a socket got from the kernel.
type Mode uint8

const (
	// ModeAuto asks for zero-copy and falls back to copy mode.
	ModeAuto Mode = iota
	// ModeZeroCopy: the driver DMAs straight into the UMEM (XDP_ZEROCOPY).
	ModeZeroCopy
	// ModeCopy: the kernel copies packets between its buffers and the UMEM
	// (XDP_COPY). Works with native and generic (skb) XDP on any device.
	ModeCopy
)

func (m Mode) String() string {
	switch m {
	case ModeAuto:
		return "auto"
	case ModeZeroCopy:
		return "zero-copy"
	case ModeCopy:
		return "copy"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// Opts configures a socket and, for Open, its Umem.
type Opts struct {
	// FrameCount is the number of UMEM frames. It must cover the fill ring
	// plus whatever is in flight elsewhere; DefaultOpts uses 2×FillSize.
	FrameCount uint32
	// FrameSize is the UMEM chunk size: 2048 or 4096 (aligned mode).
	FrameSize uint32
	// Headroom is the XDP_UMEM_REG headroom: bytes left free in front of
	// every received packet in addition to the kernel's fixed 256, so that
	// headers can grow in place. At most FrameSize-256-1518.
	Headroom uint32

	// Ring sizes (entries, powers of two).
	FillSize       uint32
	CompletionSize uint32
	RxSize         uint32
	TxSize         uint32

	// Mode selects zero-copy, copy, or zero-copy with fallback to copy.
	// Sockets opened with OpenShared inherit the owner's mode.
	Mode Mode
	// NeedWakeup sets XDP_USE_NEED_WAKEUP: the kernel tells us (via ring
	// flags) when a sendto/recvfrom is needed, saving syscalls. Inherited by
	// OpenShared sockets.
	NeedWakeup bool

	// BusyPollUsec > 0 sets SO_PREFER_BUSY_POLL=1, SO_BUSY_POLL=BusyPollUsec
	// and SO_BUSY_POLL_BUDGET=BusyPollBudget on the socket.
	BusyPollUsec   uint32
	BusyPollBudget uint32

	// TxSkbBudget sets XDP_MAX_TX_SKB_BUDGET (Linux 6.17+): how many TX
	// descriptors one copy-mode sendto may turn into skbs (kernel default 32).
	// 0 leaves the default; otherwise it must be in [32, TxSize]. Older
	// kernels (ENOPROTOOPT) silently keep the default.
	TxSkbBudget uint32
}

// DefaultOpts returns settings that suit a translator worker: 4096 frames of
// 2048 bytes, 2048-entry rings, auto mode with need-wakeup, TX skb budget of
// 256. Headroom is 0 because the kernel already keeps 256 bytes in front of
// every received packet (RxOffset), far more than 4→6 translation needs.
func DefaultOpts() Opts {
	return Opts{
		FrameCount:     4096,
		FrameSize:      2048,
		Headroom:       0,
		FillSize:       2048,
		CompletionSize: 2048,
		RxSize:         2048,
		TxSize:         2048,
		Mode:           ModeAuto,
		NeedWakeup:     true,
		BusyPollBudget: 64,
		TxSkbBudget:    256,
	}
}

const (
	xdpPacketHeadroom = 256  // XDP_PACKET_HEADROOM, reserved by the kernel in every frame
	minPacketRoom     = 1518 // a VLAN-tagged 1500-byte frame must fit after the headroom
	maxRing           = 1 << 20
	maxFrames         = 1 << 24
)

func isPow2(n uint32) bool { return n != 0 && n&(n-1) == 0 }

// validate checks o without touching the kernel. shared is true for
// OpenShared, where the UMEM geometry and mode come from the owner.
func (o *Opts) validate(shared bool) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !shared {
		if o.FrameSize != 2048 && o.FrameSize != 4096 {
			bad("frame size %d: must be 2048 or 4096", o.FrameSize)
		} else if o.Headroom+xdpPacketHeadroom+minPacketRoom > o.FrameSize {
			bad("headroom %d: too large for %d-byte frames (at most %d)", o.Headroom, o.FrameSize, o.FrameSize-xdpPacketHeadroom-minPacketRoom)
		}
		if o.FrameCount == 0 || o.FrameCount > maxFrames {
			bad("frame count %d: must be between 1 and %d", o.FrameCount, maxFrames)
		} else if o.FrameCount < o.FillSize {
			bad("frame count %d: smaller than the fill ring (%d); the ring could never be filled", o.FrameCount, o.FillSize)
		}
		if o.Mode > ModeCopy {
			bad("mode %v: unknown", o.Mode)
		}
	}
	for _, r := range []struct {
		name string
		n    uint32
	}{{"fill", o.FillSize}, {"completion", o.CompletionSize}, {"rx", o.RxSize}, {"tx", o.TxSize}} {
		if !isPow2(r.n) || r.n > maxRing {
			bad("%s ring size %d: must be a power of two between 1 and %d", r.name, r.n, maxRing)
		}
	}
	if o.TxSkbBudget != 0 && (o.TxSkbBudget < 32 || o.TxSkbBudget > o.TxSize) {
		bad("tx skb budget %d: must be 0 (kernel default) or between 32 and the tx ring size %d", o.TxSkbBudget, o.TxSize)
	}
	if o.BusyPollUsec > 0 && (o.BusyPollBudget == 0 || o.BusyPollBudget > 65535) {
		bad("busy poll budget %d: must be between 1 and 65535 when busy polling", o.BusyPollBudget)
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid af_xdp options: %w", errors.Join(errs...))
	}
	return nil
}
