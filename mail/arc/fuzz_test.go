package arc

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/edgelab/edgelab/mail/internal/hdr"
	"github.com/edgelab/edgelab/mail/internal/zonedns"
)

// FuzzVerify: any message, ARC fields included, gets a status and never a
// panic; a failure always says why.
func FuzzVerify(f *testing.F) {
	f.Add([]byte(original))
	f.Add([]byte("ARC-Seal: i=1; a=rsa-sha256; cv=none; d=x; s=y; b=AAAA\r\nARC-Message-Signature: i=1; a=rsa-sha256; d=x; s=y; h=from; bh=AAAA; b=AAAA\r\nARC-Authentication-Results: i=1; x; none\r\nFrom: a@b\r\n\r\nhi\r\n"))
	f.Add([]byte("ARC-Authentication-Results: i=01; x\r\n\r\n"))
	z := zonedns.New()
	seed := sha256.Sum256([]byte("edgelab arc fuzz"))
	sealer := &Sealer{AuthServID: "fuzz.example", Domain: "fuzz.example", Selector: "s", Key: ed25519.NewKeyFromSeed(seed[:])}
	f.Fuzz(func(t *testing.T, msg []byte) {
		// Sealing anything either fails cleanly or yields three fields.
		if out, _, err := sealer.Seal(context.Background(), z, msg, time.Unix(0, 0)); err == nil {
			if fields, _, err := hdr.Split([]byte(out + "\r\n")); err != nil || len(fields) != 3 {
				t.Fatalf("seal %q: %d fields, %v", out, len(fields), err)
			}
		}
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
