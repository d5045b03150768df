package env

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"
)

func TestRealNotifierPendingAndCancel(t *testing.T) {
	env := Real("here")
	if env.Node() != "here" {
		t.Fatal(env.Node())
	}
	n := env.NewNotifier()
	n.Notify()
	if err := n.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := n.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait on cancelled ctx: %v", err)
	}
	done := make(chan error)
	go func() { done <- n.Wait(context.Background()) }()
	for {
		// Notify until the waiter has consumed one; a Notify that lands
		// before it waits is kept pending, so this ends either way.
		n.Notify()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			return
		default:
		}
	}
}

func TestRealRandAndDisk(t *testing.T) {
	dir := t.TempDir()
	env := NewReal(RealConfig{Node: "x", Disk: RealDisk(dir)})
	b := make([]byte, 16)
	if _, err := io.ReadFull(env.Rand(), b); err != nil {
		t.Fatal(err)
	}
	d := env.Disk()
	if err := d.MkdirAll("spool/new"); err != nil {
		t.Fatal(err)
	}
	f, err := d.OpenFile("spool/new/m1", os.O_CREATE|os.O_WRONLY|os.O_EXCL)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "hello")
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := d.Rename("spool/new/m1", "spool/m1"); err != nil {
		t.Fatal(err)
	}
	if err := d.SyncDir("spool"); err != nil {
		t.Fatal(err)
	}
	names, err := d.ReadDir("spool")
	if err != nil || len(names) != 2 || names[0] != "m1" || names[1] != "new" {
		t.Fatalf("ReadDir = %v %v", names, err)
	}
	if got, _ := d.ReadFile("spool/m1"); string(got) != "hello" {
		t.Fatalf("ReadFile = %q", got)
	}
	if _, err := d.ReadFile("../etc/passwd"); !errors.Is(err, ErrBadPath) {
		t.Fatalf("escape: %v", err)
	}
	if err := d.Remove("spool/m1"); err != nil {
		t.Fatal(err)
	}
}

func TestRealWithoutDiskSaysSo(t *testing.T) {
	d := Real("x").Disk()
	if _, err := d.ReadFile("spool/m1"); !errors.Is(err, ErrNoDisk) {
		t.Fatalf("ReadFile on an Env without a disk: %v", err)
	}
	if err := d.MkdirAll("spool"); !errors.Is(err, ErrNoDisk) {
		t.Fatalf("MkdirAll on an Env without a disk: %v", err)
	}
}
