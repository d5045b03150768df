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
	zone := map[string]string{}
	var msgs [][]byte
	var want, what []string
	for _, sel := range []string{"rsa", "ed"} {
		key := map[string]crypto.Signer{"rsa": rk, "ed": ed}[sel]
		rec, err := KeyRecord(key.Public())
		if err != nil {
			t.Fatal(err)
		}
		zone[sel+"._domainkey.forward.example"] = rec
		for _, hc := range []hdr.Canon{hdr.Simple, hdr.Relaxed} {
			for _, bc := range []hdr.Canon{hdr.Simple, hdr.Relaxed} {
				s := &Signer{Domain: "forward.example", Selector: sel, Key: key, HeaderCanon: hc, BodyCanon: bc}
				f, err := s.Sign([]byte(plainMessage), epoch)
				if err != nil {
					t.Fatal(err)
				}
				tampered := f + plainMessage[:len(plainMessage)-8] + "Jane.\r\n"
				msgs = append(msgs, []byte(f+plainMessage), []byte(tampered))
				want = append(want, "pass", "fail")
				name := sel + " " + string(hc) + "/" + string(bc)
				what = append(what, name, name+" tampered")
			}
		}
	}
	for i, got := range pydkim.VerifyAll(t, "dkim", msgs, zone) {
		if got != want[i] {
			t.Errorf("%s: %s, want %s", what[i], pydkim.String("dkim", got), want[i])
		}
	}
}
