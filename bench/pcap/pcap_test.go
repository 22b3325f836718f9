package pcap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

// craft builds a capture by hand: header then records.
func craft(order binary.ByteOrder, magic uint32, link uint32, recs ...[]byte) []byte {
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, order, v) }
	w(magic)
	w(uint16(2))
	w(uint16(4))
	w(int32(0))
	w(uint32(0))
	w(uint32(65535))
	w(link)
	for i, r := range recs {
		w(uint32(1700000000 + i))
		w(uint32(250))
		w(uint32(len(r)))
		w(uint32(len(r) + 4))
		b.Write(r)
	}
	return b.Bytes()
}

func TestReadCraftedFiles(t *testing.T) {
	recs := [][]byte{bytes.Repeat([]byte{1}, 60), bytes.Repeat([]byte{2}, 1514), {3, 3, 3}}
	for _, c := range []struct {
		order binary.ByteOrder
		magic uint32
		ns    int
	}{
		{binary.LittleEndian, 0xa1b2c3d4, 250000},
		{binary.BigEndian, 0xa1b2c3d4, 250000},
		{binary.LittleEndian, 0xa1b23c4d, 250},
		{binary.BigEndian, 0xa1b23c4d, 250},
	} {
		f, err := Read(bytes.NewReader(craft(c.order, c.magic, LinkEthernet, recs...)))
		if err != nil {
			t.Fatalf("%v %#x: %v", c.order, c.magic, err)
		}
		if f.LinkType != LinkEthernet || f.SnapLen != 65535 || len(f.Packets) != 3 {
			t.Fatalf("header: %+v", f)
		}
		for i, p := range f.Packets {
			if !bytes.Equal(p.Data, recs[i]) || p.OrigLen != len(recs[i])+4 {
				t.Fatalf("record %d: %d bytes orig %d", i, len(p.Data), p.OrigLen)
			}
			if want := time.Unix(int64(1700000000+i), int64(c.ns)); !p.Time.Equal(want) {
				t.Fatalf("record %d time %v, want %v", i, p.Time, want)
			}
		}
	}
}

func TestReadRejectsMalformed(t *testing.T) {
	good := craft(binary.LittleEndian, 0xa1b2c3d4, LinkEthernet, make([]byte, 60))
	for name, b := range map[string][]byte{
		"empty":          nil,
		"short header":   good[:10],
		"pcapng":         append([]byte{0x0a, 0x0d, 0x0d, 0x0a}, good[4:]...),
		"cut record hdr": good[:30],
		"cut data":       good[:len(good)-1],
		"huge record":    craft(binary.LittleEndian, 0xa1b2c3d4, LinkEthernet, make([]byte, 70000)),
	} {
		if _, err := Read(bytes.NewReader(b)); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err %v, want ErrFormat", name, err)
		}
	}
}

func FuzzRead(f *testing.F) {
	f.Add(craft(binary.LittleEndian, 0xa1b2c3d4, LinkEthernet, make([]byte, 60)))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Read(bytes.NewReader(b))
		if err == nil {
			for _, p := range file.Packets {
				if len(p.Data) > MaxRecord {
					t.Fatal("record above MaxRecord accepted")
				}
			}
		}
	})
}
