//go:build !linux

package underlay

import (
	"context"
	"errors"
)

var errNotLinux = errors.New("underlay: the kernel's routes are read on Linux only")

// SystemAddrs needs Linux.
func SystemAddrs(string) ([]IfAddr, error) { return nil, errNotLinux }

// WatchKernel needs Linux.
func WatchKernel(context.Context, *Router) error { return errNotLinux }
