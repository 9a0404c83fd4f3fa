#!/usr/bin/env bash
# The project's test command (`npm test`): does its own set-up, then runs the tests through
# Node 22, one file at a time (the end-to-end tests boot real hosts; 2 cores are shared).
# `npm test -- test/chain/*.test.ts` runs a subset.
set -euo pipefail
shopt -s globstar nullglob
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
source scripts/env.sh
files=("$@")
[ "${#files[@]}" -gt 0 ] || files=(test/**/*.test.ts)
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
