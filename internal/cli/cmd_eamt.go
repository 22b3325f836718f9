package cli

import (
	"bufio"
	"fmt"
	"net/netip"
	"strings"

	"github.com/siit-project/siit/internal/config"
)

// prefixPair collects EAMT prefixes given in either order: an argument with
// ':' is the IPv6 prefix, one with '.' the IPv4 prefix (a later one of the
// same family replaces an earlier one, as in Jool).
type prefixPair struct {
	p6, p4 *netip.Prefix
}

func (pp *prefixPair) arg(s string) error {
	switch {
	case strings.Contains(s, ":"):
		p, err := config.ParsePrefix6(s)
		if err != nil {
			return err
		}
		pp.p6 = &p
	case strings.Contains(s, "."):
		p, err := config.ParsePrefix4(s)
		if err != nil {
			return err
		}
		pp.p4 = &p
	default:
		return &usageError{fmt.Sprintf("'%s' is neither an IPv6 prefix (x:y::z/len) nor an IPv4 prefix (a.b.c.d/len)", s)}
	}
	return nil
}

func eamtDisplay(c *ctx, args []string) int {
	var csv, noHeaders bool
	p := &argParser{name: args[0], opts: csvOpts(&csv, &noHeaders)}
	if done, st := p.parse(c, args); done {
		return st
	}
	sep := "+" + strings.Repeat("-", 45) + "+" + strings.Repeat("-", 20) + "+\n"
	header := boxedHeader(csv, noHeaders, sep, "IPv6 Prefix,IPv4 Prefix\n",
		fmt.Sprintf("| %43s | %18s |\n", "IPv6 Prefix", "IPv4 Prefix"))
	entries, err := c.client.EAMT(c.name())
	if err != nil {
		return c.failDisplay(err, header)
	}
	w := bufio.NewWriterSize(c.stdout, 64<<10)
	defer w.Flush()
	header(w)
	for _, e := range entries {
		if csv {
			fmt.Fprintf(w, "%s,%s\n", e.Prefix6, e.Prefix4)
		} else {
			fmt.Fprintf(w, "| %39s/%-3d | %15s/%-2d |\n", e.Prefix6.Addr(), e.Prefix6.Bits(), e.Prefix4.Addr(), e.Prefix4.Bits())
		}
	}
	if !csv {
		fmt.Fprint(w, sep)
	}
	return 0
}

func eamtAdd(c *ctx, args []string) int {
	var pp prefixPair
	var force bool
	p := &argParser{name: args[0], argsDoc: "<IPv6 prefix> <IPv4 prefix>", arg: pp.arg, opts: []option{forceOpt(&force)}}
	if done, st := p.parse(c, args); done {
		return st
	}
	var missing []string
	if pp.p6 == nil {
		missing = append(missing, "an IPv6 prefix")
	}
	if pp.p4 == nil {
		missing = append(missing, "an IPv4 prefix")
	}
	if missing != nil {
		return c.fail(&requirement{missing})
	}
	if err := c.client.AddEAM(c.name(), config.EAMEntry{Prefix6: *pp.p6, Prefix4: *pp.p4}, force); err != nil {
		return c.fail(err)
	}
	return 0
}

func eamtRemove(c *ctx, args []string) int {
	var pp prefixPair
	p := &argParser{name: args[0], argsDoc: "<IPv6 prefix> <IPv4 prefix>", arg: pp.arg}
	if done, st := p.parse(c, args); done {
		return st
	}
	if pp.p6 == nil && pp.p4 == nil {
		return c.fail(&requirement{[]string{"a prefix"}})
	}
	if err := c.client.RemoveEAM(c.name(), pp.p6, pp.p4); err != nil {
		return c.fail(err)
	}
	return 0
}

func eamtFlush(c *ctx, args []string) int {
	p := &argParser{name: args[0]}
	if done, st := p.parse(c, args); done {
		return st
	}
	if err := c.client.FlushEAMT(c.name()); err != nil {
		return c.fail(err)
	}
	return 0
}

func denylistDisplay(c *ctx, args []string) int {
	var csv, noHeaders bool
	p := &argParser{name: args[0], opts: csvOpts(&csv, &noHeaders)}
	if done, st := p.parse(c, args); done {
		return st
	}
	sep := "+" + strings.Repeat("-", 20) + "+\n"
	header := boxedHeader(csv, noHeaders, sep, "IPv4 Prefix\n", fmt.Sprintf("| %18s |\n", "IPv4 Prefix"))
	list, err := c.client.Denylist4(c.name())
	if err != nil {
		return c.failDisplay(err, header)
	}
	header(c.stdout)
	for _, pr := range list {
		if csv {
			fmt.Fprintf(c.stdout, "%s\n", pr)
		} else {
			fmt.Fprintf(c.stdout, "| %15s/%-2d |\n", pr.Addr(), pr.Bits())
		}
	}
	if !csv {
		fmt.Fprint(c.stdout, sep)
	}
	return 0
}

func prefix4Arg(dst **netip.Prefix) func(string) error {
	return func(s string) error {
		p, err := config.ParsePrefix4(s)
		if err != nil {
			return err
		}
		*dst = &p
		return nil
	}
}

func denylistAdd(c *ctx, args []string) int {
	var pr *netip.Prefix
	var force bool
	p := &argParser{name: args[0], argsDoc: "<IPv4 prefix>", arg: prefix4Arg(&pr), opts: []option{forceOpt(&force)}}
	if done, st := p.parse(c, args); done {
		return st
	}
	if pr == nil {
		return c.fail(&requirement{[]string{"an IPv4 prefix"}})
	}
	if err := c.client.AddDenylist4(c.name(), *pr, force); err != nil {
		return c.fail(err)
	}
	return 0
}

func denylistRemove(c *ctx, args []string) int {
	var pr *netip.Prefix
	p := &argParser{name: args[0], argsDoc: "<IPv4 prefix>", arg: prefix4Arg(&pr)}
	if done, st := p.parse(c, args); done {
		return st
	}
	if pr == nil {
		return c.fail(&requirement{[]string{"an IPv4 prefix"}})
	}
	if err := c.client.RemoveDenylist4(c.name(), *pr); err != nil {
		return c.fail(err)
	}
	return 0
}

func denylistFlush(c *ctx, args []string) int {
	p := &argParser{name: args[0]}
	if done, st := p.parse(c, args); done {
		return st
	}
	if err := c.client.FlushDenylist4(c.name()); err != nil {
		return c.fail(err)
	}
	return 0
}
