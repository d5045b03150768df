package dns

import (
	"errors"
	"fmt"
	"strings"
)

// CheckName reports what is wrong with a zone name: it must be a fully
// qualified host name in presentation form, ending in "." (zone data has
// no origin to be relative to), made of letters, digits, '-' and '_'
// (for _dmarc and DKIM selectors), each label 1–63 bytes and the whole at
// most 253 bytes without the final dot.
func CheckName(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	if name == "." {
		return errors.New(`the root "." is not a host name`)
	}
	if !strings.HasSuffix(name, ".") {
		return fmt.Errorf("%q is not fully qualified: end it with '.'", name)
	}
	body := name[:len(name)-1]
	if len(body) > 253 {
		return fmt.Errorf("%q is longer than 253 bytes", name)
	}
	for label := range strings.SplitSeq(body, ".") {
		if label == "" {
			return fmt.Errorf("%q has an empty label", name)
		}
		if len(label) > 63 {
			return fmt.Errorf("%q has a label longer than 63 bytes", name)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%q has a label starting or ending with '-'", name)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			switch {
			case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
			case c >= 0x80:
				return fmt.Errorf("%q is not ASCII: write internationalized names as A-labels (xn--...)", name)
			default:
				return fmt.Errorf("%q contains %q, which is not allowed in a host name", name, c)
			}
		}
	}
	return nil
}

// foldName lower-cases ASCII letters: DNS names compare case-insensitively
// (RFC 4343), and only ASCII letters fold.
func foldName(name string) string {
	for i := 0; i < len(name); i++ {
		if c := name[i]; 'A' <= c && c <= 'Z' {
			b := []byte(name)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return name
}

// isDomainName is net's rule for names it is willing to look up and to
// return (net.isDomainName, RFC 1035 and 3696 preferred-name syntax plus
// '_'): Client applies it exactly where net.Resolver does.
func isDomainName(s string) bool {
	if s == "." {
		return true
	}
	l := len(s)
	if l == 0 || l > 254 || l == 254 && s[l-1] != '.' {
		return false
	}
	last := byte('.')
	nonNumeric := false
	partlen := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		default:
			return false
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_':
			nonNumeric = true
			partlen++
		case '0' <= c && c <= '9':
			partlen++
		case c == '-':
			if last == '.' {
				return false
			}
			partlen++
			nonNumeric = true
		case c == '.':
			if last == '.' || last == '-' {
				return false
			}
			if partlen > 63 || partlen == 0 {
				return false
			}
			partlen = 0
		}
		last = c
	}
	if last == '-' || partlen > 63 {
		return false
	}
	return nonNumeric
}

// absName appends the root dot if name lacks it. Client has no search
// list: every name is looked up as if fully qualified.
func absName(name string) string {
	if strings.HasSuffix(name, ".") {
		return name
	}
	return name + "."
}
