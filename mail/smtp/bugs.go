package smtp

// This file is the server's seeded bug, off unless switched on in
// ServerConfig.Bugs, so the mail world (mail/mailsim) can measure that its
// properties catch it. The site is one guarded block in data.go.

// Bugs are the server's seeded bugs; the zero value is correct behaviour.
type Bugs struct {
	// BareLFEndOfData: a bare LF ends a line like CRLF, as lenient
	// servers do, so "<LF>.<LF>" ends the data and what follows it is
	// read as commands: SMTP smuggling.
	BareLFEndOfData bool
}
