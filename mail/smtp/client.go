package smtp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ClientConfig sets what a client session says and wants. Zero fields take
// the defaults shown.
type ClientConfig struct {
	// Hostname is the name sent in EHLO and HELO ("localhost").
	Hostname string
	// StartTLS upgrades the session with STARTTLS when the server offers
	// it; the adapter must then hold a TLS configuration.
	StartTLS bool
	// RequireTLS fails the session when TLS cannot be started.
	RequireTLS bool
	// ReplyTimeout bounds the wait for each reply (5 minutes, RFC 5321
	// §4.5.3.2) but the last of a message's data, which FinalTimeout
	// bounds (10 minutes, §4.5.3.2.6).
	ReplyTimeout time.Duration
	FinalTimeout time.Duration
	// ChunkSize is the largest BDAT chunk sent when the server offers
	// CHUNKING (1 MiB); NoChunking sends DATA regardless.
	ChunkSize  int
	NoChunking bool
}

func (c ClientConfig) withDefaults() ClientConfig {
	if c.Hostname == "" {
		c.Hostname = "localhost"
	}
	if c.ReplyTimeout <= 0 {
		c.ReplyTimeout = 5 * time.Minute
	}
	if c.FinalTimeout <= 0 {
		c.FinalTimeout = 10 * time.Minute
	}
	if c.ChunkSize <= 0 {
		c.ChunkSize = 1 << 20
	}
	return c
}

// RcptResult is one recipient's outcome: the RCPT reply, and Err nil if the
// message was accepted for it (a *ReplyError from RCPT or from the end of
// data otherwise).
type RcptResult struct {
	Rcpt  Recipient
	Reply Reply
	Err   error
}

// Result is one transaction's outcome. Err is nil when the message was
// accepted for at least one recipient (see Rcpts for each); otherwise it is
// the *ReplyError, *ExtensionError or content error that stopped it.
type Result struct {
	Mail  Reply
	Rcpts []RcptResult
	// Data is the reply to the end of the data (DATA's final reply or
	// BDAT LAST's), zero if the transaction did not get that far.
	Data Reply
	Err  error
}

// Accepted counts the recipients the message was accepted for.
func (r *Result) Accepted() int {
	n := 0
	for _, rr := range r.Rcpts {
		if rr.Err == nil {
			n++
		}
	}
	return n
}

// ClientReady is what a client session wants done: write Out; if StartTLS,
// run the handshake and call TLSStarted; if Close, hang up. Result is a
// transaction that just finished. Idle says the session can take Send.
// Err is a failure of the whole session. Deadline is when Tick is due.
type ClientReady struct {
	Out      []byte
	StartTLS bool
	Close    bool
	Idle     bool
	Result   *Result
	Err      error
	Deadline time.Time
}

// ErrTimeout is the session error when a reply does not come in time.
var ErrTimeout = errors.New("smtp: timed out waiting for a reply")

type clientState int

const (
	cGreeting clientState = iota
	cEhlo
	cHelo
	cStartTLS
	cTLS
	cIdle
	cTx
	cQuit
	cClosed
)

type expectKind int

const (
	expMail expectKind = iota
	expRcpt
	expData
	expDataEnd
	expChunk
	expLastChunk
	expRset
)

type expect struct {
	kind expectKind
	rcpt int // expRcpt: index into the result's recipients
}

// ClientSession is one SMTP client session as a sans-IO state machine:
// Receive feeds the server's octets, Tick the time, Send starts a
// transaction, Quit ends the session; Ready says what to do.
type ClientSession struct {
	cfg    ClientConfig
	state  clientState
	parser ReplyParser
	out    []byte
	ext    map[string]string
	tls    bool
	err    error
	dueAt  time.Time

	// the transaction in progress
	env       *Envelope
	data      []byte
	result    *Result
	done      *Result
	expects   []expect
	next      int // the next RCPT to send when not pipelining
	chunks    [][]byte
	nextChunk int
	body      Body
	txOpen    bool // the server holds a transaction (MAIL accepted, no end yet)
	utf8      bool
}

