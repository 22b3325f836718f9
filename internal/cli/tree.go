package cli

import (
	"fmt"
	"strings"

	"github.com/siit-project/siit/internal/config"
)

// node is a MODE or OPERATION (or global key) in the command tree.
type node struct {
	label    string
	hidden   bool // siit extension: must be typed in full, never listed
	children []*node
	run      func(c *ctx, args []string) int // args[0] is the label as typed
}

var tree []*node

func init() {
	instance := &node{label: "instance", children: []*node{
		{label: "display", run: instanceDisplay},
		{label: "add", run: instanceAdd},
		{label: "remove", run: instanceRemove},
		{label: "flush", run: instanceFlush},
		{label: "status", run: instanceStatus},
	}}
	stats := &node{label: "stats", children: []*node{{label: "display", run: statsDisplay}}}
	address := &node{label: "address", children: []*node{{label: "query", run: addressQuery}}}
	var keys []*node
	for _, g := range config.Globals {
		g := g
		keys = append(keys, &node{label: g.Name, run: func(c *ctx, args []string) int { return globalUpdate(c, g, args) }})
	}
	global := &node{label: "global", children: []*node{
		{label: "display", run: globalDisplay},
		{label: "update", children: keys},
	}}
	eamt := &node{label: "eamt", children: []*node{
		{label: "display", run: eamtDisplay},
		{label: "add", run: eamtAdd},
		{label: "remove", run: eamtRemove},
		{label: "flush", run: eamtFlush},
	}}
	denylist := func(deprecated bool) *node {
		wrap := func(f func(*ctx, []string) int) func(*ctx, []string) int {
			if !deprecated {
				return f
			}
			return func(c *ctx, args []string) int {
				c.warn("blacklist4 is deprecated; use denylist4 instead.")
				return f(c, args)
			}
		}
		label := "denylist4"
		if deprecated {
			label = "blacklist4"
		}
		return &node{label: label, children: []*node{
			{label: "display", run: wrap(denylistDisplay)},
			{label: "add", run: wrap(denylistAdd)},
			{label: "remove", run: wrap(denylistRemove)},
			{label: "flush", run: wrap(denylistFlush)},
		}}
	}
	file := &node{label: "file", children: []*node{
		{label: "handle", run: fileHandle},
		{label: "display", hidden: true, run: fileDisplay},
	}}
	tree = []*node{instance, stats, address, global, eamt, denylist(true), denylist(false), file}
}

// match finds the nodes whose label starts with tok: an exact match wins;
// hidden nodes only match exactly.
func match(nodes []*node, tok string) []*node {
	var out []*node
	for _, n := range nodes {
		if n.label == tok {
			return []*node{n}
		}
		if !n.hidden && strings.HasPrefix(n.label, tok) {
			out = append(out, n)
		}
	}
	return out
}

func listLabels(nodes []*node) string {
	var sb strings.Builder
	for _, n := range nodes {
		if !n.hidden {
			sb.WriteString(n.label + " ")
		}
	}
	return sb.String()
}

// dispatch walks MODE OPERATION [KEY] with unique-prefix abbreviation, as
// Jool's client does, and runs the operation.
func (c *ctx) dispatch(args []string) int {
	nodes := tree
	if len(args) == 0 {
		fmt.Fprintf(c.stderr, "More arguments expected.\nPossible follow-ups: %s\n", listLabels(nodes))
		return exitInvalid
	}
	for i, tok := range args {
		m := match(nodes, tok)
		switch {
		case len(m) == 0:
			fmt.Fprintf(c.stderr, "Unexpected token: '%s'\nAvailable options: %s\n", tok, listLabels(nodes))
			return exitInvalid
		case len(m) > 1:
			fmt.Fprintf(c.stderr, "Ambiguous token: '%s'\nAvailable options: %s\n", tok, listLabels(m))
			return exitInvalid
		}
		n := m[0]
		if n.run != nil {
			rest := append([]string{tok}, args[i+1:]...) // argp shows the token as typed
			return n.run(c, rest)
		}
		nodes = n.children
	}
	fmt.Fprintf(c.stderr, "More arguments expected.\nPossible follow-ups: %s\n", listLabels(nodes))
	return exitInvalid
}
