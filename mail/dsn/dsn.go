// Package dsn writes and reads delivery status notifications (RFC 3464):
// the multipart/report bounce the queue sends to the original sender when
// it gives up on recipients, and the parser of its message/delivery-status
// part, with which the router recognizes an incoming bounce (an NDR).
package dsn

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Failed is one recipient the report is about.
type Failed struct {
	Recipient string // the address tried
	Original  string // ORCPT's address, if the sender gave one
	Action    string // "failed" or "delayed"
	Status    string // enhanced status code, "5.1.1"
	// Diagnostic is the remote server's reply ("550 5.1.1 no such user"),
	// or our own reason when there was none.
	Diagnostic string
	RemoteMTA  string
}

// Report is one bounce.
type Report struct {
	ReportingMTA string // our host name
	From         string // the bounce's sender address (postmaster@...)
	To           string // the original reverse path; never empty
	EnvID        string
	Arrival      time.Time
	Date         time.Time
	Failed       []Failed
	// Original is the returned message or its header section (RET=HDRS).
	Original    []byte
	HeadersOnly bool
}

// ErrNullSender: RFC 5321 §6.1 and RFC 3464 §2: no report to the null
// reverse path, so bounces never loop.
var ErrNullSender = errors.New("dsn: no report to the null sender")

