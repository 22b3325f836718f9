package config

import "fmt"

// The "eamt" array is most of a big file (a million entries is about 80 MB
// of JSON), so it is read in one pass with no allocation per entry:
//   - each element is first tried as the plain form, an object with exactly
//     the two keys (any case, either order), string values without escapes,
//     and JSON white space anywhere (eamFast); anything else (comments,
//     escapes, errors) goes through the general object walk, which reports
//     the errors;
//   - each prefix is first tried with the allocation-free parsers of
//     prefixfast.go, and else with ParsePrefix6 / ParsePrefix4;
//   - the entries go to one slice, sized up front from the bytes left (an
//     element takes at least minEAMBytes) and backed by huge pages.
//
// Errors are the ones the two-pass reader before it gave: the structure of
// the whole array is checked first, then the first bad prefix in file order
// (the IPv6 prefix of an entry before its IPv4 prefix) is reported.

// minEAMBytes is the length of the shortest possible element,
// {"ipv6 prefix":"::","ipv4 prefix":"0.0.0.0"}, plus its comma.
const minEAMBytes = 45

func parseEAMT(s *scanner, in *Instance) error {
	if s.peek() != '[' {
		return s.errAt(s.pos, "\"eamt\" must be an array of {\"ipv6 prefix\": ..., \"ipv4 prefix\": ...} objects, found %s", s.kindName())
	}
	var out []EAMEntry
	if n := (len(s.data) - s.pos) / minEAMBytes; n > 0 {
		out = makeHuge[EAMEntry](n + 1)[:0]
	}
	var first error // first bad prefix
	err := s.array(func(i int) error {
		var t6, t4 []byte
		var pos6, pos4 int
		ok := false
		if !s.general {
			t6, t4, pos6, pos4, ok = s.eamFast()
		}
		if !ok {
			var err error
			if t6, t4, pos6, pos4, err = s.eamObject(i); err != nil {
				return err
			}
		}
		if first != nil {
			return nil // the rest of the array is only checked for structure
		}
		p6, ok := fastPrefix6(t6)
		if !ok || s.general {
			var err error
			if p6, err = ParsePrefix6(string(t6)); err != nil {
				first = s.errAt(pos6, "%v", err)
				return nil
			}
		}
		p4, ok := fastPrefix4(t4)
		if !ok || s.general {
			var err error
			if p4, err = ParsePrefix4(string(t4)); err != nil {
				first = s.errAt(pos4, "%v", err)
				return nil
			}
		}
		out = append(out, EAMEntry{Prefix6: p6, Prefix4: p4})
		return nil
	})
	if err != nil {
		return err
	}
	if first != nil {
		return first
	}
	in.EAMT = out
	return nil
}

// eamFast reads an element of the plain form at the current position and
// returns its two strings (aliasing the input) and where they start. If the
// element is not of that form it reports false and consumes nothing.
func (s *scanner) eamFast() (t6, t4 []byte, pos6, pos4 int, ok bool) {
	start := s.pos
	d := s.data
	i := skipWS(d, start)
	if i >= len(d) || d[i] != '{' {
		return nil, nil, 0, 0, false
	}
	var has6, has4 bool
	for k := 0; k < 2; k++ {
		i = skipWS(d, i+1) // past '{' or ','
		if i+len(keyEAM6)+2 > len(d) || d[i] != '"' || d[i+len(keyEAM6)+1] != '"' {
			return nil, nil, 0, 0, false
		}
		key := d[i+1 : i+1+len(keyEAM6)]
		is6 := keyIs(key, keyEAM6)
		if !is6 && !keyIs(key, keyEAM4) || is6 && has6 || !is6 && has4 {
			return nil, nil, 0, 0, false
		}
		i = skipWS(d, i+len(keyEAM6)+2)
		if i >= len(d) || d[i] != ':' {
			return nil, nil, 0, 0, false
		}
		i = skipWS(d, i+1)
		if i >= len(d) || d[i] != '"' {
			return nil, nil, 0, 0, false
		}
		vs := i + 1
		j := vs
		for j < len(d) && d[j] != '"' && d[j] != '\\' && d[j] >= 0x20 {
			j++
		}
		if j >= len(d) || d[j] != '"' {
			return nil, nil, 0, 0, false
		}
		if is6 {
			t6, pos6, has6 = d[vs:j], vs, true
		} else {
			t4, pos4, has4 = d[vs:j], vs, true
		}
		i = skipWS(d, j+1)
		want := byte(',')
		if k == 1 {
			want = '}'
		}
		if i >= len(d) || d[i] != want {
			return nil, nil, 0, 0, false
		}
	}
	s.pos = i + 1
	return t6, t4, pos6, pos4, true
}

func skipWS(d []byte, i int) int {
	for i < len(d) && (d[i] == ' ' || d[i] == '\n' || d[i] == '\t' || d[i] == '\r') {
		i++
	}
	return i
}

// eamObject reads any element with the general object walk, which accepts
// comments and escapes and words every error.
func (s *scanner) eamObject(i int) (t6, t4 []byte, pos6, pos4 int, err error) {
	var has6, has4 bool
	start := s.pos
	if s.peek() != '{' {
		return nil, nil, 0, 0, s.errAt(s.pos, "eamt entry #%d must be an object with \"ipv6 prefix\" and \"ipv4 prefix\", found %s", i+1, s.kindName())
	}
	err = s.object(func(key []byte, pos int) error {
		switch {
		case keyIs(key, keyComment):
			return s.skip()
		case keyIs(key, keyEAM6):
			if has6 {
				return repeatedKey{s.errAt(pos, "eamt entry #%d has two %q keys", i+1, keyEAM6)}
			}
			has6 = true
			var err error
			t6, pos6, err = s.prefixText(keyEAM6)
			return err
		case keyIs(key, keyEAM4):
			if has4 {
				return repeatedKey{s.errAt(pos, "eamt entry #%d has two %q keys", i+1, keyEAM4)}
			}
			has4 = true
			var err error
			t4, pos4, err = s.prefixText(keyEAM4)
			return err
		}
		return unknownKey(s, pos, key, fmt.Sprintf("eamt entry #%d", i+1), []string{keyEAM6, keyEAM4})
	})
	if err != nil {
		return nil, nil, 0, 0, err
	}
	if !has6 || !has4 {
		missing := keyEAM6
		if has6 {
			missing = keyEAM4
		}
		return nil, nil, 0, 0, s.errAt(start, "eamt entry #%d lacks %q", i+1, missing)
	}
	return t6, t4, pos6, pos4, nil
}

// prefixText reads a string value and returns its text (a copy if it had
// escapes) and where its content starts.
func (s *scanner) prefixText(name string) ([]byte, int, error) {
	if s.peek() != '"' {
		return nil, 0, s.errAt(s.pos, "%q must be a string, found %s", name, s.kindName())
	}
	pos := s.pos + 1
	b, err := s.rawString()
	return b, pos, err
}
