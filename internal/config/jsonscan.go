package config

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner is a small JSON reader that walks a document without building a
// tree, so that a file with a million EAMT entries is read in one pass with
// few allocations. Every error names the line where it happened.
type scanner struct {
	data  []byte
	pos   int
	depth int
	// general turns off the fast paths of the EAMT reader (for tests).
	general bool
}

const maxDepth = 64

// errAt formats an error at the current position.
func (s *scanner) errAt(pos int, format string, args ...any) error {
	if pos > len(s.data) {
		pos = len(s.data)
	}
	line := 1 + bytes.Count(s.data[:pos], []byte{'\n'})
	return fmt.Errorf("line %d: %s", line, fmt.Sprintf(format, args...))
}

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

// kindName describes the value that starts at the current position.
func (s *scanner) kindName() string {
	switch c := s.peek(); {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a number"
	case c == 0:
		return "the end of the file"
	}
	return "something that is not JSON"
}

func (s *scanner) expectByte(c byte, what string) error {
	if s.peek() != c {
		return s.errAt(s.pos, "expected %s, found %s", what, s.kindName())
	}
	s.pos++
	return nil
}

func (s *scanner) enter() error {
	s.depth++
	if s.depth > maxDepth {
		return s.errAt(s.pos, "values are nested more than %d levels deep", maxDepth)
	}
	return nil
}

// object walks an object; for each member it reads the key and the colon,
// then calls fn, which must consume the value.
func (s *scanner) object(fn func(key []byte, keyPos int) error) error {
	if err := s.expectByte('{', "an object"); err != nil {
		return err
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer func() { s.depth-- }()
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	for {
		if s.peek() != '"' {
			return s.errAt(s.pos, "expected a key in double quotes, found %s", s.kindName())
		}
		keyPos := s.pos
		key, err := s.rawString()
		if err != nil {
			return err
		}
		if err := s.expectByte(':', "':' after the key"); err != nil {
			return err
		}
		if err := fn(key, keyPos); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.errAt(s.pos, "expected ',' or '}' after an object member, found %s", s.kindName())
		}
	}
}

// array walks an array, calling fn for each element (fn consumes it).
func (s *scanner) array(fn func(i int) error) error {
	if err := s.expectByte('[', "an array"); err != nil {
		return err
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer func() { s.depth-- }()
	if s.peek() == ']' {
		s.pos++
		return nil
	}
	for i := 0; ; i++ {
		if err := fn(i); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.errAt(s.pos, "expected ',' or ']' after an array element, found %s", s.kindName())
		}
	}
}

// rawString reads a string. Without escapes the result aliases the input.
func (s *scanner) rawString() ([]byte, error) {
	if err := s.expectByte('"', "a string"); err != nil {
		return nil, err
	}
	start := s.pos
	for i := start; i < len(s.data); i++ {
		switch c := s.data[i]; {
		case c == '"':
			s.pos = i + 1
			return s.data[start:i], nil
		case c == '\\':
			return s.escapedString(start)
		case c < 0x20:
			return nil, s.errAt(i, "control character 0x%02x inside a string; escape it", c)
		}
	}
	return nil, s.errAt(start, "string never ends (missing '\"')")
}

func (s *scanner) escapedString(start int) ([]byte, error) {
	out := make([]byte, 0, 32)
	i := start
	for i < len(s.data) {
		c := s.data[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return out, nil
		case c < 0x20:
			return nil, s.errAt(i, "control character 0x%02x inside a string; escape it", c)
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(s.data) {
			break
		}
		e := s.data[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, n, ok := s.unicodeEscape(i)
			if !ok {
				return nil, s.errAt(i, "bad \\u escape in a string")
			}
			i += n
			out = utf8.AppendRune(out, r)
		default:
			return nil, s.errAt(i-1, "unknown escape \\%c in a string", e)
		}
	}
	return nil, s.errAt(start, "string never ends (missing '\"')")
}

// unicodeEscape decodes the 4 hex digits at i (and a low surrogate that
// follows a high one). It returns the rune and the bytes consumed.
func (s *scanner) unicodeEscape(i int) (rune, int, bool) {
	hex4 := func(j int) (rune, bool) {
		if j+4 > len(s.data) {
			return 0, false
		}
		v, err := strconv.ParseUint(string(s.data[j:j+4]), 16, 32)
		return rune(v), err == nil
	}
	r, ok := hex4(i)
	if !ok {
		return 0, 0, false
	}
	if utf16.IsSurrogate(r) && i+10 <= len(s.data) && s.data[i+4] == '\\' && s.data[i+5] == 'u' {
		if r2, ok := hex4(i + 6); ok {
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				return d, 10, true
			}
		}
	}
	return r, 4, true
}