// NewClientSession starts a session that waits for the server's greeting.
func NewClientSession(cfg ClientConfig, now time.Time) *ClientSession {
	c := &ClientSession{cfg: cfg.withDefaults()}
	c.dueAt = now.Add(c.cfg.ReplyTimeout)
	return c
}

// Extensions are the EHLO keywords the server offered (upper-cased) with
// their parameters; empty after HELO.
func (c *ClientSession) Extensions() map[string]string { return c.ext }

// Has reports whether the server offered the extension.
func (c *ClientSession) Has(ext string) bool {
	_, ok := c.ext[ext]
	return ok
}

// TLS reports whether STARTTLS succeeded.
func (c *ClientSession) TLS() bool { return c.tls }

// Ready returns what the session wants done and forgets Out and Result.
func (c *ClientSession) Ready() ClientReady {
	r := ClientReady{
		Out:      c.out,
		StartTLS: c.state == cTLS,
		Close:    c.state == cClosed,
		Idle:     c.state == cIdle,
		Result:   c.done,
		Err:      c.err,
		Deadline: c.dueAt,
	}
	c.out, c.done = nil, nil
	return r
}

func (c *ClientSession) send(now time.Time, timeout time.Duration, parts ...string) {
	for _, p := range parts {
		c.out = append(c.out, p...)
	}
	c.out = append(c.out, crlf...)
	c.dueAt = now.Add(timeout)
}

func (c *ClientSession) fail(err error) {
	if c.err == nil {
		c.err = err
	}
	if c.result != nil && c.result.Err == nil {
		c.result.Err = err
		c.finish()
	}
	c.state = cClosed
}

// Tick tells the session the time; a reply overdue fails the session.
func (c *ClientSession) Tick(now time.Time) {
	if c.state == cIdle || c.state == cClosed || c.state == cTLS {
		return
	}
	if !now.Before(c.dueAt) {
		c.fail(ErrTimeout)
	}
}

// TLSStarted says the STARTTLS handshake succeeded: the session starts
// over with EHLO (RFC 3207 §4.2), forgetting the extensions.
func (c *ClientSession) TLSStarted(now time.Time) {
	if c.state != cTLS {
		return
	}
	c.tls = true
	c.ext = nil
	c.parser = ReplyParser{}
	c.state = cEhlo
	c.send(now, c.cfg.ReplyTimeout, "EHLO ", c.cfg.Hostname)
}

// Quit ends the session politely.
func (c *ClientSession) Quit(now time.Time) {
	if c.state == cClosed || c.state == cQuit {
		return
	}
	if c.state != cIdle {
		c.fail(ErrClosed)
		return
	}
	c.state = cQuit
	c.send(now, c.cfg.ReplyTimeout, "QUIT")
}

// Receive feeds octets from the server.
func (c *ClientSession) Receive(now time.Time, p []byte) {
	if c.state == cClosed {
		return
	}
	c.parser.Feed(p)
	for c.state != cClosed && c.state != cTLS {
		r, ok, err := c.parser.Next()
		if err != nil {
			c.fail(err)
			return
		}
		if !ok {
			return
		}
		c.handle(now, r)
	}
}

func (c *ClientSession) handle(now time.Time, r Reply) {
	if r.Code == 421 && c.state != cGreeting && c.state != cQuit {
		// The server is closing (RFC 5321 §3.8): whatever was asked
		// fails with its word, and nothing more will come.
		c.fail(&ReplyError{Command: c.pendingCommand(), Reply: r})
		return
	}
	switch c.state {
	case cGreeting:
		if r.Code != 220 {
			c.fail(&ReplyError{Command: "greeting", Reply: r})
			return
		}
		c.state = cEhlo
		c.send(now, c.cfg.ReplyTimeout, "EHLO ", c.cfg.Hostname)
	case cEhlo:
		switch {
		case r.Code == 250:
			c.ext = parseExtensions(r.Lines)
			c.afterHello(now)
		case r.Permanent() && !c.tls:
			c.state = cHelo
			c.send(now, c.cfg.ReplyTimeout, "HELO ", c.cfg.Hostname)
		default:
			c.fail(&ReplyError{Command: "EHLO", Reply: r})
		}
	case cHelo:
		if r.Code != 250 {
			c.fail(&ReplyError{Command: "HELO", Reply: r})
			return
		}
		c.ext = map[string]string{}
		c.afterHello(now)
	case cStartTLS:
		if r.Code == 220 {
			c.state = cTLS
			return
		}
		if c.cfg.RequireTLS {
			c.fail(&ReplyError{Command: "STARTTLS", Reply: r})
			return
		}
		c.state = cIdle
	case cTx:
		c.txReply(now, r)
	case cQuit:
		c.state = cClosed
	case cIdle:
		// An unasked reply: the stream is out of step.
		c.fail(&ProtocolError{Msg: "unexpected reply", Line: r.String()})
	}
}

