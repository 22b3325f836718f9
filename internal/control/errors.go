package control

import (
	"errors"
	"fmt"
	"syscall"
)

// Error is a control-plane error with the errno Jool's kernel module would
// have returned for the same mistake; the CLI turns it into the same exit
// status as jool_siit (256 - errno).
type Error struct {
	Errno syscall.Errno
	Err   error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func errnoErr(errno syscall.Errno, format string, args ...any) error {
	return &Error{Errno: errno, Err: fmt.Errorf(format, args...)}
}

// invalid wraps err as an EINVAL control error (nil stays nil).
func invalid(err error) error {
	if err == nil {
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) {
		return err
	}
	return &Error{Errno: syscall.EINVAL, Err: err}
}

// ErrnoOf returns the errno carried by err (EINVAL when it carries none).
func ErrnoOf(err error) syscall.Errno {
	var ce *Error
	if errors.As(err, &ce) && ce.Errno != 0 {
		return ce.Errno
	}
	return syscall.EINVAL
}

func noInstance(name string) error {
	return errnoErr(syscall.ESRCH, "instance %q does not exist; create it with `siit instance add %s` or load a file with `siit file handle FILE`", name, name)
}
