package sim

// simExt is the per-run state of the subsystems wired into the kernel
// after it was written: the DNS server (resolver.go), BUGGIFY
// (buggify_env.go) and healing (heal.go). It lives in one field of Sim so
// that the kernel's own struct stays as it was.
type simExt struct {
	dns         *dnsServer
	resolverCfg ResolverConfig
	bug         *Buggifier
	heal        healing
}
