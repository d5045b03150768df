package dkim

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/mail/internal/hdr"
	"github.com/edgelab/edgelab/mail/internal/zonedns"
)

// crlf turns a test file's LF lines into the CRLF lines of the wire.
func crlf(b []byte) []byte {
	return bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
}

// loadZone reads "name record" lines (# comments) into a zone.
func loadZone(t *testing.T, path string) *zonedns.Zone {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	z := zonedns.New()
	for _, line := range strings.Split(string(raw), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, rec, _ := strings.Cut(line, " ")
		z.TXT[name] = append(z.TXT[name], rec)
	}
	return z
}

func readMessage(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return crlf(raw)
}

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestRFCExamplesVerify(t *testing.T) {
	for _, c := range []struct {
		name string
		want []string // domain per signature, all must pass
	}{
		{"rfc6376-a2", []string{"example.com"}},
		{"rfc8463-a3", []string{"football.example.com", "football.example.com"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			z := loadZone(t, "testdata/"+c.name+".zone")
			msg := readMessage(t, "testdata/"+c.name+".eml")
			res, err := Verify(context.Background(), z, msg, epoch)
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != len(c.want) {
				t.Fatalf("%d results, want %d", len(res), len(c.want))
			}
			for i, r := range res {
				if r.Status != StatusPass || r.Domain != c.want[i] {
					t.Errorf("signature %d: %s d=%s (%v), want pass d=%s", i, r.Status, r.Domain, r.Err, c.want[i])
				}
			}
			// One changed body byte must turn every signature into a fail.
			bad := bytes.Replace(msg, []byte("hungry"), []byte("Hungry"), 1)
			res, err = Verify(context.Background(), z, bad, epoch)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range res {
				if r.Status == StatusPass {
					t.Errorf("tampered body: signature %d still passes", i)
				}
			}
		})
	}
}

const plainMessage = "From: Joe SixPack <joe@football.example.com>\r\n" +
	"To: Suzie Q <suzie@shopping.example.net>\r\n" +
	"Subject:   Is dinner\r\n\tready?\r\n" +
	"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n" +
	"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n" +
	"\r\n" +
	"Hi.  \r\n" +
	"\r\n" +
	"We lost the game. Are you hungry yet?\r\n" +
	"\r\n" +
	"Joe.\r\n\r\n\r\n"

// testKeys are fixed keys (the RSA one kept in testdata), so failures
// reproduce.
func testKeys(t testing.TB) (*rsa.PrivateKey, ed25519.PrivateKey) {
	t.Helper()
	seed := sha256.Sum256([]byte("edgelab dkim test key"))
	ed := ed25519.NewKeyFromSeed(seed[:])
	raw, err := os.ReadFile("testdata/rsa2048.pem")
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	rk, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return rk, ed
}

