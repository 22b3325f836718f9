package cli

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// This file reproduces the part of GNU argp that Jool's client uses for the
// arguments after MODE OPERATION: long options with unique-prefix
// abbreviation and --opt=value, clustered short options, options mixed with
// positional arguments, "--", and the built-in --help, --usage and
// --version, with argp's message formats and its exit status (64).

const exitUsage = 64

type option struct {
	long  string
	short byte   // 0: none
	arg   string // "" for a flag, else the argument's name, e.g. "<IPv6 Prefix>"
	doc   string
	set   func(val string) error
}

// errTooMany makes a positional handler report argp's "Too many arguments".
var errTooMany = errors.New("too many arguments")

// usageError is an argp-style error: printed with the operation's name and a
// hint to --help, exit status 64.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

type argParser struct {
	name    string // operation (or global key) name, as argp's program name
	argsDoc string
	opts    []option
	// arg receives each positional argument; nil means none are accepted.
	// It returns errTooMany, a *usageError, or another error (printed as
	// "Error: ..." with status 234).
	arg func(s string) error
}

var builtin = []option{
	{long: "help", short: '?', doc: "Give this help list"},
	{long: "usage", doc: "Give a short usage message"},
	{long: "version", short: 'V', doc: "Print program version"},
}

// parse processes args (args[0] is the operation name itself). done is true
// when the command must stop (help shown, or an error), with the status.
func (p *argParser) parse(c *ctx, args []string) (done bool, status int) {
	all := append(slices.Clone(p.opts), builtin...)
	fail := func(format string, a ...any) (bool, int) {
		fmt.Fprintf(c.stderr, "%s: %s\n", p.name, fmt.Sprintf(format, a...))
		fmt.Fprintf(c.stderr, "Try `%s --help' or `%s --usage' for more information.\n", p.name, p.name)
		return true, exitUsage
	}
	// act runs an option; it returns done/status for the built-ins.
	act := func(o *option, val string) (bool, int, error) {
		switch o.long {
		case "help":
			p.help(c.stdout, c)
			return true, 0, nil
		case "usage":
			p.usage(c.stdout)
			return true, 0, nil
		case "version":
			fmt.Fprintln(c.stdout, Version)
			return true, 0, nil
		}
		return false, 0, o.set(val)
	}
	positional := func(s string) (bool, int) {
		var err error
		if p.arg == nil {
			err = errTooMany
		} else {
			err = p.arg(s)
		}
		var ue *usageError
		switch {
		case err == nil:
			return false, 0
		case errors.Is(err, errTooMany):
			return fail("Too many arguments")
		case errors.As(err, &ue):
			return fail("%s", ue.msg)
		}
		return true, c.fail(err)
	}
	optErr := func(err error) (bool, int) { return true, c.fail(err) }

	rest := args[1:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			for _, s := range rest[i+1:] {
				if d, st := positional(s); d {
					return d, st
				}
			}
			return false, 0
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			o, matches := findLong(all, name)
			if o == nil && len(matches) > 1 {
				var sb strings.Builder
				for _, m := range matches {
					fmt.Fprintf(&sb, " '--%s'", m)
				}
				return fail("option '--%s' is ambiguous; possibilities:%s", name, sb.String())
			}
			if o == nil {
				return fail("unrecognized option '%s'", a)
			}
			if o.arg == "" && hasVal {
				return fail("option '--%s' doesn't allow an argument", o.long)
			}
			if o.arg != "" && !hasVal {
				if i+1 >= len(rest) {
					return fail("option '--%s' requires an argument", o.long)
				}
				i++
				val = rest[i]
			}
			d, st, err := act(o, val)
			if err != nil {
				return optErr(err)
			}
			if d {
				return d, st
			}
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				o := findShort(all, a[j])
				if o == nil {
					return fail("invalid option -- '%c'", a[j])
				}
				val := ""
				if o.arg != "" {
					if j+1 < len(a) {
						val = a[j+1:]
					} else if i+1 < len(rest) {
						i++
						val = rest[i]
					} else {
						return fail("option requires an argument -- '%c'", a[j])
					}
					j = len(a)
				}
				d, st, err := act(o, val)
				if err != nil {
					return optErr(err)
				}
				if d {
					return d, st
				}
			}
		default:
			if d, st := positional(a); d {
				return d, st
			}
		}
	}
	return false, 0
}

