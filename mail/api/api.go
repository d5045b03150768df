// Package api is the management API of the mail router: an http.Handler
// speaking JSON, behind a bearer token compared in constant time, with
// create, read, update and delete for domains, their rules and catch-all,
// and destination addresses, which start unverified and become usable
// only when the token mailed to them comes back. Invalid input is answered
// with RFC 9457 problem details. The state is a JSON file on the Env disk,
// replaced atomically (write, fsync, rename, fsync the directory), so it
// survives a restart; every accepted change is handed to the router.
package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/edgelab/edgelab/mail/activity"
	"github.com/edgelab/edgelab/mail/addr"
	"github.com/edgelab/edgelab/mail/rules"
	"github.com/edgelab/edgelab/sim/env"
)

// State is what the API persists.
type State struct {
	Config rules.Config `json:"config"`
	// Pending maps an unverified destination to the SHA-256 of the token
	// mailed to it.
	Pending map[string]string `json:"pending,omitempty"`
}

// Mailer sends the verification message to a destination.
type Mailer func(ctx context.Context, to string, data []byte) error

// Options configure the API.
type Options struct {
	Token string // the bearer token; empty refuses every request
	// File is the state file on the disk ("api/state.json").
	File     string
	Mailer   Mailer
	Log      *activity.Log
	OnChange func(*rules.Table)
	// From and Hostname appear in verification messages.
	From, Hostname string
}

// API is the handler.
type API struct {
	env  env.Env
	opt  Options
	mux  *http.ServeMux
	mu   sync.Mutex
	st   State
	tab  *rules.Table
	save sync.Mutex
}

// Open loads the state (or starts from initial if there is none) and
// returns the API. The initial config is validated like any change.
func Open(e env.Env, initial rules.Config, opt Options) (*API, error) {
	if opt.File == "" {
		opt.File = "api/state.json"
	}
	a := &API{env: e, opt: opt, st: State{Config: initial, Pending: map[string]string{}}}
	if b, err := e.Disk().ReadFile(opt.File); err == nil {
		var st State
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, fmt.Errorf("api: state file %s: %w", opt.File, err)
		}
		if st.Pending == nil {
			st.Pending = map[string]string{}
		}
		a.st = st
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("api: %w", err)
	}
	tab, err := rules.Compile(a.st.Config)
	if err != nil {
		return nil, err
	}
	a.tab = tab
	a.routes()
	return a, nil
}

// Table is the current compiled rules.
func (a *API) Table() *rules.Table {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.tab
}

func (a *API) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /v1/domains", a.listDomains)
	m.HandleFunc("GET /v1/domains/{domain}", a.getDomain)
	m.HandleFunc("PUT /v1/domains/{domain}", a.putDomain)
	m.HandleFunc("DELETE /v1/domains/{domain}", a.deleteDomain)
	m.HandleFunc("GET /v1/domains/{domain}/rules", a.listRules)
	m.HandleFunc("POST /v1/domains/{domain}/rules", a.createRule)
	m.HandleFunc("GET /v1/domains/{domain}/rules/{id}", a.getRule)
	m.HandleFunc("PUT /v1/domains/{domain}/rules/{id}", a.putRule)
	m.HandleFunc("DELETE /v1/domains/{domain}/rules/{id}", a.deleteRule)
	m.HandleFunc("GET /v1/domains/{domain}/catch-all", a.getCatchAll)
	m.HandleFunc("PUT /v1/domains/{domain}/catch-all", a.putCatchAll)
	m.HandleFunc("DELETE /v1/domains/{domain}/catch-all", a.deleteCatchAll)
	m.HandleFunc("GET /v1/destinations", a.listDestinations)
	m.HandleFunc("POST /v1/destinations", a.createDestination)
	m.HandleFunc("POST /v1/destinations/verify", a.verifyDestination)
	m.HandleFunc("DELETE /v1/destinations/{address}", a.deleteDestination)
	m.HandleFunc("GET /v1/activity", a.activity)
	a.mux = m
}

// ServeHTTP checks the bearer token, then routes.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || a.opt.Token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(a.opt.Token)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mail"`)
		problem(w, http.StatusUnauthorized, "unauthorized", "a valid bearer token is required", nil)
		return
	}
	a.mux.ServeHTTP(w, r)
}

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type   string             `json:"type"`
	Title  string             `json:"title"`
	Status int                `json:"status"`
	Detail string             `json:"detail,omitempty"`
	Errors []rules.FieldError `json:"errors,omitempty"`
}

func problem(w http.ResponseWriter, status int, title, detail string, errs []rules.FieldError) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(Problem{Type: "about:blank", Title: title, Status: status, Detail: detail, Errors: errs})
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

