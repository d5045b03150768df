package cache

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/edgelab/edgelab/cache/cachekey"
	"github.com/edgelab/edgelab/cache/store"
	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/env"
)

// PurgeRequest says what to remove: stored responses for these URLs, under
// these URL prefixes, carrying these tags (Cache-Tag or Surrogate-Key), or
// everything.
type PurgeRequest struct {
	URLs       []string `json:"urls,omitempty"`
	Prefixes   []string `json:"prefixes,omitempty"`
	Tags       []string `json:"tags,omitempty"`
	Everything bool     `json:"everything,omitempty"`
}

func (p PurgeRequest) empty() bool {
	return len(p.URLs) == 0 && len(p.Prefixes) == 0 && len(p.Tags) == 0 && !p.Everything
}

// Purger is anything that can purge: a tier here, or one reached over HTTP.
type Purger interface {
	Purge(ctx context.Context, p PurgeRequest) (int, error)
}

// Purge removes what p names from this tier's store and returns how many
// objects went.
func (t *Tier) Purge(_ context.Context, p PurgeRequest) (int, error) {
	n := 0
	record := func(kind, value string, k int) {
		t.env.Record(FactCachePurge, tierTerm(t.name), model.NewConst(kind), model.NewConst(value), model.NewConst(strconv.Itoa(k)))
		n += k
	}
	if p.Everything {
		record("all", "*", t.store.DeleteFunc(func(*store.Object) bool { return true }))
		return n, nil
	}
	for _, raw := range p.URLs {
		key, err := normalizedURL(raw)
		if err != nil {
			return n, err
		}
		record("url", key, t.store.Delete(key))
	}
	for _, raw := range p.Prefixes {
		key, err := normalizedURL(raw)
		if err != nil {
			return n, err
		}
		record("prefix", key, t.store.DeletePrefix(key))
	}
	for _, tag := range p.Tags {
		record("tag", tag, t.store.DeleteTag(tag))
	}
	return n, nil
}

func normalizedURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("purge: %q is not an absolute http(s) URL", raw)
	}
	return cachekey.URI(u.Scheme, u.Host, u.RequestURI()), nil
}

// PurgeAPI is the authenticated HTTP purge endpoint: POST a PurgeRequest
// as JSON with "Authorization: Bearer <token>"; it is applied to every
// target in order (list upper tiers first, so a lower tier cannot refill
// from an upper one that still holds the object) and answered with the
// count per target.
type PurgeAPI struct {
	Token   string
	Targets []NamedPurger
	// Bugs switches on seeded bugs (bugs.go); the zero value is the
	// correct code.
	Bugs Bugs
}

// NamedPurger is a purge target and the name it reports under.
type NamedPurger struct {
	Name string
	Purger
}

// PurgeResult is the API's answer.
type PurgeResult struct {
	Purged map[string]int    `json:"purged"`
	Errors map[string]string `json:"errors,omitempty"`
}

func (a *PurgeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		problem(w, http.StatusMethodNotAllowed, "purge takes POST")
		return
	}
	got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if a.Token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(a.Token)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="edgelab-purge"`)
		problem(w, http.StatusUnauthorized, "purge needs the deployment's bearer token")
		return
	}
	var p PurgeRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil || p.empty() {
		problem(w, http.StatusBadRequest, "want a JSON object with urls, prefixes, tags or everything")
		return
	}
	res := PurgeResult{Purged: map[string]int{}}
	targets := a.Targets
	if a.Bugs.PurgeLowerFirst {
		targets = reversedTargets(a.Targets)
	}
	for _, t := range targets {
		n, err := t.Purge(r.Context(), p)
		res.Purged[t.Name] = n
		if err != nil {
			if res.Errors == nil {
				res.Errors = map[string]string{}
			}
			res.Errors[t.Name] = err.Error()
		}
	}
	code := http.StatusOK
	if len(res.Errors) > 0 {
		code = http.StatusBadGateway
	}
	b, _ := json.Marshal(res)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// RemotePurger purges a tier through its PurgeAPI.
type RemotePurger struct {
	URL   string
	Token string
	Env   env.Env
}

// Purge posts p and returns the total the remote side purged.
func (rp RemotePurger) Purge(ctx context.Context, p PurgeRequest) (int, error) {
	body, _ := json.Marshal(p)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rp.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+rp.Token)
	resp, err := rp.Env.Transport().RoundTrip(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var res PurgeResult
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&res); err != nil {
		return 0, fmt.Errorf("purge at %s: %s", rp.URL, resp.Status)
	}
	n := 0
	for _, k := range res.Purged {
		n += k
	}
	if resp.StatusCode != http.StatusOK {
		return n, errors.New("purge at " + rp.URL + ": " + resp.Status)
	}
	return n, nil
}

func problem(w http.ResponseWriter, code int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(code)
	io.WriteString(w, problemBody(code, detail))
}
