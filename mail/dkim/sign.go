package dkim

import (
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/edgelab/edgelab/mail/internal/hdr"
)

// DefaultHeaders are the fields a Signer signs when it is given none: those
// of them present in the message are signed, and From once more than it
// occurs, so that no From can be added without breaking the signature.
var DefaultHeaders = []string{
	"from", "reply-to", "subject", "date", "to", "cc", "message-id",
	"in-reply-to", "references", "mime-version", "content-type",
	"content-transfer-encoding", "list-id", "list-unsubscribe",
}

// Signer makes DKIM-Signature fields. The zero canonicalization is
// relaxed/relaxed.
type Signer struct {
	Domain     string        // d=
	Selector   string        // s=
	Key        crypto.Signer // *rsa.PrivateKey or ed25519.PrivateKey
	Identifier string        // i=, optional (an address at Domain or a subdomain)
	// Headers lists the field names to sign (h=), in order; nil means
	// DefaultHeaders as described there.
	Headers     []string
	HeaderCanon hdr.Canon
	BodyCanon   hdr.Canon
	// Expiry, when positive, adds x= that far after the signing time.
	Expiry time.Duration
}

// ErrNoFrom is returned when asked to sign a message without a From field,
// which RFC 6376 §5.4 requires to be signed.
var ErrNoFrom = errors.New("dkim: message has no From field")

// Sign returns the DKIM-Signature field (ending in CRLF) to put at the top
// of msg, signed at time now. Sign reads no clock and no randomness: the
// same inputs give the same field.
func (s *Signer) Sign(msg []byte, now time.Time) (string, error) {
	fields, body, err := hdr.Split(msg)
	if err != nil {
		return "", err
	}
	if _, ok := hdr.Last(fields, "from"); !ok {
		return "", ErrNoFrom
	}
	alg, err := AlgorithmOf(s.Key)
	if err != nil {
		return "", err
	}
	if s.Domain == "" || s.Selector == "" {
		return "", errors.New("dkim: signer needs a domain and a selector")
	}
	hc, bc := canonOrRelaxed(s.HeaderCanon), canonOrRelaxed(s.BodyCanon)
	names := s.Headers
	if names == nil {
		names = presentWithFromOversigned(fields)
	}
	tags := []hdr.Tag{
		{Name: "v", Value: "1"},
		{Name: "a", Value: string(alg)},
		{Name: "c", Value: string(hc) + "/" + string(bc)},
		{Name: "d", Value: s.Domain},
		{Name: "s", Value: s.Selector},
	}
	if s.Identifier != "" {
		tags = append(tags, hdr.Tag{Name: "i", Value: s.Identifier})
	}
	tags = append(tags, hdr.Tag{Name: "t", Value: strconv.FormatInt(now.Unix(), 10)})
	if s.Expiry > 0 {
		tags = append(tags, hdr.Tag{Name: "x", Value: strconv.FormatInt(now.Add(s.Expiry).Unix(), 10)})
	}
	tags = append(tags,
		hdr.Tag{Name: "h", Value: strings.Join(names, ":")},
		hdr.Tag{Name: "bh", Value: bodyHashB64(body, bc)},
	)
	f, err := SignField("DKIM-Signature", tags, s.Key, hdr.Select(fields, names), hc, true)
	return string(f), err
}

func canonOrRelaxed(c hdr.Canon) hdr.Canon {
	if c == "" {
		return hdr.Relaxed
	}
	return c
}

func presentWithFromOversigned(fields []hdr.Field) []string {
	count := make(map[string]int)
	for _, f := range fields {
		count[strings.ToLower(f.Name())]++
	}
	var names []string
	for _, n := range DefaultHeaders {
		for range count[n] {
			names = append(names, n)
		}
	}
	return append(names, "from")
}

// SignField builds a signature field: name, then the tags in the order
// given, with b= (where a tag named "b" stands, else last) carrying key's
// signature over the signed fields (chosen and ordered by the caller) and
// the field itself (RFC 6376 §3.7; ARC's ARC-Message-Signature and
// ARC-Seal sign the same way, RFC 8617 §5.1). Lines are folded between
// tags and, with foldB, inside the b= value: either leaves the signed bytes
// unchanged. A field that a later signature covers (an ARC set under the
// next seal) must not fold inside b=, as relaxed canonicalization would
// turn that fold into a space the next signer's peers may not reproduce.
func SignField(name string, tags []hdr.Tag, key crypto.Signer, signed []hdr.Field, c hdr.Canon, foldB bool) (hdr.Field, error) {
	hasB := false
	for _, t := range tags {
		hasB = hasB || t.Name == "b"
	}
	if !hasB {
		tags = append(tags[:len(tags):len(tags)], hdr.Tag{Name: "b"})
	}
	render := func(sig string) string {
		var b strings.Builder
		b.WriteString(name)
		b.WriteString(":")
		line := len(name) + 1
		for i, t := range tags {
			value := t.Value
			if t.Name == "b" {
				value = sig
			}
			spec := t.Name + "=" + value
			if i < len(tags)-1 {
				spec += ";"
			}
			// b= always starts a line: whether it fits must not depend
			// on the signature, absent when the field is hashed.
			if (t.Name == "b" || line+1+len(spec) > 76) && line > len(name)+1 {
				b.WriteString("\r\n\t")
				line = 1
			} else {
				b.WriteString(" ")
				line++
			}
			if foldB && t.Name == "b" && len(spec) > 76-line {
				// fold inside the base64, which is white-space insensitive
				for len(spec) > 0 {
					room := max(76-line, 16)
					if room >= len(spec) {
						b.WriteString(spec)
						line += len(spec)
						break
					}
					b.WriteString(spec[:room])
					b.WriteString("\r\n\t")
					spec = spec[room:]
					line = 1
				}
				continue
			}
			b.WriteString(spec)
			line += len(spec)
		}
		b.WriteString("\r\n")
		return b.String()
	}
	sig, err := SignHash(key, hdr.HeaderHash(signed, hdr.Field(render("")), c))
	if err != nil {
		return "", fmt.Errorf("dkim: signing: %w", err)
	}
	return hdr.Field(render(base64.StdEncoding.EncodeToString(sig))), nil
}
