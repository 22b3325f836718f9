package config

import (
	"errors"
	"net/netip"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/siit-project/siit/xlat"
)

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func TestParseJoolSample(t *testing.T) {
	data, err := os.ReadFile("testdata/jool-sample-siit.json")
	if err != nil {
		t.Fatal(err)
	}
	in, err := Parse(data, "")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if err := in.Validate(false); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	want := NewInstance("instance name")
	want.Globals.Pool6 = mustPrefix("64:ff9b::/96")
	want.Globals.ManuallyEnabled = false
	want.Globals.ZeroizeTrafficClass = true
	want.Globals.TOS = 254
	want.Globals.MTUPlateaus = []uint16{1, 2, 3, 4, 5, 6} // as written; Validate and BuildFile normalize
	want.Globals.AmendUDPChecksumZero = true
	want.Globals.EAMHairpinMode = xlat.HairpinSimple
	want.Globals.RandomizeRFC6791 = false
	want.EAMT = []EAMEntry{
		{Prefix6: mustPrefix("2001:db8:1::/128"), Prefix4: mustPrefix("192.0.2.0/32")},
		{Prefix6: mustPrefix("2001:db8:2::/128"), Prefix4: mustPrefix("192.0.2.1/32")},
		{Prefix6: mustPrefix("2001:db8:3::/124"), Prefix4: mustPrefix("192.0.2.16/28")},
	}
	want.Denylist4 = []netip.Prefix{mustPrefix("198.51.100.0/32"), mustPrefix("198.51.100.2/32"), mustPrefix("198.51.100.32/27")}
	if !reflect.DeepEqual(in, want) {
		t.Fatalf("got  %+v\nwant %+v", in, want)
	}
}

func TestParseDefaultsForOmittedFields(t *testing.T) {
	in, err := Parse([]byte(`{"instance":"x","framework":"iptables"}`), "")
	if err != nil {
		t.Fatal(err)
	}
	want := NewInstance("x")
	want.Framework = IPTables
	if !reflect.DeepEqual(in, want) {
		t.Fatalf("got %+v, want defaults %+v", in, want)
	}
}

func TestRoundTrip(t *testing.T) {
	in := NewInstance("rt")
	in.Framework = IPTables
	in.Globals.Pool6 = mustPrefix("2001:db8:64::/64")
	in.Globals.LowestIPv6MTU = 1500
	in.Globals.LoggingDebug = true
	in.Globals.OverrideTOS = true
	in.Globals.TOS = 7
	in.Globals.MTUPlateaus = []uint16{9000, 1500, 1280}
	in.Globals.EAMHairpinMode = xlat.HairpinOff
	in.Globals.RFC6791v4Prefix = mustPrefix("198.51.100.0/24")
	in.Globals.RFC6791v6Prefix = mustPrefix("2001:db8:6791::/64")
	in.EAMT = []EAMEntry{
		{Prefix6: mustPrefix("2001:db8:aaaa::/120"), Prefix4: mustPrefix("192.0.2.0/24")},
		{Prefix6: mustPrefix("2001:db8:bbbb::1/128"), Prefix4: mustPrefix("203.0.113.1/32")},
	}
	in.Denylist4 = []netip.Prefix{mustPrefix("192.0.2.128/25")}
	out, err := Parse(Marshal(in), "")
	if err != nil {
		t.Fatalf("Parse(Marshal): %v\n%s", err, Marshal(in))
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip changed the config:\n in  %+v\n out %+v", in, out)
	}
	// An empty instance round-trips too.
	e := NewInstance("default")
	if out, err := Parse(Marshal(e), ""); err != nil || !reflect.DeepEqual(e, out) {
		t.Fatalf("empty round trip: %v %+v", err, out)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ json, name, want string }{
		{`{"instance":"x","framework":"netfilter","bogus":1}`, "", `unknown key "bogus"`},
		{`{"instance":"x","framework":"netfilter","global":{"bogus":1}}`, "", `unknown key "bogus" in "global"`},
		{`{"instance":"x","framework":"netfilter","global":{"udp-timeout":"1:00"}}`, "", "NAT64 setting"},
		{`{"instance":"x","framework":"netfilter","pool6":"64:ff9b::/96"}`, "", "belongs inside \"global\""},
		{`{"instance":"x","instance":"y","framework":"netfilter"}`, "", `"instance" appears more than once`},
		{`{"instance":"x","framework":"netfilter","denylist4":[],"blacklist4":[]}`, "", "keep one"},
		{`{"framework":"netfilter"}`, "", "does not name the instance"},
		{`{"instance":"x"}`, "", `"framework"`},
		{`{"instance":"x","framework":"nftables"}`, "", `unknown framework "nftables"`},
		{`{"instance":"x","framework":"netfilter"}`, "y", "does not match"},
		{`{"instance":"this-name-is-too-long","framework":"netfilter"}`, "", "limit is 15"},
		{`{"instance":"x","framework":"netfilter","global":{"tos":256}}`, "", "out of range (0-255)"},
		{`{"instance":"x","framework":"netfilter","global":{"tos":"1"}}`, "", `"tos" must be an unsigned integer, found a string`},
		{`{"instance":"x","framework":"netfilter","global":{"tos":-1}}`, "", "unsigned integer"},
		{`{"instance":"x","framework":"netfilter","global":{"manually-enabled":1}}`, "", "true or false"},
		{`{"instance":"x","framework":"netfilter","global":{"mtu-plateaus":[]}}`, "", "cannot be empty"},
		{`{"instance":"x","framework":"netfilter","global":{"eam-hairpin-mode":null}}`, "", "cannot be null"},
		{`{"instance":"x","framework":"netfilter","eamt":[{"ipv6 prefix":"2001:db8::/120"}]}`, "", `lacks "ipv4 prefix"`},
		{`{"instance":"x","framework":"netfilter","eamt":[{"ipv6 prefix":"2001:db8::/129","ipv4 prefix":"192.0.2.0/24"}]}`, "", "out of bounds (0-128)"},
		{`{"instance":"x","framework":"netfilter","eamt":[{"ipv6 prefix":"192.0.2.0/24","ipv4 prefix":"192.0.2.0/24"}]}`, "", "as an IPv6 prefix"},
		{`{"instance":"x","framework":"netfilter","eamt":{}}`, "", "must be an array"},
		{`{"instance":"x","framework":"netfilter","denylist4":["2001:db8::/32"]}`, "", "IPv4 prefix"},
		{`{"instance":"x","framework":"netfilter"} trailing`, "", "after the end"},
		{`{"instance":"x",`, "", "line 1"},
		{`[]`, "", "one JSON object"},
		{"{\n\"instance\": \"x\",\n\"framework\": 3}", "", "line 3"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.json), c.name)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%s): error %v, want one containing %q", c.json, err, c.want)
		}
	}
}

