package config

import (
	"fmt"
	"io"
	"os"
)

// NewFileBuffer returns a zeroed buffer for a configuration file of n bytes.
// A big one is backed by transparent huge pages, which makes writing it
// several times cheaper (a 1M-entry EAMT file is about 80 MB).
func NewFileBuffer(n int) []byte { return makeHuge[byte](n) }

// ReadFile reads a whole configuration file into a NewFileBuffer. Errors are
// os.ReadFile's.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() <= 0 || st.Size() > 1<<40 {
		return os.ReadFile(path)
	}
	b := NewFileBuffer(int(st.Size()))
	n, err := io.ReadFull(f, b)
	switch {
	case err == io.ErrUnexpectedEOF:
		return nil, fmt.Errorf("read %s: the file ended after %d of %d bytes: it changed while being read", path, n, len(b))
	case err != nil:
		return nil, &os.PathError{Op: "read", Path: path, Err: err}
	}
	// A file that grew since Stat: read the rest the ordinary way.
	rest, err := io.ReadAll(f)
	if err != nil {
		return nil, &os.PathError{Op: "read", Path: path, Err: err}
	}
	if len(rest) > 0 {
		b = append(b, rest...)
	}
	return b, nil
}
