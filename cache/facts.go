package cache

import (
	"strconv"

	"github.com/edgelab/edgelab/model"
)

// The action facts a tier records, for the trace tooling. Arguments:
// T is the tier's name ($T, public), K the primary cache key (a public
// constant: URIs are not secrets here), S a status code in decimal.
const (
	// CacheHit(T, K): 2 — tier T answered from a stored response.
	FactCacheHit = "CacheHit"
	// CacheMiss(T, K): 2 — tier T forwarded a request it could not answer.
	FactCacheMiss = "CacheMiss"
	// CacheStore(T, K, S): 3 — tier T stored a response with status S.
	FactCacheStore = "CacheStore"
	// CacheRevalidate(T, K, S): 3 — tier T validated a stored response; S
	// is the upstream status (304 refreshes it).
	FactCacheRevalidate = "CacheRevalidate"
	// CacheServeStale(T, K): 2 — tier T served a stale response
	// (stale-while-revalidate, stale-if-error or a request's max-stale).
	FactCacheServeStale = "CacheServeStale"
	// CacheInvalidate(T, K): 2 — an unsafe request removed K (§4.4).
	FactCacheInvalidate = "CacheInvalidate"
	// CacheBypass(T, K): 2 — a request the tier will neither answer from
	// nor store (a body on GET, method override, no-store).
	FactCacheBypass = "CacheBypass"
	// CacheError(T, K, S): 3 — tier T generated error S itself.
	FactCacheError = "CacheError"
	// CacheCollapse(T, K): 2 — tier T answered K from another request's
	// upstream fetch.
	FactCacheCollapse = "CacheCollapse"
	// CacheFailover(T, K, P): 3 — parent P ($P) did not answer tier T
	// for K; the next owner (or the origin) is tried.
	FactCacheFailover = "CacheFailover"
	// CachePurge(T, kind, value, N): 4 — tier T purged N objects by kind
	// ('url', 'prefix', 'tag', 'all').
	FactCachePurge = "CachePurge"
)

// FactArity maps each fact name to its number of arguments.
var FactArity = map[string]int{
	FactCacheHit: 2, FactCacheMiss: 2, FactCacheStore: 3, FactCacheRevalidate: 3,
	FactCacheServeStale: 2, FactCacheInvalidate: 2, FactCacheBypass: 2, FactCacheError: 3,
	FactCacheFailover: 3, FactCachePurge: 4, FactCacheCollapse: 2,
}

func tierTerm(name string) model.Term { return model.NewPub(name) }
func keyTerm(key string) model.Term   { return model.NewConst(key) }

func statusTerm(code int) model.Term { return model.NewConst(strconv.Itoa(code)) }

func pubTerm(name string) model.Term { return model.NewPub(name) }
