package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/siit-project/siit/internal/config"
	"github.com/siit-project/siit/internal/control"
)

// Version is what -V/--version prints: the version of Jool whose client siit
// stands in for, in the form jool_siit prints it, since scripts check it.
var Version = "4.1.9.0"

// BugAddress ends every help text.
var BugAddress = "the siit project's issue tracker"

// Exit statuses. Jool's client exits with its own (negative) error codes,
// EINVAL giving 234 and a missing kernel module 253, and with the errno
// itself when the kernel module refuses a request (see control.Error.Kernel).
const (
	exitInvalid    = 256 - int(syscall.EINVAL) // 234
	exitNotRunning = 256 - int(syscall.ESRCH)  // 253
)

// ctx is one invocation's environment.
type ctx struct {
	prog     string // program name for messages (base name of argv0)
	stdout   io.Writer
	stderr   io.Writer
	socket   string
	instance string // from -i or -f; "" means not given
	client   *control.Client
}

func (c *ctx) name() string {
	if c.instance == "" {
		return config.DefaultInstanceName
	}
	return c.instance
}

// fail prints err as Jool's client prints errors and returns the exit status.
func (c *ctx) fail(err error) int {
	var nr *control.NotRunningError
	if errors.As(err, &nr) {
		fmt.Fprintf(c.stderr, "Error: %v\n", err)
		return exitNotRunning
	}
	var fe *fileError
	if errors.As(err, &fe) {
		fmt.Fprintf(c.stderr, "Error: %v\n", err)
		return int(fe.errno)
	}
	var req *requirement
	if errors.As(err, &req) {
		fmt.Fprintln(c.stderr, req.Error())
		return exitInvalid
	}
	fmt.Fprintf(c.stderr, "Error: %v\n", err)
	var ce *control.Error
	if errors.As(err, &ce) && ce.Kernel {
		return int(ce.Errno)
	}
	return 256 - int(control.ErrnoOf(err))
}

// failDisplay is fail for a display command. Jool's client prints a table's
// header as soon as it has found the kernel module, before the request that
// fails, so the header comes out unless there is no daemon.
func (c *ctx) failDisplay(err error, header func(w io.Writer)) int {
	var nr *control.NotRunningError
	if !errors.As(err, &nr) {
		header(c.stdout)
	}
	return c.fail(err)
}

// boxedHeader returns the header of a boxed display table (eamt, denylist4):
// nothing with --no-headers, csvTitles with --csv, else titles between two
// separator lines sep.
func boxedHeader(csv, noHeaders bool, sep, csvTitles, titles string) func(w io.Writer) {
	return func(w io.Writer) {
		switch {
		case noHeaders:
		case csv:
			fmt.Fprint(w, csvTitles)
		default:
			fmt.Fprint(w, sep+titles+sep)
		}
	}
}

func (c *ctx) warn(format string, a ...any) {
	fmt.Fprintf(c.stderr, "Warning: %s\n", fmt.Sprintf(format, a...))
}

// requirement is Jool's "The command is missing ..." error.
type requirement struct{ missing []string }

func (r *requirement) Error() string {
	return "The command is missing " + strings.Join(r.missing, " and ") + "."
}

// fileError is a failure to read a file; the exit status is the errno, as
// in Jool's client.
type fileError struct {
	errno syscall.Errno
	err   error
}

func (e *fileError) Error() string { return e.err.Error() }

func readFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, readFailure(path, errors.Unwrap(err))
	}
	return data, nil
}

// openFile opens a file for `file handle` and tells whether it is a regular
// file, whose size is then known up front.
func openFile(path string) (f *os.File, size int64, regular bool, err error) {
	f, err = os.Open(path)
	if err != nil {
		return nil, 0, false, readFailure(path, errors.Unwrap(err))
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return f, 0, false, nil
	}
	return f, st.Size(), true, nil
}

// readAll reads what is left of an open file, with readFile's errors.
func readAll(f *os.File, path string) ([]byte, error) {
	data, err := io.ReadAll(f)
	if err != nil {
		if u := errors.Unwrap(err); u != nil {
			err = u
		}
		return nil, readFailure(path, err)
	}
	return data, nil
}

// readFailure is a fileError for err (the errno it carries, else EIO).
func readFailure(path string, err error) error {
	errno := syscall.EIO
	errors.As(err, &errno)
	return &fileError{errno: errno, err: fmt.Errorf("cannot read file %q: %w", path, err)}
}

// Main runs one jool_siit-compatible command line: `[-i NAME | -f FILE]
// MODE OPERATION [ARGS]`. argv0 is the program name as invoked (shown in
// help texts), args the arguments after it. The control socket is
// $SIIT_SOCKET or /run/siit/siit.sock, or the one given with --socket PATH.
// It returns the exit status.
func Main(argv0 string, args []string, stdout, stderr io.Writer) int {
	c := &ctx{prog: filepath.Base(argv0), stdout: stdout, stderr: stderr, socket: control.SocketPath()}
	if c.prog == "" || c.prog == "." {
		c.prog = "siit"
	}
	if len(args) == 0 {
		c.showHelp()
		return 0
	}
	i, done, status := c.parseGlobalOptions(args)
	if done {
		return status
	}
	c.client = control.NewClient(c.socket)
	return c.dispatch(args[i:])
}

