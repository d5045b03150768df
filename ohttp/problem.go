package ohttp

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// ProblemTypeKey is the problem type RFC 9458 §5.3 defines for requests
// that used an outdated or incorrect key configuration.
const ProblemTypeKey = "https://iana.org/assignments/http-problem-types#ohttp-key"

// MediaTypeProblem is the media type of problem details (RFC 9457).
const MediaTypeProblem = "application/problem+json"

// Problem is an RFC 9457 problem details object. Oblivious HTTP sends one
// only for errors found before decryption (RFC 9458 §5.2); what is found
// after decryption goes back encapsulated, where the relay cannot read it.
type Problem struct {
	Type   string `json:"type,omitempty"`
	Title  string `json:"title,omitempty"`
	Status int    `json:"status,omitempty"`
	Detail string `json:"detail,omitempty"`
}

func (p *Problem) Error() string {
	s := "ohttp: " + strconv.Itoa(p.Status) + " " + p.Title
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	return s
}

// writeProblem answers with status and a problem+json body. Type defaults to
// about:blank (RFC 9457 §4.2.1) by being left out.
func writeProblem(w http.ResponseWriter, status int, typ, title, detail string) {
	b, _ := json.Marshal(Problem{Type: typ, Title: title, Status: status, Detail: detail})
	h := w.Header()
	h.Set("Content-Type", MediaTypeProblem)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}
