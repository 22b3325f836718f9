// Package control is siit's control plane: the daemon's configuration
// state and the unix-socket protocol the CLI uses to read and change it.
//
// State holds the instances (Jool's model: named instances, "default" by
// default). Every change — instance add/remove/flush, EAMT add/remove/flush,
// denylist4 add/remove/flush, global update, file handle — is applied to a
// copy, validated completely (including Options.Prepare, the daemon's hook
// that builds what the data plane needs), and only then published as a new
// immutable Snapshot with one atomic pointer store. On error nothing
// changes. Subscribe and Watch deliver every published Snapshot; readers
// (Snapshot) never block. RegisterStats adds per-instance counter sources
// that `stats display` sums.
//
// Server serves the protocol on a unix socket (default /run/siit/siit.sock,
// overridable with $SIIT_SOCKET): the socket is created 0600, each peer's
// SO_PEERCRED uid must be 0 or the daemon's own, messages are
// length-prefixed JSON headers with {"version":1,...} plus an optional
// payload, both bounded in size: EAMT entries in binary (22 bytes each), or
// for file.load a Jool JSON file as it is, which the daemon parses
// (Client.LoadFile, the CLI's `file handle`; the parse errors are prefixed
// with the file name the client gave, as if the client had parsed it), so
// that a big file is parsed once. Clients are
// served concurrently with idle and transfer timeouts. A request of another
// protocol version gets an error that says so. Client is the other end,
// used by package cli; NotRunningError tells that no daemon answers.
//
// Daemon integration, in order: NewState(Options{Prepare: build the
// data-plane config from an *Instance}); Subscribe (or Watch) to push each
// Snapshot to the workers and the XDP prefix maps; RegisterStats per
// instance; seed the state from `siit run` flags (AddInstance with --pool6)
// or a file (LoadFile, also the SIGHUP reload); Start(state,
// ServerOptions{}) and Close on exit.
//
// Errors carry the errno Jool would return (Error, ErrnoOf), and the
// daemon's refusals say whether Jool's kernel module or its client would
// have refused the request (Error.Kernel), so that the CLI exits with
// jool_siit's statuses.
package control