// str reads a string value for the key name.
func (s *scanner) str(name string) (string, error) {
	if s.peek() != '"' {
		return "", s.errAt(s.pos, "%q must be a string, found %s", name, s.kindName())
	}
	b, err := s.rawString()
	return string(b), err
}

// isNull consumes a null if one is next.
func (s *scanner) isNull() (bool, error) {
	if s.peek() != 'n' {
		return false, nil
	}
	return true, s.literal("null")
}

func (s *scanner) literal(word string) error {
	if !bytes.HasPrefix(s.data[s.pos:], []byte(word)) {
		return s.errAt(s.pos, "invalid literal; expected %s", word)
	}
	s.pos += len(word)
	return nil
}

// boolean reads true or false for the key name.
func (s *scanner) boolean(name string) (bool, error) {
	switch s.peek() {
	case 't':
		return true, s.literal("true")
	case 'f':
		return false, s.literal("false")
	}
	return false, s.errAt(s.pos, "%q must be true or false, found %s", name, s.kindName())
}

// number reads a JSON number and returns its text.
func (s *scanner) number() ([]byte, error) {
	s.ws()
	start := s.pos
	i := start
	digits := func() int {
		n := 0
		for i < len(s.data) && s.data[i] >= '0' && s.data[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s.data) && s.data[i] == '-' {
		i++
	}
	if digits() == 0 {
		return nil, s.errAt(start, "invalid number")
	}
	if i < len(s.data) && s.data[i] == '.' {
		i++
		if digits() == 0 {
			return nil, s.errAt(start, "invalid number")
		}
	}
	if i < len(s.data) && (s.data[i] == 'e' || s.data[i] == 'E') {
		i++
		if i < len(s.data) && (s.data[i] == '+' || s.data[i] == '-') {
			i++
		}
		if digits() == 0 {
			return nil, s.errAt(start, "invalid number")
		}
	}
	s.pos = i
	return s.data[start:i], nil
}

// uint reads an unsigned integer in [0, max] for the key name.
func (s *scanner) uint(name string, max uint64) (uint64, error) {
	c := s.peek()
	if c != '-' && (c < '0' || c > '9') {
		return 0, s.errAt(s.pos, "%q must be an unsigned integer, found %s", name, s.kindName())
	}
	pos := s.pos
	txt, err := s.number()
	if err != nil {
		return 0, err
	}
	n, perr := strconv.ParseUint(string(txt), 10, 64)
	if perr != nil {
		return 0, s.errAt(pos, "%q must be an unsigned integer (0-%d), found %s", name, max, txt)
	}
	if n > max {
		return 0, s.errAt(pos, "%q: %d is out of range (0-%d)", name, n, max)
	}
	return n, nil
}

// skip consumes any value (used for "comment", whose content is free-form).
func (s *scanner) skip() error {
	switch c := s.peek(); {
	case c == '{':
		return s.object(func([]byte, int) error { return s.skip() })
	case c == '[':
		return s.array(func(int) error { return s.skip() })
	case c == '"':
		_, err := s.rawString()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := s.number()
		return err
	}
	return s.errAt(s.pos, "expected a JSON value, found %s", s.kindName())
}

// end checks that only white space follows the root value.
func (s *scanner) end() error {
	if s.peek() != 0 {
		return s.errAt(s.pos, "unexpected data after the end of the root object")
	}
	return nil
}
