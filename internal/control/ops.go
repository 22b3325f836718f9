package control

import (
	"encoding/json"
	"net/netip"
	"syscall"

	"github.com/siit-project/siit/internal/config"
	"github.com/siit-project/siit/xlat"
)

// Operation names on the wire.
const (
	OpInstanceDisplay = "instance.display"
	OpInstanceAdd     = "instance.add"
	OpInstanceRemove  = "instance.remove"
	OpInstanceFlush   = "instance.flush"
	OpInstanceStatus  = "instance.status"
	OpGlobalDisplay   = "global.display"
	OpGlobalUpdate    = "global.update"
	OpEAMTDisplay     = "eamt.display"
	OpEAMTAdd         = "eamt.add"
	OpEAMTRemove      = "eamt.remove"
	OpEAMTFlush       = "eamt.flush"
	OpDenylistDisplay = "denylist4.display"
	OpDenylistAdd     = "denylist4.add"
	OpDenylistRemove  = "denylist4.remove"
	OpDenylistFlush   = "denylist4.flush"
	OpStatsDisplay    = "stats.display"
	OpAddressQuery    = "address.query"
	OpFileHandle      = "file.handle"
	OpFileLoad        = "file.load"
	OpFileDisplay     = "file.display"
	OpPing            = "ping"
)

// InstanceInfo is one row of `instance display`.
type InstanceInfo struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Framework string `json:"framework"`
}

type instanceAddArgs struct {
	Framework string `json:"framework"`
	Pool6     string `json:"pool6,omitempty"`
}

type statusResult struct {
	Exists bool `json:"exists"`
}

type globalUpdateArgs struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Force bool   `json:"force,omitempty"`
}

type eamArgs struct {
	Prefix6 string `json:"prefix6,omitempty"`
	Prefix4 string `json:"prefix4,omitempty"`
	Force   bool   `json:"force,omitempty"`
}

type prefixArgs struct {
	Prefix string `json:"prefix"`
	Force  bool   `json:"force,omitempty"`
}

// Counter is one statistic in a `stats display` answer.
type Counter struct {
	Name  string `json:"name"`
	Value uint64 `json:"value"`
}

type queryArgs struct {
	Addr string `json:"addr"`
}

type queryResult struct {
	Query   string `json:"query"`
	Method  string `json:"method"`
	Prefix6 string `json:"prefix6,omitempty"` // EAM IPv6 prefix or pool6
	Prefix4 string `json:"prefix4,omitempty"` // EAM IPv4 prefix
	Result  string `json:"result"`
}

// fileArgs carries a whole instance: everything but the EAMT as a Jool JSON
// document (parsed again by the daemon), the EAMT in the binary payload.
type fileArgs struct {
	Config string `json:"config"`
	Force  bool   `json:"force,omitempty"`
}

// fileLoadArgs goes with a payload that is a Jool JSON file as it is; the
// daemon parses it. Name is the file's name as the user gave it: the daemon
// prefixes parse errors with it, as the CLI did when it parsed files itself.
type fileLoadArgs struct {
	Name  string `json:"name"`
	Force bool   `json:"force,omitempty"`
}

func decodeArgs(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return errnoErr(syscall.EINVAL, "malformed request arguments: %v", err)
	}
	return nil
}

func parseOptPrefix(s string, parse func(string) (netip.Prefix, error)) (*netip.Prefix, error) {
	if s == "" {
		return nil, nil
	}
	p, err := parse(s)
	if err != nil {
		return nil, invalid(err)
	}
	return &p, nil
}

// counterList turns a counter array into its wire form, in Jool's order.
func counterList(c *[xlat.NumCounters]uint64) []Counter {
	out := make([]Counter, len(c))
	for i := range c {
		out[i] = Counter{Name: xlat.Counter(i).Name(), Value: c[i]}
	}
	return out
}

// globalsDoc renders just the globals of an instance as a Jool JSON document.
func globalsDoc(in *Instance) string {
	c := &config.Instance{Name: in.Name, Framework: in.Framework, Globals: in.Globals}
	return string(config.Marshal(c))
}
