#!/usr/bin/env bash
# A tool's binaries from one of Debian's packages, without installing the package: installing the
# prometheus or prometheus-alertmanager packages would add a system user, enable and start a
# daemon (systemd, or its init.d script on a host without systemd unless a policy-rc.d forbids
# it) and pull JavaScript packages for a web UI, when the project only runs the binaries. So the
# .deb is fetched with `apt-get download` (its hash checked against the signed archive index, as
# apt-get install would) and unpacked with `dpkg-deb -x` into $K3S_DAAS_CACHE/<name>-<Debian
# version>/, once per version. Prints the directory holding the binaries (the unpacked usr/bin).
# Root is needed only when apt's package lists are empty (a fresh container): apt-get update.
#   setup-debian-tool.sh <package> <cache name> <binary that must run --version>
set -euo pipefail
[ "$#" = 3 ] || { echo "usage: setup-debian-tool.sh <package> <cache name> <probe binary>" >&2; exit 2; }
pkg=$1 name=$2 probe=$3
cache="${K3S_DAAS_CACHE:-$HOME/.cache/k3s-daas}"
say() { echo "[setup-$name] $*" >&2; }

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
  cached="$(ls -d "$cache"/"$name"-*/usr/bin 2>/dev/null | sort -V | tail -n1 || true)"
  if [ -n "$cached" ] && [ -x "$cached/$probe" ]; then
    say "warning: apt knows no $pkg package (run apt-get update as root); using $cached"
    echo "$cached"
    exit 0
  fi
  say "error: apt knows no $pkg package; run 'apt-get update' as root"
  exit 1
fi

dir="$cache/$name-${version//[^A-Za-z0-9.+~-]/_}"
if [ ! -x "$dir/usr/bin/$probe" ] || [ ! -f "$dir/.complete" ]; then
  say "fetching Debian's $pkg $version (for $probe; unpacked, not installed)"
  mkdir -p "$cache"
  tmp="$(mktemp -d "$cache/.$name-dl.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  # As root apt would download unsandboxed anyway (its _apt user cannot write here): say so.
  sandbox=()
  [ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
  (cd "$tmp" && apt-get download -qq "${sandbox[@]}" "$pkg=$version")
  rm -rf "$dir.partial"
  dpkg-deb -x "$tmp"/${pkg}_*.deb "$dir.partial"
  "$dir.partial/usr/bin/$probe" --version >/dev/null
  touch "$dir.partial/.complete"
  rm -rf "$dir"
  mv "$dir.partial" "$dir"
fi
echo "$dir/usr/bin"