// pendingCommand names the command whose reply is awaited.
func (c *ClientSession) pendingCommand() string {
	switch c.state {
	case cEhlo:
		return "EHLO"
	case cHelo:
		return "HELO"
	case cStartTLS:
		return "STARTTLS"
	case cTx:
		if len(c.expects) > 0 {
			switch c.expects[0].kind {
			case expMail:
				return "MAIL"
			case expRcpt:
				return "RCPT"
			case expData, expDataEnd:
				return "DATA"
			case expChunk, expLastChunk:
				return "BDAT"
			case expRset:
				return "RSET"
			}
		}
	}
	return "session"
}

func (c *ClientSession) afterHello(now time.Time) {
	if c.cfg.StartTLS && !c.tls && c.Has("STARTTLS") {
		c.state = cStartTLS
		c.send(now, c.cfg.ReplyTimeout, "STARTTLS")
		return
	}
	if c.cfg.RequireTLS && !c.tls {
		c.fail(&ExtensionError{Extension: "STARTTLS", Reply: reply(530, EnhancedCode{5, 7, 10}, "server does not offer STARTTLS")})
		return
	}
	c.state = cIdle
}

// parseExtensions reads the EHLO reply's lines after the greeting line.
func parseExtensions(lines []string) map[string]string {
	ext := map[string]string{}
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(l), " ")
		if k != "" {
			ext[strings.ToUpper(k)] = v
		}
	}
	return ext
}

// Send starts a transaction for data (the message as it should arrive,
// CRLF line ends, not dot-stuffed) to env's recipients. It refuses, before
// anything is sent, content SMTP would have to change and a message that
// needs SMTPUTF8, 8BITMIME or more SIZE than the server offers; the error
// is then also the returned Result's.
func (c *ClientSession) Send(now time.Time, env *Envelope, data []byte) error {
	if c.state != cIdle {
		return ErrClosed
	}
	res := &Result{Rcpts: make([]RcptResult, len(env.Rcpts))}
	for i, r := range env.Rcpts {
		res.Rcpts[i].Rcpt = r
	}
	if err := c.check(env, data); err != nil {
		res.Err = err
		for i := range res.Rcpts {
			res.Rcpts[i].Err = err
		}
		c.done = res
		return err
	}
	c.env, c.data, c.result = env, data, res
	c.state = cTx
	c.expects = c.expects[:0]
	c.chunks, c.nextChunk = nil, 0
	c.txOpen = false
	c.sendMail(now)
	if c.Has("PIPELINING") {
		for i := range env.Rcpts {
			c.sendRcpt(now, i)
		}
		c.sendData(now)
	}
	return nil
}

func (c *ClientSession) check(env *Envelope, data []byte) error {
	if err := CheckContent(data); err != nil {
		return err
	}
	if len(env.Rcpts) == 0 {
		return errors.New("smtp: no recipients")
	}
	c.utf8 = env.Mail.SMTPUTF8 || !env.From.ASCII()
	for _, r := range env.Rcpts {
		c.utf8 = c.utf8 || !r.Path.ASCII()
	}
	if c.utf8 && !c.Has("SMTPUTF8") {
		return &ExtensionError{Extension: "SMTPUTF8", Reply: reply(553, EnhancedCode{5, 6, 7}, "next hop does not offer SMTPUTF8")}
	}
	c.body = ""
	if has8Bit(data) || env.Mail.Body == Body8BitMIME {
		if !c.Has("8BITMIME") {
			return &ExtensionError{Extension: "8BITMIME", Reply: reply(554, EnhancedCode{5, 6, 3}, "next hop does not offer 8BITMIME")}
		}
		c.body = Body8BitMIME
	}
	if v, ok := c.ext["SIZE"]; ok {
		if max, err := strconv.ParseInt(v, 10, 64); err == nil && max > 0 && int64(len(data)) > max {
			return &ExtensionError{Extension: "SIZE", Reply: reply(552, EnhancedCode{5, 3, 4}, fmt.Sprintf("message of %d octets exceeds the next hop's limit of %d", len(data), max))}
		}
	}
	return nil
}

