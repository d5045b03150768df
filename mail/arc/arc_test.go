package arc

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"crypto/ed25519"

	"github.com/edgelab/edgelab/mail/dkim"
	"github.com/edgelab/edgelab/mail/internal/pydkim"
	"github.com/edgelab/edgelab/mail/internal/zonedns"
)

const original = "Authentication-Results: hop1.example; spf=pass smtp.mailfrom=jqd@d1.example;\r\n" +
	"\tdkim=pass (2048-bit key) header.d=d1.example\r\n" +
	"Authentication-Results: someone.else; spf=fail\r\n" +
	"From: John Q Doe <jqd@d1.example>\r\n" +
	"To: list@hop1.example\r\n" +
	"Subject: Example\r\n" +
	"Date: Thu, 14 Jan 2015 15:00:01 -0800\r\n" +
	"Message-ID: <1@d1.example>\r\n" +
	"\r\n" +
	"Hey gang,\r\nThis is a test message.\r\n"

func sealers(t *testing.T) (*Sealer, *Sealer, *zonedns.Zone, map[string]string) {
	t.Helper()
	raw, err := os.ReadFile("../dkim/testdata/rsa2048.pem")
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	rk, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	seed := sha256.Sum256([]byte("edgelab arc hop2"))
	ed := ed25519.NewKeyFromSeed(seed[:])
	z := zonedns.New()
	recs := map[string]string{}
	for name, pub := range map[string]any{"s1._domainkey.hop1.example": rk.Public(), "s2._domainkey.hop2.example": ed.Public()} {
		rec, err := dkim.KeyRecord(pub)
		if err != nil {
			t.Fatal(err)
		}
		z.TXT[name] = []string{rec}
		recs[name] = rec
	}
	a := &Sealer{AuthServID: "hop1.example", Domain: "hop1.example", Selector: "s1", Key: rk}
	b := &Sealer{AuthServID: "hop2.example", Domain: "hop2.example", Selector: "s2", Key: ed}
	return a, b, z, recs
}

var t0 = time.Unix(1767323045, 0)

func TestSealChainOfTwo(t *testing.T) {
	a, b, z, _ := sealers(t)
	ctx := context.Background()
	set1, cv, err := a.Seal(ctx, z, []byte(original), t0)
	if err != nil || cv != None {
		t.Fatalf("first seal: cv=%s %v", cv, err)
	}
	again, _, _ := a.Seal(ctx, z, []byte(original), t0)
	if again != set1 {
		t.Fatal("same message, key and time sealed differently")
	}
	if !strings.Contains(set1, "dkim=pass (2048-bit key) header.d=d1.example") || strings.Contains(set1, "spf=fail") {
		t.Errorf("AAR should carry hop1's results only:\n%s", set1)
	}
	msg1 := set1 + original
	if v := Verify(ctx, z, []byte(msg1)); v.Status != Pass || v.Instances != 1 {
		t.Fatalf("after one seal: %+v", v)
	}
	// hop2 validates on receipt, then changes the subject (a list tag)
	// and seals what it validated.
	received := Verify(ctx, z, []byte(msg1))
	changed := strings.Replace(msg1, "Subject: Example", "Subject: [list] Example", 1)
	set2, err := b.SealWith([]byte(changed), received, t0.Add(time.Minute))
	if err != nil || !strings.Contains(set2, "cv=pass") {
		t.Fatalf("second seal: %v\n%s", err, set2)
	}
	msg2 := set2 + changed
	v := Verify(ctx, z, []byte(msg2))
	if v.Status != Pass || v.Instances != 2 || v.OldestPass != 2 {
		t.Fatalf("after two seals: %+v (want pass, 2 instances, oldest pass 2 since hop2 changed the subject)", v)
	}
	if got := v.AuthResult().String(); got != "arc=pass header.oldest-pass=2" {
		t.Errorf("AuthResult = %q", got)
	}
	// Tampering with an older set breaks the seals over it.
	broken := strings.Replace(msg2, "header.d=d1.example", "header.d=evil.example", 1)
	if v := Verify(ctx, z, []byte(broken)); v.Status != Fail {
		t.Errorf("tampered AAR 1: %+v", v)
	}
	// Tampering with the body breaks the newest AMS.
	if v := Verify(ctx, z, []byte(msg2+"P.S.\r\n")); v.Status != Fail {
		t.Errorf("tampered body: %+v", v)
	}
	// A third hop seals the failed chain as failed; then nobody may add more.
	var set3 string
	set3, cv, err = a.Seal(ctx, z, []byte(msg2+"P.S.\r\n"), t0)
	if err != nil || cv != Fail || !strings.Contains(set3, "cv=fail") {
		t.Fatalf("sealing a broken chain: cv=%s %v", cv, err)
	}
	if _, _, err := b.Seal(ctx, z, []byte(set3+msg2+"P.S.\r\n"), t0); !errors.Is(err, ErrChainFailed) {
		t.Errorf("sealing over cv=fail: %v", err)
	}
}