// Build returns the report as a message with CRLF line ends. The boundary
// and Message-ID derive from the content, so the same report gives the
// same bytes.
func Build(r Report) ([]byte, error) {
	if r.To == "" {
		return nil, ErrNullSender
	}
	if len(r.Failed) == 0 {
		return nil, errors.New("dsn: a report needs at least one recipient")
	}
	for _, f := range r.Failed {
		if strings.ContainsAny(f.Recipient+f.Original+f.Status+f.Diagnostic+f.RemoteMTA+f.Action, "\r\n") {
			return nil, errors.New("dsn: field values must be one line")
		}
	}
	sum := sha256.New()
	fmt.Fprintf(sum, "%s|%s|%s|%d|", r.ReportingMTA, r.To, r.EnvID, r.Date.UnixNano())
	for _, f := range r.Failed {
		fmt.Fprintf(sum, "%s|%s|%s|", f.Recipient, f.Status, f.Diagnostic)
	}
	sum.Write(r.Original)
	tag := hex.EncodeToString(sum.Sum(nil))[:24]
	boundary := "=_dsn_" + tag

	var b bytes.Buffer
	crlf := func(format string, args ...any) { fmt.Fprintf(&b, format+"\r\n", args...) }
	date := r.Date.UTC().Format(time.RFC1123Z)
	crlf("From: Mail Delivery System <%s>", r.From)
	crlf("To: <%s>", r.To)
	crlf("Subject: Undelivered Mail Returned to Sender")
	crlf("Date: %s", date)
	crlf("Message-ID: <%s.dsn@%s>", tag, r.ReportingMTA)
	crlf("Auto-Submitted: auto-replied")
	crlf("MIME-Version: 1.0")
	crlf("Content-Type: multipart/report; report-type=delivery-status;")
	crlf("\tboundary=\"%s\"", boundary)
	crlf("")
	crlf("--%s", boundary)
	crlf("Content-Type: text/plain; charset=utf-8")
	crlf("")
	crlf("This is the mail system at %s.", r.ReportingMTA)
	crlf("")
	crlf("Your message could not be delivered to these recipients:")
	crlf("")
	for _, f := range r.Failed {
		crlf("<%s>: %s", f.Recipient, f.Diagnostic)
	}
	crlf("")
	crlf("--%s", boundary)
	crlf("Content-Type: message/delivery-status")
	crlf("")
	crlf("Reporting-MTA: dns; %s", r.ReportingMTA)
	if r.EnvID != "" {
		crlf("Original-Envelope-Id: %s", r.EnvID)
	}
	if !r.Arrival.IsZero() {
		crlf("Arrival-Date: %s", r.Arrival.UTC().Format(time.RFC1123Z))
	}
	for _, f := range r.Failed {
		crlf("")
		if f.Original != "" {
			crlf("Original-Recipient: rfc822; %s", f.Original)
		}
		crlf("Final-Recipient: %s; %s", addrType(f.Recipient), f.Recipient)
		action := f.Action
		if action == "" {
			action = "failed"
		}
		crlf("Action: %s", action)
		crlf("Status: %s", f.Status)
		if f.RemoteMTA != "" {
			crlf("Remote-MTA: dns; %s", f.RemoteMTA)
		}
		if f.Diagnostic != "" {
			crlf("Diagnostic-Code: smtp; %s", f.Diagnostic)
		}
	}
	crlf("")
	crlf("--%s", boundary)
	if r.HeadersOnly {
		crlf("Content-Type: text/rfc822-headers")
	} else {
		crlf("Content-Type: message/rfc822")
	}
	crlf("")
	b.Write(r.Original)
	if !bytes.HasSuffix(r.Original, []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	crlf("--%s--", boundary)
	return b.Bytes(), nil
}

// addrType is "utf-8" for an address that needs it (RFC 6533), else
// "rfc822".
func addrType(a string) string {
	for i := 0; i < len(a); i++ {
		if a[i] >= 0x80 {
			return "utf-8"
		}
	}
	return "rfc822"
}

// Status is a parsed message/delivery-status part.
type Status struct {
	ReportingMTA string
	EnvID        string
	Recipients   []RecipientStatus
}

// RecipientStatus is one per-recipient group.
type RecipientStatus struct {
	FinalRecipient string
	Action         string
	Status         string
	Diagnostic     string
}

// SyntaxError is a malformed delivery-status part.
type SyntaxError struct {
	Line   int
	Reason string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("dsn: line %d: %s", e.Line, e.Reason) }

// ParseStatus parses the body of a message/delivery-status part: a
// per-message field group, then one group per recipient, groups separated
// by blank lines (RFC 3464 §2.1). Every recipient group needs
// Final-Recipient, Action and Status.
func ParseStatus(body []byte) (*Status, error) {
	text := strings.ReplaceAll(string(body), "\r\n", "\n")
	lines := strings.Split(text, "\n")
	var groups [][][2]string
	var cur [][2]string
	flush := func() {
		if len(cur) > 0 {
			groups = append(groups, cur)
			cur = nil
		}
	}
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			flush()
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			if len(cur) == 0 {
				return nil, &SyntaxError{i + 1, "continuation line without a field"}
			}
			cur[len(cur)-1][1] += " " + strings.TrimSpace(l)
			continue
		}
		colon := strings.IndexByte(l, ':')
		if colon <= 0 {
			return nil, &SyntaxError{i + 1, "not a field"}
		}
		name := strings.ToLower(strings.TrimSpace(l[:colon]))
		for _, c := range name {
			if c <= 32 || c >= 127 {
				return nil, &SyntaxError{i + 1, "bad field name"}
			}
		}
		cur = append(cur, [2]string{name, strings.TrimSpace(l[colon+1:])})
	}
	flush()
	if len(groups) < 2 {
		return nil, &SyntaxError{len(lines), "no per-recipient fields"}
	}
	st := &Status{}
	for _, f := range groups[0] {
		switch f[0] {
		case "reporting-mta":
			st.ReportingMTA = typed(f[1])
		case "original-envelope-id":
			st.EnvID = f[1]
		}
	}
	for gi, g := range groups[1:] {
		var r RecipientStatus
		for _, f := range g {
			switch f[0] {
			case "final-recipient":
				r.FinalRecipient = typed(f[1])
			case "action":
				r.Action = strings.ToLower(f[1])
			case "status":
				r.Status = f[1]
			case "diagnostic-code":
				r.Diagnostic = typed(f[1])
			}
		}
		if r.FinalRecipient == "" || r.Action == "" || !validStatus(r.Status) {
			return nil, &SyntaxError{0, fmt.Sprintf("recipient group %d lacks Final-Recipient, Action or a valid Status", gi+1)}
		}
		st.Recipients = append(st.Recipients, r)
	}
	return st, nil
}

// typed strips an "addr-type;" or "mta-name-type;" prefix.
func typed(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		return strings.TrimSpace(v[i+1:])
	}
	return v
}

// validStatus checks class "." subject "." detail (RFC 3463 §2).
func validStatus(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || (parts[0] != "2" && parts[0] != "4" && parts[0] != "5") {
		return false
	}
	for _, p := range parts[1:] {
		if p == "" || len(p) > 3 {
			return false
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}