const maxBody = 1 << 20

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt := r.Header.Get("Content-Type"); mt != "" && !strings.HasPrefix(mt, "application/json") {
		problem(w, http.StatusUnsupportedMediaType, "unsupported media type", "send application/json", nil)
		return false
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		problem(w, http.StatusBadRequest, "malformed JSON", err.Error(), nil)
		return false
	}
	return true
}

// canonDomain is the A-label form of a path's domain.
func canonDomain(s string) (string, bool) {
	d, err := addr.ParseDomain(s, addr.Options{SMTPUTF8: true})
	return d.ASCII, err == nil && !d.Literal
}

func (a *API) findDomain(cfg *rules.Config, name string) int {
	want, ok := canonDomain(name)
	if !ok {
		return -1
	}
	for i, d := range cfg.Domains {
		if got, _ := canonDomain(d.Name); got == want {
			return i
		}
	}
	return -1
}

// change applies fn to a copy of the state, validates, persists and
// publishes it. fn returns an HTTP status and problem to stop.
func (a *API) change(w http.ResponseWriter, fn func(st *State) (int, string)) bool {
	a.save.Lock() // one change at a time, in order, across the I/O
	defer a.save.Unlock()
	a.mu.Lock()
	st := cloneState(a.st)
	a.mu.Unlock()
	if status, msg := fn(&st); status != 0 {
		problem(w, status, http.StatusText(status), msg, nil)
		return false
	}
	tab, err := rules.Compile(st.Config)
	if err != nil {
		var ve *rules.ValidationError
		if errors.As(err, &ve) {
			problem(w, http.StatusUnprocessableEntity, "invalid configuration", "the change would make the rules invalid", ve.Problems)
		} else {
			problem(w, http.StatusUnprocessableEntity, "invalid configuration", err.Error(), nil)
		}
		return false
	}
	if err := a.persist(st); err != nil {
		problem(w, http.StatusInternalServerError, "state not saved", err.Error(), nil)
		return false
	}
	a.mu.Lock()
	a.st, a.tab = st, tab
	a.mu.Unlock()
	if a.opt.OnChange != nil {
		a.opt.OnChange(tab)
	}
	return true
}

func cloneState(s State) State {
	b, _ := json.Marshal(s)
	var c State
	json.Unmarshal(b, &c)
	if c.Pending == nil {
		c.Pending = map[string]string{}
	}
	return c
}

func (a *API) persist(st State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	d := a.env.Disk()
	dir := path.Dir(a.opt.File)
	if err := d.MkdirAll(dir); err != nil {
		return err
	}
	tmp := a.opt.File + ".tmp"
	f, err := d.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = d.Rename(tmp, a.opt.File)
	}
	if err == nil {
		err = d.SyncDir(dir)
	}
	return err
}

func (a *API) snapshot() State {
	a.mu.Lock()
	defer a.mu.Unlock()
	return cloneState(a.st)
}

func (a *API) listDomains(w http.ResponseWriter, r *http.Request) {
	reply(w, http.StatusOK, a.snapshot().Config.Domains)
}

func (a *API) getDomain(w http.ResponseWriter, r *http.Request) {
	st := a.snapshot()
	i := a.findDomain(&st.Config, r.PathValue("domain"))
	if i < 0 {
		problem(w, http.StatusNotFound, "not found", "no such domain", nil)
		return
	}
	reply(w, http.StatusOK, st.Config.Domains[i])
}

func (a *API) putDomain(w http.ResponseWriter, r *http.Request) {
	var d rules.Domain
	if !decode(w, r, &d) {
		return
	}
	name := r.PathValue("domain")
	if d.Name == "" {
		d.Name = name
	}
	bodyName, _ := canonDomain(d.Name)
	pathName, _ := canonDomain(name)
	created := false
	ok := a.change(w, func(st *State) (int, string) {
		if bodyName != pathName {
			return http.StatusBadRequest, "the body names a different domain than the path"
		}
		if i := a.findDomain(&st.Config, name); i >= 0 {
			st.Config.Domains[i] = d
		} else {
			st.Config.Domains = append(st.Config.Domains, d)
			created = true
		}
		return 0, ""
	})
	if ok {
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		reply(w, status, d)
	}
}

func (a *API) deleteDomain(w http.ResponseWriter, r *http.Request) {
	if a.change(w, func(st *State) (int, string) {
		i := a.findDomain(&st.Config, r.PathValue("domain"))
		if i < 0 {
			return http.StatusNotFound, "no such domain"
		}
		st.Config.Domains = slices.Delete(st.Config.Domains, i, i+1)
		return 0, ""
	}) {
		w.WriteHeader(http.StatusNoContent)
	}
}

