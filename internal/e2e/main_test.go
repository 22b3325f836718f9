package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// helperEnv marks a re-executed test binary that runs a traffic helper
// (helper_test.go) instead of the tests.
const helperEnv = "SIIT_E2E_HELPER"

// siitBin is the siit binary built once by TestMain; skipReason is set when
// the tests cannot run here.
var (
	siitBin    string
	skipReason string
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(runHelper(os.Args[1:]))
	}
	dir, err := os.MkdirTemp("", "siit-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: create a temporary directory:", err)
		os.Exit(1)
	}
	skipReason = prerequisites()
	if skipReason == "" {
		removeStaleLabs()
		siitBin, err = buildSiit(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// prerequisites says why the end-to-end tests cannot run, or "".
func prerequisites() string {
	if os.Geteuid() != 0 {
		return "end-to-end tests need root (network namespaces, XDP, AF_XDP)"
	}
	for _, tool := range []string{"ip", "ping", "ethtool"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Sprintf("end-to-end tests need the %s tool on PATH", tool)
		}
	}
	// No bpffs: siit pins nothing, and `ip netns exec` hides the host's
	// bpffs from the translator anyway (TestTraffic checks that it runs so).
	return ""
}

// buildSiit compiles ./cmd/siit into dir (world-readable, so the
// not-root test can run it as nobody).
func buildSiit(dir string) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
		if _, serr := os.Stat(goBin); serr != nil {
			return "", fmt.Errorf("build siit: the go command is not on PATH: %w", err)
		}
	}
	out := filepath.Join(dir, "siit")
	cmd := exec.Command(goBin, "build", "-o", out, "github.com/siit-project/siit/cmd/siit")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build siit: %w\n%s", err, strings.TrimSpace(string(b)))
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", fmt.Errorf("build siit: %w", err)
	}
	return out, nil
}

// needLab skips t unless the end-to-end prerequisites are met.
func needLab(t *testing.T) {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
}
