#!/usr/bin/env bash
# The benchmarks (`npm run bench`): does its own set-up, then runs each benchmark in turn, one at
# a time so they do not share the 2 cores. Each prints readable figures and one JSON line
# starting with {"bench": (collect them with `npm run bench | grep '^{"bench"'`).
# `npm run bench -- chain-stakes` runs one; extra options go after it, e.g.
# `npm run bench -- provision-scale --repeats 1`. bench/README.md says what each measures.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh >&2
source scripts/env.sh
if [ "$#" -gt 0 ]; then
  name="$1"; shift
  [ -f "bench/$name.bench.ts" ] || { echo "no benchmark bench/$name.bench.ts (have: $(cd bench && ls *.bench.ts | sed 's/.bench.ts//' | tr '\n' ' '))" >&2; exit 2; }
  exec node --import tsx "bench/$name.bench.ts" "$@"
fi
for name in chain-stakes agent-footprint agent-chain-requests slash-reaction provision-scale node-ready; do
  echo "=== $name"
  node --import tsx "bench/$name.bench.ts"
done
