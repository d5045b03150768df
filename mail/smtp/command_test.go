package smtp

import (
	"errors"
	"strings"
	"testing"
)

// TestMailAndRcptParamsShareOneGrammar: MAIL and RCPT parameters are read
// by the same rules. A keyword that takes a value given none, or one that
// takes none given one, is a syntax error (501 5.5.4) for every keyword of
// both commands; an unknown keyword is 555 5.5.4, a repeated one 501,
// parameters after HELO 555; good values parse.
func TestMailAndRcptParamsShareOneGrammar(t *testing.T) {
	parse := func(verb, params string, esmtp bool) error {
		if verb == "MAIL" {
			_, _, err := ParseMail("FROM:<a@example.org>"+params, esmtp)
			return err
		}
		_, err := ParseRcpt("TO:<b@example.org>"+params, esmtp)
		return err
	}
	want := func(verb, params string, esmtp bool, code int) {
		t.Helper()
		err := parse(verb, params, esmtp)
		var ce *CommandError
		switch {
		case code == 0 && err != nil:
			t.Errorf("%s%s: %v, want accepted", verb, params, err)
		case code == 0:
		case !errors.As(err, &ce):
			t.Errorf("%s%s: %v, want %d", verb, params, err, code)
		case ce.Reply.Code != code || ce.Reply.Enhanced != (EnhancedCode{5, 5, 4}):
			t.Errorf("%s%s: %v, want %d 5.5.4", verb, params, ce.Reply, code)
		}
	}
	valued := map[string][]string{
		"MAIL": {"SIZE=10", "BODY=8BITMIME", "RET=HDRS", "ENVID=x+2By"},
		"RCPT": {"NOTIFY=SUCCESS,DELAY", "ORCPT=rfc822;a+40b.example"},
	}
	bare := map[string][]string{"MAIL": {"SMTPUTF8"}, "RCPT": nil}
	for verb, ps := range valued {
		for _, p := range ps {
			want(verb, " "+p, true, 0)
			want(verb, " "+p, false, 555)
			key, _, _ := strings.Cut(p, "=")
			want(verb, " "+key, true, 501)     // value missing
			want(verb, " "+key+"=", true, 501) // value empty
			want(verb, " "+p+" "+p, true, 501) // repeated
		}
		for _, k := range bare[verb] {
			want(verb, " "+k, true, 0)
			want(verb, " "+k+"=YES", true, 501) // value given
		}
		want(verb, " X-UNKNOWN=1", true, 555)
		want(verb, " =1", true, 501)
	}
	// A keyword of one command is unknown to the other.
	want("MAIL", " NOTIFY=NEVER", true, 555)
	want("RCPT", " SIZE=10", true, 555)
}
