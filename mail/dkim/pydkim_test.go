package dkim

import (
	"crypto"
	"testing"

	"github.com/edgelab/edgelab/mail/internal/hdr"
	"github.com/edgelab/edgelab/mail/internal/pydkim"
)

// Our signatures, checked by an independent implementation: dkimpy.
func TestOurSignaturesVerifyWithDkimpy(t *testing.T) {
	pydkim.Require(t)
	rk, ed := testKeys(t)
	for sel, key := range map[string]crypto.Signer{"rsa": rk, "ed": ed} {
		rec, err := KeyRecord(key.Public())
		if err != nil {
			t.Fatal(err)
		}
		zone := map[string]string{sel + "._domainkey.forward.example": rec}
		for _, c := range []hdr.Canon{hdr.Simple, hdr.Relaxed} {
			s := &Signer{Domain: "forward.example", Selector: sel, Key: key, HeaderCanon: c, BodyCanon: c}
			f, err := s.Sign([]byte(plainMessage), epoch)
			if err != nil {
				t.Fatal(err)
			}
			if got := pydkim.Verify(t, "dkim", []byte(f+plainMessage), zone); got != "pass" {
				t.Errorf("%s %s: %s", sel, c, pydkim.String("dkim", got))
			}
			tampered := []byte(f + plainMessage[:len(plainMessage)-8] + "Jane.\r\n")
			if got := pydkim.Verify(t, "dkim", tampered, zone); got != "fail" {
				t.Errorf("%s %s tampered: %s", sel, c, pydkim.String("dkim", got))
			}
		}
	}
}
