#!/usr/bin/env bash
# Alertmanager's binaries (amtool, to check monitoring/alertmanager.example.yml and test its
# routes; alertmanager itself) from Debian's `prometheus-alertmanager` package, without installing
# it, for the reasons scripts/setup-prometheus.sh gives for promtool: installing it would add a
# system user and enable and start an Alertmanager daemon on :9093, when the project only runs
# the binaries. So the .deb is fetched with `apt-get download` (its hash checked against the
# signed archive index, as apt-get install would) and unpacked with `dpkg-deb -x` into
# $K3S_DAAS_CACHE/alertmanager-<Debian version>/, once per version.
# Prints the directory that holds amtool and the daemon, prometheus-alertmanager (Debian names
# it so; the unpacked usr/bin).
# Root is needed only when apt's package lists are empty (a fresh container): apt-get update.
set -euo pipefail
cache="${K3S_DAAS_CACHE:-$HOME/.cache/k3s-daas}"
pkg=prometheus-alertmanager
say() { echo "[setup-alertmanager] $*" >&2; }

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
  cached="$(ls -d "$cache"/alertmanager-*/usr/bin 2>/dev/null | sort -V | tail -n1 || true)"
  if [ -n "$cached" ] && [ -x "$cached/amtool" ]; then
    say "warning: apt knows no $pkg package (run apt-get update as root); using $cached"
    echo "$cached"
    exit 0
  fi
  say "error: apt knows no $pkg package; run 'apt-get update' as root (Debian 12: $pkg 0.25)"
  exit 1
fi

dir="$cache/alertmanager-${version//[^A-Za-z0-9.+~-]/_}"
if [ ! -x "$dir/usr/bin/amtool" ] || [ ! -f "$dir/.complete" ]; then
  say "fetching Debian's $pkg $version (for amtool and the daemon; not installed)"
  mkdir -p "$cache"
  tmp="$(mktemp -d "$cache/.alertmanager-dl.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  # As root apt would download unsandboxed anyway (its _apt user cannot write here): say so.
  sandbox=()
  [ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
  (cd "$tmp" && apt-get download -qq "${sandbox[@]}" "$pkg=$version")
  rm -rf "$dir.partial"
  dpkg-deb -x "$tmp"/${pkg}_*.deb "$dir.partial"
  "$dir.partial/usr/bin/amtool" --version >/dev/null 2>&1
  touch "$dir.partial/.complete"
  rm -rf "$dir"
  mv "$dir.partial" "$dir"
fi
echo "$dir/usr/bin"
