package afxdp

// Where a frame is; see "Frame accounting" in the package comment.
const (
	inFree uint8 = iota
	inFill
	inHeld
	inTx
)

// Umem is the packet memory shared by one or more sockets: FrameCount frames
// of FrameSize bytes, a per-frame location table and a stack of free frames.
//
// Bytes and Chunk may be called from any goroutine that legitimately holds
// the frame; every other method belongs to the goroutine driving the sockets
// on this Umem.
type Umem struct {
	mem       []byte
	frameSize uint64
	shift     uint   // log2(frameSize)
	headroom  uint32 // XDP_UMEM_REG headroom, before the kernel's own 256 bytes

	where []uint8  // location of each frame (inFree, ...)
	stack []uint64 // free frames' base addresses; stack[:top] are valid
	top   int
	count [4]int // frames per location

	// Lifetime: the mapping is released when the last socket closes.
	refs    int
	release func([]byte) error
}

// newUmem builds the bookkeeping for mem, which must be frameSize*frames
// bytes; every frame starts on the free stack.
func newUmem(mem []byte, frameSize, headroom uint32) *Umem {
	frames := len(mem) / int(frameSize)
	u := &Umem{
		mem:       mem,
		frameSize: uint64(frameSize),
		headroom:  headroom,
		where:     make([]uint8, frames),
		stack:     make([]uint64, frames),
	}
	for s := frameSize; s > 1; s >>= 1 {
		u.shift++
	}
	// Push in reverse so that Alloc/Refill hand out low addresses first.
	for i := frames - 1; i >= 0; i-- {
		u.stack[u.top] = uint64(i) << u.shift
		u.top++
	}
	u.count[inFree] = frames
	return u
}

// FrameSize returns the size of one frame (chunk) in bytes.
func (u *Umem) FrameSize() int { return int(u.frameSize) }

// FrameCount returns the number of frames.
func (u *Umem) FrameCount() int { return len(u.where) }

// Headroom returns the XDP_UMEM_REG headroom. The kernel additionally keeps
// XDP_PACKET_HEADROOM (256) bytes, so a received packet starts at
// RxOffset() bytes into its frame.
func (u *Umem) Headroom() int { return int(u.headroom) }

// RxOffset is where the kernel places a received packet inside its frame:
// Headroom()+256. Everything before it may be used to grow the packet.
func (u *Umem) RxOffset() int { return int(u.headroom) + xdpPacketHeadroom }

// Bytes returns the packet d describes, as a slice into the UMEM whose
// capacity extends to the end of the frame (so the packet may grow at the
// tail with append-like reslicing). It returns nil if d does not lie inside
// one frame.
func (u *Umem) Bytes(d Desc) []byte {
	if !u.valid(d) {
		return nil
	}
	end := (d.Addr &^ (u.frameSize - 1)) + u.frameSize
	return u.mem[d.Addr : d.Addr+uint64(d.Len) : end]
}

// Chunk returns the whole frame containing addr and addr's offset inside it,
// so a caller can move the packet start backwards (into the headroom) or
// forwards and transmit Desc{Addr: base+newOff, Len: newLen}, where base is
// addr-off. It returns nil, 0 if addr is outside the UMEM.
func (u *Umem) Chunk(addr uint64) (frame []byte, off int) {
	if addr >= uint64(len(u.mem)) {
		return nil, 0
	}
	base := addr &^ (u.frameSize - 1)
	return u.mem[base : base+u.frameSize : base+u.frameSize], int(addr - base)
}

// valid reports whether d lies inside a single frame and is non-empty.
func (u *Umem) valid(d Desc) bool {
	if d.Len == 0 || d.Addr >= uint64(len(u.mem)) {
		return false
	}
	off := d.Addr & (u.frameSize - 1)
	return off+uint64(d.Len) <= u.frameSize
}

// frame returns the index of the frame holding addr, or -1.
func (u *Umem) frame(addr uint64) int {
	if addr >= uint64(len(u.mem)) {
		return -1
	}
	return int(addr >> u.shift)
}

// move changes frame i's location from "from" to "to"; it reports false (and
// changes nothing) if the frame is not where the caller claims.
func (u *Umem) move(i int, from, to uint8) bool {
	if i < 0 || u.where[i] != from {
		return false
	}
	u.where[i] = to
	u.count[from]--
	u.count[to]++
	return true
}

// pop takes a frame off the free stack and marks it "to".
func (u *Umem) pop(to uint8) (uint64, bool) {
	if u.top == 0 {
		return 0, false
	}
	u.top--
	addr := u.stack[u.top]
	i := int(addr >> u.shift)
	u.where[i] = to
	u.count[inFree]--
	u.count[to]++
	return addr, true
}

// push returns frame i, currently at "from", to the free stack.
func (u *Umem) push(i int, from uint8) bool {
	if !u.move(i, from, inFree) {
		return false
	}
	u.stack[u.top] = uint64(i) << u.shift
	u.top++
	return true
}

// FrameCounts says how many frames are in each place. The four always sum to
// the Umem's frame count.
type FrameCounts struct {
	Free int // on the free stack
	Fill int // given to the kernel to receive into: fill ring, kernel, RX ring
	Held int // owned by the caller: received or allocated, not yet transmitted or freed
	Tx   int // given to the kernel to send: TX ring, kernel, completion ring
}

// Total returns the sum of all places.
func (c FrameCounts) Total() int { return c.Free + c.Fill + c.Held + c.Tx }

// Counts returns the current frame accounting. Owner goroutine only.
func (u *Umem) Counts() FrameCounts {
	return FrameCounts{
		Free: u.count[inFree], Fill: u.count[inFill],
		Held: u.count[inHeld], Tx: u.count[inTx],
	}
}

// Alloc takes a free frame for the caller to build a new packet in (for
// example a generated ICMP error). It returns the frame's base address; the
// frame is held until transmitted or freed.
func (u *Umem) Alloc() (addr uint64, ok bool) { return u.pop(inHeld) }

// Free returns a held frame (any address inside it) to the free stack. It
// reports false, and does nothing, if the caller does not hold that frame
// (a double free or a stray address).
func (u *Umem) Free(addr uint64) bool { return u.push(u.frame(addr), inHeld) }
