package xlat

// Output holds the extra packets one Translate call produces: further IPv6
// fragments (Forward) or an ICMP error (Reply). It is allocated once per
// worker and reused; every packet is written at offset Headroom of its own
// buffer so that the caller can prepend a link-layer header in place.
type Output struct {
	bufs     [][]byte
	lens     []int
	fams     []Family
	n        int
	headroom int
}

// NewOutput allocates room for count packets of up to size bytes each (L3),
// each preceded by headroom bytes.
func NewOutput(count, size, headroom int) *Output {
	o := &Output{
		bufs:     make([][]byte, count),
		lens:     make([]int, count),
		fams:     make([]Family, count),
		headroom: headroom,
	}
	for i := range o.bufs {
		o.bufs[i] = make([]byte, headroom+size)
	}
	return o
}

// Len returns how many packets the last Translate call wrote.
func (o *Output) Len() int { return o.n }

// Cap returns the number of packets the Output can hold.
func (o *Output) Cap() int { return len(o.bufs) }

// Headroom returns the bytes reserved in front of each packet.
func (o *Output) Headroom() int { return o.headroom }

// Packet returns packet i's L3 bytes.
func (o *Output) Packet(i int) []byte {
	return o.bufs[i][o.headroom : o.headroom+o.lens[i]]
}

// Frame returns packet i's whole buffer and the packet's offset and length
// in it (buf[:off] is the headroom).
func (o *Output) Frame(i int) (buf []byte, off, n int) {
	return o.bufs[i], o.headroom, o.lens[i]
}

// Family returns packet i's IP version.
func (o *Output) Family(i int) Family { return o.fams[i] }

func (o *Output) reset() {
	if o != nil {
		o.n = 0
	}
}

// next returns the L3 area (size bytes max) of the next free packet, or nil.
func (o *Output) next() []byte {
	if o == nil || o.n >= len(o.bufs) {
		return nil
	}
	return o.bufs[o.n][o.headroom:]
}

// commit records the packet being built in next() as n bytes long.
func (o *Output) commit(n int, f Family) {
	o.lens[o.n] = n
	o.fams[o.n] = f
	o.n++
}