func (c *ClientSession) sendMail(now time.Time) {
	var b strings.Builder
	b.WriteString("MAIL FROM:")
	b.WriteString(c.env.From.wire())
	if c.Has("SIZE") {
		fmt.Fprintf(&b, " SIZE=%d", len(c.data))
	}
	if c.body != "" {
		b.WriteString(" BODY=" + string(c.body))
	}
	if c.utf8 {
		b.WriteString(" SMTPUTF8")
	}
	if c.Has("DSN") {
		if c.env.Mail.Ret != "" {
			b.WriteString(" RET=" + string(c.env.Mail.Ret))
		}
		if c.env.Mail.EnvID != "" {
			b.WriteString(" ENVID=" + EncodeXtext(c.env.Mail.EnvID))
		}
	}
	c.expects = append(c.expects, expect{kind: expMail})
	c.send(now, c.cfg.ReplyTimeout, b.String())
}

func (c *ClientSession) sendRcpt(now time.Time, i int) {
	r := c.env.Rcpts[i]
	line := "RCPT TO:" + r.Path.wire()
	if c.Has("DSN") {
		if r.Params.Notify != 0 {
			line += " NOTIFY=" + r.Params.Notify.String()
		}
		if o := r.Params.ORCPT; o != nil {
			enc := EncodeXtext(o.Addr)
			if strings.EqualFold(o.AddrType, "utf-8") {
				enc = EncodeUTF8AddrText(o.Addr, c.Has("SMTPUTF8"))
			}
			line += " ORCPT=" + o.AddrType + ";" + enc
		}
	}
	c.expects = append(c.expects, expect{kind: expRcpt, rcpt: i})
	c.next = i + 1
	c.send(now, c.cfg.ReplyTimeout, line)
}

// sendData sends DATA, or with CHUNKING the BDAT chunks: all of them when
// pipelining, else the first.
func (c *ClientSession) sendData(now time.Time) {
	if c.cfg.NoChunking || !c.Has("CHUNKING") {
		c.expects = append(c.expects, expect{kind: expData})
		c.send(now, c.cfg.ReplyTimeout, "DATA")
		return
	}
	for rest := c.data; ; {
		n := min(len(rest), c.cfg.ChunkSize)
		c.chunks = append(c.chunks, rest[:n])
		rest = rest[n:]
		if len(rest) == 0 {
			break
		}
	}
	if c.Has("PIPELINING") {
		for range c.chunks {
			c.sendChunk(now)
		}
		return
	}
	c.sendChunk(now)
}

func (c *ClientSession) sendChunk(now time.Time) {
	chunk := c.chunks[c.nextChunk]
	c.nextChunk++
	last := c.nextChunk == len(c.chunks)
	line := "BDAT " + strconv.Itoa(len(chunk))
	kind, timeout := expChunk, c.cfg.ReplyTimeout
	if last {
		line += " LAST"
		kind, timeout = expLastChunk, c.cfg.FinalTimeout
	}
	c.send(now, timeout, line)
	c.out = append(c.out, chunk...)
	c.expects = append(c.expects, expect{kind: kind})
}

