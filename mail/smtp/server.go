package smtp

import (
	"bytes"
	"context"
	"crypto/tls"
	"strconv"
	"strings"
	"time"
)

// ServerConfig sets a server session's name and limits. Zero fields take
// the defaults shown.
type ServerConfig struct {
	// Hostname is the name in the greeting and EHLO reply ("localhost").
	Hostname string
	// MaxMessageSize is the largest message accepted, advertised as SIZE
	// (25 MiB).
	MaxMessageSize int64
	// MaxRecipients per message (100, RFC 5321 §4.5.3.1.8's minimum).
	MaxRecipients int
	// MaxCommands per session, BDAT chunks included (1000).
	MaxCommands int
	// IdleTimeout is the longest wait for the client's next octets
	// (5 minutes, RFC 5321 §4.5.3.2.7).
	IdleTimeout time.Duration
	// SessionTimeout bounds a whole session (30 minutes).
	SessionTimeout time.Duration
	// TLS offers STARTTLS; the adapter sets it when it has a certificate.
	TLS bool
	// Bugs switches on seeded bugs (bugs.go); zero in production.
	Bugs Bugs
}

func (c ServerConfig) withDefaults() ServerConfig {
	if c.Hostname == "" {
		c.Hostname = "localhost"
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = 25 << 20
	}
	if c.MaxRecipients <= 0 {
		c.MaxRecipients = 100
	}
	if c.MaxCommands <= 0 {
		c.MaxCommands = 1000
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 5 * time.Minute
	}
	if c.SessionTimeout <= 0 {
		c.SessionTimeout = 30 * time.Minute
	}
	return c
}

// Command line limits (RFC 5321 §4.5.3.1.4: 512 octets with CRLF). MAIL
// and RCPT may be longer by what their extensions add: SIZE 26 (RFC 1870),
// RET and ENVID 100, NOTIFY and ORCPT 500 (RFC 3461 §5), SMTPUTF8 10 (RFC
// 6531), BODY 14 (RFC 6152).
const (
	maxCommandLine = 512
	maxMailLine    = maxCommandLine + 26 + 100 + 10 + 14
	maxRcptLine    = maxCommandLine + 500
	maxAnyLine     = maxRcptLine
)

// RequestKind names the Backend call a session waits for.
type RequestKind int

const (
	RequestMail RequestKind = iota + 1
	RequestRcpt
	RequestData
)

// Request is a question for the Backend that a ServerSession waits on.
type Request struct {
	Kind RequestKind
	// Envelope is the transaction so far (for RequestMail, From and Mail
	// are the new sender; for RequestRcpt, the recipients accepted before
	// this one).
	Envelope *Envelope
	// Rcpt is the recipient asked about (RequestRcpt).
	Rcpt Recipient
	// Message is the finished message (RequestData).
	Message *Message
}

// Call puts r to b and returns the reply to pass to Answer.
func (r *Request) Call(ctx context.Context, b Backend, s *SessionInfo) Reply {
	switch r.Kind {
	case RequestMail:
		return b.Mail(ctx, s, r.Envelope.From, r.Envelope.Mail)
	case RequestRcpt:
		return b.Rcpt(ctx, s, r.Envelope, r.Rcpt)
	default:
		return b.Data(ctx, s, r.Message)
	}
}

// ServerReady is what a session wants done, in this order: write Out;
// then, if Request is set, ask the Backend and Answer; if StartTLS is set,
// run the TLS handshake and call TLSStarted; if Close is set, hang up.
// Otherwise read more input, waking by Deadline to call Tick.
type ServerReady struct {
	Out      []byte
	Request  *Request
	StartTLS bool
	Close    bool
	Deadline time.Time
}

type serverMode int

const (
	modeCommand  serverMode = iota
	modeSkipLine            // discarding the rest of an over-long command line
	modeData                // inside DATA
	modeChunk               // inside a BDAT chunk
	modeTLS                 // waiting for the TLS handshake
	modeClosed
)

// ServerSession is one SMTP server session as a sans-IO state machine. It
// is not safe for concurrent use; one adapter task drives it.
type ServerSession struct {
	cfg  ServerConfig
	info *SessionInfo

	mode     serverMode
	in       []byte // received, not yet processed
	out      []byte
	pending  *Request
	commands int

	idleAt, endAt time.Time

	tx        *Envelope
	txChunked bool // the transaction used BDAT (DATA may not follow)
	txFailed  bool // a BDAT chunk was refused: later ones are refused too

	scan      ContentScanner
	chunkLeft int64
	chunkLast bool
	chunkKeep bool // the chunk's octets belong to a live transaction
}