// findLong resolves a long option name: an exact match, else a unique
// prefix. When the prefix is ambiguous it returns the candidates.
func findLong(opts []option, name string) (*option, []string) {
	var matches []string
	var found *option
	for i := range opts {
		if opts[i].long == name {
			return &opts[i], nil
		}
		if name != "" && strings.HasPrefix(opts[i].long, name) {
			matches = append(matches, opts[i].long)
			found = &opts[i]
		}
	}
	if len(matches) == 1 {
		return found, nil
	}
	return nil, matches
}

func findShort(opts []option, c byte) *option {
	for i := range opts {
		if opts[i].short != 0 && opts[i].short == c {
			return &opts[i]
		}
	}
	return nil
}

// sorted orders options as argp's help does: by short option if there is
// one, else by long name, case-insensitively.
func sorted(opts []option) []option {
	out := slices.Clone(opts)
	key := func(o option) string {
		if o.short != 0 {
			return strings.ToLower(string(o.short))
		}
		return strings.ToLower(o.long)
	}
	slices.SortStableFunc(out, func(a, b option) int { return strings.Compare(key(a), key(b)) })
	return out
}

func (p *argParser) help(w io.Writer, c *ctx) {
	line := "Usage: " + p.name + " [OPTION...]"
	if p.argsDoc != "" {
		line += " " + p.argsDoc
	}
	fmt.Fprintf(w, "%s\n\n", line)
	hasArg := false
	for _, o := range append(sorted(p.opts), builtin...) {
		s := "      "
		if o.short != 0 {
			s = "  -" + string(o.short) + ", "
		}
		s += "--" + o.long
		if o.arg != "" {
			s += "=" + o.arg
			hasArg = true
		}
		if len(s) < 29 {
			s += strings.Repeat(" ", 29-len(s))
		} else {
			s += "  "
		}
		fmt.Fprintf(w, "%s%s\n", s, o.doc)
	}
	if hasArg {
		fmt.Fprint(w, "\nMandatory or optional arguments to long options are also mandatory or optional\nfor any corresponding short options.\n")
	}
	fmt.Fprintf(w, "\nReport bugs to %s.\n", BugAddress)
}

func (p *argParser) usage(w io.Writer) {
	opts := sorted(p.opts)
	var tokens []string
	flags := ""
	for _, o := range opts {
		if o.short != 0 && o.arg == "" {
			flags += string(o.short)
		}
	}
	tokens = append(tokens, "[-"+flags+"?V]")
	for _, o := range opts {
		if o.short != 0 && o.arg != "" {
			tokens = append(tokens, "[-"+string(o.short)+" "+o.arg+"]")
		}
	}
	for _, o := range opts {
		if o.arg != "" {
			tokens = append(tokens, "[--"+o.long+"="+o.arg+"]")
		} else {
			tokens = append(tokens, "[--"+o.long+"]")
		}
	}
	tokens = append(tokens, "[--help]", "[--usage]", "[--version]")
	if p.argsDoc != "" {
		tokens = append(tokens, p.argsDoc)
	}
	line := "Usage: " + p.name
	for _, t := range tokens {
		if len(line)+1+len(t) > 79 {
			fmt.Fprintln(w, line)
			line = strings.Repeat(" ", 11)
		}
		line += " " + t
	}
	fmt.Fprintln(w, line)
}

// Common option builders.
func flagOpt(long string, short byte, doc string, v *bool) option {
	return option{long: long, short: short, doc: doc, set: func(string) error { *v = true; return nil }}
}

func csvOpts(csv, noHeaders *bool) []option {
	return []option{
		flagOpt("csv", 0, "Print in CSV format", csv),
		flagOpt("no-headers", 0, "Do not print table headers", noHeaders),
	}
}

func forceOpt(v *bool) option { return flagOpt("force", 'f', "Ignore warnings", v) }
