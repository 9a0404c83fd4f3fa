#!/usr/bin/env bash
# Makes `pulumi` usable on a machine with no internet, cached outside the repo by version:
#   1. a `pulumi` already on PATH at the pinned version, else
#   2. the official release from get.pulumi.com (fails fast when unreachable), else
#   3. a build from Go modules: the CLI (github.com/pulumi/pulumi/pkg/v3) at the version pinned
#      in package.json, plus toolchain/'s language host and command provider (see toolchain/README.md).
# Then installs the dynamic-provider launcher from @pulumi/pulumi beside the CLI and registers the
# command provider plugin with the CLI: upstream's release when downloadable, else toolchain's
# build. Plugins and PULUMI_HOME are keyed by a hash of toolchain/ (env.sh). A second run takes seconds.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$K3S_DAAS_ROOT"

log() { printf '[setup-toolchain] %s\n' "$*" >&2; }
die() { printf '[setup-toolchain] error: %s\n' "$*" >&2; exit 1; }

[ -n "$PULUMI_VERSION" ] || die "package.json must pin @pulumi/pulumi to an exact version"
[ -n "$PULUMI_COMMAND_VERSION" ] || die "package.json must pin @pulumi/command to an exact version"
[ -f node_modules/@pulumi/pulumi/package.json ] || die "node_modules is missing: run npm ci first"

cli_ok() { [ -x "$K3S_DAAS_PULUMI_BIN/pulumi" ] && [ "$("$K3S_DAAS_PULUMI_BIN/pulumi" version 2>/dev/null)" = "v$PULUMI_VERSION" ]; }
plugins_stamp="$K3S_DAAS_PLUGIN_BIN/.source-sha"
plugins_sha="$K3S_DAAS_TOOLCHAIN_SHA" # every toolchain/ source (env.sh); also names the cache directory
plugins_ok() {
  [ -x "$K3S_DAAS_PLUGIN_BIN/pulumi-language-nodejs" ] && [ -x "$K3S_DAAS_PLUGIN_BIN/pulumi-resource-command" ] &&
    { [ "$(cat "$plugins_stamp" 2>/dev/null)" = "$plugins_sha" ] || [ "$(cat "$plugins_stamp" 2>/dev/null)" = "official" ]; }
}

go_build() { # <output> <package> <ldflags>
  command -v go >/dev/null || die "Go is needed to build the Pulumi toolchain (official download unreachable) but 'go' is not on PATH"
  (cd toolchain && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -o "$1" -ldflags "-s -w $3" "$2") ||
    die "building $2 failed (see the Go output above)"
}

mkdir -p "$K3S_DAAS_PULUMI_BIN" "$K3S_DAAS_PLUGIN_BIN" "$PULUMI_HOME"

if ! cli_ok; then
  ambient="$(PATH="${PATH#*$K3S_DAAS_PULUMI_BIN:}" command -v pulumi || true)"
  if [ -n "$ambient" ] && [ "$("$ambient" version 2>/dev/null)" = "v$PULUMI_VERSION" ]; then
    log "using the pulumi v$PULUMI_VERSION already on PATH ($ambient)"
    cp -f "$(dirname "$ambient")"/pulumi* "$K3S_DAAS_PULUMI_BIN/"
  else
    url="https://get.pulumi.com/releases/sdk/pulumi-v$PULUMI_VERSION-linux-x64.tar.gz"
    tmp="$(mktemp -d)"
    if curl -fsSL --connect-timeout 5 --max-time 120 "$url" -o "$tmp/pulumi.tgz" 2>/dev/null; then
      log "installing the official pulumi v$PULUMI_VERSION"
      tar -xzf "$tmp/pulumi.tgz" -C "$tmp"
      cp -f "$tmp"/pulumi/pulumi* "$K3S_DAAS_PULUMI_BIN/"
      if [ -x "$tmp/pulumi/pulumi-language-nodejs" ]; then
        cp -f "$tmp/pulumi/pulumi-language-nodejs" "$K3S_DAAS_PLUGIN_BIN/"
      fi
    else
      log "official download unreachable; building pulumi v$PULUMI_VERSION from Go modules (cold: ~8 min)"
      go_build "$K3S_DAAS_PULUMI_BIN/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
        "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
    fi
    rm -rf "$tmp"
  fi
  cli_ok || die "pulumi at $K3S_DAAS_PULUMI_BIN does not report v$PULUMI_VERSION"
fi

if ! plugins_ok; then
  log "building the Node.js language host and the command provider v$PULUMI_COMMAND_VERSION"
  go_build "$K3S_DAAS_PLUGIN_BIN/pulumi-language-nodejs" ./cmd/pulumi-language-nodejs "-X main.version=$PULUMI_VERSION"
  go_build "$K3S_DAAS_PLUGIN_BIN/pulumi-resource-command" ./cmd/pulumi-resource-command "-X main.version=$PULUMI_COMMAND_VERSION"
  echo "$plugins_sha" >"$plugins_stamp"
  rm -rf "$PULUMI_HOME/plugins/resource-command-v$PULUMI_COMMAND_VERSION"*
fi

# The language host beside the CLI: found without a download and without PATH lookups (which
# the CLI warns about). The command provider is registered below instead.
ln -sf "$K3S_DAAS_PLUGIN_BIN/pulumi-language-nodejs" "$K3S_DAAS_PULUMI_BIN/pulumi-language-nodejs"

# The dynamic-provider launcher ships in the npm package; beside the CLI it is found without a download.
cp -f node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs "$K3S_DAAS_PULUMI_BIN/"
chmod +x "$K3S_DAAS_PULUMI_BIN/pulumi-resource-pulumi-nodejs"

# The command provider: upstream's official release when it can be downloaded (what every user
# with internet runs), else toolchain's build of it. K3S_DAAS_COMMAND_PROVIDER=toolchain forces ours.
if [ ! -x "$PULUMI_HOME/plugins/resource-command-v$PULUMI_COMMAND_VERSION/pulumi-resource-command" ]; then
  if [ "${K3S_DAAS_COMMAND_PROVIDER:-auto}" != toolchain ] &&
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION= timeout 120 pulumi plugin install resource command "$PULUMI_COMMAND_VERSION" >/dev/null 2>&1; then
    log "using the official command provider v$PULUMI_COMMAND_VERSION"
  else
    pulumi plugin install resource command "$PULUMI_COMMAND_VERSION" --file "$K3S_DAAS_PLUGIN_BIN/pulumi-resource-command" >/dev/null
  fi
fi
log "pulumi $(pulumi version) ready (cli: $K3S_DAAS_PULUMI_BIN, plugins: $K3S_DAAS_PLUGIN_BIN)"
