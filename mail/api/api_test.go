package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/mail/activity"
	"github.com/edgelab/edgelab/mail/addr"
	"github.com/edgelab/edgelab/mail/rules"
	"github.com/edgelab/edgelab/sim/env"
)

type mailbox struct{ to, data []string }

func (m *mailbox) send(_ context.Context, to string, data []byte) error {
	m.to = append(m.to, to)
	m.data = append(m.data, string(data))
	return nil
}

func open(t *testing.T, e env.Env, mb *mailbox, log *activity.Log) (*API, *rules.Table) {
	var published *rules.Table
	a, err := Open(e, rules.Config{}, Options{Token: "s3cret", Mailer: mb.send, Log: log, Hostname: "mx.ours.example",
		OnChange: func(t *rules.Table) { published = t }})
	if err != nil {
		t.Fatal(err)
	}
	return a, published
}

func do(t *testing.T, h http.Handler, method, path, body string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer s3cret")
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var m map[string]any
	json.Unmarshal(rec.Body.Bytes(), &m)
	return rec, m
}

func TestAuth(t *testing.T) {
	a, _ := open(t, env.NewReal(env.RealConfig{Disk: env.RealDisk(t.TempDir())}), &mailbox{}, nil)
	for _, h := range []string{"", "Bearer wrong", "Bearer s3cre", "Basic s3cret", "bearer s3cret"} {
		req := httptest.NewRequest("GET", "/v1/domains", nil)
		if h != "" {
			req.Header.Set("Authorization", h)
		}
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		if rec.Code != 401 || rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%q: %d %s", h, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
	if rec, _ := do(t, a, "GET", "/v1/domains", ""); rec.Code != 200 {
		t.Errorf("good token: %d", rec.Code)
	}
}

func TestCRUDVerifyRestart(t *testing.T) {
	dir := t.TempDir()
	e := env.NewReal(env.RealConfig{Disk: env.RealDisk(dir)})
	mb := &mailbox{}
	var published *rules.Table
	a, err := Open(e, rules.Config{}, Options{Token: "s3cret", Mailer: mb.send, OnChange: func(t *rules.Table) { published = t }})
	if err != nil {
		t.Fatal(err)
	}
	if rec, _ := do(t, a, "PUT", "/v1/domains/bücher.example", `{"subaddressing":true}`); rec.Code != 201 {
		t.Fatalf("create domain: %d %s", rec.Code, rec.Body)
	}
	// A-label spelling names the same domain.
	if rec, _ := do(t, a, "GET", "/v1/domains/xn--bcher-kva.example", ""); rec.Code != 200 {
		t.Fatalf("A-label lookup: %d", rec.Code)
	}
	rec, m := do(t, a, "POST", "/v1/domains/bücher.example/rules", `{"id":"r1","local":"info","action":{"type":"forward","to":["me@mailbox.example"]}}`)
	if rec.Code != 201 || m["id"] != "r1" {
		t.Fatalf("create rule: %d %s", rec.Code, rec.Body)
	}
	// Validation problems come as problem+json naming the field.
	rec, m = do(t, a, "POST", "/v1/domains/bücher.example/rules", `{"id":"r2","local":"x","action":{"type":"teleport"}}`)
	if rec.Code != 422 || rec.Header().Get("Content-Type") != "application/problem+json" || !strings.Contains(rec.Body.String(), "domains[0].rules[1].action.type") {
		t.Fatalf("invalid rule: %d %s", rec.Code, rec.Body)
	}
	for _, bad := range []string{`{"id":`, `{"id":"r3","bogus":1}`} {
		if rec, _ := do(t, a, "POST", "/v1/domains/bücher.example/rules", bad); rec.Code != 400 {
			t.Errorf("%s: %d", bad, rec.Code)
		}
	}
	if rec, _ := do(t, a, "PUT", "/v1/domains/nope.example/catch-all", `{"type":"drop"}`); rec.Code != 404 {
		t.Errorf("catch-all of a missing domain: %d", rec.Code)
	}
	if rec, _ := do(t, a, "PUT", "/v1/domains/bücher.example/catch-all", `{"type":"reject","reason":"nobody here"}`); rec.Code != 200 {
		t.Fatalf("catch-all: %d %s", rec.Code, rec.Body)
	}
	info := addr.Mailbox{Local: "info", Domain: addr.Domain{ASCII: "xn--bcher-kva.example"}}
	if _, err := published.Resolve(info); err == nil || !strings.Contains(err.Error(), "not verified") {
		t.Fatalf("unverified destination used: %v", err)
	}
	// Verification: the token goes out by mail and must come back.
	if rec, _ := do(t, a, "POST", "/v1/destinations", `{"address":"Me@MAILBOX.example"}`); rec.Code != 202 {
		t.Fatalf("add destination: %d %s", rec.Code, rec.Body)
	}
	if len(mb.to) != 1 || mb.to[0] != "Me@mailbox.example" {
		t.Fatalf("verification mail to %v", mb.to)
	}
	token := regexp.MustCompile(`Verification token: ([0-9a-f]+)`).FindStringSubmatch(mb.data[0])[1]
	if rec, _ := do(t, a, "POST", "/v1/destinations/verify", `{"address":"Me@mailbox.example","token":"0000"}`); rec.Code != 403 {
		t.Fatalf("wrong token: %d", rec.Code)
	}
	// The rule names me@, the destination is Me@: local parts are
	// case-sensitive in destinations, so the rule still has none.
	if rec, _ := do(t, a, "POST", "/v1/destinations/verify", `{"address":"Me@mailbox.example","token":"`+token+`"}`); rec.Code != 200 {
		t.Fatalf("verify: %d %s", rec.Code, rec.Body)
	}
	do(t, a, "POST", "/v1/destinations", `{"address":"me@mailbox.example"}`)
	token = regexp.MustCompile(`Verification token: ([0-9a-f]+)`).FindStringSubmatch(mb.data[1])[1]
	do(t, a, "POST", "/v1/destinations/verify", `{"address":"me@mailbox.example","token":"`+token+`"}`)
	if d, err := published.Resolve(info); err != nil || d.Destinations[0].String() != "me@mailbox.example" {
		t.Fatalf("verified destination not used: %+v %v", d, err)
	}
	if rec, _ := do(t, a, "POST", "/v1/destinations/verify", `{"address":"me@mailbox.example","token":"`+token+`"}`); rec.Code != 403 {
		t.Errorf("token reused: %d", rec.Code)
	}

	// Restart: the state comes back from disk.
	b, err := Open(e, rules.Config{}, Options{Token: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := b.Table().Resolve(info); err != nil || d.RuleID != "r1" {
		t.Fatalf("after restart: %+v %v", d, err)
	}
	rec, _ = do(t, b, "GET", "/v1/domains/bücher.example/catch-all", "")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "nobody here") {
		t.Fatalf("catch-all after restart: %d %s", rec.Code, rec.Body)
	}
	if rec, _ := do(t, b, "DELETE", "/v1/domains/bücher.example/rules/r1", ""); rec.Code != 204 {
		t.Fatalf("delete rule: %d", rec.Code)
	}
	if rec, _ := do(t, b, "DELETE", "/v1/domains/bücher.example/rules/r1", ""); rec.Code != 404 {
		t.Fatalf("delete again: %d", rec.Code)
	}
}

func TestActivityQuery(t *testing.T) {
	log := activity.New(nil, 10)
	log.Add(activity.Record{Time: time.Unix(1, 0), MessageID: "a", To: "x@ours.example", Status: activity.Forwarded})
	log.Add(activity.Record{Time: time.Unix(2, 0), MessageID: "b", To: "y@ours.example", Status: activity.Rejected})
	a, _ := open(t, env.NewReal(env.RealConfig{Disk: env.RealDisk(t.TempDir())}), &mailbox{}, log)
	rec, _ := do(t, a, "GET", "/v1/activity?status=rejected", "")
	var got []activity.Record
	json.Unmarshal(rec.Body.Bytes(), &got)
	if rec.Code != 200 || len(got) != 1 || got[0].MessageID != "b" {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if rec, _ := do(t, a, "GET", "/v1/activity?limit=zero", ""); rec.Code != 400 {
		t.Errorf("bad limit: %d", rec.Code)
	}
}
