package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/edgelab/edgelab/ohttp"
)

func init() {
	register(&command{
		name:    "ohttp",
		summary: "Oblivious HTTP client (ohttp get --relay URL [--keys URL] TARGET)",
		run:     runOHTTP,
	})
}

func runOHTTP(args []string, stdout, stderr io.Writer) int {
	return dispatch("ohttp", "get --relay URL [--keys URL] TARGET",
		map[string]runFunc{"get": runOHTTPGet}, args, stdout, stderr)
}

// runOHTTPGet fetches TARGET through the relay and prints the response:
// status line, headers sorted by name, a blank line, the body. Like
// curl --fail-with-body, an error status (400 and up) from the target
// prints the response and exits 1; no response at all (relay or gateway
// unreachable, a transport error) exits 3.
func runOHTTPGet(args []string, stdout, stderr io.Writer) int {
	const cmd = "ohttp get"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	relay := fs.String("relay", "", "relay URL (required)")
	keys := fs.String("keys", "", "gateway key configuration URL (default: the relay's key proxy, RELAY"+ohttp.WellKnownPath+")")
	chunked := fs.Bool("chunked", false, "use chunked Oblivious HTTP")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagError(stdout, stderr, cmd, err)
	}
	switch {
	case *relay == "":
		return fail(stderr, cmd, exitUsage, errors.New("--relay is required"))
	case len(pos) != 1:
		return fail(stderr, cmd, exitUsage, errors.New("want exactly one TARGET URL"))
	}
	if *keys == "" {
		// Through the relay by default: fetching from the gateway
		// directly would show it this client's address (RFC 9540 §6).
		ru, err := url.Parse(*relay)
		if err != nil || ru.Host == "" {
			return fail(stderr, cmd, exitUsage, fmt.Errorf("--relay %q is not a URL", *relay))
		}
		*keys = (&url.URL{Scheme: ru.Scheme, Host: ru.Host, Path: ohttp.WellKnownPath}).String()
	}
	target, err := url.Parse(pos[0])
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return fail(stderr, cmd, exitUsage, fmt.Errorf("TARGET %q is not an http(s) URL", pos[0]))
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	client := &ohttp.Client{
		Name:        "cli",
		GatewayName: *keys,
		RelayURL:    *relay,
		KeysURL:     *keys,
		Transport:   &http.Transport{Proxy: nil, DisableCompression: true},
		Rand:        rand.Reader,
		Chunked:     *chunked,
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return fail(stderr, cmd, exitUsage, err)
	}
	resp, err := client.Do(req)
	// Configurations of the gateway's list that use algorithms we lack
	// are skipped, not fatal; the user should still hear of them.
	for _, skipped := range client.Skipped() {
		fmt.Fprintf(stderr, "edgelab %s: skipped %v\n", cmd, skipped)
	}
	if err != nil {
		return fail(stderr, cmd, exitEnv, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fail(stderr, cmd, exitEnv, err)
	}
	fmt.Fprintf(stdout, "%s %s\n", resp.Proto, resp.Status)
	names := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range resp.Header[k] {
			fmt.Fprintf(stdout, "%s: %s\n", k, v)
		}
	}
	fmt.Fprintln(stdout)
	stdout.Write(body)
	if resp.StatusCode >= 400 {
		fmt.Fprintf(stderr, "edgelab %s: the target answered %s\n", cmd, resp.Status)
		return exitFailed
	}
	return exitOK
}
