//go:build !linux

package rietest

import (
	"os"
	"syscall"
)

// The emulator runs only on Linux (Start skips elsewhere); these keep the
// package building on other systems.

func sysProcAttr() *syscall.SysProcAttr { return nil }

func killTree(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}
