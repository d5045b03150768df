package srs

import (
	"errors"
	"testing"
)

// FuzzReverse: any address is reversed or refused with ErrNotSRS or an
// ErrInvalid error; what Forward writes always reverses.
func FuzzReverse(f *testing.F) {
	f.Add("SRS0=vmyz=2W=otherdomain.com=test@example.com")
	f.Add("SRS1=abcd=first.example==vmyz=2W=otherdomain.com=test@example.com")
	f.Add("srs0+VMYZ=2w=a=b@c")
	f.Fuzz(func(t *testing.T, addr string) {
		r := vectorRewriter()
		_, err := r.Reverse(addr, vectorTime)
		if err != nil && err != ErrNotSRS && !errors.Is(err, ErrInvalid) {
			t.Fatalf("Reverse(%q): untyped error %v", addr, err)
		}
		fwd, err := r.Forward(addr, vectorTime)
		if err != nil || fwd == addr || fwd == "" {
			return
		}
		if _, err := r.Reverse(fwd, vectorTime); err != nil {
			t.Fatalf("Forward(%q) = %q does not reverse: %v", addr, fwd, err)
		}
	})
}