func TestInstanceLimit(t *testing.T) {
	_, a, z, _ := sealers(t) // the Ed25519 hop: 50 seals, each over a chain it validates
	ctx := context.Background()
	msg := []byte(original)
	for i := 1; i <= MaxInstances; i++ {
		set, cv, err := a.Seal(ctx, z, msg, t0)
		if err != nil {
			t.Fatalf("seal %d: %v", i, err)
		}
		if want := map[bool]Status{true: None, false: Pass}[i == 1]; cv != want {
			t.Fatalf("seal %d: cv=%s", i, cv)
		}
		msg = append([]byte(set), msg...)
	}
	if v := Verify(ctx, z, msg); v.Status != Pass || v.Instances != MaxInstances {
		t.Fatalf("50 sets: %+v", v)
	}
	if _, _, err := a.Seal(ctx, z, msg, t0); !errors.Is(err, ErrChainFull) {
		t.Fatalf("51st seal: %v", err)
	}
	over := append([]byte("ARC-Seal: i=51; a=ed25519-sha256; cv=pass; d=hop2.example; s=s2; b=AAAA\r\n"), msg...)
	if v := Verify(ctx, z, over); v.Status != Fail || !strings.Contains(v.Reason, "51") {
		t.Errorf("instance 51: %+v", v)
	}
}

// Our seals, checked by an independent implementation: dkimpy's
// arc_verify. Debian's dkimpy (1.1) seals and checks ARC with RSA only, so
// both hops sign with RSA here; Ed25519 ARC is checked by our own Verify.
func TestOurSealsVerifyWithDkimpy(t *testing.T) {
	pydkim.Require(t)
	a, _, z, recs := sealers(t)
	b := &Sealer{AuthServID: "hop2.example", Domain: "hop1.example", Selector: "s1", Key: a.Key}
	ctx := context.Background()
	set1, _, err := a.Seal(ctx, z, []byte(original), t0)
	if err != nil {
		t.Fatal(err)
	}
	set2, _, err := b.Seal(ctx, z, []byte(set1+original), t0)
	if err != nil {
		t.Fatal(err)
	}
	msg := set2 + set1 + original
	got := pydkim.VerifyAll(t, "arc", [][]byte{[]byte(set1 + original), []byte(msg), []byte(msg + "tamper\r\n")}, recs)
	for i, c := range []struct{ what, want string }{{"one set", "pass"}, {"two sets", "pass"}, {"tampered", "fail"}} {
		if !strings.HasPrefix(got[i], c.want) {
			t.Errorf("%s: %s, want %s", c.what, pydkim.String("arc", got[i]), c.want)
		}
	}
}

func TestUnreadableHeader(t *testing.T) {
	_, _, z, _ := sealers(t)
	if v := Verify(context.Background(), z, []byte("From: a@b\nbroken line\r\n\r\nhi\r\n")); v.Status != None {
		t.Errorf("no ARC fields, unreadable header: %+v", v)
	}
	if v := Verify(context.Background(), z, []byte("ARC-Seal: i=1\nFrom: a@b\r\n\r\nhi\r\n")); v.Status != Fail {
		t.Errorf("ARC field in an unreadable header: %+v", v)
	}
}

// A chain too broken to validate (instance 2 without instance 1) is sealed
// as failed above its highest instance, never over one.
func TestSealAboveABrokenChain(t *testing.T) {
	a, _, z, _ := sealers(t)
	set1, _, err := a.Seal(context.Background(), z, []byte(original), t0)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.ReplaceAll(set1, "i=1", "i=2") + original
	out, cv, err := a.Seal(context.Background(), z, []byte(broken), t0)
	if err != nil || cv != Fail {
		t.Fatalf("cv=%s %v", cv, err)
	}
	if !strings.Contains(out, "ARC-Seal: a=rsa-sha256;") || !strings.Contains(out, "i=3;") || !strings.Contains(out, "cv=fail") {
		t.Errorf("seal over a broken chain:\n%s", out)
	}
}
