package smtp

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Command is one command line, CRLF removed: the verb upper-cased and the
// argument after the first space, as sent.
type Command struct {
	Verb string
	Arg  string
}

// ParseCommand splits a command line (without its CRLF). It refuses NUL,
// CR, LF and other control characters, a verb that is not 1–10 ASCII
// letters, and non-ASCII bytes unless utf8 is set (RFC 6531, after EHLO
// offered SMTPUTF8), in which case the line must be valid UTF-8.
func ParseCommand(line []byte, utf8OK bool) (Command, error) {
	for _, c := range line {
		switch {
		case c == 0:
			return Command{}, cmdErr(500, EnhancedCode{5, 5, 2}, "NUL in command")
		case c == '\r' || c == '\n':
			return Command{}, cmdErr(500, EnhancedCode{5, 5, 2}, "bare CR or LF in command")
		case c < ' ' && c != '\t' || c == 0x7f:
			return Command{}, cmdErr(500, EnhancedCode{5, 5, 2}, "control character in command")
		case c >= 0x80 && !utf8OK:
			return Command{}, cmdErr(500, EnhancedCode{5, 6, 7}, "non-ASCII octets in command without SMTPUTF8")
		}
	}
	if utf8OK && !utf8.Valid(line) {
		return Command{}, cmdErr(500, EnhancedCode{5, 6, 7}, "command is not valid UTF-8")
	}
	verb, arg, _ := strings.Cut(string(line), " ")
	if len(verb) == 0 || len(verb) > 10 {
		return Command{}, cmdErr(500, EnhancedCode{5, 5, 2}, "command unrecognized")
	}
	for _, c := range []byte(verb) {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return Command{}, cmdErr(500, EnhancedCode{5, 5, 2}, "command unrecognized")
		}
	}
	return Command{Verb: strings.ToUpper(verb), Arg: arg}, nil
}

// Path is a forward-path or reverse-path (RFC 5321 §4.1.2). Local keeps
// the local part as sent (a quoted string keeps its quotes and escapes),
// Domain the domain or address literal ("[192.0.2.1]", "[IPv6:…]") as
// sent. The null reverse-path "<>" has both empty; "<Postmaster>" has an
// empty Domain. Route holds a source route's domains, which RFC 5321
// §4.1.1.3 says to accept and ignore; a router should refuse or ignore it,
// never follow it.
type Path struct {
	Route  []string
	Local  string
	Domain string
}

// IsNull reports the null reverse-path <>.
func (p Path) IsNull() bool { return p.Local == "" && p.Domain == "" }

// String is the mailbox local@domain, "" for the null path and the local
// part alone for <Postmaster>.
func (p Path) String() string {
	if p.Domain == "" {
		return p.Local
	}
	return p.Local + "@" + p.Domain
}

// ASCII reports whether the path needs no SMTPUTF8.
func (p Path) ASCII() bool {
	return isASCII(p.Local) && isASCII(p.Domain)
}

// wire is the path in angle brackets, as a client sends it; the route is
// dropped (RFC 5321 §4.1.1.3: clients SHOULD NOT send one).
func (p Path) wire() string { return "<" + p.String() + ">" }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// The length limits of RFC 5321 §4.5.3.1.
const (
	maxLocalPart = 64
	maxDomain    = 255
	maxPath      = 256
)

// parsePath parses a path in angle brackets at the start of s and returns
// the rest. nullOK admits "<>"; postmasterOK admits "<Postmaster>".
func parsePath(s string, nullOK, postmasterOK bool, badSyntax EnhancedCode) (Path, string, error) {
	bad := func(text string) (Path, string, error) {
		return Path{}, "", cmdErr(501, badSyntax, text)
	}
	if !strings.HasPrefix(s, "<") {
		return bad("path must be in angle brackets")
	}
	end := pathEnd(s)
	if end < 0 {
		return bad("unterminated path")
	}
	inner, rest := s[1:end], s[end+1:]
	if len(inner) > maxPath {
		return Path{}, "", cmdErr(501, badSyntax, "path too long")
	}
	if inner == "" {
		if !nullOK {
			return bad("null path not allowed here")
		}
		return Path{}, rest, nil
	}
	var p Path
	if strings.HasPrefix(inner, "@") {
		route, mailbox, ok := strings.Cut(inner, ":")
		if !ok {
			return bad("source route without mailbox")
		}
		for _, at := range strings.Split(route, ",") {
			d, ok := strings.CutPrefix(at, "@")
			if !ok || !validDomain(d) {
				return bad("bad source route")
			}
			p.Route = append(p.Route, d)
		}
		inner = mailbox
	}
	if postmasterOK && len(p.Route) == 0 && strings.EqualFold(inner, "postmaster") {
		p.Local = inner
		return p, rest, nil
	}
	at := strings.LastIndexByte(inner, '@')
	if at < 0 {
		return bad("mailbox without domain")
	}
	local, domain := inner[:at], inner[at+1:]
	if !validLocalPart(local) {
		return bad("bad local part")
	}
	if len(local) > maxLocalPart {
		return bad("local part too long")
	}
	if strings.HasPrefix(domain, "[") {
		if !validAddressLiteral(domain) {
			return bad("bad address literal")
		}
	} else if !validDomain(domain) {
		return bad("bad domain")
	}
	if len(domain) > maxDomain {
		return bad("domain too long")
	}
	p.Local, p.Domain = local, domain
	return p, rest, nil
}