func TestParseCaseInsensitiveKeysAndComments(t *testing.T) {
	in, err := Parse([]byte(`{"Instance":"x","FRAMEWORK":"netfilter","comment":[1,{"a":null}],
		"Global":{"POOL6":"64:ff9b::/96","comment":"c"},"EAMT":[{"IPv6 Prefix":"2001:db8::","IPv4 Prefix":"192.0.2.1","comment":1}]}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if in.Globals.Pool6 != mustPrefix("64:ff9b::/96") || len(in.EAMT) != 1 {
		t.Fatalf("got %+v", in)
	}
}

// TestParseRepeatedKeys: a key twice in one object is ErrRepeatedKey (Jool's
// client says EEXIST), on the fast EAMT path and the general one alike.
func TestParseRepeatedKeys(t *testing.T) {
	for _, doc := range []string{
		`{"instance":"x","instance":"x","framework":"netfilter"}`,
		`{"instance":"x","framework":"netfilter","global":{"tos":1,"TOS":2}}`,
		`{"instance":"x","framework":"netfilter","eamt":[],"eamt":[]}`,
		`{"instance":"x","framework":"netfilter","eamt":[{"ipv6 prefix":"2001:db8::/120","ipv6 prefix":"2001:db8::/120","ipv4 prefix":"192.0.2.0/24"}]}`,
	} {
		for _, general := range []bool{false, true} {
			if _, err := parse([]byte(doc), "", general); !errors.Is(err, ErrRepeatedKey) {
				t.Errorf("%s (general %v): %v", doc, general, err)
			}
		}
	}
	both := `{"instance":"x","framework":"netfilter","denylist4":[],"blacklist4":[]}`
	if _, err := Parse([]byte(both), ""); err == nil || errors.Is(err, ErrRepeatedKey) {
		t.Errorf("denylist4 and blacklist4: %v", err)
	}
}

// TestParseLeavesValuesToValidate: as Jool's client, Parse checks syntax and
// ranges only; whether a value is acceptable is Validate's (Jool's kernel
// module's) call.
func TestParseLeavesValuesToValidate(t *testing.T) {
	cases := []struct{ global, want string }{
		{`"pool6":"64:ff9b::/95"`, "length must be 32, 40, 48, 56, 64 or 96"},
		{`"pool6":"64:ff9b::1/96"`, "host bits"},
		{`"lowest-ipv6-mtu":1000`, "1280"},
		{`"rfc6791v4-prefix":"192.0.2.1/24"`, "host bits"},
	}
	for _, c := range cases {
		in, err := Parse([]byte(`{"instance":"x","framework":"netfilter","global":{`+c.global+`}}`), "")
		if err != nil {
			t.Errorf("Parse(%s): %v", c.global, err)
			continue
		}
		if err := in.Validate(true); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%s) = %v, want an error containing %q", c.global, err, c.want)
		}
	}
}

func TestValidateCollisions(t *testing.T) {
	in := NewInstance("x")
	in.EAMT = []EAMEntry{
		{Prefix6: mustPrefix("2001:db8::/120"), Prefix4: mustPrefix("192.0.2.0/24")},
		{Prefix6: mustPrefix("2001:db8:1::/124"), Prefix4: mustPrefix("192.0.2.16/28")},
	}
	if err := in.Validate(false); err == nil {
		t.Fatal("overlapping entries accepted without --force")
	}
	if err := in.Validate(true); err != nil {
		t.Fatalf("overlapping entries rejected with --force: %v", err)
	}
	in.EAMT = append(in.EAMT, in.EAMT[0])
	if err := in.Validate(true); err == nil {
		t.Fatal("duplicate entry accepted with --force")
	}
	in = NewInstance("x")
	in.Denylist4 = []netip.Prefix{mustPrefix("127.0.0.0/8")}
	if err := in.Validate(false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("denylisting 127/8 without --force: %v", err)
	}
	in.Denylist4 = []netip.Prefix{mustPrefix("192.0.2.0/24"), mustPrefix("192.0.2.0/24")}
	if err := in.Validate(false); err != nil {
		t.Fatalf("a repeated denylist4 prefix (Jool appends it): %v", err)
	}
	in.Denylist4 = []netip.Prefix{mustPrefix("192.0.2.1/24")}
	if err := in.Validate(true); err == nil || !strings.Contains(err.Error(), "192.0.2.0/24") {
		t.Fatalf("host bits: %v", err)
	}
}

func TestPeekName(t *testing.T) {
	n, err := PeekName([]byte(`{"framework":"x","eamt":[{"a":1}],"instance":"alpha"}`))
	if err != nil || n != "alpha" {
		t.Fatalf("PeekName = %q, %v", n, err)
	}
	if _, err := PeekName([]byte(`{"framework":"netfilter"}`)); err == nil {
		t.Fatal("PeekName without instance succeeded")
	}
}

// FuzzParse: no panic; a document that parses has a valid name and a usable
// plateau list, and re-marshalling it gives a document that parses to the
// same instance.
func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("testdata/jool-sample-siit.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"instance":"x","framework":"netfilter","global":{"pool6":null,"mtu-plateaus":[1500]}}`))
	f.Add([]byte(`{"instance":"\u0041\ud83d\ude00","framework":"iptables","eamt":[]}`))
	f.Add([]byte(`{"comment":[[[[[[[{}]]]]]]],"instance":"a","framework":"netfilter","denylist4":["1.2.3.4/33"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := Parse(data, "")
		if err != nil {
			return
		}
		if err := ValidateName(in.Name); err != nil {
			t.Fatalf("parsed an invalid name: %v", err)
		}
		if n := len(in.Globals.MTUPlateaus); n == 0 || n > MaxPlateaus {
			t.Fatalf("parsed %d mtu-plateaus", n)
		}
		out, err := Parse(Marshal(in), "")
		if err != nil {
			t.Fatalf("re-parse of Marshal failed: %v\n%s", err, Marshal(in))
		}
		if !reflect.DeepEqual(in, out) {
			t.Fatalf("round trip changed the config:\n%+v\n%+v", in, out)
		}
	})
}

func TestParseEAMTEscapesAndParallelErrors(t *testing.T) {
	in, err := Parse([]byte(`{"instance":"x","framework":"netfilter","eamt":[
		{"ipv6 prefix":"2001:db8::\/120","ipv4 prefix":"192.0.2.0/24"},
		{"ipv4 prefix":"\u0031\u0039\u0038.51.100.0/24","ipv6 prefix":"2001:db8:1::/120"}]}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(in.EAMT) != 2 || in.EAMT[0].Prefix6 != mustPrefix("2001:db8::/120") || in.EAMT[1].Prefix4 != mustPrefix("198.51.100.0/24") {
		t.Fatalf("got %+v", in.EAMT)
	}
	// Enough entries to parse in parallel; two bad ones: the first (in file
	// order) is reported, with its line.
	var sb strings.Builder
	sb.WriteString(`{"instance":"x","framework":"netfilter","eamt":[` + "\n")
	for i := 0; i < 20000; i++ {
		p4 := "10.0." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256) + "/32"
		switch i {
		case 12345:
			p4 = "10.0.0.300/32"
		case 19000:
			p4 = "bogus"
		}
		if i > 0 {
			sb.WriteString(",\n")
		}
		sb.WriteString(`{"ipv6 prefix":"2001:db8::` + strconv.FormatInt(int64(i), 16) + `","ipv4 prefix":"` + p4 + `"}`)
	}
	sb.WriteString("]}")
	_, err = Parse([]byte(sb.String()), "")
	if err == nil || !strings.Contains(err.Error(), "line 12347:") || !strings.Contains(err.Error(), "10.0.0.300") {
		t.Fatalf("error = %v, want the entry on line 12347", err)
	}
}