// NewServerSession starts a session for the client described by info
// (Started is set to now) and queues the 220 greeting.
func NewServerSession(cfg ServerConfig, info *SessionInfo, now time.Time) *ServerSession {
	s := &ServerSession{cfg: cfg.withDefaults(), info: info}
	info.Started = now
	s.endAt = now.Add(s.cfg.SessionTimeout)
	s.idleAt = now.Add(s.cfg.IdleTimeout)
	s.out = append(s.out, "220 "...)
	s.out = append(s.out, s.cfg.Hostname...)
	s.out = append(s.out, " ESMTP edgelab\r\n"...)
	return s
}

// Info is the session's client description.
func (s *ServerSession) Info() *SessionInfo { return s.info }

// Closed reports that the session has ended.
func (s *ServerSession) Closed() bool { return s.mode == modeClosed }

// Refuse ends a session before it starts with a 421 instead of the
// greeting (RFC 5321 §3.1), for example over the per-address limit.
func (s *ServerSession) Refuse(text string) {
	s.out = s.out[:0]
	s.close(reply(421, EnhancedCode{4, 7, 0}, s.cfg.Hostname+" "+text))
}

// Receive feeds octets from the client.
func (s *ServerSession) Receive(now time.Time, p []byte) {
	if s.mode == modeClosed || s.mode == modeTLS {
		// Octets sent after STARTTLS but before the handshake would be
		// taken as commands of the protected session (the injection of
		// CVE-2011-0411); the handshake fails on them anyway.
		return
	}
	s.idleAt = now.Add(s.cfg.IdleTimeout)
	s.in = append(s.in, p...)
	s.process(now)
}

// Tick tells the session the time; past a timeout it says 421 and ends.
func (s *ServerSession) Tick(now time.Time) {
	if s.mode == modeClosed || s.pending != nil {
		return
	}
	if !now.Before(s.endAt) {
		s.close(reply(421, EnhancedCode{4, 4, 2}, s.cfg.Hostname+" session time limit exceeded, closing connection"))
	} else if !now.Before(s.idleAt) {
		s.close(reply(421, EnhancedCode{4, 4, 2}, s.cfg.Hostname+" idle timeout exceeded, closing connection"))
	}
}

// Ready returns what the session wants done and forgets Out.
func (s *ServerSession) Ready() ServerReady {
	r := ServerReady{
		Out:      s.out,
		Request:  s.pending,
		StartTLS: s.mode == modeTLS,
		Close:    s.mode == modeClosed,
		Deadline: s.idleAt,
	}
	if s.endAt.Before(r.Deadline) {
		r.Deadline = s.endAt
	}
	s.out = nil
	return r
}

// Answer gives the Backend's reply to the pending Request.
func (s *ServerSession) Answer(now time.Time, r Reply) {
	req := s.pending
	if req == nil {
		return
	}
	s.pending = nil
	switch req.Kind {
	case RequestMail:
		r = backendReply(r, defaultMailReply)
		if r.Positive() {
			s.tx = req.Envelope
			s.txChunked, s.txFailed = false, false
		}
	case RequestRcpt:
		r = backendReply(r, defaultRcptReply)
		if r.Positive() && s.tx == req.Envelope {
			s.tx.Rcpts = append(s.tx.Rcpts, req.Rcpt)
		}
	case RequestData:
		r = backendReply(r, defaultDataReply)
		s.resetTx()
	}
	s.reply(r)
	s.process(now)
}

// TLSStarted says the handshake after STARTTLS succeeded. The session
// starts over as RFC 3207 §4.2 requires: no HELO, no transaction, nothing
// the client sent before.
func (s *ServerSession) TLSStarted(now time.Time, state *tls.ConnectionState) {
	if s.mode != modeTLS {
		return
	}
	s.info.TLS = state
	s.info.Helo, s.info.ESMTP = "", false
	s.resetTx()
	s.in = s.in[:0]
	s.mode = modeCommand
	s.idleAt = now.Add(s.cfg.IdleTimeout)
}

func (s *ServerSession) reply(r Reply) { s.out = r.AppendTo(s.out) }