// pathEnd finds the ">" closing the path at s[0], skipping quoted strings.
func pathEnd(s string) int {
	quoted := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == '>':
			return i
		}
	}
	return -1
}

// isAtext is RFC 5322's atext, widened by RFC 6531 to any non-ASCII octet
// (UTF-8 validity is checked on the whole line).
func isAtext(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c >= 0x80:
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

func validLocalPart(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '"' {
		if len(s) < 2 || s[len(s)-1] != '"' {
			return false
		}
		q := s[1 : len(s)-1]
		for i := 0; i < len(q); i++ {
			c := q[i]
			switch {
			case c == '\\':
				i++
				if i == len(q) || q[i] < 32 || q[i] > 126 {
					return false
				}
			case c == '"':
				return false
			case c < 32 || c == 127:
				return false
			}
		}
		return true
	}
	for _, atom := range strings.Split(s, ".") {
		if atom == "" {
			return false
		}
		for i := 0; i < len(atom); i++ {
			if !isAtext(atom[i]) {
				return false
			}
		}
	}
	return true
}

// validDomain checks RFC 5321's Domain, each sub-domain letters, digits and
// inner hyphens, or (RFC 6531) a label with non-ASCII characters.
func validDomain(s string) bool {
	if s == "" || len(s) > maxDomain {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c >= 0x80) {
				return false
			}
		}
	}
	return true
}

