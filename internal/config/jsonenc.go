package config

import (
	"encoding/json"
	"net/netip"
	"strconv"

	"github.com/siit-project/siit/xlat"
)

// Marshal writes in as a Jool SIIT JSON file (every global explicit, unset
// prefixes as null, EAMT entries oldest first so that loading the file
// rebuilds the same table in the same display order).
func Marshal(in *Instance) []byte {
	b := make([]byte, 0, 1024+len(in.EAMT)*64+len(in.Denylist4)*24)
	b = append(b, "{\n\t\"instance\": "...)
	b = appendJSONString(b, in.Name)
	b = append(b, ",\n\t\"framework\": "...)
	b = appendJSONString(b, string(in.Framework))
	b = append(b, ",\n\t\"global\": {\n"...)
	g := &in.Globals
	for i, d := range Globals {
		b = append(b, "\t\t\""...)
		b = append(b, d.Name...)
		b = append(b, "\": "...)
		switch d.Kind {
		case KindBool:
			b = strconv.AppendBool(b, *boolField(g, d.Name))
		case KindUint8, KindUint32, KindHairpin:
			v := FormatGlobal(g, d.Name, false)
			if d.Kind == KindHairpin {
				b = appendJSONString(b, v)
			} else {
				b = append(b, v...)
			}
		case KindPlateaus:
			b = append(b, '[')
			for j, v := range g.MTUPlateaus {
				if j > 0 {
					b = append(b, ", "...)
				}
				b = strconv.AppendUint(b, uint64(v), 10)
			}
			b = append(b, ']')
		case KindPrefix6, KindPrefix4:
			b = appendOptPrefix(b, globalPrefix(g, d.Name))
		}
		if i < len(Globals)-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	b = append(b, "\t},\n\t\"eamt\": ["...)
	for i, e := range in.EAMT {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n\t\t{ \"ipv6 prefix\": \""...)
		b = e.Prefix6.AppendTo(b)
		b = append(b, "\", \"ipv4 prefix\": \""...)
		b = e.Prefix4.AppendTo(b)
		b = append(b, "\" }"...)
	}
	if len(in.EAMT) > 0 {
		b = append(b, "\n\t"...)
	}
	b = append(b, "],\n\t\"denylist4\": ["...)
	for i, p := range in.Denylist4 {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n\t\t\""...)
		b = p.AppendTo(b)
		b = append(b, '"')
	}
	if len(in.Denylist4) > 0 {
		b = append(b, "\n\t"...)
	}
	return append(b, "]\n}\n"...)
}

func globalPrefix(g *xlat.Globals, name string) netip.Prefix {
	switch name {
	case "pool6":
		return g.Pool6
	case "rfc6791v6-prefix":
		return g.RFC6791v6Prefix
	}
	return g.RFC6791v4Prefix
}

func appendOptPrefix(b []byte, p netip.Prefix) []byte {
	if !p.IsValid() {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = p.AppendTo(b)
	return append(b, '"')
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}