func (s *ServerSession) close(r Reply) {
	s.reply(r)
	s.mode = modeClosed
	s.in = nil
	s.pending = nil
}

func (s *ServerSession) resetTx() {
	s.tx = nil
	s.txChunked, s.txFailed = false, false
}

// process works through buffered input until it needs more octets, an
// answer from the Backend or a TLS handshake.
func (s *ServerSession) process(now time.Time) {
	off := 0
	for s.pending == nil && off < len(s.in) {
		switch s.mode {
		case modeCommand:
			i := bytes.IndexByte(s.in[off:], '\n')
			if i < 0 {
				if len(s.in)-off > maxAnyLine+1 {
					s.mode = modeSkipLine
					off = len(s.in)
				}
				goto wait
			}
			line := s.in[off : off+i+1]
			off += i + 1
			s.command(now, line)
		case modeSkipLine:
			i := bytes.IndexByte(s.in[off:], '\n')
			if i < 0 {
				off = len(s.in)
				goto wait
			}
			off += i + 1
			s.mode = modeCommand
			if s.count() {
				s.reply(reply(500, EnhancedCode{5, 5, 2}, "line too long"))
			}
		case modeData:
			n, done := s.scan.Feed(s.in[off:])
			off += n
			if done {
				s.mode = modeCommand
				s.endData(now, false)
			}
		case modeChunk:
			n := int64(len(s.in) - off)
			if n > s.chunkLeft {
				n = s.chunkLeft
			}
			if s.chunkKeep {
				s.scan.Feed(s.in[off : off+int(n)])
			}
			off += int(n)
			s.chunkLeft -= n
			if s.chunkLeft == 0 {
				s.mode = modeCommand
				s.endChunk(now)
			}
		default: // modeTLS, modeClosed
			off = len(s.in)
		}
	}
wait:
	if s.mode == modeClosed || s.mode == modeTLS {
		s.in = nil
		return
	}
	// Keep what is unprocessed at the front of the buffer.
	rest := copy(s.in, s.in[off:])
	s.in = s.in[:rest]
}

// count counts one command and reports whether the session may go on.
func (s *ServerSession) count() bool {
	s.commands++
	if s.commands > s.cfg.MaxCommands {
		s.close(reply(421, EnhancedCode{4, 7, 0}, s.cfg.Hostname+" too many commands, closing connection"))
		return false
	}
	return true
}

// command handles one line, LF included.
func (s *ServerSession) command(now time.Time, line []byte) {
	if !s.count() {
		return
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		s.reply(reply(500, EnhancedCode{5, 5, 2}, "bare LF in command; lines must end with CRLF"))
		return
	}
	line = line[:len(line)-2]
	cmd, err := ParseCommand(line, s.info.ESMTP)
	if err != nil {
		s.reply(err.(*CommandError).Reply)
		return
	}
	limit := maxCommandLine
	switch cmd.Verb {
	case "MAIL":
		limit = maxMailLine
	case "RCPT":
		limit = maxRcptLine
	}
	if len(line)+2 > limit {
		s.reply(reply(500, EnhancedCode{5, 5, 2}, "line too long"))
		return
	}
	switch cmd.Verb {
	case "EHLO", "HELO":
		s.hello(cmd)
	case "MAIL":
		s.mail(cmd)
	case "RCPT":
		s.rcpt(cmd)
	case "DATA":
		s.data(now, cmd)
	case "BDAT":
		s.bdat(now, cmd)
	case "RSET":
		if cmd.Arg != "" {
			s.reply(reply(501, EnhancedCode{5, 5, 4}, "RSET takes no argument"))
			return
		}
		s.resetTx()
		s.reply(reply(250, EnhancedCode{2, 0, 0}, "OK"))
	case "NOOP":
		s.reply(reply(250, EnhancedCode{2, 0, 0}, "OK"))
	case "QUIT":
		s.close(reply(221, EnhancedCode{2, 0, 0}, s.cfg.Hostname+" closing connection"))
	case "VRFY":
		if cmd.Arg == "" {
			s.reply(reply(501, EnhancedCode{5, 5, 4}, "syntax: VRFY <address>"))
			return
		}
		s.reply(reply(252, EnhancedCode{2, 5, 0}, "cannot VRFY user, but will accept message and attempt delivery"))
	case "EXPN":
		s.reply(reply(502, EnhancedCode{5, 5, 1}, "EXPN not available"))
	case "HELP":
		s.reply(Reply{Code: 214, Enhanced: EnhancedCode{2, 0, 0}, Lines: []string{
			"commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS",
			"see RFC 5321",
		}})
	case "STARTTLS":
		s.startTLS(cmd)
	case "TURN", "ETRN", "AUTH", "SEND", "SOML", "SAML", "ATRN":
		s.reply(reply(502, EnhancedCode{5, 5, 1}, cmd.Verb+" not implemented"))
	default:
		s.reply(reply(500, EnhancedCode{5, 5, 2}, "command unrecognized"))
	}
}