func (a *API) listRules(w http.ResponseWriter, r *http.Request) {
	st := a.snapshot()
	i := a.findDomain(&st.Config, r.PathValue("domain"))
	if i < 0 {
		problem(w, http.StatusNotFound, "not found", "no such domain", nil)
		return
	}
	reply(w, http.StatusOK, st.Config.Domains[i].Rules)
}

func (a *API) withDomain(r *http.Request, fn func(d *rules.Domain) (int, string)) func(st *State) (int, string) {
	return func(st *State) (int, string) {
		i := a.findDomain(&st.Config, r.PathValue("domain"))
		if i < 0 {
			return http.StatusNotFound, "no such domain"
		}
		return fn(&st.Config.Domains[i])
	}
}

func (a *API) createRule(w http.ResponseWriter, r *http.Request) {
	var rule rules.Rule
	if !decode(w, r, &rule) {
		return
	}
	if a.change(w, a.withDomain(r, func(d *rules.Domain) (int, string) {
		if rule.ID == "" {
			rule.ID = a.newID()
		}
		d.Rules = append(d.Rules, rule)
		return 0, ""
	})) {
		reply(w, http.StatusCreated, rule)
	}
}

func ruleIndex(d *rules.Domain, id string) int {
	return slices.IndexFunc(d.Rules, func(r rules.Rule) bool { return r.ID == id })
}

func (a *API) getRule(w http.ResponseWriter, r *http.Request) {
	st := a.snapshot()
	i := a.findDomain(&st.Config, r.PathValue("domain"))
	if i < 0 {
		problem(w, http.StatusNotFound, "not found", "no such domain", nil)
		return
	}
	j := ruleIndex(&st.Config.Domains[i], r.PathValue("id"))
	if j < 0 {
		problem(w, http.StatusNotFound, "not found", "no such rule", nil)
		return
	}
	reply(w, http.StatusOK, st.Config.Domains[i].Rules[j])
}

func (a *API) putRule(w http.ResponseWriter, r *http.Request) {
	var rule rules.Rule
	if !decode(w, r, &rule) {
		return
	}
	rule.ID = r.PathValue("id")
	if a.change(w, a.withDomain(r, func(d *rules.Domain) (int, string) {
		if j := ruleIndex(d, rule.ID); j >= 0 {
			d.Rules[j] = rule
		} else {
			d.Rules = append(d.Rules, rule)
		}
		return 0, ""
	})) {
		reply(w, http.StatusOK, rule)
	}
}

func (a *API) deleteRule(w http.ResponseWriter, r *http.Request) {
	if a.change(w, a.withDomain(r, func(d *rules.Domain) (int, string) {
		j := ruleIndex(d, r.PathValue("id"))
		if j < 0 {
			return http.StatusNotFound, "no such rule"
		}
		d.Rules = slices.Delete(d.Rules, j, j+1)
		return 0, ""
	})) {
		w.WriteHeader(http.StatusNoContent)
	}
}

func (a *API) getCatchAll(w http.ResponseWriter, r *http.Request) {
	st := a.snapshot()
	i := a.findDomain(&st.Config, r.PathValue("domain"))
	if i < 0 || st.Config.Domains[i].CatchAll == nil {
		problem(w, http.StatusNotFound, "not found", "no catch-all", nil)
		return
	}
	reply(w, http.StatusOK, st.Config.Domains[i].CatchAll)
}

func (a *API) putCatchAll(w http.ResponseWriter, r *http.Request) {
	var act rules.Action
	if !decode(w, r, &act) {
		return
	}
	if a.change(w, a.withDomain(r, func(d *rules.Domain) (int, string) {
		d.CatchAll = &act
		return 0, ""
	})) {
		reply(w, http.StatusOK, act)
	}
}

func (a *API) deleteCatchAll(w http.ResponseWriter, r *http.Request) {
	if a.change(w, a.withDomain(r, func(d *rules.Domain) (int, string) {
		d.CatchAll = nil
		return 0, ""
	})) {
		w.WriteHeader(http.StatusNoContent)
	}
}

func (a *API) listDestinations(w http.ResponseWriter, r *http.Request) {
	reply(w, http.StatusOK, a.snapshot().Config.Destinations)
}

func canonAddr(s string) (string, bool) {
	m, err := addr.ParseMailbox(s, addr.Options{SMTPUTF8: true})
	return m.String(), err == nil && !m.Domain.Literal
}

// bodyAddress canonicalizes the address a request body names, answering
// 422 if it is not a mailbox.
func bodyAddress(w http.ResponseWriter, s string) (string, bool) {
	address, ok := canonAddr(s)
	if !ok {
		problem(w, http.StatusUnprocessableEntity, "invalid address", "not a mailbox address",
			[]rules.FieldError{{Field: "address", Detail: "not local@domain"}})
	}
	return address, ok
}

