package config

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/siit-project/siit/xlat"
)

// Jool's JSON keys. Keys are matched case-insensitively, as Jool does.
const (
	keyComment   = "comment"
	keyInstance  = "instance"
	keyFramework = "framework"
	keyGlobal    = "global"
	keyEAMT      = "eamt"
	keyDenylist4 = "denylist4"
	keyBlacklist = "blacklist4" // Jool's name before 4.1.5; still accepted
	keyEAM6      = "ipv6 prefix"
	keyEAM4      = "ipv4 prefix"

	rootWhere = "the root object"
)

// nat64Only are Jool keys that a SIIT file cannot use; they get a specific
// error instead of "unknown key".
var nat64Only = []string{"pool4", "bib", "address-dependent-filtering", "drop-externally-initiated-tcp",
	"drop-icmpv6-info", "source-icmpv6-errors-better", "f-args", "handle-rst-during-fin-rcv",
	"tcp-est-timeout", "tcp-trans-timeout", "udp-timeout", "icmp-timeout", "logging-bib", "logging-session",
	"maximum-simultaneous-opens", "ss-enabled", "ss-flush-asap", "ss-flush-deadline", "ss-capacity",
	"ss-max-payload"}

func keyIs(key []byte, name string) bool { return bytes.EqualFold(key, []byte(name)) }

func unknownKey(s *scanner, pos int, key []byte, where string, known []string) error {
	for _, n := range nat64Only {
		if keyIs(key, n) {
			return s.errAt(pos, "%q is a NAT64 setting; a SIIT instance does not have it: remove it", key)
		}
	}
	if where == rootWhere && keyIs(key, "pool6") {
		return s.errAt(pos, "unknown key \"pool6\" at the top level: since Jool 4, pool6 belongs inside \"global\"")
	}
	return s.errAt(pos, "unknown key %q in %s; allowed keys are: %s (and any number of \"comment\")",
		key, where, strings.Join(known, ", "))
}

// ErrRepeatedKey is in the error Parse returns for a key that appears twice
// in one object: Jool's client refuses such a file with EEXIST, not EINVAL.
var ErrRepeatedKey = errors.New("repeated key")

type repeatedKey struct{ error }

func (repeatedKey) Is(target error) bool { return target == ErrRepeatedKey }

// seen tracks which keys an object already had, to reject duplicates as Jool does.
type seen map[string]bool

func (m seen) once(s *scanner, pos int, name string) error {
	if m[name] {
		return repeatedKey{s.errAt(pos, "key %q appears more than once; keep one", name)}
	}
	m[name] = true
	return nil
}

// Parse reads a Jool SIIT JSON configuration. name is the instance name from
// the command line (-i), or "" if none was given: when both are present they
// must agree, and when neither is, the file is rejected. Every value is checked
// for syntax and range, as Jool's client checks a file; whether the values are
// acceptable (pool6's length, lowest-ipv6-mtu, EAMT collisions, denylist4
// scope...) is for Instance.Validate to say, as Jool's kernel module does.
func Parse(data []byte, name string) (*Instance, error) { return parse(data, name, false) }

// parse is Parse; general turns off the fast paths of the EAMT reader
// (tests compare the two).
func parse(data []byte, name string, general bool) (*Instance, error) {
	if name != "" {
		if err := ValidateName(name); err != nil {
			return nil, err
		}
	}
	in := NewInstance("")
	in.Framework = ""
	s := &scanner{data: data, general: general}
	keys := seen{}
	rootKeys := []string{keyInstance, keyFramework, keyGlobal, keyEAMT, keyDenylist4}
	if c := s.peek(); c != '{' {
		return nil, s.errAt(s.pos, "the file must hold one JSON object, found %s", s.kindName())
	}
	err := s.object(func(key []byte, pos int) error {
		switch {
		case keyIs(key, keyComment):
			return s.skip()
		case keyIs(key, keyInstance):
			if err := keys.once(s, pos, keyInstance); err != nil {
				return err
			}
			v, err := s.str(keyInstance)
			if err != nil {
				return err
			}
			if err := ValidateName(v); err != nil {
				return s.errAt(pos, "%v", err)
			}
			in.Name = v
		case keyIs(key, keyFramework):
			if err := keys.once(s, pos, keyFramework); err != nil {
				return err
			}
			v, err := s.str(keyFramework)
			if err != nil {
				return err
			}
			fw, err := ParseFramework(v)
			if err != nil {
				return s.errAt(pos, "%v", err)
			}
			in.Framework = fw
		case keyIs(key, keyGlobal):
			if err := keys.once(s, pos, keyGlobal); err != nil {
				return err
			}
			return parseGlobals(s, &in.Globals)
		case keyIs(key, keyEAMT):
			if err := keys.once(s, pos, keyEAMT); err != nil {
				return err
			}
			return parseEAMT(s, in)
		case keyIs(key, keyDenylist4), keyIs(key, keyBlacklist):
			if err := keys.once(s, pos, keyDenylist4); err != nil {
				return s.errAt(pos, "both %q and %q (its old name) are present; keep one", keyDenylist4, keyBlacklist)
			}
			return parseDenylist(s, in)
		default:
			return unknownKey(s, pos, key, rootWhere, rootKeys)
		}
		return nil
	})
	if err == nil {
		err = s.end()
	}
	if err != nil {
		return nil, err
	}
	switch {
	case in.Name == "" && name == "":
		return nil, fmt.Errorf("the file does not name the instance: add \"instance\": \"NAME\" or give -i NAME")
	case in.Name == "":
		in.Name = name
	case name != "" && in.Name != name:
		return nil, fmt.Errorf("-i %s does not match the instance named in the file (%s); remove one of them", name, in.Name)
	}
	if len(in.EAMT) == 0 {
		in.EAMT = nil // an empty "eamt" is the same as none
	}
	if in.Framework == "" {
		return nil, fmt.Errorf("the file lacks the mandatory \"framework\" key; add \"framework\": \"netfilter\"")
	}
	return in, nil
}

