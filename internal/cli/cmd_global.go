package cli

import (
	"fmt"
	"io"

	"github.com/siit-project/siit/internal/config"
)

func globalDisplay(c *ctx, args []string) int {
	var csv, noHeaders bool
	p := &argParser{name: args[0], opts: csvOpts(&csv, &noHeaders)}
	if done, st := p.parse(c, args); done {
		return st
	}
	header := func(w io.Writer) {
		if csv && !noHeaders {
			fmt.Fprint(w, "Field,Value\n")
		}
	}
	in, err := c.client.Globals(c.name())
	if err != nil {
		return c.failDisplay(err, header)
	}
	header(c.stdout)
	for _, g := range config.Globals {
		v := config.FormatGlobal(&in.Globals, g.Name, csv)
		if csv {
			fmt.Fprintf(c.stdout, "%s,%s\n", g.Name, v)
		} else {
			fmt.Fprintf(c.stdout, "  %s: %s\n", g.Name, v)
		}
	}
	return 0
}

func globalUpdate(c *ctx, g config.Global, args []string) int {
	var value string
	var have, force bool
	p := &argParser{name: args[0], argsDoc: "<string>", opts: []option{forceOpt(&force)},
		arg: func(s string) error { value, have = s, true; return nil }}
	if done, st := p.parse(c, args); done {
		return st
	}
	if !have {
		return c.fail(fmt.Errorf("missing value of key %s; usage: global update %s VALUE (%s)", g.Name, g.Name, g.Doc))
	}
	// Check the syntax here, as Jool's client does, so that typing mistakes
	// are reported even without a daemon. The daemon validates the value,
	// as Jool's kernel module does.
	if err := config.CheckGlobalSyntax(g.Name, value); err != nil {
		return c.fail(err)
	}
	if err := c.client.UpdateGlobal(c.name(), g.Name, value, force); err != nil {
		return c.fail(err)
	}
	return 0
}
