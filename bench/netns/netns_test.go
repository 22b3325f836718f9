package netns

import (
	"errors"
	"strings"
	"testing"
)

// A nil *NS stands for the caller's namespace: everything runs as it is.
func TestNilIsCurrent(t *testing.T) {
	var n *NS
	ran := false
	want := errors.New("from f")
	if err := n.Do(func() error { ran = true; return want }); !ran || err != want {
		t.Fatalf("Do: ran %v, err %v", ran, err)
	}
	if err := n.Enter(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := n.Exec("echo", "here")
	if err != nil || strings.TrimSpace(string(out)) != "here" {
		t.Fatalf("Exec: %q %v", out, err)
	}
	if _, err := n.Exec("false"); err == nil || !strings.Contains(err.Error(), "(current)") {
		t.Fatalf("Exec false: %v", err)
	}
}
