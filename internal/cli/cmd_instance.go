package cli

import (
	"errors"
	"fmt"
	"io"
	"net/netip"

	"github.com/siit-project/siit/internal/config"
	"github.com/siit-project/siit/internal/control"
)

// instanceNameArg accepts one instance name argument (Jool's wt_iname).
func instanceNameArg(dst *string) func(string) error {
	return func(s string) error {
		if err := config.ValidateName(s); err != nil {
			return err
		}
		*dst = s
		return nil
	}
}

// pickName reconciles -i with the name argument.
func (c *ctx) pickName(arg string) (string, error) {
	if c.instance != "" && arg != "" && c.instance != arg {
		return "", fmt.Errorf("two different instance names were given (-i %s and %s); give only one", c.instance, arg)
	}
	if arg != "" {
		return arg, nil
	}
	return c.name(), nil
}

func instanceDisplay(c *ctx, args []string) int {
	var csv, noHeaders bool
	p := &argParser{name: args[0], opts: csvOpts(&csv, &noHeaders)}
	if c.instance != "" {
		c.warn("instance display ignores the instance name argument.")
	}
	if done, st := p.parse(c, args); done {
		return st
	}
	const div = "+--------------------+-----------------+-----------+\n"
	header := func(w io.Writer) {
		if !noHeaders {
			if csv {
				fmt.Fprint(w, "Namespace,Name,Framework\n")
			} else {
				fmt.Fprint(w, div)
				fmt.Fprint(w, "|          Namespace |            Name | Framework |\n")
			}
		}
		if !csv {
			fmt.Fprint(w, div)
		}
	}
	list, err := c.client.Instances()
	if err != nil {
		return c.failDisplay(err, header)
	}
	header(c.stdout)
	for _, in := range list {
		if csv {
			fmt.Fprintf(c.stdout, "%s,%s,%s\n", in.Namespace, in.Name, in.Framework)
		} else {
			fmt.Fprintf(c.stdout, "| %18s | %15s | %9s |\n", in.Namespace, in.Name, in.Framework)
		}
	}
	if !csv {
		fmt.Fprint(c.stdout, div)
	}
	return 0
}

func instanceAdd(c *ctx, args []string) int {
	var name string
	var iptables, netfilter bool
	var pool6 netip.Prefix
	p := &argParser{name: args[0], argsDoc: "<instance name>", arg: instanceNameArg(&name), opts: []option{
		{long: "pool6", short: '6', arg: "<IPv6 Prefix>", doc: "Prefix that will populate the IPv6 Address Pool",
			set: func(v string) error {
				pp, err := config.ParsePrefix6(v)
				pool6 = pp
				return err
			}},
		flagOpt("iptables", 0, "Sit the translator on top of iptables", &iptables),
		flagOpt("netfilter", 0, "Sit the translator on top of Netfilter (default)", &netfilter),
	}}
	if done, st := p.parse(c, args); done {
		return st
	}
	n, err := c.pickName(name)
	if err != nil {
		return c.fail(err)
	}
	if iptables && netfilter {
		return c.fail(fmt.Errorf("an instance sits on one framework only: give --netfilter or --iptables, not both"))
	}
	fw := config.Netfilter
	if iptables {
		fw = config.IPTables
	}
	if err := c.client.AddInstance(n, fw, pool6); err != nil {
		return c.fail(err)
	}
	return 0
}

func instanceRemove(c *ctx, args []string) int {
	var name string
	p := &argParser{name: args[0], argsDoc: "<instance name>", arg: instanceNameArg(&name)}
	if done, st := p.parse(c, args); done {
		return st
	}
	n, err := c.pickName(name)
	if err != nil {
		return c.fail(err)
	}
	if err := c.client.RemoveInstance(n); err != nil {
		return c.fail(err)
	}
	return 0
}

func instanceFlush(c *ctx, args []string) int {
	if c.instance != "" {
		c.warn("instance flush ignores the instance name argument.")
	}
	p := &argParser{name: args[0]}
	if done, st := p.parse(c, args); done {
		return st
	}
	if err := c.client.FlushInstances(); err != nil {
		return c.fail(err)
	}
	return 0
}

func instanceStatus(c *ctx, args []string) int {
	p := &argParser{name: args[0]}
	if done, st := p.parse(c, args); done {
		return st
	}
	ok, err := c.client.InstanceExists(c.name())
	if err != nil {
		// Jool's client calls an instance dead when its kernel module is
		// not loaded, and its status unknown when the question fails.
		var nr *control.NotRunningError
		if errors.As(err, &nr) {
			fmt.Fprintln(c.stdout, "Dead")
		} else {
			fmt.Fprintln(c.stdout, "Status unknown")
		}
		return c.fail(err)
	}
	if ok {
		fmt.Fprintln(c.stdout, "Running")
	} else {
		fmt.Fprintln(c.stdout, "Dead")
		fmt.Fprintf(c.stdout, "(Instance '%s' does not exist.)\n", c.name())
	}
	return 0
}
