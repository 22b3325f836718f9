// Package cli is siit's jool_siit-compatible command line:
//
//	siit [-i NAME | -f FILE] MODE OPERATION [ARGS]
//
// It reproduces Jool 4.1's SIIT client: modes instance, stats, address,
// global, eamt, denylist4 (and its old name blacklist4) and file, with
// unique-prefix abbreviation of modes, operations and global keys; per
// operation GNU-argp-style options (--help, --usage, --version, long option
// abbreviation); the same table, CSV and stats formats; and the same exit
// statuses: 0 on success, 234 for arguments or files that do not parse, 64
// for malformed options, 253 when there is no daemon to talk to, the errno
// itself when the daemon refuses a request as Jool's kernel module would
// (22 for an unacceptable value, 17 for something that exists, 3 for
// something missing), otherwise 256 minus the errno of the failure.
//
// Main is the entry point cmd/siit calls for everything that is not
// `siit run`. It talks to the daemon through package control's Client, on
// --socket PATH, $SIIT_SOCKET or /run/siit/siit.sock. Syntax errors are
// reported before the daemon is contacted, as Jool's client reports them;
// whether a value is acceptable is the daemon's call, as it is Jool's kernel
// module's. `file handle FILE` sends a regular file as it
// is and the daemon parses it (a million-entry file is parsed once, and the
// client does almost nothing); its errors read as if the client had parsed
// it ("FILE: line N: ..."), also when no daemon runs: the client then parses
// the file itself so that a broken file is reported as such. A pipe, a file
// too big for one control message, or a daemon older than the client (which
// does not parse files) gets the file parsed by the client, which sends the
// EAMT in binary. Help and error texts are siit's
// own words; layouts that scripts parse follow Jool's.
//
// Deliberate differences from jool_siit 4.1.9: malformed prefixes such as
// "192.0.2.0/24/2" are rejected instead of truncated, and numbers and JSON
// are parsed more strictly, eam-hairpin-mode more leniently (README.md lists
// the cases); `file display` (a hidden operation) prints the running
// configuration as a JSON file.
package cli