// PeekName returns the instance name a file declares, reading nothing else
// (Jool's -f FILE only takes the name from the file).
func PeekName(data []byte) (string, error) {
	s := &scanner{data: data}
	name := ""
	if c := s.peek(); c != '{' {
		return "", s.errAt(s.pos, "the file must hold one JSON object, found %s", s.kindName())
	}
	err := s.object(func(key []byte, pos int) error {
		if keyIs(key, keyInstance) && name == "" {
			v, err := s.str(keyInstance)
			name = v
			return err
		}
		return s.skip()
	})
	if err != nil {
		return "", err
	}
	if name == "" {
		return "", fmt.Errorf("the file does not contain an instance name: add \"instance\": \"NAME\"")
	}
	return name, ValidateName(name)
}

func parseGlobals(s *scanner, g *xlat.Globals) error {
	keys := seen{}
	return s.object(func(key []byte, pos int) error {
		if keyIs(key, keyComment) {
			return s.skip()
		}
		var def Global
		for _, d := range Globals {
			if keyIs(key, d.Name) {
				def = d
			}
		}
		if def.Name == "" {
			return unknownKey(s, pos, key, "\"global\"", GlobalNames())
		}
		if err := keys.once(s, pos, def.Name); err != nil {
			return err
		}
		return parseGlobal(s, g, def)
	})
}

func parseGlobal(s *scanner, g *xlat.Globals, d Global) error {
	pos := s.pos
	switch d.Kind {
	case KindBool:
		v, err := s.boolean(d.Name)
		if err != nil {
			return err
		}
		*boolField(g, d.Name) = v
		return nil
	case KindUint8, KindUint32:
		max := uint64(0xffffffff)
		if d.Kind == KindUint8 {
			max = 0xff
		}
		v, err := s.uint(d.Name, max)
		if err != nil {
			return err
		}
		if d.Name == "tos" {
			g.TOS = uint8(v)
		} else {
			g.LowestIPv6MTU = uint32(v)
		}
		return nil
	case KindPlateaus:
		if s.peek() != '[' {
			return s.errAt(pos, "%q must be an array of MTUs, e.g. [1500, 1280], found %s", d.Name, s.kindName())
		}
		var p []uint16
		err := s.array(func(i int) error {
			if i >= MaxPlateaus {
				return s.errAt(s.pos, "%q has more than %d values", d.Name, MaxPlateaus)
			}
			v, err := s.uint(d.Name, 0xffff)
			p = append(p, uint16(v))
			return err
		})
		if err != nil {
			return err
		}
		if len(p) == 0 {
			return s.errAt(pos, "%q cannot be empty; give MTUs, e.g. [1500, 1280]", d.Name)
		}
		g.MTUPlateaus = p // as written: Validate and SetGlobal normalize it
		return nil
	}
	// Prefixes and the hairpin mode are strings; prefixes may be null.
	null, err := s.isNull()
	if err != nil {
		return err
	}
	v := "null"
	if !null {
		if v, err = s.str(d.Name); err != nil {
			return err
		}
	} else if d.Kind == KindHairpin {
		return s.errAt(pos, "%q cannot be null; use \"off\", \"simple\" or \"intrinsic\"", d.Name)
	}
	if err := setGlobal(g, d.Name, v); err != nil {
		return s.errAt(pos, "%v", err)
	}
	return nil
}

func (s *scanner) prefix(name string, parse func(string) (netip.Prefix, error)) (netip.Prefix, error) {
	pos := s.pos
	v, err := s.str(name)
	if err != nil {
		return netip.Prefix{}, err
	}
	p, err := parse(v)
	if err != nil {
		return p, s.errAt(pos, "%v", err)
	}
	return p, nil
}

func parseDenylist(s *scanner, in *Instance) error {
	if s.peek() != '[' {
		return s.errAt(s.pos, "\"denylist4\" must be an array of IPv4 prefixes, found %s", s.kindName())
	}
	return s.array(func(i int) error {
		p, err := s.prefix("denylist4 entry", ParsePrefix4)
		if err != nil {
			return err
		}
		in.Denylist4 = append(in.Denylist4, p)
		return nil
	})
}
