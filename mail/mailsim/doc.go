// Package mailsim is the mail world: the real mail code — sending MTAs
// with a durable queue (mail/spool, mail/queue, mail/deliver over our SMTP
// client), the router (mail/router as the smtp.Backend of our SMTP server,
// with its rules, spool and queue), destination MTAs (our SMTP server over
// a mailbox on the simulated disk) and a DNS zone generated from the
// world's domains and keys (MX, A, AAAA, SPF, DKIM, DMARC, a DNS
// blocklist) — on simulated nodes, behind the one world interface
// (sim/world).
//
// A workload drawn from the seed sends plain, 8-bit, UTF-8, multi-
// recipient, large, unsigned, subdomain-aligned and spoofed mail, mail to
// dropping and rejecting rules and to a vanished mailbox (so bounces come
// back through SRS), and an attacker tries forged bounces to SRS
// addresses, open relaying, SMTP smuggling and mail from a blocklisted
// host. The plan's faults hit the network, the DNS, the router's and the
// destinations' disks and processes, and the clocks.
//
// The properties (Judge) are what a mail operator stakes their name on:
// nothing accepted is lost, duplicates only where SMTP allows them, nobody
// spoofed, never an open relay or a smuggled message, bytes preserved,
// one final activity record per message and recipient, and queues that
// drain after healing. The seeded bugs of the catalog live in the service
// packages (each package's bugs.go) and are switched on through
// world.Options.Bugs.
package mailsim
