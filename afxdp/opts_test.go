package afxdp

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestDefaultOptsValid(t *testing.T) {
	o := DefaultOpts()
	if err := o.validate(false); err != nil {
		t.Fatal(err)
	}
}

func TestOptsValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mod    func(*Opts)
		shared bool
		want   string
	}{
		{"frame size", func(o *Opts) { o.FrameSize = 3000 }, false, "frame size 3000"},
		{"headroom", func(o *Opts) { o.Headroom = 300 }, false, "headroom 300: too large for 2048-byte frames (at most 274)"},
		{"headroom 4k ok", func(o *Opts) { o.FrameSize = 4096; o.Headroom = 2000 }, false, ""},
		{"no frames", func(o *Opts) { o.FrameCount = 0 }, false, "frame count 0"},
		{"frames < fill", func(o *Opts) { o.FrameCount = 100 }, false, "smaller than the fill ring"},
		{"ring pow2", func(o *Opts) { o.RxSize = 1000 }, false, "rx ring size 1000"},
		{"ring zero", func(o *Opts) { o.CompletionSize = 0 }, false, "completion ring size 0"},
		{"mode", func(o *Opts) { o.Mode = 9 }, false, "mode mode(9)"},
		{"budget low", func(o *Opts) { o.TxSkbBudget = 8 }, false, "tx skb budget 8"},
		{"budget > tx", func(o *Opts) { o.TxSize = 64; o.TxSkbBudget = 128 }, false, "tx skb budget 128"},
		{"busy poll budget", func(o *Opts) { o.BusyPollUsec = 20; o.BusyPollBudget = 0 }, false, "busy poll budget 0"},
		{"shared ignores geometry", func(o *Opts) { o.FrameSize = 1; o.FrameCount = 0 }, true, ""},
		{"shared checks rings", func(o *Opts) { o.FillSize = 3 }, true, "fill ring size 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := DefaultOpts()
			tc.mod(&o)
			err := o.validate(tc.shared)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestOpenValidatesFirst(t *testing.T) {
	o := DefaultOpts()
	o.FrameSize = 1000
	// An invalid option is reported before the interface is even looked up.
	_, err := Open("no-such-interface-afx", 0, o)
	if err == nil || !strings.Contains(err.Error(), "frame size 1000") {
		t.Fatalf("Open = %v, want the validation error", err)
	}
	_, err = Open("no-such-interface-afx", 0, DefaultOpts())
	if err == nil || !strings.Contains(err.Error(), `find interface "no-such-interface-afx"`) {
		t.Fatalf("Open = %v, want a clear interface error", err)
	}
}

func TestErrorHints(t *testing.T) {
	err := actionError("bind af_xdp socket to veth0 queue 3", unix.EBUSY, hintFor("bind", unix.EBUSY))
	want := "bind af_xdp socket to veth0 queue 3: device or resource busy (another program holds this queue?)"
	if err.Error() != want {
		t.Fatalf("got %q\nwant %q", err, want)
	}
	if !errors.Is(err, unix.EBUSY) {
		t.Fatal("errno not wrapped")
	}
	if h := hintFor("umem", unix.ENOMEM); !strings.Contains(h, "RLIMIT_MEMLOCK") {
		t.Fatalf("umem ENOMEM hint %q", h)
	}
}

func TestModeString(t *testing.T) {
	for m, s := range map[Mode]string{ModeAuto: "auto", ModeZeroCopy: "zero-copy", ModeCopy: "copy"} {
		if m.String() != s {
			t.Errorf("%d.String() = %q, want %q", m, m.String(), s)
		}
	}
}
