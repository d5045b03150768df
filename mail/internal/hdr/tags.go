package hdr

import (
	"errors"
	"fmt"
	"strings"
)

// Tag is one tag=value pair; Value has its surrounding white space removed
// but inner folding kept (b= and bh= are stripped of it by the caller).
type Tag struct {
	Name, Value string
}

// Tags is a parsed tag-list in the order written.
type Tags []Tag

// Get returns the value of the named tag (names are case-sensitive, RFC
// 6376 §3.2).
func (ts Tags) Get(name string) (string, bool) {
	for _, t := range ts {
		if t.Name == name {
			return t.Value, true
		}
	}
	return "", false
}

// ErrTagList is wrapped by every error ParseTags returns.
var ErrTagList = errors.New("hdr: malformed tag-list")

// ParseTags parses a tag-list (RFC 6376 §3.2):
//
//	tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
//	tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
//	tag-name  = ALPHA *ALNUMPUNC
//	tag-value = [ tval *( 1*(WSP / FWS) tval ) ]   ; tval: VCHAR except ";"
//
// A duplicated tag name is an error, as the RFC requires.
func ParseTags(s string) (Tags, error) {
	var tags Tags
	seen := make(map[string]bool)
	specs := strings.Split(s, ";")
	for i, spec := range specs {
		if strings.Trim(spec, " \t\r\n") == "" {
			if i == len(specs)-1 && i > 0 {
				break // the optional trailing ";"
			}
			return nil, fmt.Errorf("%w: empty tag-spec %d", ErrTagList, i+1)
		}
		name, value, ok := strings.Cut(spec, "=")
		if !ok {
			return nil, fmt.Errorf("%w: tag-spec %d has no '='", ErrTagList, i+1)
		}
		name = trimFWS(name)
		if !validTagName(name) {
			return nil, fmt.Errorf("%w: bad tag name %q", ErrTagList, name)
		}
		value = trimFWS(value)
		if err := checkTagValue(value); err != nil {
			return nil, fmt.Errorf("%w: tag %s: %v", ErrTagList, name, err)
		}
		if seen[name] {
			return nil, fmt.Errorf("%w: tag %s appears twice", ErrTagList, name)
		}
		seen[name] = true
		tags = append(tags, Tag{name, value})
	}
	return tags, nil
}

func trimFWS(s string) string { return strings.Trim(s, " \t\r\n") }

func validTagName(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isAlpha(s[i]) && !(s[i] >= '0' && s[i] <= '9') && s[i] != '_' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// checkTagValue accepts printable characters separated by folding white
// space; a CR must start a CRLF followed by white space.
func checkTagValue(v string) error {
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == ' ' || c == '\t':
		case c == '\r':
			if i+2 >= len(v) || v[i+1] != '\n' || (v[i+2] != ' ' && v[i+2] != '\t') {
				return errors.New("CR not part of folding white space")
			}
			i++
		case c == '\n':
			return errors.New("bare LF")
		case c < 0x21 || c == 0x7f:
			return fmt.Errorf("control character %#x", c)
		}
	}
	return nil
}

// StripWS removes all white space and folding from a tag value, as b=, bh=
// and key p= values need before base64 decoding.
func StripWS(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
}

// ClearTag returns a field with the value of its named tag emptied and
// everything else, spacing and folding included, untouched: the form in
// which a DKIM-Signature or ARC signature field enters its own hash (RFC
// 6376 §3.7). The field is a full "Name: value\r\n" line.
func ClearTag(f Field, name string) Field {
	s := string(f)
	colon := strings.IndexByte(s, ':')
	if colon < 0 {
		return f
	}
	pos := colon + 1
	for pos <= len(s) {
		end := strings.IndexByte(s[pos:], ';')
		if end < 0 {
			end = len(s)
		} else {
			end += pos
		}
		spec := s[pos:end]
		if eq := strings.IndexByte(spec, '='); eq >= 0 && trimFWS(spec[:eq]) == name {
			valueStart := pos + eq + 1
			// keep the CRLF that ends the field when the tag is the last one
			valueEnd := end
			if end == len(s) && strings.HasSuffix(s, "\r\n") {
				valueEnd = len(s) - 2
			}
			return Field(s[:valueStart] + s[valueEnd:])
		}
		pos = end + 1
	}
	return f
}