func validAddressLiteral(s string) bool {
	if len(s) < 3 || s[len(s)-1] != ']' {
		return false
	}
	lit := s[1 : len(s)-1]
	if v6, ok := cutPrefixFold(lit, "IPv6:"); ok {
		a, err := netip.ParseAddr(v6)
		return err == nil && a.Is6() && a.Zone() == ""
	}
	a, err := netip.ParseAddr(lit)
	return err == nil && a.Is4()
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// Body is the BODY= parameter of RFC 6152.
type Body string

const (
	Body7Bit     Body = "7BIT"
	Body8BitMIME Body = "8BITMIME"
)

// Ret is the RET= parameter of RFC 3461: what a failure DSN returns.
type Ret string

const (
	RetFull Ret = "FULL"
	RetHdrs Ret = "HDRS"
)

// MailParams are the MAIL parameters this package knows; absent ones are
// zero.
type MailParams struct {
	Size     int64 // SIZE= (RFC 1870), 0 if not given
	Body     Body  // BODY= (RFC 6152)
	SMTPUTF8 bool  // SMTPUTF8 (RFC 6531)
	Ret      Ret   // RET= (RFC 3461)
	EnvID    string
}

// Notify is the NOTIFY= parameter of RFC 3461 as a set of flags; zero
// means the parameter was absent.
type Notify uint8

const (
	NotifyNever Notify = 1 << iota
	NotifySuccess
	NotifyFailure
	NotifyDelay
)

func (n Notify) String() string {
	if n&NotifyNever != 0 {
		return "NEVER"
	}
	var parts []string
	for _, f := range []struct {
		bit  Notify
		name string
	}{{NotifySuccess, "SUCCESS"}, {NotifyFailure, "FAILURE"}, {NotifyDelay, "DELAY"}} {
		if n&f.bit != 0 {
			parts = append(parts, f.name)
		}
	}
	return strings.Join(parts, ",")
}

// ORCPT is RFC 3461's original recipient: an address type ("rfc822",
// "utf-8") and the address, xtext-decoded.
type ORCPT struct {
	AddrType string
	Addr     string
}

// RcptParams are the RCPT parameters this package knows.
type RcptParams struct {
	Notify Notify
	ORCPT  *ORCPT
}

// Recipient is one accepted forward-path with its parameters.
type Recipient struct {
	Path   Path
	Params RcptParams
}

// Envelope is a transaction's MAIL and accepted RCPTs.
type Envelope struct {
	From  Path
	Mail  MailParams
	Rcpts []Recipient
}

// ParseMail parses the argument of MAIL ("FROM:<path> params"). esmtp says
// whether the session began with EHLO (parameters allowed).
func ParseMail(arg string, esmtp bool) (Path, MailParams, error) {
	var mp MailParams
	path, err := mailArg.parse(arg, esmtp, &mp)
	if err != nil {
		return Path{}, MailParams{}, err
	}
	return path, mp, nil
}

// ParseRcpt parses the argument of RCPT ("TO:<path> params").
func ParseRcpt(arg string, esmtp bool) (Recipient, error) {
	var rp RcptParams
	path, err := rcptArg.parse(arg, esmtp, &rp)
	if err != nil {
		return Recipient{}, err
	}
	return Recipient{Path: path, Params: rp}, nil
}

// argSpec is what MAIL and RCPT differ in: the prefix before the path,
// which special paths are allowed, the code for a bad path, and their
// parameters. One parser (parse) reads both, so the two commands cannot
// drift apart in how they treat paths, parameter syntax, repeats, values
// given or missing, or unknown keywords.
type argSpec[P any] struct {
	verb, prefix       string
	nullOK, postmaster bool
	badPath            EnhancedCode
	params             map[string]param[P]
}

// param is one keyword: whether it takes a value (every keyword either
// must have one or must not), and how the value is stored.
type param[P any] struct {
	value bool
	set   func(p *P, val string) error
}

func (sp *argSpec[P]) parse(arg string, esmtp bool, p *P) (Path, error) {
	rest, ok := cutPrefixFold(arg, sp.prefix)
	if !ok {
		return Path{}, cmdErr(501, EnhancedCode{5, 5, 4}, "syntax: "+sp.verb+" "+sp.prefix+"<address>")
	}
	path, rest, err := parsePath(strings.TrimLeft(rest, " "), sp.nullOK, sp.postmaster, sp.badPath)
	if err != nil {
		return Path{}, err
	}
	err = eachParam(rest, esmtp, func(key, val string, hasVal bool) error {
		pm, ok := sp.params[key]
		switch {
		case !ok:
			return cmdErr(555, EnhancedCode{5, 5, 4}, sp.verb+" parameter "+key+" not recognized")
		case pm.value && !hasVal:
			return cmdErr(501, EnhancedCode{5, 5, 4}, key+" needs a value")
		case !pm.value && hasVal:
			return cmdErr(501, EnhancedCode{5, 5, 4}, key+" takes no value")
		}
		return pm.set(p, val)
	})
	if err != nil {
		return Path{}, err
	}
	return path, nil
}

var mailArg = &argSpec[MailParams]{verb: "MAIL", prefix: "FROM:", nullOK: true, badPath: EnhancedCode{5, 1, 7},
	params: map[string]param[MailParams]{
		"SIZE": {true, func(mp *MailParams, val string) error {
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n < 0 || val[0] == '+' {
				return cmdErr(501, EnhancedCode{5, 5, 4}, "bad SIZE value")
			}
			mp.Size = n
			return nil
		}},
		"BODY": {true, func(mp *MailParams, val string) error {
			switch b := Body(strings.ToUpper(val)); b {
			case Body7Bit, Body8BitMIME:
				mp.Body = b
				return nil
			}
			return cmdErr(555, EnhancedCode{5, 5, 4}, "unsupported BODY value")
		}},
		"SMTPUTF8": {false, func(mp *MailParams, _ string) error {
			mp.SMTPUTF8 = true
			return nil
		}},
		"RET": {true, func(mp *MailParams, val string) error {
			switch r := Ret(strings.ToUpper(val)); r {
			case RetFull, RetHdrs:
				mp.Ret = r
				return nil
			}
			return cmdErr(501, EnhancedCode{5, 5, 4}, "bad RET value")
		}},
		"ENVID": {true, func(mp *MailParams, val string) error {
			id, err := DecodeXtext(val)
			if err != nil || id == "" || len(id) > 100 {
				return cmdErr(501, EnhancedCode{5, 5, 4}, "bad ENVID value")
			}
			mp.EnvID = id
			return nil
		}},
	}}

var rcptArg = &argSpec[RcptParams]{verb: "RCPT", prefix: "TO:", postmaster: true, badPath: EnhancedCode{5, 1, 3},
	params: map[string]param[RcptParams]{
		"NOTIFY": {true, func(rp *RcptParams, val string) error {
			n, ok := parseNotify(val)
			if !ok {
				return cmdErr(501, EnhancedCode{5, 5, 4}, "bad NOTIFY value")
			}
			rp.Notify = n
			return nil
		}},
		"ORCPT": {true, func(rp *RcptParams, val string) error {
			typ, xt, ok := strings.Cut(val, ";")
			typ = strings.ToLower(typ)
			decode := DecodeXtext
			if typ == "utf-8" {
				decode = DecodeUTF8AddrText
			}
			addr, err := decode(xt)
			if !ok || typ == "" || err != nil || addr == "" {
				return cmdErr(501, EnhancedCode{5, 5, 4}, "bad ORCPT value")
			}
			rp.ORCPT = &ORCPT{AddrType: typ, Addr: addr}
			return nil
		}},
	}}

func parseNotify(v string) (Notify, bool) {
	if strings.EqualFold(v, "NEVER") {
		return NotifyNever, true
	}
	var n Notify
	for _, f := range strings.Split(strings.ToUpper(v), ",") {
		var bit Notify
		switch f {
		case "SUCCESS":
			bit = NotifySuccess
		case "FAILURE":
			bit = NotifyFailure
		case "DELAY":
			bit = NotifyDelay
		default:
			return 0, false
		}
		if n&bit != 0 {
			return 0, false
		}
		n |= bit
	}
	return n, true
}

// eachParam walks " KEY[=value]" parameters (RFC 5321 §4.1.2 esmtp-param);
// keys are upper-cased, a repeated key is refused.
func eachParam(s string, esmtp bool, fn func(key, val string, hasVal bool) error) error {
	if s == "" {
		return nil
	}
	if s[0] != ' ' {
		return cmdErr(501, EnhancedCode{5, 5, 4}, "garbage after path")
	}
	if !esmtp {
		return cmdErr(555, EnhancedCode{5, 5, 4}, "parameters need EHLO")
	}
	seen := map[string]bool{}
	for _, p := range strings.Fields(s) {
		key, val, hasVal := strings.Cut(p, "=")
		key = strings.ToUpper(key)
		if !validKeyword(key) || hasVal && !validParamValue(val) {
			return cmdErr(501, EnhancedCode{5, 5, 4}, "bad parameter syntax")
		}
		if seen[key] {
			return cmdErr(501, EnhancedCode{5, 5, 4}, "parameter "+key+" repeated")
		}
		seen[key] = true
		if err := fn(key, val, hasVal); err != nil {
			return err
		}
	}
	return nil
}

func validKeyword(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' && i > 0) {
			return false
		}
	}
	return true
}

