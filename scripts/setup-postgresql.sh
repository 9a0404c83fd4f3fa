#!/usr/bin/env bash
# PostgreSQL's server and client from Debian's packages (postgresql-<major> and
# postgresql-client-<major>, the major version Debian's `postgresql` stands for: 15 on bookworm),
# for the team-state test (test/foundation/team-state.test.ts), which runs its own server from
# initdb in a temporary directory on loopback and stops it by PID. The packages are unpacked into
# $K3S_DAAS_CACHE/postgresql-<Debian version>/, never installed: installing them would create a
# `main` cluster and enable and start a system daemon. The shared libraries the binaries link
# (the packages' lib* dependencies: libpq5, libicu72, libxml2, libreadline8, ...) and tzdata are
# installed with apt-get when missing: libraries and data only, no daemon. libllvm is skipped: it
# serves only the JIT module, loaded on demand, and the test runs the server with jit=off.
# The binaries are relocatable (they find share/ and lib/ relative to themselves). Prints the
# directory holding postgres, initdb and psql. Root is needed only for apt-get.
set -euo pipefail
cache="${K3S_DAAS_CACHE:-$HOME/.cache/k3s-daas}"
say() { echo "[setup-postgresql] $*" >&2; }
root() { [ "$(id -u)" = 0 ]; }

# (apt-cache fails for a package its lists do not know: that is an empty answer, not an error.)
major() { { apt-cache depends postgresql 2>/dev/null || true; } | sed -n 's/^ *Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -n1; }
candidate() { { apt-cache policy "$1" 2>/dev/null || true; } | sed -n 's/^ *Candidate: *//p' | head -n1; }

m="$(major)"
if [ -z "$m" ] && root; then
  say "no postgresql in apt's lists: apt-get update"
  apt-get update -qq
  m="$(major)"
fi
version=""
[ -z "$m" ] || version="$(candidate "postgresql-$m")"
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  # Offline or no lists: a version unpacked before still serves.
  dir="$(ls -d "$cache"/postgresql-*/ 2>/dev/null | sort -V | tail -n1 || true)"
  dir="${dir%/}"
  if [ -n "$dir" ] && [ -f "$dir/.complete" ]; then
    say "warning: apt knows no postgresql package (run apt-get update as root); using $dir"
  else
    say "error: apt knows no postgresql package; run 'apt-get update' as root"
    exit 1
  fi
else
  dir="$cache/postgresql-${version//[^A-Za-z0-9.+~-]/_}"
  if [ ! -f "$dir/.complete" ]; then
    say "fetching Debian's postgresql-$m and postgresql-client-$m $version (unpacked, not installed)"
    mkdir -p "$cache"
    tmp="$(mktemp -d "$cache/.postgresql-dl.XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT
    # As root apt would download unsandboxed anyway (its _apt user cannot write here): say so.
    sandbox=()
    root && sandbox=(-o APT::Sandbox::User=root)
    client="$(candidate "postgresql-client-$m")"
    (cd "$tmp" && apt-get download -qq "${sandbox[@]}" "postgresql-$m=$version" "postgresql-client-$m=$client")
    rm -rf "$dir.partial"
    mkdir -p "$dir.partial"
    for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$dir.partial"; done
    for deb in "$tmp"/*.deb; do dpkg-deb -f "$deb" Depends; done | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' |
      grep -E '^(lib|zlib|tzdata$)' | grep -v '^libllvm' | sort -u >"$dir.partial/.runtime-packages"
    echo "$m" >"$dir.partial/.major"
    touch "$dir.partial/.complete"
    rm -rf "$dir"
    mv "$dir.partial" "$dir"
  fi
fi
bin="$dir/usr/lib/postgresql/$(cat "$dir/.major")/bin"

missing=()
while read -r p; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done <"$dir/.runtime-packages"
if [ "${#missing[@]}" -gt 0 ]; then
  root || { say "error: root is needed to install the libraries PostgreSQL links: ${missing[*]}"; exit 1; }
  say "installing the libraries PostgreSQL links: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for b in postgres initdb psql; do
  "$bin/$b" --version >/dev/null || { say "error: $bin/$b does not run"; exit 1; }
done
echo "$bin"