func destIndex(cfg *rules.Config, address string) int {
	return slices.IndexFunc(cfg.Destinations, func(d rules.Destination) bool {
		c, _ := canonAddr(d.Address)
		return c == address
	})
}

func tokenHash(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// createDestination adds an unverified destination and mails it a token.
func (a *API) createDestination(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Address string `json:"address"`
	}
	if !decode(w, r, &body) {
		return
	}
	address, ok := bodyAddress(w, body.Address)
	if !ok {
		return
	}
	token := a.newID() + a.newID()
	if a.change(w, func(st *State) (int, string) {
		if i := destIndex(&st.Config, address); i >= 0 && st.Config.Destinations[i].Verified {
			return http.StatusConflict, "destination already verified"
		} else if i < 0 {
			st.Config.Destinations = append(st.Config.Destinations, rules.Destination{Address: address})
		}
		st.Pending[address] = tokenHash(token)
		return 0, ""
	}) {
		if a.opt.Mailer != nil {
			msg := a.verificationMessage(address, token)
			if err := a.opt.Mailer(r.Context(), address, msg); err != nil {
				problem(w, http.StatusBadGateway, "verification mail not sent", err.Error(), nil)
				return
			}
		}
		reply(w, http.StatusAccepted, rules.Destination{Address: address})
	}
}

func (a *API) verificationMessage(to, token string) []byte {
	from := a.opt.From
	if from == "" {
		from = "postmaster@" + orLocalhost(a.opt.Hostname)
	}
	return fmt.Appendf(nil, "From: <%s>\r\nTo: <%s>\r\nSubject: Verify your forwarding destination\r\n"+
		"Date: %s\r\nMessage-ID: <%s@%s>\r\nAuto-Submitted: auto-generated\r\n\r\n"+
		"Mail for routes at %s will be forwarded to this address once you confirm it.\r\n"+
		"Verification token: %s\r\n", from, to, a.env.Now().UTC().Format(time.RFC1123Z), token[:16],
		orLocalhost(a.opt.Hostname), orLocalhost(a.opt.Hostname), token)
}

func orLocalhost(s string) string {
	if s == "" {
		return "localhost"
	}
	return s
}

func (a *API) verifyDestination(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Address string `json:"address"`
		Token   string `json:"token"`
	}
	if !decode(w, r, &body) {
		return
	}
	address, ok := bodyAddress(w, body.Address)
	if !ok {
		return
	}
	if a.change(w, func(st *State) (int, string) {
		want, pending := st.Pending[address]
		i := destIndex(&st.Config, address)
		if !pending || i < 0 || subtle.ConstantTimeCompare([]byte(tokenHash(body.Token)), []byte(want)) != 1 {
			return http.StatusForbidden, "wrong or unknown verification token"
		}
		st.Config.Destinations[i].Verified = true
		delete(st.Pending, address)
		return 0, ""
	}) {
		reply(w, http.StatusOK, rules.Destination{Address: address, Verified: true})
	}
}

func (a *API) deleteDestination(w http.ResponseWriter, r *http.Request) {
	address, ok := canonAddr(r.PathValue("address"))
	if !ok {
		problem(w, http.StatusNotFound, "not found", "no such destination", nil)
		return
	}
	if a.change(w, func(st *State) (int, string) {
		i := destIndex(&st.Config, address)
		if i < 0 {
			return http.StatusNotFound, "no such destination"
		}
		st.Config.Destinations = slices.Delete(st.Config.Destinations, i, i+1)
		delete(st.Pending, address)
		return 0, ""
	}) {
		w.WriteHeader(http.StatusNoContent)
	}
}

func (a *API) activity(w http.ResponseWriter, r *http.Request) {
	if a.opt.Log == nil {
		reply(w, http.StatusOK, []activity.Record{})
		return
	}
	q := r.URL.Query()
	query := activity.Query{MessageID: q.Get("message_id"), To: q.Get("to"), From: q.Get("from"), Status: q.Get("status")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10000 {
			problem(w, http.StatusBadRequest, "bad query", "limit must be 1..10000",
				[]rules.FieldError{{Field: "limit", Detail: "not an integer in 1..10000"}})
			return
		}
		query.Limit = n
	}
	if s := q.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			problem(w, http.StatusBadRequest, "bad query", "since must be RFC 3339",
				[]rules.FieldError{{Field: "since", Detail: err.Error()}})
			return
		}
		query.Since = t
	}
	recs := a.opt.Log.Find(query)
	if recs == nil {
		recs = []activity.Record{}
	}
	reply(w, http.StatusOK, recs)
}

func (a *API) newID() string {
	var b [8]byte
	a.env.Rand().Read(b[:])
	return hex.EncodeToString(b[:])
}
