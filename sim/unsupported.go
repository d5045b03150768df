package sim

// This file holds the stand-ins for the parts of Env the simulator does not
// model yet (streams, DNS, disks come with a later issue). They fail
// clearly instead of reaching the real operating system.

import (
	"context"
	"net"

	"github.com/edgelab/edgelab/sim/env"
)

// UnsupportedError is returned by Env operations the simulator does not
// model yet.
type UnsupportedError struct{ Op string }

func (e *UnsupportedError) Error() string { return "sim: " + e.Op + " not supported yet" }

type unsupportedResolver struct{}

func (unsupportedResolver) LookupHost(context.Context, string) ([]string, error) {
	return nil, &UnsupportedError{Op: "LookupHost"}
}
func (unsupportedResolver) LookupIPAddr(context.Context, string) ([]net.IPAddr, error) {
	return nil, &UnsupportedError{Op: "LookupIPAddr"}
}
func (unsupportedResolver) LookupMX(context.Context, string) ([]*net.MX, error) {
	return nil, &UnsupportedError{Op: "LookupMX"}
}
func (unsupportedResolver) LookupTXT(context.Context, string) ([]string, error) {
	return nil, &UnsupportedError{Op: "LookupTXT"}
}
func (unsupportedResolver) LookupAddr(context.Context, string) ([]string, error) {
	return nil, &UnsupportedError{Op: "LookupAddr"}
}
func (unsupportedResolver) LookupCNAME(context.Context, string) (string, error) {
	return "", &UnsupportedError{Op: "LookupCNAME"}
}

type unsupportedStorage struct{}

func (unsupportedStorage) OpenFile(string, int) (env.File, error) {
	return nil, &UnsupportedError{Op: "Disk.OpenFile"}
}
func (unsupportedStorage) ReadFile(string) ([]byte, error) {
	return nil, &UnsupportedError{Op: "Disk.ReadFile"}
}
func (unsupportedStorage) Rename(string, string) error { return &UnsupportedError{Op: "Disk.Rename"} }
func (unsupportedStorage) Remove(string) error         { return &UnsupportedError{Op: "Disk.Remove"} }
func (unsupportedStorage) ReadDir(string) ([]string, error) {
	return nil, &UnsupportedError{Op: "Disk.ReadDir"}
}
func (unsupportedStorage) MkdirAll(string) error { return &UnsupportedError{Op: "Disk.MkdirAll"} }
func (unsupportedStorage) SyncDir(string) error  { return &UnsupportedError{Op: "Disk.SyncDir"} }
