# Sourced by every npm script that runs Pulumi or the tests: pins Node 22 and the locally built
# Pulumi toolchain, and points the engine at a file backend the scripts own. Nothing here is
# secret except the dev stack passphrase, which only protects the local `dev` stack.
K3S_DAAS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export K3S_DAAS_ROOT
export K3S_DAAS_CACHE="${K3S_DAAS_CACHE:-$HOME/.cache/k3s-daas}"

_pkg_version() { sed -n "s/.*\"$1\": *\"\\([0-9][^\"]*\\)\".*/\\1/p" "$K3S_DAAS_ROOT/package.json" | head -n1; }
export PULUMI_VERSION="$(_pkg_version '@pulumi\/pulumi')"
export PULUMI_COMMAND_VERSION="$(_pkg_version '@pulumi\/command')"
unset -f _pkg_version

export K3S_DAAS_PULUMI_BIN="$K3S_DAAS_CACHE/pulumi-cli-v$PULUMI_VERSION/bin"
# toolchain/'s plugins are keyed by a hash of their sources (every file under toolchain/ but its
# README): a changed provider is rebuilt into its own directory, and checkouts with different
# sources (worktrees, branches) never overwrite each other's plugins in the shared cache.
K3S_DAAS_TOOLCHAIN_SHA="$(cd "$K3S_DAAS_ROOT/toolchain" && find . -type f ! -name README.md | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)"
export K3S_DAAS_TOOLCHAIN_SHA
export K3S_DAAS_PLUGIN_BIN="$K3S_DAAS_CACHE/pulumi-plugins-v$PULUMI_VERSION-command-v$PULUMI_COMMAND_VERSION-$K3S_DAAS_TOOLCHAIN_SHA/bin"
export PATH="$K3S_DAAS_ROOT/node_modules/.bin:$K3S_DAAS_PULUMI_BIN:$PATH"

# The command plugin is registered in PULUMI_HOME by version (1.2.1) only, so PULUMI_HOME is
# keyed by the same hash: each source state of toolchain/ sees its own build of the provider.
export PULUMI_HOME="${PULUMI_HOME:-$K3S_DAAS_CACHE/pulumi-home-$K3S_DAAS_TOOLCHAIN_SHA}"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$K3S_DAAS_ROOT/.pulumi-state}"
mkdir -p "$K3S_DAAS_ROOT/.pulumi-state"
export PULUMI_SKIP_UPDATE_CHECK=true
# A missing plugin must be an error naming the setup step, never a download attempt.
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK="${PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK:-false}"
