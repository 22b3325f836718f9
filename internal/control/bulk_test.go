package control

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/siit-project/siit/internal/config"
)

// bigJSON builds a Jool SIIT file with n EAMT entries: 2001:db8:<i>::/128 to
// 10.x.y.z/32 (n up to 2^24).
func bigJSON(n int) []byte {
	b := make([]byte, 0, 128+n*72)
	b = append(b, `{"instance":"big","framework":"netfilter","global":{"pool6":"64:ff9b::/96"},"eamt":[`...)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n\t{\"ipv6 prefix\": \"2001:db8:"...)
		b = strconv.AppendUint(b, uint64(i>>16), 16)
		b = append(b, ':')
		b = strconv.AppendUint(b, uint64(i&0xffff), 16)
		b = append(b, "::/128\", \"ipv4 prefix\": \"10."...)
		b = strconv.AppendUint(b, uint64(i>>16&0xff), 10)
		b = append(b, '.')
		b = strconv.AppendUint(b, uint64(i>>8&0xff), 10)
		b = append(b, '.')
		b = strconv.AppendUint(b, uint64(i&0xff), 10)
		b = append(b, "/32\"}"...)
	}
	return append(b, "\n]}\n"...)
}

// loadFile is `siit file handle FILE` end to end, as the CLI does it: the
// client sends the file as it is; the daemon parses and validates it, builds
// the EAM table and publishes it.
func loadFile(c *Client, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return c.LoadFile(f, st.Size(), path, "", false)
}

// loadFileClientParse is the other way `siit file handle` can go (a pipe, or
// a file too big for one control message): the client parses the file and
// sends the EAMT in binary.
func loadFileClientParse(c *Client, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	in, err := config.Parse(data, "")
	if err != nil {
		return err
	}
	return c.HandleFile(in, false)
}

func TestFileHandle100k(t *testing.T) {
	const n = 100_000
	st, _, c := startServer(t, ServerOptions{})
	path := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(path, bigJSON(n), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := loadFile(c, path); err != nil {
		t.Fatal(err)
	}
	t.Logf("file handle with %d EAMT entries: %v end to end", n, time.Since(start))
	in := st.Snapshot().Instance("big")
	if in == nil || in.EAMT.Len() != n {
		t.Fatalf("instance big has %v entries, want %d", in, n)
	}
	e, ok := in.EAMT.Match4(mustAddr("10.1.134.159"))
	if !ok || e.Prefix6.String() != "2001:db8:1:869f::/128" {
		t.Fatalf("entry for 10.1.134.159: %v %v", e, ok)
	}
	// A bad entry anywhere (here the last one) rejects the whole file.
	bad := append(bigJSON(n)[:0:0], bigJSON(n)...)
	bad = append(bad[:len(bad)-4], []byte(`,{"ipv6 prefix":"2001:db8:ffff::/128","ipv4 prefix":"10.0.0.1/32"}]}`)...)
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	gen := st.Snapshot().Generation
	if err := loadFile(c, path); err == nil {
		t.Fatal("file with a duplicate IPv4 prefix was accepted")
	} else {
		t.Logf("rejected as expected: %v", err)
	}
	if st.Snapshot().Generation != gen {
		t.Fatal("a rejected file changed the state")
	}
}

// BenchmarkFileHandle1M loads 1,000,000 EAMT entries from a Jool JSON file,
// end to end as `siit file handle` does (file sent as it is, daemon parse,
// validation, table build, publish) but in one process, without the XDP
// steering update. Target for the whole command: under 2 s.
func BenchmarkFileHandle1M(b *testing.B) { benchFileHandle(b, loadFile) }

// BenchmarkFileHandle1MClientParse is the same load with the client parsing
// the file and sending the EAMT in binary.
func BenchmarkFileHandle1MClientParse(b *testing.B) { benchFileHandle(b, loadFileClientParse) }

func benchFileHandle(b *testing.B, load func(*Client, string) error) {
	const n = 1_000_000
	dir := b.TempDir()
	path := filepath.Join(dir, "big.json")
	if err := os.WriteFile(path, bigJSON(n), 0o600); err != nil {
		b.Fatal(err)
	}
	st := NewState(Options{})
	srv, err := Start(st, ServerOptions{Path: filepath.Join(dir, "siit.sock")})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	c := NewClient(srv.Path())
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if err := load(c, path); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0)
	b.StopTimer()
	if got := st.Snapshot().Instance("big").EAMT.Len(); got != n {
		b.Fatalf("loaded %d entries", got)
	}
	b.ReportMetric(float64(n), "entries")
}