// parseGlobalOptions handles the options before MODE, like getopt_long with
// "+?Vi:f:" (it stops at the first non-option). It returns the index of
// the first non-option argument. A malformed option gets getopt's message
// on stderr and the help on stdout, and the exit status is 0, as in Jool's
// client.
func (c *ctx) parseGlobalOptions(args []string) (next int, done bool, status int) {
	longs := []string{"help", "version", "usage", "instance", "file", "socket"}
	bad := func(format string, a ...any) (int, bool, int) {
		fmt.Fprintf(c.stderr, "%s: %s\n", c.prog, fmt.Sprintf(format, a...))
		c.showHelp()
		return 0, true, 0
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		var opt, val string
		hasVal := false
		switch {
		case a == "--":
			return i + 1, false, 0
		case strings.HasPrefix(a, "--"):
			name, v, has := strings.Cut(a[2:], "=")
			var matches []string
			for _, l := range longs {
				if l == name {
					matches = []string{l}
					break
				}
				if name != "" && strings.HasPrefix(l, name) {
					matches = append(matches, l)
				}
			}
			switch len(matches) {
			case 0:
				return bad("unrecognized option '%s'", a)
			case 1:
			default:
				return bad("option '--%s' is ambiguous; possibilities: '--%s'", name, strings.Join(matches, "' '--"))
			}
			opt, val, hasVal = matches[0], v, has
			takes := opt == "instance" || opt == "file" || opt == "socket"
			if !takes && hasVal {
				return bad("option '--%s' doesn't allow an argument", opt)
			}
			if takes && !hasVal {
				if i+1 >= len(args) {
					return bad("option '--%s' requires an argument", opt)
				}
				i++
				val = args[i]
			}
		case len(a) >= 2 && a[0] == '-':
			// A cluster ("-Vx") is read from its first option: -? and -V
			// end the command, -i and -f take the rest as their value.
			switch a[1] {
			case '?':
				opt = "help"
			case 'V':
				opt = "version"
			case 'i', 'f':
				opt = map[byte]string{'i': "instance", 'f': "file"}[a[1]]
				if len(a) > 2 {
					val = a[2:]
				} else if i+1 < len(args) {
					i++
					val = args[i]
				} else {
					return bad("option requires an argument -- '%c'", a[1])
				}
			default:
				return bad("invalid option -- '%c'", a[1])
			}
		default:
			return i, false, 0
		}
		switch opt {
		case "help":
			c.showHelp()
			return 0, true, 0
		case "version":
			fmt.Fprintln(c.stdout, Version)
			return 0, true, 0
		case "usage":
			c.showUsage(c.stdout)
			return 0, true, 0
		case "socket":
			c.socket = val
		case "instance":
			c.instance = val
		case "file":
			data, err := readFile(val)
			if err != nil {
				return 0, true, c.fail(err)
			}
			name, err := config.PeekName(data)
			if err != nil {
				return 0, true, c.fail(fmt.Errorf("%s: %w", val, err))
			}
			c.instance = name
		}
	}
	return len(args), false, 0
}

func (c *ctx) showUsage(w io.Writer) {
	fmt.Fprintf(w, "%s (\n", c.prog)
	fmt.Fprint(w, "        [<ARGP1>] <MODE> <OPERATION> [<ARGP2>]\n")
	fmt.Fprint(w, "        | [-h|--help]\n")
	fmt.Fprint(w, "        | (-V|--version)\n")
	fmt.Fprint(w, "        | --usage\n")
	fmt.Fprint(w, ")\n")
}

func (c *ctx) showHelp() {
	w := c.stdout
	fmt.Fprint(w, "Usage\n=====\n")
	c.showUsage(w)
	fmt.Fprint(w, "\n<ARGP1>\n=======\n")
	fmt.Fprint(w, "Either (--instance|-i) <INSTANCE> or (--file|-f) <FILE>.\n")
	fmt.Fprint(w, "- <INSTANCE> is the name of the instance to work on (default: \"default\")\n")
	fmt.Fprint(w, "- <FILE> is a JSON configuration file; its \"instance\" value names the instance\n")
	fmt.Fprint(w, "(siit also accepts --socket PATH: the daemon's control socket, default $SIIT_SOCKET\nor "+control.DefaultSocketPath+")\n")
	fmt.Fprint(w, "\n<MODE>s -> <OPERATION>s\n=======================\n")
	for _, m := range tree {
		fmt.Fprintf(w, "- %s -> ", m.label)
		for _, op := range m.children {
			if !op.hidden {
				fmt.Fprintf(w, "%s ", op.label)
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, "\n<ARGP2>\n======\n")
	fmt.Fprint(w, "Depends on <MODE> and <OPERATION>; see the operation's --help.\n")
	fmt.Fprintf(w, "(Example: %s instance add --help)\n", c.prog)
	fmt.Fprintf(w, "\nReport bugs to %s.\n", BugAddress)
}
