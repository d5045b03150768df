package arc

import (
	"context"
	"testing"

	"github.com/edgelab/edgelab/mail/internal/zonedns"
)

// FuzzVerify: any message, ARC fields included, gets a status and never a
// panic; a failure always says why.
func FuzzVerify(f *testing.F) {
	f.Add([]byte(original))
	f.Add([]byte("ARC-Seal: i=1; a=rsa-sha256; cv=none; d=x; s=y; b=AAAA\r\nARC-Message-Signature: i=1; a=rsa-sha256; d=x; s=y; h=from; bh=AAAA; b=AAAA\r\nARC-Authentication-Results: i=1; x; none\r\nFrom: a@b\r\n\r\nhi\r\n"))
	f.Add([]byte("ARC-Authentication-Results: i=01; x\r\n\r\n"))
	z := zonedns.New()
	f.Fuzz(func(t *testing.T, msg []byte) {
		v := Verify(context.Background(), z, msg)
		switch v.Status {
		case None, Pass:
		case Fail:
			if v.Reason == "" {
				t.Fatal("fail without a reason")
			}
		default:
			t.Fatalf("status %q", v.Status)
		}
	})
}
