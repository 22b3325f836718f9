// Package cli is siit's jool_siit-compatible command line:
//
//	siit [-i NAME | -f FILE] MODE OPERATION [ARGS]
//
// It reproduces Jool 4.1's SIIT client: modes instance, stats, address,
// global, eamt, denylist4 (and its old name blacklist4) and file, with
// unique-prefix abbreviation of modes, operations and global keys; per
// operation GNU-argp-style options (--help, --usage, --version, long option
// abbreviation); the same table, CSV and stats formats; and the same exit
// statuses (0 on success, 234 for invalid arguments and refused changes, 64
// for malformed options, 253 when there is no daemon to talk to, otherwise
// 256 minus the errno of the failure).
//
// Main is the entry point cmd/siit calls for everything that is not
// `siit run`. It talks to the daemon through package control's Client, on
// --socket PATH, $SIIT_SOCKET or /run/siit/siit.sock. Argument and file
// errors are reported before the daemon is contacted; the daemon validates
// everything again and is the authority. Help and error texts are siit's
// own words; layouts that scripts parse follow Jool's.
//
// Deliberate differences from jool_siit 4.1.9: unknown options before MODE
// exit with 64 instead of 0; -h is help; malformed prefixes such as
// "192.0.2.0/24/2" are rejected instead of truncated; `file display` (a
// hidden operation) prints the running configuration as a JSON file; -V
// prints siit's version.
package cli
