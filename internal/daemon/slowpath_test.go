package daemon

import (
	"bytes"
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// TestPutCmsg: the control messages the slow path builds parse back as the
// kernel reads them.
func TestPutCmsg(t *testing.T) {
	oob := make([]byte, 2*unix.CmsgSpace(unix.SizeofInet6Pktinfo))
	info := bytes.Repeat([]byte{0xab}, unix.SizeofInet6Pktinfo)
	n := putCmsg(oob, unix.IPPROTO_IPV6, unix.IPV6_PKTINFO, info)
	n += putCmsgInt(oob[n:], unix.IPPROTO_IPV6, unix.IPV6_TCLASS, 0xb8)
	msgs, err := unix.ParseSocketControlMessage(oob[:n])
	if err != nil || len(msgs) != 2 {
		t.Fatalf("parse: %v, %d messages", err, len(msgs))
	}
	if h := msgs[0].Header; h.Level != unix.IPPROTO_IPV6 || h.Type != unix.IPV6_PKTINFO || !bytes.Equal(msgs[0].Data, info) {
		t.Errorf("first message %+v %x", h, msgs[0].Data)
	}
	if h := msgs[1].Header; h.Level != unix.IPPROTO_IPV6 || h.Type != unix.IPV6_TCLASS || len(msgs[1].Data) != 4 ||
		binary.NativeEndian.Uint32(msgs[1].Data) != 0xb8 {
		t.Errorf("second message %+v %x", h, msgs[1].Data)
	}
}

// TestUpperProto6: the protocol the slow path gives the kernel's route lookup
// for an IPv6 packet is the one after a fragment header, if there is one.
func TestUpperProto6(t *testing.T) {
	pkt := make([]byte, 48)
	pkt[6] = unix.IPPROTO_UDP
	if p := upperProto6(pkt); p != unix.IPPROTO_UDP {
		t.Errorf("plain UDP: %d", p)
	}
	pkt[6], pkt[40] = unix.IPPROTO_FRAGMENT, unix.IPPROTO_TCP
	if p := upperProto6(pkt); p != unix.IPPROTO_TCP {
		t.Errorf("TCP fragment: %d", p)
	}
	if p := upperProto6(pkt[:44]); p != unix.IPPROTO_FRAGMENT { // truncated fragment header: left as it is
		t.Errorf("truncated fragment header: %d", p)
	}
}
