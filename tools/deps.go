//go:build tools

// Package tools pins the modules the project depends on so that `go mod tidy`
// keeps them while the packages that use them are being written.
package tools

import (
	_ "github.com/cilium/ebpf"
	_ "github.com/cilium/ebpf/link"
	_ "github.com/vishvananda/netlink"
	_ "go.uber.org/zap"
	_ "golang.org/x/sys/unix"
)
