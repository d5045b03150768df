# The cache's outside programs: Node and the standard HTTP cache test suite
# (npm http-cache-tests 0.4.5, installed outside the repository in the user
# cache directory, where cmd/edgelab's suite test looks for it), Apache
# Traffic Server to compare against in the same run, and curl for the
# loopback Cache-Status check.
need_apt trafficserver curl
# The machine may carry a Node.js of its own (with npm inside it); Debian's
# npm conflicts with that one, so install Debian's only where none is there.
command -v node >/dev/null 2>&1 || need_apt nodejs
command -v npm >/dev/null 2>&1 || need_apt npm
cache_tests_prefix="${XDG_CACHE_HOME:-$HOME/.cache}/edgelab/http-cache-tests"
if [ ! -f "$cache_tests_prefix/node_modules/http-cache-tests/cli.mjs" ]; then
	echo "ci: installing http-cache-tests@0.4.5 into $cache_tests_prefix"
	mkdir -p "$cache_tests_prefix"
	npm install --silent --no-audit --no-fund --prefix "$cache_tests_prefix" http-cache-tests@0.4.5 >/dev/null
fi
