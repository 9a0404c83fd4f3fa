#!/usr/bin/env bash
# Debian packages the tests and the local stack need: sshd for the engine test, debootstrap and
# systemd-nspawn for the test hosts, dpkg-dev to index their local package source, zstd for the
# cached root filesystem. Installs only what is missing.
set -euo pipefail
needed=(openssh-server openssh-client debootstrap systemd-container dpkg-dev zstd iproute2 curl)
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
