// Package pcap reads classic libpcap capture files (not pcapng): both byte orders, microsecond and nanosecond
// timestamps. It is the input of `siit bench gen -pcap`; only Ethernet captures (link type 1) are useful there,
// which the caller checks. Malformed files give errors, never panics; records are bounded by the snap length and
// by MaxRecord.
package pcap

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// LinkEthernet is the pcap link type of Ethernet captures.
const LinkEthernet = 1

// MaxRecord bounds one record's captured length.
const MaxRecord = 256 << 10

// Packet is one captured frame.
type Packet struct {
	Time    time.Time
	Data    []byte // captured bytes
	OrigLen int    // length on the wire
}

// File is a parsed capture.
type File struct {
	LinkType uint32
	SnapLen  uint32
	Packets  []Packet
}

// ErrFormat is wrapped by every format error.
var ErrFormat = errors.New("pcap format")

// Read parses a whole capture.
func Read(r io.Reader) (*File, error) {
	br := bufio.NewReader(r)
	var hdr [24]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return nil, fmt.Errorf("%w: read file header: %v", ErrFormat, err)
	}
	var order binary.ByteOrder
	nano := false
	switch m := binary.LittleEndian.Uint32(hdr[:]); m {
	case 0xa1b2c3d4:
		order = binary.LittleEndian
	case 0xa1b23c4d:
		order, nano = binary.LittleEndian, true
	case 0xd4c3b2a1:
		order = binary.BigEndian
	case 0x4d3cb2a1:
		order, nano = binary.BigEndian, true
	default:
		return nil, fmt.Errorf("%w: bad magic %#08x (pcapng is not supported; convert with editcap -F pcap)", ErrFormat, m)
	}
	f := &File{SnapLen: order.Uint32(hdr[16:]), LinkType: order.Uint32(hdr[20:]) & 0x0fffffff}
	for i := 0; ; i++ {
		var rh [16]byte
		if _, err := io.ReadFull(br, rh[:]); err == io.EOF {
			return f, nil
		} else if err != nil {
			return nil, fmt.Errorf("%w: record %d header: %v", ErrFormat, i, err)
		}
		sec, frac := order.Uint32(rh[0:]), order.Uint32(rh[4:])
		incl, orig := order.Uint32(rh[8:]), order.Uint32(rh[12:])
		if incl > MaxRecord || (f.SnapLen > 0 && incl > f.SnapLen && f.SnapLen >= 64) {
			return nil, fmt.Errorf("%w: record %d claims %d bytes (snap length %d)", ErrFormat, i, incl, f.SnapLen)
		}
		data := make([]byte, incl)
		if _, err := io.ReadFull(br, data); err != nil {
			return nil, fmt.Errorf("%w: record %d data: %v", ErrFormat, i, err)
		}
		ns := int64(frac)
		if !nano {
			ns *= 1000
		}
		f.Packets = append(f.Packets, Packet{Time: time.Unix(int64(sec), ns), Data: data, OrigLen: int(orig)})
	}
}
