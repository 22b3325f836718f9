package control

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"

	"github.com/siit-project/siit/internal/config"
	"github.com/siit-project/siit/xlat/eamt"
)

// ProtocolVersion is the version of the control protocol. A peer speaking
// another version is refused with an error that says so.
const ProtocolVersion = 1

// Limits on one message. A bigger message is refused before it is read.
const (
	DefaultMaxHeader  = 1 << 20   // JSON header
	DefaultMaxPayload = 256 << 20 // binary payload: room for ~12M EAMT entries
)

// A message on the control socket is a frame:
//
//	uint32 header length (big endian) | header (JSON) | uint32 payload length | payload
//
// The header is a Request or Response; the payload carries bulk data: a Jool
// JSON file as it is (file.load: the daemon parses it, so the file is parsed
// once), or EAMT entries in the binary form of appendEAM (22 bytes each).

// Request is the header of a client's message.
type Request struct {
	Version  int             `json:"version"`
	Op       string          `json:"op"`
	Instance string          `json:"instance,omitempty"`
	Args     json.RawMessage `json:"args,omitempty"`
}

// Response is the header of the daemon's answer.
type Response struct {
	Version int             `json:"version"`
	OK      bool            `json:"ok"`
	Error   string          `json:"error,omitempty"`
	Errno   int             `json:"errno,omitempty"`
	Kernel  bool            `json:"kernel,omitempty"` // Error.Kernel (older daemons leave it out)
	Result  json.RawMessage `json:"result,omitempty"`
}

func writeFrame(w io.Writer, header any, payload []byte) error {
	if err := writeHeader(w, header, uint32(len(payload))); err != nil {
		return err
	}
	if len(payload) > 0 {
		_, err := w.Write(payload)
		return err
	}
	return nil
}

// writeHeader writes a frame up to its payload, which announces size bytes
// that the caller then writes.
func writeHeader(w io.Writer, header any, size uint32) error {
	h, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("encode control message: %w", err)
	}
	buf := make([]byte, 0, 8+len(h))
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(h)))
	buf = append(buf, h...)
	buf = binary.BigEndian.AppendUint32(buf, size)
	_, err = w.Write(buf)
	return err
}

// frameTooBig reports a frame that exceeds a limit (nothing of it was read).
type frameTooBig struct {
	what      string
	size, max uint64
}

func (e *frameTooBig) Error() string {
	return fmt.Sprintf("control message %s is %d bytes, more than the limit of %d", e.what, e.size, e.max)
}

// readFrame reads one frame; beforeRest is called once the header length is
// known (to move from the idle deadline to the transfer deadline).
func readFrame(r io.Reader, maxHeader, maxPayload int, beforeRest func()) (header, payload []byte, err error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, nil, err
	}
	if beforeRest != nil {
		beforeRest()
	}
	hl := binary.BigEndian.Uint32(n[:])
	if uint64(hl) > uint64(maxHeader) {
		return nil, nil, &frameTooBig{"header", uint64(hl), uint64(maxHeader)}
	}
	header = make([]byte, hl)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, nil, unexpectedEOF(err)
	}
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, nil, unexpectedEOF(err)
	}
	pl := binary.BigEndian.Uint32(n[:])
	if uint64(pl) > uint64(maxPayload) {
		return header, nil, &frameTooBig{"payload", uint64(pl), uint64(maxPayload)}
	}
	if pl > 0 {
		payload = config.NewFileBuffer(int(pl))
		if _, err := io.ReadFull(r, payload); err != nil {
			return nil, nil, unexpectedEOF(err)
		}
	}
	return header, payload, nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// eamWireSize is the size of one EAMT entry on the wire: IPv6 address (16),
// IPv6 length (1), IPv4 address (4), IPv4 length (1).
const eamWireSize = 22

func appendEAM(b []byte, e eamt.Entry) []byte {
	a6 := e.Prefix6.Addr().As16()
	a4 := e.Prefix4.Addr().As4()
	b = append(b, a6[:]...)
	b = append(b, byte(e.Prefix6.Bits()))
	b = append(b, a4[:]...)
	return append(b, byte(e.Prefix4.Bits()))
}

// encodeEAMT packs entries for a payload.
func encodeEAMT(es []eamt.Entry) []byte {
	b := make([]byte, 0, len(es)*eamWireSize)
	for _, e := range es {
		b = appendEAM(b, e)
	}
	return b
}

// decodeEAMT unpacks a payload; it rejects impossible prefix lengths (the
// rest of the validation is package eamt's).
func decodeEAMT(b []byte) ([]eamt.Entry, error) {
	if len(b)%eamWireSize != 0 {
		return nil, fmt.Errorf("eamt payload of %d bytes is not a whole number of %d-byte entries", len(b), eamWireSize)
	}
	out := make([]eamt.Entry, len(b)/eamWireSize)
	for i := range out {
		r := b[i*eamWireSize : (i+1)*eamWireSize]
		l6, l4 := int(r[16]), int(r[21])
		if l6 > 128 || l4 > 32 {
			return nil, fmt.Errorf("eamt payload entry #%d has prefix lengths /%d and /%d", i+1, l6, l4)
		}
		out[i] = eamt.Entry{
			Prefix6: netip.PrefixFrom(netip.AddrFrom16([16]byte(r[:16])), l6),
			Prefix4: netip.PrefixFrom(netip.AddrFrom4([4]byte(r[17:21])), l4),
		}
	}
	return out, nil
}