// validParamValue is esmtp-value: printable ASCII except "=" and space,
// widened by RFC 6531 to UTF-8.
func validParamValue(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 33 || c == '=' || c == 127 {
			return false
		}
	}
	return true
}

// DecodeXtext decodes RFC 3461 §4 xtext ("+" followed by two upper-case
// hex digits stands for that octet).
func DecodeXtext(s string) (string, error) {
	if strings.IndexByte(s, '+') < 0 {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '+' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", cmdErr(501, EnhancedCode{5, 5, 4}, "bad xtext")
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", cmdErr(501, EnhancedCode{5, 5, 4}, "bad xtext")
		}
		b.WriteByte(hi<<4 | lo)
		i += 2
	}
	return b.String(), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// EncodeXtext encodes s as RFC 3461 xtext: "+", "=", controls, space and
// non-ASCII octets become "+XX".
func EncodeXtext(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 33 || c > 126 || c == '+' || c == '=' {
			b.WriteByte('+')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// DecodeUTF8AddrText decodes RFC 6533 §3's utf-8-addr-xtext and
// utf-8-addr-unitext, the ORCPT forms for the "utf-8" address type:
// "\x{HEX}" stands for that code point, and UTF-8 may stand for itself.
func DecodeUTF8AddrText(s string) (string, error) {
	bad := cmdErr(501, EnhancedCode{5, 5, 4}, "bad utf-8-addr-xtext")
	if !utf8.ValidString(s) {
		return "", bad
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '+' || c == '=' {
			return "", bad
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		rest, ok := strings.CutPrefix(s[i+1:], "x{")
		end := strings.IndexByte(rest, '}')
		if !ok || end < 1 || end > 6 {
			return "", bad
		}
		cp, err := strconv.ParseUint(rest[:end], 16, 32)
		if err != nil || cp > utf8.MaxRune || !utf8.ValidRune(rune(cp)) {
			return "", bad
		}
		b.WriteRune(rune(cp))
		i += 2 + end + 1
	}
	return b.String(), nil
}

// EncodeUTF8AddrText encodes an address for an ORCPT of type "utf-8": as
// utf-8-addr-unitext (non-ASCII kept) when the server has SMTPUTF8, else as
// utf-8-addr-xtext (RFC 6533 §3).
func EncodeUTF8AddrText(s string, unitext bool) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '!' && r <= '~' && r != '+' && r != '=' && r != '\\':
			b.WriteRune(r)
		case r >= 0x80 && unitext:
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "\\x{%X}", r)
		}
	}
	return b.String()
}
