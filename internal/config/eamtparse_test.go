package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// FuzzFastPrefix holds the allocation-free prefix parsers to their contract:
// whatever they accept, ParsePrefix4 / ParsePrefix6 accept with the same
// value.
func FuzzFastPrefix(f *testing.F) {
	for _, s := range []string{"192.0.2.0/24", "0.0.0.0", "255.255.255.255/32", "1.2.3.4/0", "01.2.3.4", "1.2.3.4/024",
		"1.2.3.256", "1.2.3.4/33", "1.2.3", "1.2.3.4.5", "2001:db8::/32", "::", "::/0", "::1", "1::", "1:2:3:4:5:6:7:8",
		"1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1::", "1:::2", "fFfF::/128",
		"12345::", "::ffff:192.0.2.1", "fe80::1%eth0", "2001:db8::/129", "2001:db8::/1280", "2001:db8::/", "/24", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p, ok := fastPrefix4([]byte(s)); ok {
			q, err := ParsePrefix4(s)
			if err != nil || p != q {
				t.Fatalf("fastPrefix4(%q) = %v; ParsePrefix4: %v, %v", s, p, q, err)
			}
		}
		if p, ok := fastPrefix6([]byte(s)); ok {
			q, err := ParsePrefix6(s)
			if err != nil || p != q {
				t.Fatalf("fastPrefix6(%q) = %v; ParsePrefix6: %v, %v", s, p, q, err)
			}
		}
	})
}

// TestFastPrefixCoversCommonSpellings: the fast path must take the usual
// spellings, or bulk loads quietly fall back to the slow parsers.
func TestFastPrefixCoversCommonSpellings(t *testing.T) {
	for _, s := range []string{"192.0.2.0/24", "198.51.100.7", "10.0.0.0/8", "0.0.0.0/0"} {
		if _, ok := fastPrefix4([]byte(s)); !ok {
			t.Errorf("fastPrefix4(%q) fell back", s)
		}
	}
	for _, s := range []string{"2001:db8::/32", "2001:db8:1:2::/64", "2001:db8::c000:201/128", "64:ff9b::/96", "::/0",
		"2001:DB8:0:0:0:0:0:1", "2001:db8:0:1::", "::1"} {
		if _, ok := fastPrefix6([]byte(s)); !ok {
			t.Errorf("fastPrefix6(%q) fell back", s)
		}
	}
}

// FuzzParseEAMTFastPaths: the EAMT reader with its fast paths gives exactly
// what the general object walk and prefix parsers give: the same entries, or
// the same error word for word.
func FuzzParseEAMTFastPaths(f *testing.F) {
	head := `{"instance":"x","framework":"netfilter","eamt":[`
	for _, body := range []string{
		`{"ipv6 prefix":"2001:db8::/120","ipv4 prefix":"192.0.2.0/24"}`,
		`{ "IPv4 Prefix" : "192.0.2.1" ,` + "\n\t" + `"ipv6 prefix": "2001:db8::1" }, {"ipv6 prefix":"::","ipv4 prefix":"0.0.0.0"}`,
		`{"ipv6 prefix":"2001:db8::/120","ipv4 prefix":"192.0.2.0/24","comment":"x"}`,
		`{"ipv6 prefix":"2001:db8::/120","ipv6 prefix":"2001:db8::/120"}`,
		`{"ipv6 prefix":"2001:db8::\/120","ipv4 prefix":"192.0.2.0/24"}`,
		`{"ipv6 prefix":"2001:db8::/129","ipv4 prefix":"192.0.2.0/24"},{"ipv6 prefix":1}`,
		`{"ipv6 prefix":"2001:db8::/120","ipv4 prefix":"192.0.2.0/24"}]`,
		`{"ipv6 prefix":"2001:db8::/120"}`,
		`{"ipv6 prefix":"x","ipv4 prefix":"y"},{"ipv4 prefix":"z"}`,
		`[]`, `{}`, `"x"`,
	} {
		f.Add([]byte(head + body + "]}"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, errFast := parse(data, "", false)
		gen, errGen := parse(data, "", true)
		if fmt.Sprint(errFast) != fmt.Sprint(errGen) {
			t.Fatalf("fast paths: %v\ngeneral:    %v", errFast, errGen)
		}
		if errFast == nil && !reflect.DeepEqual(fast, gen) {
			t.Fatalf("fast paths: %+v\ngeneral:    %+v", fast, gen)
		}
	})
}

// TestParseEAMTErrorOrder pins the order of errors in the EAMT array: a
// structural error anywhere in it beats a bad prefix before it; a bad prefix
// beats anything after the array; among bad prefixes, the first in file
// order, IPv6 before IPv4 within an entry.
func TestParseEAMTErrorOrder(t *testing.T) {
	const head = `{"instance":"x","framework":"netfilter","eamt":[` + "\n"
	cases := []struct{ doc, want string }{
		{head + `{"ipv6 prefix":"2001:db8::/129","ipv4 prefix":"192.0.2.0/24"},` + "\n" + `{"ipv6 prefix":"2001:db8::1"}]}`,
			`line 2: eamt entry #2 lacks "ipv4 prefix"`}, // the position after the comma, as before
		{head + `{"ipv6 prefix":"2001:db8::/129","ipv4 prefix":"192.0.2.0/24"}],` + "\n" + `"pool6":"x"}`,
			`line 2: cannot parse "2001:db8::/129": prefix length 129 is out of bounds (0-128)`},
		{head + `{"ipv4 prefix":"192.0.2.0/33",` + "\n" + `"ipv6 prefix":"2001:db8::/129"}]}`,
			`line 3: cannot parse "2001:db8::/129"`},
		{head + `{"ipv6 prefix":"2001:db8::/128","ipv4 prefix":"192.0.2.0/33"},` + "\n" + `{"ipv6 prefix":"2001:db8::/129","ipv4 prefix":"192.0.2.0"}]}`,
			`line 2: cannot parse "192.0.2.0/33"`},
	}
	for _, c := range cases {
		for _, general := range []bool{false, true} {
			_, err := parse([]byte(c.doc), "", general)
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("general %v: %s\nerror %v\nwant  %s...", general, c.doc, err, c.want)
			}
		}
	}
}

// TestParseEAMTAllocations: a big EAMT costs a constant number of
// allocations, not a few per entry.
func TestParseEAMTAllocations(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(`{"instance":"x","framework":"netfilter","eamt":[`)
	for i := range 20000 {
		if i > 0 {
			sb.WriteString(",\n")
		}
		sb.WriteString(`{"ipv6 prefix": "2001:db8:` + strconv.FormatInt(int64(i), 16) + `::/128", "ipv4 prefix": "10.0.` +
			strconv.Itoa(i/256) + "." + strconv.Itoa(i%256) + `/32"}`)
	}
	sb.WriteString("]}")
	data := []byte(sb.String())
	allocs := testing.AllocsPerRun(3, func() {
		in, err := Parse(data, "")
		if err != nil || len(in.EAMT) != 20000 {
			t.Fatalf("%v, %d entries", err, len(in.EAMT))
		}
	})
	if allocs > 40 {
		t.Fatalf("%v allocations to parse 20000 entries", allocs)
	}
}
