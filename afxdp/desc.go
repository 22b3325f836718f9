package afxdp

// Desc describes one packet in the UMEM, laid out exactly like the kernel's
// struct xdp_desc. Addr is a byte offset into the UMEM; in aligned mode it may
// point anywhere inside a frame as long as Addr+Len stays inside that frame.
type Desc struct {
	Addr    uint64
	Len     uint32
	Options uint32
}