func signerZone(t testing.TB, keys map[string]crypto.Signer) *zonedns.Zone {
	t.Helper()
	z := zonedns.New()
	for sel, k := range keys {
		rec, err := KeyRecord(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		z.TXT[sel+"._domainkey.forward.example"] = []string{rec}
	}
	return z
}

func TestOurSignaturesVerifyWithGoMsgauth(t *testing.T) {
	rk, ed := testKeys(t)
	z := signerZone(t, map[string]crypto.Signer{"rsa": rk, "ed": ed})
	for _, sel := range []string{"rsa", "ed"} {
		key := map[string]crypto.Signer{"rsa": rk, "ed": ed}[sel]
		for _, hc := range []hdr.Canon{hdr.Simple, hdr.Relaxed} {
			for _, bc := range []hdr.Canon{hdr.Simple, hdr.Relaxed} {
				name := sel + "/" + string(hc) + "/" + string(bc)
				t.Run(name, func(t *testing.T) {
					s := &Signer{Domain: "forward.example", Selector: sel, Key: key, HeaderCanon: hc, BodyCanon: bc}
					f, err := s.Sign([]byte(plainMessage), epoch)
					if err != nil {
						t.Fatal(err)
					}
					again, _ := s.Sign([]byte(plainMessage), epoch)
					if f != again {
						t.Fatalf("same inputs, different signatures:\n%s\n%s", f, again)
					}
					signed := []byte(f + plainMessage)
					res, err := Verify(context.Background(), z, signed, epoch)
					if err != nil {
						t.Fatal(err)
					}
					if len(res) != 1 || res[0].Status != StatusPass {
						t.Fatalf("go-msgauth says %+v for\n%s", res, signed)
					}
					if res[0].Selector != sel || res[0].Algorithm != map[string]string{"rsa": "rsa-sha256", "ed": "ed25519-sha256"}[sel] {
						t.Errorf("result names s=%s a=%s", res[0].Selector, res[0].Algorithm)
					}
					if !res[0].Time.Equal(epoch) {
						t.Errorf("t= is %v, want the caller's %v", res[0].Time, epoch)
					}
					// an added From (the oversigned name) must break it
					extra := []byte(f + "From: mallory@evil.example\r\n" + plainMessage)
					res, _ = Verify(context.Background(), z, extra, epoch)
					if len(res) != 1 || res[0].Status == StatusPass {
						t.Errorf("a second From still verifies: %+v", res)
					}
				})
			}
		}
	}
}

func TestExpiryJudgedAtCallersTime(t *testing.T) {
	_, ed := testKeys(t)
	z := signerZone(t, map[string]crypto.Signer{"ed": ed})
	// Signed in the far future, so the wall clock (go-msgauth's) never
	// sees it expired: only the caller's time can.
	at := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &Signer{Domain: "forward.example", Selector: "ed", Key: ed, Expiry: time.Hour}
	f, err := s.Sign([]byte(plainMessage), at)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte(f + plainMessage)
	for _, c := range []struct {
		now  time.Time
		want Status
	}{{at.Add(time.Minute), StatusPass}, {at.Add(2 * time.Hour), StatusPermError}} {
		res, err := Verify(context.Background(), z, msg, c.now)
		if err != nil || len(res) != 1 || res[0].Status != c.want {
			t.Errorf("at %v: %+v %v, want %s", c.now, res, err, c.want)
		}
	}
}

func TestKeyLookupFailures(t *testing.T) {
	_, ed := testKeys(t)
	s := &Signer{Domain: "forward.example", Selector: "ed", Key: ed}
	f, _ := s.Sign([]byte(plainMessage), epoch)
	msg := []byte(f + plainMessage)
	for name, c := range map[string]struct {
		zone func(z *zonedns.Zone)
		want Status
	}{
		"missing": {func(z *zonedns.Zone) {}, StatusPermError},
		"timeout": {func(z *zonedns.Zone) { z.Err["ed._domainkey.forward.example"] = zonedns.Timeout("x") }, StatusTempError},
		"revoked": {func(z *zonedns.Zone) { z.TXT["ed._domainkey.forward.example"] = []string{"v=DKIM1; k=ed25519; p="} }, StatusPermError},
		"wrong key": {func(z *zonedns.Zone) {
			z.TXT["ed._domainkey.forward.example"] = []string{mustRecord(t, ed25519.NewKeyFromSeed(make([]byte, 32)).Public())}
		}, StatusFail},
	} {
		z := zonedns.New()
		c.zone(z)
		res, err := Verify(context.Background(), z, msg, epoch)
		if err != nil || len(res) != 1 || res[0].Status != c.want {
			t.Errorf("%s: %+v %v, want %s", name, res, err, c.want)
		}
	}
}

func mustRecord(t *testing.T, pub crypto.PublicKey) string {
	rec, err := KeyRecord(pub)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestSignRefusesMessageWithoutFrom(t *testing.T) {
	_, ed := testKeys(t)
	s := &Signer{Domain: "forward.example", Selector: "ed", Key: ed}
	if _, err := s.Sign([]byte("To: a@b.example\r\n\r\nhi\r\n"), epoch); err != ErrNoFrom {
		t.Fatalf("err = %v, want ErrNoFrom", err)
	}
}

func TestUnreadableHeader(t *testing.T) {
	z := zonedns.New()
	if res, err := Verify(context.Background(), z, []byte("From: a@b\nbroken\r\n\r\nhi\r\n"), epoch); err != nil || res != nil {
		t.Errorf("unsigned, unreadable: %v %v", res, err)
	}
	if _, err := Verify(context.Background(), z, []byte("DKIM-Signature: v=1\nFrom: a@b\r\n\r\nhi\r\n"), epoch); !errors.Is(err, hdr.ErrMalformedHeader) {
		t.Errorf("signed, unreadable: err = %v", err)
	}
}
