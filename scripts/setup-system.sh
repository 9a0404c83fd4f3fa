#!/usr/bin/env bash
# Debian packages the tests and the local stack need: sshd for the engine test, debootstrap and
# systemd-nspawn for the test hosts, dpkg-dev to index their local package source, zstd for the
# cached root filesystem, cargo for the Move framework sources, openssl for the devnet's test CA.
# Installs only what is missing. Prometheus (promtool for the alert rule tests) is Debian's
# package too, but fetched and unpacked into the cache rather than installed, so that no
# Prometheus daemon is started: scripts/setup-prometheus.sh; and so is Alertmanager (amtool, for
# the routing example's tests): scripts/setup-alertmanager.sh. PostgreSQL's server and client (the
# team-state test runs its own server) are unpacked the same way, with only the libraries they
# link installed: scripts/setup-postgresql.sh.
set -euo pipefail
needed=(openssh-server openssh-client debootstrap systemd-container dpkg-dev zstd iproute2 curl openssl)
# cargo fetches the Sui framework sources from crates.io once (scripts/move/framework.ts); a
# rustup install in ~/.cargo does as well.
if ! command -v cargo >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo" ]; then needed+=(cargo); fi
missing=()
for p in "${needed[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "[setup-system] installing ${missing[*]}" >&2
  [ "$(id -u)" = 0 ] || { echo "[setup-system] error: root is needed to install ${missing[*]}" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
bash "$(dirname "${BASH_SOURCE[0]}")/setup-prometheus.sh" >/dev/null
bash "$(dirname "${BASH_SOURCE[0]}")/setup-alertmanager.sh" >/dev/null
bash "$(dirname "${BASH_SOURCE[0]}")/setup-postgresql.sh" >/dev/null