func (s *ServerSession) hello(cmd Command) {
	name := cmd.Arg
	if name == "" || strings.ContainsAny(name, " \t") {
		s.reply(reply(501, EnhancedCode{5, 5, 4}, "syntax: "+cmd.Verb+" <domain>"))
		return
	}
	s.resetTx()
	s.info.Helo = name
	s.info.ESMTP = cmd.Verb == "EHLO"
	if !s.info.ESMTP {
		s.reply(reply(250, EnhancedCode{}, s.cfg.Hostname))
		return
	}
	lines := []string{
		s.cfg.Hostname + " greets " + name,
		"PIPELINING",
		"8BITMIME",
		"SMTPUTF8",
		"SIZE " + strconv.FormatInt(s.cfg.MaxMessageSize, 10),
		"ENHANCEDSTATUSCODES",
		"DSN",
		"CHUNKING",
	}
	if s.cfg.TLS && s.info.TLS == nil {
		lines = append(lines, "STARTTLS")
	}
	lines = append(lines, "HELP")
	s.reply(Reply{Code: 250, Lines: lines})
}

func (s *ServerSession) needHello() bool {
	if s.info.Helo == "" {
		s.reply(reply(503, EnhancedCode{5, 5, 1}, "send EHLO or HELO first"))
		return false
	}
	return true
}

func (s *ServerSession) mail(cmd Command) {
	if !s.needHello() {
		return
	}
	if s.tx != nil {
		s.reply(reply(503, EnhancedCode{5, 5, 1}, "sender already given"))
		return
	}
	from, params, err := ParseMail(cmd.Arg, s.info.ESMTP)
	if err != nil {
		s.reply(err.(*CommandError).Reply)
		return
	}
	if !params.SMTPUTF8 && !from.ASCII() {
		s.reply(reply(553, EnhancedCode{5, 6, 7}, "non-ASCII sender address needs SMTPUTF8"))
		return
	}
	if params.Size > s.cfg.MaxMessageSize {
		s.reply(reply(552, EnhancedCode{5, 3, 4}, "message size exceeds fixed maximum message size"))
		return
	}
	s.pending = &Request{Kind: RequestMail, Envelope: &Envelope{From: from, Mail: params}}
}

func (s *ServerSession) rcpt(cmd Command) {
	if s.tx == nil {
		s.reply(reply(503, EnhancedCode{5, 5, 1}, "need MAIL before RCPT"))
		return
	}
	to, err := ParseRcpt(cmd.Arg, s.info.ESMTP)
	if err != nil {
		s.reply(err.(*CommandError).Reply)
		return
	}
	if !s.tx.Mail.SMTPUTF8 && !to.Path.ASCII() {
		s.reply(reply(553, EnhancedCode{5, 6, 7}, "non-ASCII recipient address needs SMTPUTF8"))
		return
	}
	if len(s.tx.Rcpts) >= s.cfg.MaxRecipients {
		s.reply(reply(452, EnhancedCode{4, 5, 3}, "too many recipients"))
		return
	}
	s.pending = &Request{Kind: RequestRcpt, Envelope: s.tx, Rcpt: to}
}

// txReady checks that a transaction can take data, replying if not.
func (s *ServerSession) txReady() bool {
	switch {
	case s.tx == nil:
		s.reply(reply(503, EnhancedCode{5, 5, 1}, "need MAIL before DATA"))
	case len(s.tx.Rcpts) == 0:
		s.reply(reply(554, EnhancedCode{5, 5, 1}, "no valid recipients"))
	default:
		return true
	}
	return false
}

