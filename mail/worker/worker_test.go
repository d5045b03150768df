package worker

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/edgelab/edgelab/mail/reply"
	"github.com/edgelab/edgelab/sim/env"
)

func TestRunFailuresAre4xx(t *testing.T) {
	e := env.Real("mx")
	m := &Message{From: "a@b.example", To: "u@ours.example", Data: []byte("Subject: x\r\n\r\nhi\r\n")}
	block := make(chan struct{})
	defer close(block)
	cases := map[string]Worker{
		"panic":   Func(func(context.Context, *Message) (Verdict, error) { panic("boom") }),
		"error":   Func(func(context.Context, *Message) (Verdict, error) { return Verdict{}, errors.New("no") }),
		"timeout": Func(func(context.Context, *Message) (Verdict, error) { <-block; return Verdict{Action: Drop}, nil }),
		"unknown": Func(func(context.Context, *Message) (Verdict, error) { return Verdict{Action: "explode"}, nil }),
		"header": Func(func(context.Context, *Message) (Verdict, error) {
			return Verdict{Action: Drop, Headers: []string{"X: a\r\nBcc: evil"}}, nil
		}),
		"nil": nil,
	}
	for name, w := range cases {
		_, err := Run(context.Background(), e, w, m, 50*time.Millisecond)
		var r *reply.Reply
		if !errors.As(err, &r) || !r.Temporary() {
			t.Errorf("%s: %v, want a 4xx", name, err)
		}
	}
	v, err := Run(context.Background(), e, Func(func(_ context.Context, m *Message) (Verdict, error) {
		return Verdict{Action: Forward, To: []string{"x@y.example"}, Headers: []string{"X-Seen: " + m.To}}, nil
	}), m, time.Second)
	if err != nil || v.Action != Forward || v.Headers[0] != "X-Seen: u@ours.example" {
		t.Fatalf("%+v %v", v, err)
	}
}
