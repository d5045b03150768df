package cachesim

// This file is the site's editor: now and then it changes a key at the
// origin (first the front page, key 0) and purges the key's URL through the deployment's purge API,
// which runs on a control-plane node ("ops") far from the tiers and fans
// out to each tier's own purge endpoint, upper tiers first.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/edgelab/edgelab/cache"
	"github.com/edgelab/edgelab/cache/cachekey"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/env"
)

const (
	opsNode    = "ops"
	purgePort  = 81
	purgeToken = "cachesim-purge-token"
	// opsLatency is the one-way delay between the control plane and a
	// tier.
	opsLatency = 50 * time.Millisecond
)

// tierPurge is one purge a tier applied.
type tierPurge struct {
	tier string
	urls []string
	at   time.Duration
}

// purgeEpisode is one edit of a key and its purge.
type purgeEpisode struct {
	path string
	edit int // the edit count from the edit on; older content is purged
	// edited is when the origin changed; start and end bound the purge
	// API call; ok is whether every tier purged.
	edited, start, end time.Duration
	ok                 bool
}

// tierPurger purges whichever build the tier runs now, noting when.
type tierPurger struct {
	tn  *tierNode
	rec *runRecord
	s   *sim.Sim
}

func (p tierPurger) Purge(ctx context.Context, r cache.PurgeRequest) (int, error) {
	p.rec.purged = append(p.rec.purged, tierPurge{tier: p.tn.name, urls: r.URLs, at: p.s.Now()})
	return p.tn.cur.Purge(ctx, r)
}

// addEditor adds the control plane and the editor's task. targets are the
// tiers, upper tiers first.
func addEditor(s *sim.Sim, cfg Config, b build, rec *runRecord, site *siteState, targets []*tierNode) {
	n := s.AddNode(opsNode)
	for _, tn := range targets {
		s.Net().SetLink(opsNode, tn.name, sim.LinkParams{Latency: sim.Fixed(opsLatency)})
		s.Net().SetLink(tn.name, opsNode, sim.LinkParams{Latency: sim.Fixed(opsLatency)})
	}
	if cfg.Purges == 0 {
		return
	}
	api := &cache.PurgeAPI{Token: purgeToken, Bugs: b.bugs}
	for _, tn := range targets {
		api.Targets = append(api.Targets, cache.NamedPurger{Name: tn.name,
			Purger: cache.RemotePurger{URL: "http://" + tn.name + ":81/purge", Token: purgeToken, Env: n.Env()}})
	}
	horizon := time.Duration(cfg.Requests) * cfg.Interval
	n.Start(func(e env.Env) {
		var buf [8]byte
		for i := 1; i <= cfg.Purges; i++ {
			// Spread over the first half of the run, so that requests
			// follow each purge.
			at := horizon / 2 * time.Duration(i) / time.Duration(cfg.Purges+1)
			if d := at - s.Now(); d > 0 {
				e.Sleep(d)
			}
			// The first edit is of the front page (the hottest key),
			// later ones of keys drawn by popularity.
			k := 0
			if i > 1 {
				io.ReadFull(e.Rand(), buf[:])
				k = zipfKey(cfg.Keys, binary.LittleEndian.Uint64(buf[:]))
			}
			site.edits[k]++
			ep := purgeEpisode{path: keyPath(k), edit: site.edits[k], edited: s.Now()}
			body, _ := json.Marshal(cache.PurgeRequest{URLs: []string{cachekey.URI("http", siteHost, keyPath(k))}})
			ctx, cancel := e.WithTimeout(context.Background(), 5*time.Second)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+opsNode+"/purge", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+purgeToken)
			w := &answer{h: http.Header{}}
			ep.start = s.Now()
			api.ServeHTTP(w, req)
			cancel()
			ep.end, ep.ok = s.Now(), w.code == http.StatusOK
			rec.episodes = append(rec.episodes, ep)
		}
	})
}

// answer keeps the status of the purge API's answer to the editor, who
// calls it in-process on the control plane.
type answer struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func (a *answer) Header() http.Header { return a.h }
func (a *answer) Write(b []byte) (int, error) {
	if a.code == 0 {
		a.code = http.StatusOK
	}
	return a.body.Write(b)
}
func (a *answer) WriteHeader(code int) {
	if a.code == 0 {
		a.code = code
	}
}
