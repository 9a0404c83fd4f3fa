#!/usr/bin/env bash
# vegeta, the constant-rate (open-model) HTTP load tool bench/agent-footprint drives, built from
# the Go module proxy at a pinned version and cached outside the repo by version, like the Pulumi
# toolchain. Prints the binary's path. A second run takes milliseconds.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

VEGETA_VERSION="v12.13.0"
bin_dir="$K3S_DAAS_CACHE/vegeta-$VEGETA_VERSION/bin"
bin="$bin_dir/vegeta"
log() { printf '[setup-vegeta] %s\n' "$*" >&2; }
die() { printf '[setup-vegeta] error: %s\n' "$*" >&2; exit 1; }

if [ ! -x "$bin" ]; then
  command -v go >/dev/null || die "Go is needed to build vegeta $VEGETA_VERSION but 'go' is not on PATH"
  log "building vegeta $VEGETA_VERSION from the Go module proxy (cold: ~1 min)"
  mkdir -p "$bin_dir"
  # A module-mode install outside any module: the version is the pin, go.sum checks come from sum.golang.org.
  (cd "$bin_dir" && GOBIN="$bin_dir" CGO_ENABLED=0 GOFLAGS=-mod=mod go install -trimpath -ldflags "-s -w" "github.com/tsenart/vegeta/v12@$VEGETA_VERSION") ||
    die "building vegeta $VEGETA_VERSION failed (see the Go output above)"
  mv "$bin_dir/v12" "$bin" 2>/dev/null || true
  [ -x "$bin" ] || die "go install produced no vegeta binary in $bin_dir"
fi
echo "$bin"
