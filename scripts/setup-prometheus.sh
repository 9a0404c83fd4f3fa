#!/usr/bin/env bash
# Prometheus's binaries (promtool for the alert rule tests; prometheus itself) from Debian's
# `prometheus` package, without installing it: installing it would add a system user, enable
# and start a Prometheus daemon on :9090 (systemd, or its init.d script on a host without
# systemd unless a policy-rc.d forbids it) and pull a dozen JavaScript packages for its web UI,
# when the project only runs the binaries. So the .deb is fetched with `apt-get download` (its
# hash checked against the signed archive index, as apt-get install would) and unpacked with
# `dpkg-deb -x` into $K3S_DAAS_CACHE/prometheus-<Debian version>/, once per version.
# Prints the directory that holds promtool and prometheus (the unpacked usr/bin).
# Root is needed only when apt's package lists are empty (a fresh container): apt-get update.
set -euo pipefail
cache="${K3S_DAAS_CACHE:-$HOME/.cache/k3s-daas}"
pkg=prometheus
say() { echo "[setup-prometheus] $*" >&2; }

candidate() { apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | head -n1; }
version="$(candidate)"
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  if [ "$(id -u)" = 0 ]; then
    say "no $pkg in apt's lists: apt-get update"
    apt-get update -qq
    version="$(candidate)"
  fi
fi
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  # Offline or no lists: a version unpacked before still serves.
  cached="$(ls -d "$cache"/prometheus-*/usr/bin 2>/dev/null | sort -V | tail -n1 || true)"
  if [ -n "$cached" ] && [ -x "$cached/promtool" ]; then
    say "warning: apt knows no $pkg package (run apt-get update as root); using $cached"
    echo "$cached"
    exit 0
  fi
  say "error: apt knows no $pkg package; run 'apt-get update' as root (Debian 12: $pkg 2.42)"
  exit 1
fi

dir="$cache/prometheus-${version//[^A-Za-z0-9.+~-]/_}"
if [ ! -x "$dir/usr/bin/promtool" ] || [ ! -f "$dir/.complete" ]; then
  say "fetching Debian's $pkg $version (for promtool and prometheus; not installed)"
  mkdir -p "$cache"
  tmp="$(mktemp -d "$cache/.prometheus-dl.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  # As root apt would download unsandboxed anyway (its _apt user cannot write here): say so.
  sandbox=()
  [ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
  (cd "$tmp" && apt-get download -qq "${sandbox[@]}" "$pkg=$version")
  rm -rf "$dir.partial"
  dpkg-deb -x "$tmp"/${pkg}_*.deb "$dir.partial"
  "$dir.partial/usr/bin/promtool" --version >/dev/null
  touch "$dir.partial/.complete"
  rm -rf "$dir"
  mv "$dir.partial" "$dir"
fi
echo "$dir/usr/bin"
