package dkim

import (
	"context"
	"testing"

	"github.com/edgelab/edgelab/mail/internal/zonedns"
)

// FuzzVerify: any message, DKIM-Signature fields included, gets one result
// per signature (or an error), never a panic, and nothing passes without a
// key in the zone.
func FuzzVerify(f *testing.F) {
	f.Add([]byte("DKIM-Signature: v=1; a=rsa-sha256; d=x.example; s=s; h=from; bh=AAAA; b=AAAA\r\nFrom: a@x.example\r\n\r\nhi\r\n"))
	f.Add([]byte("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed; d=x; s=s; i=@y; h=from:from; bh=; b=\r\nFrom: a\r\n\r\n"))
	f.Add([]byte("DKIM-Signature: v=1; v=1\r\nDKIM-Signature: x\r\n\r\n"))
	z := zonedns.New()
	f.Fuzz(func(t *testing.T, msg []byte) {
		res, err := Verify(context.Background(), z, msg, epoch)
		if err != nil {
			return
		}
		for _, r := range res {
			if r.Status == StatusPass {
				t.Fatalf("a signature passed with an empty zone: %+v", r)
			}
		}
	})
}
