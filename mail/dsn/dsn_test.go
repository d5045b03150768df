package dsn

import (
	"bytes"
	"errors"
	"mime"
	"mime/multipart"
	"net/mail"
	"testing"
	"time"
)

func sample() Report {
	return Report{
		ReportingMTA: "mx.ours.example", From: "postmaster@ours.example", To: "sender@there.example",
		EnvID: "env-1", Arrival: time.Unix(1700000000, 0), Date: time.Unix(1700432000, 0),
		Failed: []Failed{
			{Recipient: "dest@mailbox.example", Status: "5.1.1", Diagnostic: "550 5.1.1 no such user", RemoteMTA: "mx.mailbox.example"},
			{Recipient: "other@mailbox.example", Original: "alias@ours.example", Status: "4.4.7", Diagnostic: "delivery time expired"},
		},
		Original: []byte("Subject: hello\r\nFrom: sender@there.example\r\n\r\nbody\r\n"),
	}
}

// TestBuildParses reads the report back with net/mail and mime/multipart
// (independent parsers) and the delivery-status part with ParseStatus.
func TestBuildParses(t *testing.T) {
	raw, err := Build(sample())
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Build(sample())
	if !bytes.Equal(raw, again) {
		t.Fatal("same report, different bytes")
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("content type %q %v %v", mt, params, err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	var types []string
	var status *Status
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		types = append(types, p.Header.Get("Content-Type"))
		if p.Header.Get("Content-Type") == "message/delivery-status" {
			var b bytes.Buffer
			b.ReadFrom(p)
			if status, err = ParseStatus(b.Bytes()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(types) != 3 || types[2] != "message/rfc822" {
		t.Fatalf("parts %v", types)
	}
	if status == nil || status.ReportingMTA != "mx.ours.example" || status.EnvID != "env-1" || len(status.Recipients) != 2 ||
		status.Recipients[0].FinalRecipient != "dest@mailbox.example" || status.Recipients[0].Status != "5.1.1" ||
		status.Recipients[0].Action != "failed" || status.Recipients[0].Diagnostic != "550 5.1.1 no such user" {
		t.Fatalf("status %+v", status)
	}
}

func TestNeverToNullSender(t *testing.T) {
	r := sample()
	r.To = ""
	if _, err := Build(r); !errors.Is(err, ErrNullSender) {
		t.Fatalf("got %v", err)
	}
}

func TestParseStatusBad(t *testing.T) {
	for _, s := range []string{
		"", "Reporting-MTA: dns; x\r\n", " cont\r\n",
		"Reporting-MTA: dns; x\r\n\r\nFinal-Recipient: rfc822; a@b\r\nAction: failed\r\nStatus: 9.9.9\r\n",
		"Reporting-MTA: dns; x\r\n\r\nAction: failed\r\nStatus: 5.1.1\r\n",
		"no colon here\r\n",
	} {
		var se *SyntaxError
		if _, err := ParseStatus([]byte(s)); !errors.As(err, &se) {
			t.Errorf("%q: %v", s, err)
		}
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte("Reporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; a@b\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp;\r\n 550 no\r\n"))
	f.Add([]byte("X: y\n\nFinal-Recipient: a\nAction: delayed\nStatus: 4.4.7\n\nFinal-Recipient: b\nAction: failed\nStatus: 5.0.0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParseStatus(b)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, r := range st.Recipients {
			if !validStatus(r.Status) || r.FinalRecipient == "" {
				t.Fatalf("accepted bad group %+v", r)
			}
		}
	})
}
