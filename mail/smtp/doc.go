// Package smtp is edgelab's own SMTP (RFC 5321) for the email-routing
// service: a server session and a client session written as sans-IO state
// machines, and thin adapters that run them over any net.Conn an env.Env
// hands out — real sockets (with STARTTLS, RFC 3207) or simulated ones.
//
// The cores never read, write, sleep or look at a clock. A ServerSession
// is fed the bytes a client sent (Receive) and the time (Tick); its Ready
// says what to write back, which question to put to the Backend, whether to
// start TLS, when the next timeout falls and whether to hang up. A
// ClientSession is the mirror image for delivering a message. Server and
// ServerConn, Dial and ClientConn are the adapters.
//
// The server speaks EHLO/HELO, MAIL, RCPT, DATA, BDAT (RFC 3030), RSET,
// NOOP, QUIT, HELP and STARTTLS, refuses VRFY (252) and EXPN (502), and
// offers PIPELINING, 8BITMIME, SMTPUTF8, SIZE, ENHANCEDSTATUSCODES, DSN and
// CHUNKING. Lines end in CRLF and nothing else: a bare CR, a bare LF or a
// NUL in a command or in message data is refused with a 5xx reply, and only
// CRLF "." CRLF ends DATA, so no end-of-data look-alike can split one
// message into two (SMTP smuggling). Limits — line length, message size,
// recipients, commands, idle and session time, connections per client
// address — answer with the replies RFC 5321 §4.5.3 names.
//
// The files: reply.go (replies and enhanced status codes, RFC 3463, and
// their parser), command.go (command lines, paths and the MAIL/RCPT
// parameters of RFC 1870, 3461, 6152 and 6531), data.go (the DATA and BDAT
// content scanner), backend.go (what the router implements), server.go
// (the server session), serve.go (its adapter), client.go (the client
// session), dial.go (its adapter), errors.go (typed errors).
package smtp
