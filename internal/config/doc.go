// Package config is siit's model of one Jool SIIT instance and of Jool's
// atomic-configuration JSON file.
//
// An Instance is a plain value: a name (at most 15 printable ASCII
// characters, "default" when none is given), a framework ("netfilter" or
// "iptables"; both are accepted for compatibility and mean the same to siit),
// the SIIT globals (xlat.Globals, with Jool's names, defaults and units), the
// EAM table as a list of entries in insertion order, and the denylist4
// prefixes.
//
// Contract:
//   - Parse reads Jool's JSON schema (docs/en/config-atomic.md): keys are
//     matched case-insensitively, "comment" keys are ignored in every object,
//     an unknown key or a repeated key is an error that names it, and every
//     omitted field takes its default (never the previous value). Parse either
//     returns a complete, validated Instance or an error; it never panics.
//   - Marshal writes the same schema; Parse(Marshal(x)) equals x.
//   - SetGlobal parses a value the way `jool_siit global update KEY VALUE`
//     does (booleans true/false/1/0/yes/no/on/off, "null" to unset a prefix)
//     and validates the resulting globals as a whole.
//   - Parse reads a million-entry EAMT in one pass with a constant number of
//     allocations (the entry list sits on transparent huge pages); ReadFile and
//     NewFileBuffer give big files the same backing, because on a VM the page
//     faults of a fresh 80 MB buffer cost more than parsing it.
//   - Validation of EAMT collisions is the data plane's own (package eamt), so
//     the CLI and the translator can never disagree about what is accepted.
package config
