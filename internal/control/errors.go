package control

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/siit-project/siit/internal/config"
)

// Error is a control-plane error with the errno Jool would have returned for
// the same mistake.
type Error struct {
	Errno syscall.Errno
	Err   error
	// Kernel marks a refusal by the daemon of the kind Jool's kernel module
	// makes: jool_siit exits with such an errno as it is, but with 256 minus
	// the errno for the mistakes its client finds by itself. Client sets it
	// from the daemon's answer.
	Kernel bool
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func errnoErr(errno syscall.Errno, format string, args ...any) error {
	return &Error{Errno: errno, Err: fmt.Errorf(format, args...)}
}

// invalid wraps err as a control error with ErrnoOf's errno, EINVAL as a
// rule (nil stays nil).
func invalid(err error) error {
	if err == nil {
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) {
		return err
	}
	return &Error{Errno: ErrnoOf(err), Err: err}
}

// clientError is a mistake that Jool's client finds before it asks its kernel
// module anything, such as a file that does not parse: the daemon finds it
// (it parses files for the client) but answers it as a client mistake, so
// that the CLI exits as jool_siit does.
type clientError struct{ err error }

func (e *clientError) Error() string { return e.err.Error() }
func (e *clientError) Unwrap() error { return e.err }

// clientSide marks err (EINVAL unless it carries an errno) as a client
// mistake; nil stays nil.
func clientSide(err error) error {
	if err == nil {
		return nil
	}
	return &clientError{invalid(err)}
}

// isKernel tells whether the daemon's answer to a failed request is a
// refusal of the kind Jool's kernel module makes (see Error.Kernel).
func isKernel(err error) bool {
	var ce *clientError
	return !errors.As(err, &ce)
}

// ErrnoOf returns the errno carried by err; when it carries none, EEXIST for
// a file with a repeated key (as Jool's client says), else EINVAL.
func ErrnoOf(err error) syscall.Errno {
	var ce *Error
	if errors.As(err, &ce) && ce.Errno != 0 {
		return ce.Errno
	}
	if errors.Is(err, config.ErrRepeatedKey) {
		return syscall.EEXIST
	}
	return syscall.EINVAL
}

func noInstance(name string) error {
	return errnoErr(syscall.ESRCH, "instance %q does not exist; create it with `siit instance add %s` or load a file with `siit file handle FILE`", name, name)
}
