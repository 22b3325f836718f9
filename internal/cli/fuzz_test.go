package cli

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

// FuzzMain feeds arbitrary command lines to Main: it must never panic, must
// print something on failure, and a failing command must leave the
// configuration unchanged.
func FuzzMain(f *testing.F) {
	seeds := []string{
		"eamt add 2001:db8::/120 192.0.2.0/24", "e a --force 192.0.2.0/24 2001:db8::/120", "global update pool6 null",
		"g u mtu-plateaus 1500,,1280", "instance add x --pool6=64:ff9b::/96 --netf", "stats display -ae --csv",
		"address query -v 192.0.2.1", "denylist4 add 198.51.100.0/24 --force", "-i x eamt display --no-headers",
		"global update tos -- -1", "instance add -6", "file handle", "blacklist4 remove 1.2.3.4/33", "--usage",
		"eamt remove 2001:db8::/120", "global update eam-hairpin-mode simple", "instance status", "-f",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	e := newEnv(f)
	var mu sync.Mutex
	f.Fuzz(func(t *testing.T, line string) {
		mu.Lock()
		defer mu.Unlock()
		e.t = t
		args := strings.Fields(line)
		for _, a := range args {
			if strings.HasPrefix(a, "-f") || strings.HasPrefix(a, "--f") || strings.HasPrefix(a, "--s") {
				return // no reading of arbitrary files, no other sockets
			}
		}
		if len(args) > 0 && strings.HasPrefix("file", args[len(args)-1]) {
			return
		}
		// Start each input from a known configuration.
		e.st.FlushInstances()
		e.ok("instance", "add", "--pool6", "64:ff9b::/96")
		before := e.dump()
		var o, er bytes.Buffer
		code := Main("siit", append([]string{"--socket", e.sock}, args...), &o, &er)
		if code != 0 {
			if er.Len() == 0 {
				t.Fatalf("%q failed with status %d and no message", line, code)
			}
			if after := e.dump(); after != before {
				t.Fatalf("%q failed (status %d: %s) but changed the configuration", line, code, er.String())
			}
		}
	})
}

// Many CLI processes at once (as concurrent scripts would run them).
func TestConcurrentCLI(t *testing.T) {
	e := newEnv(t)
	e.ok("instance", "add", "--pool6", "64:ff9b::/96")
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				p4 := "203.0." + string(rune('0'+w)) + "." + itoa(i)
				p6 := "2001:db8:" + itoa(w+1) + "::" + itoa(i)
				if r := e.run("eamt", "add", p4, p6); r.code != 0 {
					t.Errorf("eamt add %s %s: %+v", p4, p6, r)
				}
				if r := e.run("eamt", "display", "--csv"); r.code != 0 {
					t.Errorf("display: %+v", r)
				}
				if r := e.run("global", "update", "tos", itoa(i)); r.code != 0 {
					t.Errorf("update: %+v", r)
				}
			}
		}(w)
	}
	wg.Wait()
	if n := e.st.Snapshot().Instance("default").EAMT.Len(); n != 120 {
		t.Fatalf("EAMT has %d entries, want 120", n)
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// display → file → load gives the same configuration.
func TestFileRoundTripThroughCLI(t *testing.T) {
	e := newEnv(t)
	e.ok("instance", "add", "--pool6", "64:ff9b::/96", "--iptables")
	e.ok("eamt", "add", "192.0.2.0/24", "2001:db8::/120")
	e.ok("eamt", "add", "192.0.2.16/28", "2001:db8:1::/124", "--force")
	e.ok("denylist4", "add", "198.51.100.0/24")
	e.ok("global", "update", "mtu-plateaus", "9000,1500")
	e.ok("global", "update", "rfc6791v6-prefix", "2001:db8:6791::/64")
	doc := e.ok("file", "display")
	beforeEAMT := e.ok("eamt", "display")
	beforeGlobals := e.ok("global", "display")
	path := e.writeFile("dump.json", doc)
	e.ok("instance", "flush")
	e.fails(17, "--force", "file", "handle", path) // the overlapping pair needs --force, as when it was added
	e.ok("file", "handle", path, "--force")
	if got := e.ok("file", "display"); got != doc {
		t.Fatalf("round trip changed the file:\n%s\nvs\n%s", got, doc)
	}
	if got := e.ok("eamt", "display"); got != beforeEAMT {
		t.Fatalf("eamt display changed:\n%s\nvs\n%s", got, beforeEAMT)
	}
	if got := e.ok("global", "display"); got != beforeGlobals {
		t.Fatalf("global display changed")
	}
	// Loading a file resets what it omits: globals back to defaults.
	minimal := e.writeFile("min.json", `{"instance": "default", "framework": "iptables"}`)
	e.ok("file", "handle", minimal)
	if in := e.st.Snapshot().Instance("default"); in.EAMT.Len() != 0 || in.Globals.Pool6.IsValid() || len(in.Denylist4) != 0 {
		t.Fatalf("omitted fields not reset: %+v", in)
	}
	// -i must agree with the file; -f takes the name from the file.
	e.fails(234, "does not match", "-i", "other", "file", "handle", path, "--force")
	e.fails(234, "NAT64 setting", "file", "handle", e.writeFile("bad.json", `{"instance":"default","framework":"netfilter","pool4":[]}`))
	if out := e.ok("-f", path, "global", "display"); !strings.Contains(out, "pool6: (unset)") {
		t.Fatalf("-f FILE global display:\n%s", out)
	}
}
