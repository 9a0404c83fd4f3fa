#!/usr/bin/env bash
# All set-up for a fresh clone: system packages, npm dependencies (Node 22 included), the Pulumi
# toolchain, and the bundles the programs ship (agent, provider runtime). Idempotent and quick
# when nothing changed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup-system.sh

lock_sha="$(sha256sum package-lock.json | cut -c1-16)"
if [ "$(cat node_modules/.k3s-daas-lock-sha 2>/dev/null)" != "$lock_sha" ]; then
  echo "[setup] npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sha" >node_modules/.k3s-daas-lock-sha
fi

bash scripts/setup-toolchain.sh

source scripts/env.sh
npm run --silent build
# The Move package compiled by the Sui compiler (framework sources fetched once with cargo):
# the devnet publishes these modules. Skipped in a second when move/ did not change.
node --import tsx scripts/move.ts build --quiet
node --import tsx scripts/prefetch-node.ts
npm run --silent hosts -- setup >/dev/null
