package mailsim

// This file is the attacker's and the spammer's sessions against the
// router: a forged bounce to an SRS address, open-relay tricks, SMTP
// smuggling, and mail from a blocklisted host.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"github.com/edgelab/edgelab/mail/smtp"
	"github.com/edgelab/edgelab/mail/srs"
	"github.com/edgelab/edgelab/sim/env"
)

// Attack is one hostile session and what the router answered.
type Attack struct {
	Kind string
	// ID is the X-Mailsim-ID of the message the attack tries to get
	// delivered; no mailbox may ever hold it.
	ID     string
	Answer string
}

// relayTargets are recipients no router may accept from a stranger.
var relayTargets = []string{
	"victim@elsewhere.example",
	"victim%elsewhere.example@" + OurDomain,
	"@" + OurDomain + ":victim@elsewhere.example",
	"\"victim@elsewhere.example\"@" + OurDomain,
	"victim@elsewhere.example@" + OurDomain,
	"victim@ours.example.elsewhere.example",
}

func (w *run) scheduleAttacks() {
	rng := rand.New(rand.NewPCG(w.seed, 0x61747461636b))
	at := func() time.Duration { return time.Duration(rng.Int64N(int64(w.cfg.Spread))) }
	routerAddr := net.JoinHostPort(w.s.Node(RouterNode).Addr4().String(), "25")
	attack := func(n string, kind, id string, fn func(e env.Env) string) {
		node := w.s.Node(n)
		w.s.At(at(), func() {
			node.Go(kind, func() {
				ans := fn(node.Env())
				w.attacks = append(w.attacks, Attack{Kind: kind, ID: id, Answer: ans})
			})
		})
	}
	attack(AttackerNode, "forged-bounce", "forged", func(e env.Env) string {
		// A well-formed SRS address under a secret that is not the
		// router's: the hash cannot match.
		forger := &srs.Rewriter{Domain: OurDomain, Secrets: [][]byte{[]byte("not the router's secret")}}
		rcpt, _ := forger.Forward("user@"+SenderDomain(1), e.Now())
		return sendRaw(e, routerAddr, []string{
			"EHLO " + AttackerDomain + "\r\n", "MAIL FROM:<>\r\n", "RCPT TO:<" + rcpt + ">\r\n", "DATA\r\n",
			header("MAILER-DAEMON@"+AttackerDomain, rcpt, "Undelivered mail", "forged") + "Your message bounced. Click here.\r\n.\r\n", "QUIT\r\n"})
	})
	for k, rcpt := range relayTargets {
		id := fmt.Sprintf("relay-%d", k+1)
		attack(AttackerNode, "open-relay", id, func(e env.Env) string {
			return sendRaw(e, routerAddr, []string{
				"EHLO " + AttackerDomain + "\r\n", "MAIL FROM:<a@" + AttackerDomain + ">\r\n", "RCPT TO:<" + rcpt + ">\r\n", "DATA\r\n",
				header("a@"+AttackerDomain, "victim@elsewhere.example", "relay me", id) + "relay test\r\n.\r\n", "QUIT\r\n"})
		})
	}
	for _, end := range []string{"\n.\n", "\r\n.\n", "\n.\r\n", "\r.\r", "\r\n\x00.\r\n"} {
		attack(AttackerNode, "smuggle", "smuggled", func(e env.Env) string {
			inner := "MAIL FROM:<a@" + AttackerDomain + ">\r\nRCPT TO:<alice@" + OurDomain + ">\r\nDATA\r\n" +
				header("ceo@"+SenderDomain(1), "alice@"+OurDomain, "mailsim smuggled", "smuggled") + "wire the money\r\n.\r\n"
			return sendRaw(e, routerAddr, []string{
				"EHLO " + AttackerDomain + "\r\n", "MAIL FROM:<a@" + AttackerDomain + ">\r\n", "RCPT TO:<alice@" + OurDomain + ">\r\n", "DATA\r\n",
				header("a@"+AttackerDomain, "alice@"+OurDomain, "mailsim outer", "outer") + "outer text" + end + inner + "QUIT\r\n"})
		})
	}
	attack(SpammerNode, "blocklisted", "spam", func(e env.Env) string {
		ctx, cancel := e.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cc, err := smtp.Dial(ctx, e, routerAddr, smtp.ClientConfig{Hostname: SpamDomain}, nil)
		if err != nil {
			return "dial: " + err.Error()
		}
		defer cc.Close()
		env := &smtp.Envelope{From: smtp.Path{Local: "s", Domain: SpamDomain}, Rcpts: []smtp.Recipient{{Path: smtp.Path{Local: "alice", Domain: OurDomain}}}}
		res, err := cc.Send(ctx, env, []byte(header("s@"+SpamDomain, "alice@"+OurDomain, "cheap pills", "spam")+"buy now\r\n"))
		cc.Quit(ctx)
		switch {
		case err != nil:
			return err.Error()
		case res.Err != nil:
			return res.Err.Error()
		}
		return "accepted"
	})
}