func (s *ServerSession) data(now time.Time, cmd Command) {
	if cmd.Arg != "" {
		s.reply(reply(501, EnhancedCode{5, 5, 4}, "DATA takes no argument"))
		return
	}
	if !s.txReady() {
		return
	}
	if s.txChunked {
		s.reply(reply(503, EnhancedCode{5, 5, 1}, "DATA may not follow BDAT"))
		return
	}
	s.scan.Reset(true, s.cfg.MaxMessageSize)
	s.scan.bareLFEnds = s.cfg.Bugs.BareLFEndOfData
	s.mode = modeData
	s.reply(reply(354, EnhancedCode{}, "end data with <CR><LF>.<CR><LF>"))
}

// endData finishes DATA or BDAT LAST: a fault refuses the message, else
// the Backend is asked.
func (s *ServerSession) endData(now time.Time, chunked bool) {
	if r := s.scan.Fault(); !r.IsZero() {
		s.resetTx()
		s.reply(r)
		return
	}
	msg := &Message{
		Envelope: *s.tx,
		Data:     bytes.Clone(s.scan.Body()),
		EightBit: s.scan.EightBit,
		Chunked:  chunked,
		Received: now,
	}
	s.pending = &Request{Kind: RequestData, Envelope: s.tx, Message: msg}
}

func (s *ServerSession) bdat(now time.Time, cmd Command) {
	sizeArg, last, _ := strings.Cut(cmd.Arg, " ")
	size, err := strconv.ParseInt(sizeArg, 10, 64)
	if err != nil || size < 0 || sizeArg == "" || sizeArg[0] == '+' || (last != "" && !strings.EqualFold(last, "LAST")) {
		// Without a size the chunk's end is unknowable, and its octets
		// must never be read as commands: the session ends here.
		s.close(reply(501, EnhancedCode{5, 5, 4}, "syntax: BDAT <size> [LAST]; closing connection"))
		return
	}
	s.chunkLeft = size
	s.chunkLast = last != ""
	s.chunkKeep = s.tx != nil && !s.txFailed && len(s.tx.Rcpts) > 0
	if s.chunkKeep && !s.txChunked {
		s.txChunked = true
		s.scan.Reset(false, s.cfg.MaxMessageSize)
	}
	if size == 0 {
		s.endChunk(now)
		return
	}
	s.mode = modeChunk
}

// endChunk answers a BDAT chunk once all its octets are in. RFC 3030 §3:
// a refused chunk's octets are still consumed, and so are those of any
// chunk after it, which are refused too.
func (s *ServerSession) endChunk(now time.Time) {
	switch {
	case s.tx == nil:
		s.reply(reply(503, EnhancedCode{5, 5, 1}, "need MAIL before BDAT"))
		return
	case s.txFailed:
		s.reply(reply(503, EnhancedCode{5, 5, 1}, "an earlier chunk was refused; send RSET"))
		if s.chunkLast {
			s.resetTx()
		}
		return
	case len(s.tx.Rcpts) == 0:
		s.txFailed = true
		s.reply(reply(554, EnhancedCode{5, 5, 1}, "no valid recipients"))
		if s.chunkLast {
			s.resetTx()
		}
		return
	}
	if s.scan.TooBig() {
		s.txFailed = true
		s.reply(reply(552, EnhancedCode{5, 3, 4}, "message exceeds fixed maximum message size"))
		if s.chunkLast {
			s.resetTx()
		}
		return
	}
	if !s.chunkLast {
		s.reply(reply(250, EnhancedCode{2, 0, 0}, strconv.FormatInt(s.scan.Size(), 10)+" octets received"))
		return
	}
	s.scan.Finish()
	s.endData(now, true)
}

func (s *ServerSession) startTLS(cmd Command) {
	switch {
	case cmd.Arg != "":
		s.reply(reply(501, EnhancedCode{5, 5, 4}, "STARTTLS takes no argument"))
	case !s.cfg.TLS:
		s.reply(reply(502, EnhancedCode{5, 5, 1}, "STARTTLS not available"))
	case s.info.TLS != nil:
		s.reply(reply(503, EnhancedCode{5, 5, 1}, "TLS already active"))
	case !s.needHello():
	case s.tx != nil:
		s.reply(reply(503, EnhancedCode{5, 5, 1}, "STARTTLS inside a transaction"))
	default:
		s.reply(reply(220, EnhancedCode{2, 0, 0}, "ready to start TLS"))
		s.mode = modeTLS
	}
}