// txReply takes the reply to the oldest command of the transaction.
func (c *ClientSession) txReply(now time.Time, r Reply) {
	if len(c.expects) == 0 {
		c.fail(&ProtocolError{Msg: "unexpected reply", Line: r.String()})
		return
	}
	e := c.expects[0]
	c.expects = c.expects[1:]
	res := c.result
	pipelined := c.Has("PIPELINING")
	switch e.kind {
	case expMail:
		res.Mail = r
		if !r.Positive() {
			res.Err = &ReplyError{Command: "MAIL", Reply: r}
		} else {
			c.txOpen = true
			if !pipelined {
				c.sendRcpt(now, 0)
			}
		}
	case expRcpt:
		rr := &res.Rcpts[e.rcpt]
		rr.Reply = r
		switch {
		case !res.Mail.Positive():
			// A pipelined RCPT after a refused MAIL fails because of it.
			rr.Err = res.Err
		case !r.Positive():
			rr.Err = &ReplyError{Command: "RCPT", Reply: r}
		}
		if !pipelined {
			if c.next < len(c.env.Rcpts) {
				c.sendRcpt(now, c.next)
			} else if c.acceptedRcpts() > 0 {
				c.sendData(now)
			} else {
				c.setNoRecipients()
			}
		}
	case expData:
		switch {
		case r.Code != 354:
			if c.acceptedRcpts() == 0 {
				c.setNoRecipients()
			}
			c.dataFailed("DATA", r)
		case res.Err != nil || c.acceptedRcpts() == 0:
			// Pipelined DATA went through with nobody to deliver to:
			// an empty message closes it and its reply is ignored
			// (RFC 2920 §3.1).
			c.setNoRecipients()
			c.out = append(c.out, ".\r\n"...)
			c.dueAt = now.Add(c.cfg.FinalTimeout)
			c.expects = append(c.expects, expect{kind: expDataEnd})
		default:
			c.out = Stuff(c.out, c.data)
			c.dueAt = now.Add(c.cfg.FinalTimeout)
			c.expects = append(c.expects, expect{kind: expDataEnd})
		}
	case expDataEnd, expLastChunk:
		c.txOpen = false
		if res.Err == nil && c.acceptedRcpts() == 0 {
			c.setNoRecipients()
		}
		if res.Err == nil {
			res.Data = r
			if !r.Positive() {
				c.dataFailed(dataVerb(e.kind), r)
			}
		}
	case expChunk:
		if !r.Positive() && res.Err == nil {
			if c.acceptedRcpts() == 0 {
				c.setNoRecipients()
			}
			c.dataFailed("BDAT", r)
		} else if !pipelined && res.Err == nil {
			c.sendChunk(now)
		}
	case expRset:
		c.txOpen = false
	}
	if len(c.expects) > 0 {
		return
	}
	if c.txOpen {
		// The server still holds a transaction that failed before its
		// end: reset it so the next MAIL starts clean.
		c.txOpen = false
		c.expects = append(c.expects, expect{kind: expRset})
		c.send(now, c.cfg.ReplyTimeout, "RSET")
		return
	}
	c.finish()
}

func dataVerb(k expectKind) string {
	if k == expLastChunk {
		return "BDAT"
	}
	return "DATA"
}

func (c *ClientSession) acceptedRcpts() int {
	n := 0
	for _, rr := range c.result.Rcpts {
		if rr.Reply.Positive() {
			n++
		}
	}
	return n
}

// setNoRecipients fails a transaction in which every RCPT was refused with
// the first refusal (unless it already failed).
func (c *ClientSession) setNoRecipients() {
	if c.result.Err != nil {
		return
	}
	for _, rr := range c.result.Rcpts {
		if rr.Err != nil {
			c.result.Err = rr.Err
			return
		}
	}
}

// dataFailed fails the transaction, and so every recipient accepted at
// RCPT, with the refusal of its data.
func (c *ClientSession) dataFailed(verb string, r Reply) {
	res := c.result
	if res.Err != nil {
		return
	}
	res.Err = &ReplyError{Command: verb, Reply: r}
	res.Data = r
}

// finish hands the result over and makes the session idle again.
func (c *ClientSession) finish() {
	res := c.result
	if res == nil {
		return
	}
	if res.Err != nil {
		for i := range res.Rcpts {
			if res.Rcpts[i].Err == nil {
				res.Rcpts[i].Err = res.Err
			}
		}
	}
	c.done, c.result, c.env, c.data, c.chunks = res, nil, nil, nil, nil
	c.expects = c.expects[:0]
	if c.state == cTx {
		c.state = cIdle
	}
}
