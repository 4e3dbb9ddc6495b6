#!/bin/sh
# Brings the benchmark's optional tools, from the package registries only, and never fails:
# without wrk `mockserver bench` uses its built-in load generator, without Prism it leaves the peer out.
#   wrk:   Debian's package, installed when missing and we are root
#   Prism: @stoplight/prism-cli from npm, into ./.bench-tools (5.14.2: the newest that supports Node 18/20)
PRISM_VERSION="${PRISM_VERSION:-5.14.2}"
TOOLS_DIR="${TOOLS_DIR:-.bench-tools}"

if ! command -v wrk >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "bench-tools: installing wrk from Debian's packages"
        # A fresh machine may have no package lists yet: update once, only if the first try fails.
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 \
            || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1; } \
            || echo "bench-tools: wrk could not be installed; the built-in load generator will be used"
    else
        echo "bench-tools: no wrk (and not root with apt-get); the built-in load generator will be used"
    fi
fi

if [ ! -x "$TOOLS_DIR/node_modules/.bin/prism" ]; then
    if command -v npm >/dev/null 2>&1; then
        echo "bench-tools: installing @stoplight/prism-cli@$PRISM_VERSION into $TOOLS_DIR"
        npm install --prefix "$TOOLS_DIR" --no-audit --no-fund --loglevel=error "@stoplight/prism-cli@$PRISM_VERSION" >/dev/null \
            || echo "bench-tools: Prism could not be installed; the peer will be left out"
    else
        echo "bench-tools: no npm; the Prism peer will be left out"
    fi
fi
exit 0
