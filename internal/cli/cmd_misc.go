package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"

	"github.com/siit-project/siit/internal/config"
	"github.com/siit-project/siit/internal/control"
	"github.com/siit-project/siit/xlat"
)

func statsDisplay(c *ctx, args []string) int {
	var all, explain, csv, noHeaders bool
	p := &argParser{name: args[0], opts: append([]option{
		flagOpt("all", 'a', "Do not filter out zero stats", &all),
		flagOpt("explain", 'e', "Print a description of what each stat means", &explain),
	}, csvOpts(&csv, &noHeaders)...)}
	if done, st := p.parse(c, args); done {
		return st
	}
	header := func(w io.Writer) {
		if csv && !noHeaders {
			fmt.Fprint(w, "Stat,Value")
			if explain {
				fmt.Fprint(w, ",Explanation")
			}
			fmt.Fprintln(w)
		}
	}
	counters, err := c.client.Stats(c.name())
	if err != nil {
		return c.failDisplay(err, header)
	}
	header(c.stdout)
	for _, k := range counters {
		if !all && k.Value == 0 {
			continue
		}
		doc := ""
		if id, ok := xlat.CounterByName(k.Name); ok {
			doc = id.Doc()
		}
		if csv {
			fmt.Fprintf(c.stdout, "%s,%d", k.Name, k.Value)
			if explain {
				fmt.Fprintf(c.stdout, ",\"%s\"", strings.ReplaceAll(doc, `"`, `""`))
			}
			fmt.Fprintln(c.stdout)
		} else {
			fmt.Fprintf(c.stdout, "%s: %d\n", k.Name, k.Value)
			if explain {
				fmt.Fprintf(c.stdout, "%s\n\n", doc)
			}
		}
	}
	return 0
}

func addressQuery(c *ctx, args []string) int {
	var verbose bool
	var addr string
	p := &argParser{name: args[0], argsDoc: "<IP Address>",
		opts: []option{flagOpt("verbose", 'v', "Show more information", &verbose)},
		arg: func(s string) error {
			if !strings.ContainsAny(s, ":.") {
				return &usageError{fmt.Sprintf("'%s' is not an IPv4 or IPv6 address", s)}
			}
			if _, err := config.ParseAddr(s); err != nil {
				return err
			}
			addr = s
			return nil
		}}
	if done, st := p.parse(c, args); done {
		return st
	}
	if addr == "" {
		return c.fail(&requirement{[]string{"an IP address"}})
	}
	a, _ := config.ParseAddr(addr)
	r, err := c.client.Query(c.name(), a)
	if err != nil {
		return c.fail(err)
	}
	if verbose {
		printQuery(c, r)
		fmt.Fprint(c.stdout, "  Result: ")
	}
	fmt.Fprintln(c.stdout, r.Result)
	return 0
}

// printQuery explains a translation in the layout of Jool's --verbose.
func printQuery(c *ctx, r control.QueryResult) {
	w := c.stdout
	fmt.Fprintf(w, "  Query: %s\n", r.Query)
	to6 := r.Query.Is4()
	switch r.Method {
	case control.MethodPool6:
		fmt.Fprintf(w, "  Scheme: RFC 6052 prefix\n    Prefix: %s\n", r.Pool6)
		if to6 {
			fmt.Fprintf(w, "  Operation: %s + %s = %s\n", r.Pool6, r.Query, r.Result)
		} else {
			fmt.Fprintf(w, "  Operation: %s - %s = %s\n", r.Query, r.Pool6, r.Result)
		}
	case control.MethodEAMT:
		fmt.Fprintf(w, "  Scheme: EAMT\n    EAM: %s | %s\n", r.EAM.Prefix6, r.EAM.Prefix4)
		if to6 {
			fmt.Fprintf(w, "  Operation: %s - %s + %s = %s\n", r.Query, r.EAM.Prefix4, r.EAM.Prefix6, r.Result)
		} else {
			fmt.Fprintf(w, "  Operation: %s - %s + %s = %s\n", r.Query, r.EAM.Prefix6, r.EAM.Prefix4, r.Result)
		}
	}
}

func fileHandle(c *ctx, args []string) int {
	var path string
	var force bool
	p := &argParser{name: args[0], argsDoc: "<string>", opts: []option{forceOpt(&force)},
		arg: func(s string) error { path = s; return nil }}
	if done, st := p.parse(c, args); done {
		return st
	}
	if path == "" {
		return c.fail(&requirement{[]string{"a file name"}})
	}
	if err := c.handleFile(path, force); err != nil {
		return c.fail(err)
	}
	return 0
}

// handleFile sends the file as it is to the daemon, which parses it (once)
// and applies it: a big file costs the client almost nothing. Errors read as
// when the client parsed files itself: a file that cannot be read or parsed
// is reported as such even when no daemon is running.
func (c *ctx) handleFile(path string, force bool) error {
	f, size, regular, err := openFile(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if !regular || size > control.DefaultMaxPayload {
		// A pipe, say, or too big to travel as it is.
		data, err := readAll(f, path)
		if err != nil {
			return err
		}
		return c.sendParsed(data, path, force)
	}
	fr := &fileReader{r: f, want: size}
	err = c.client.LoadFile(fr, size, path, c.instance, force)
	if fr.err != nil {
		return readFailure(path, fr.err)
	}
	var de *control.DialError
	var ce *control.Error
	switch {
	case errors.As(err, &de):
		// No daemon parsed it: a broken file still gets its own error.
		data, rerr := readFile(path)
		if rerr != nil {
			return rerr
		}
		if _, perr := config.Parse(data, c.instance); perr != nil {
			return fmt.Errorf("%s: %w", path, perr)
		}
	case errors.As(err, &ce) && ce.Errno == syscall.EOPNOTSUPP:
		// A daemon older than this client (still running after an
		// upgrade) does not parse files: do it here.
		data, rerr := readFile(path)
		if rerr != nil {
			return rerr
		}
		return c.sendParsed(data, path, force)
	}
	return err
}

// sendParsed parses a file here and sends the EAMT in binary.
func (c *ctx) sendParsed(data []byte, path string, force bool) error {
	in, err := config.Parse(data, c.instance)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return c.client.HandleFile(in, force)
}

// fileReader notes a failure to read the file while it is sent, so that it
// is reported as one (with the errno as the exit status).
type fileReader struct {
	r         io.Reader
	want, got int64
	err       error
}

func (f *fileReader) Read(b []byte) (int, error) {
	n, err := f.r.Read(b)
	f.got += int64(n)
	switch {
	case err == io.EOF && f.got < f.want:
		f.err = fmt.Errorf("the file shrank while it was read (%d of %d bytes)", f.got, f.want)
	case err != nil && err != io.EOF:
		f.err = err
	}
	return n, err
}

// fileDisplay (siit extension, `file display`) prints the instance's whole
// configuration as a JSON file that `file handle` accepts.
func fileDisplay(c *ctx, args []string) int {
	p := &argParser{name: args[0]}
	if done, st := p.parse(c, args); done {
		return st
	}
	doc, err := c.client.FileDisplay(c.name())
	if err != nil {
		return c.fail(err)
	}
	c.stdout.Write(doc)
	return 0
}
