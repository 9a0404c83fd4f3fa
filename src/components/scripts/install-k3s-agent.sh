#!/bin/sh
# install-k3s-agent.sh: install a k3s AGENT as a systemd service, following the conventions
# of the official installer (https://get.k3s.io) for an air-gapped install.
#
# Environment (same names as get.k3s.io unless marked):
#   K3S_URL                    server URL, https://host:port (required)
#   K3S_TOKEN_FILE             file holding the join token; must be mode 0600 (or stricter) and
#                              owned by root. The token is copied into the 0600 env file
#                              /etc/systemd/system/k3s-agent.service.env and never appears on a
#                              command line. (K3S_TOKEN in the environment is also accepted.)
#   INSTALL_K3S_EXEC           "agent" plus extra flags, e.g. "agent --node-name w1 --node-label a=b"
#                              (default "agent"). Do not put --token here.
#   INSTALL_K3S_SKIP_DOWNLOAD  true: use the binary already at $INSTALL_K3S_BIN_DIR/k3s
#   INSTALL_K3S_BIN_URL        (k3s-daas) URL of the k3s binary on a local source, e.g. a mirror
#                              on the operator's network; fetched with curl
#   INSTALL_K3S_BIN_SHA256     (k3s-daas) expected sha256 of that binary (checked when set)
#   INSTALL_K3S_RELEASE_URL    (k3s-daas) instead of INSTALL_K3S_BIN_URL: a release's download
#                              directory laid out as k3s publishes it on GitHub
#                              (https://github.com/k3s-io/k3s/releases/download/v1.31.4%2Bk3s1):
#                              the binary for this host's architecture (k3s, k3s-arm64, k3s-armhf)
#                              is fetched and checked against the release's sha256sum-<arch>.txt,
#                              as get.k3s.io does (and against INSTALL_K3S_BIN_SHA256 too if set)
#   INSTALL_K3S_VERSION        the release expected, e.g. v1.31.4+k3s1: the binary (downloaded or
#                              already there) must report it in `k3s --version`, else the install
#                              fails before anything is replaced (a mirror serving another
#                              release is caught on the host, not discovered later)
#   INSTALL_K3S_BIN_DIR        default /usr/local/bin
#   INSTALL_K3S_SYSTEMD_DIR    default /etc/systemd/system
#   INSTALL_K3S_SKIP_ENABLE    true: do not enable the unit
#   INSTALL_K3S_SKIP_START     true: do not start the unit; (k3s-daas) a unit that is already
#                              active is still restarted when the binary, unit or env file
#                              changed, so an upgrade takes effect
#   INSTALL_K3S_DATA_DIR       (k3s-daas) data dir the uninstaller removes, default /var/lib/rancher/k3s
#                              (pass the same value as --data-dir in INSTALL_K3S_EXEC if you change it)
# Other K3S_* variables (except K3S_TOKEN_FILE) and proxy variables are written to the env file,
# like the official installer does.
#
# Idempotent: running it again with the same input rewrites the same files and leaves the
# service running; the service is restarted only when the binary, unit or env file changed.
# Produces /usr/local/bin/k3s-agent-uninstall.sh.
set -eu
umask 022
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

info() { echo "[INFO]  $*"; }
fatal() { echo "[ERROR] $*" >&2; exit 1; }

BIN_DIR=${INSTALL_K3S_BIN_DIR:-/usr/local/bin}
SYSTEMD_DIR=${INSTALL_K3S_SYSTEMD_DIR:-/etc/systemd/system}
DATA_DIR=${INSTALL_K3S_DATA_DIR:-/var/lib/rancher/k3s}
SERVICE=k3s-agent
UNIT_FILE=${SYSTEMD_DIR}/${SERVICE}.service
ENV_FILE=${SYSTEMD_DIR}/${SERVICE}.service.env
UNINSTALL=${BIN_DIR}/${SERVICE}-uninstall.sh
K3S_BIN=${BIN_DIR}/k3s

[ "$(id -u)" = 0 ] || fatal "must run as root"
command -v systemctl >/dev/null 2>&1 || fatal "systemd is required"

# ---- arguments -----------------------------------------------------------------------------
[ -n "${K3S_URL:-}" ] || fatal "K3S_URL is required (https://server:6443)"
case "$K3S_URL" in
  https://*:[0-9]*) ;;
  *) fatal "K3S_URL must be https://host:port, got '$K3S_URL'" ;;
esac

# like get.k3s.io: INSTALL_K3S_EXEC words first, then the script's own arguments
# (`curl ... | sh -s - agent --node-name w1`)
EXEC=${INSTALL_K3S_EXEC:-}
set -f
if [ -n "$EXEC" ]; then set -- $EXEC "$@"; fi
set +f
if [ "${1:-}" != agent ]; then
  case "${1:-}" in
    -*|'') set -- agent "$@" ;;
    *) fatal "INSTALL_K3S_EXEC must start with 'agent' (this installer only installs agents): '$EXEC'" ;;
  esac
fi
for a in "$@"; do
  case "$a" in
    --token|--token=*|-t|-t=*) fatal "pass the token with K3S_TOKEN_FILE, never on the command line" ;;
  esac
done

TOKEN=""
if [ -n "${K3S_TOKEN_FILE:-}" ]; then
  [ -f "$K3S_TOKEN_FILE" ] || fatal "K3S_TOKEN_FILE $K3S_TOKEN_FILE does not exist"
  mode=$(stat -c %a "$K3S_TOKEN_FILE")
  owner=$(stat -c %u "$K3S_TOKEN_FILE")
  case "$mode" in
    600|400) ;;
    *) fatal "K3S_TOKEN_FILE $K3S_TOKEN_FILE must be mode 0600 (is $mode)" ;;
  esac
  [ "$owner" = 0 ] || fatal "K3S_TOKEN_FILE $K3S_TOKEN_FILE must be owned by root"
  TOKEN=$(cat "$K3S_TOKEN_FILE")
elif [ -n "${K3S_TOKEN:-}" ]; then
  TOKEN=$K3S_TOKEN
fi
TOKEN=$(printf '%s' "$TOKEN" | tr -d '\r\n')
[ -n "$TOKEN" ] || fatal "a join token is required (K3S_TOKEN_FILE)"
case "$TOKEN" in
  *\"*|*\\*|*\$*|*\`*) fatal "the join token contains characters that cannot go into an env file" ;;
esac

# ---- binary ----------------------------------------------------------------------------------
check_version() { # <binary>
  [ -n "${INSTALL_K3S_VERSION:-}" ] || return 0
  reported=$("$1" --version 2>/dev/null | head -n 1) || fatal "$1 --version failed"
  case "$reported" in
    "k3s version $INSTALL_K3S_VERSION "*|"k3s version $INSTALL_K3S_VERSION") ;;
    *) fatal "k3s at ${INSTALL_K3S_BIN_URL:-$1} reports '$reported', expected version $INSTALL_K3S_VERSION" ;;
  esac
}
mkdir -p "$BIN_DIR"
CHANGED=0
if [ "${INSTALL_K3S_SKIP_DOWNLOAD:-false}" = true ]; then
  [ -x "$K3S_BIN" ] || fatal "INSTALL_K3S_SKIP_DOWNLOAD=true but $K3S_BIN is not an executable"
  info "Skipping k3s download, using $K3S_BIN"
  check_version "$K3S_BIN"
else
  if [ -n "${INSTALL_K3S_RELEASE_URL:-}" ]; then
    # get.k3s.io's names: the architecture of the hash file, the binary's suffix.
    case "$(uname -m)" in
      amd64|x86_64) ARCH=amd64; SUFFIX= ;;
      arm64|aarch64) ARCH=arm64; SUFFIX=-arm64 ;;
      arm*) ARCH=arm; SUFFIX=-armhf ;;
      *) fatal "unsupported architecture $(uname -m) for a k3s release download" ;;
    esac
    command -v curl >/dev/null 2>&1 || fatal "curl is required to download from $INSTALL_K3S_RELEASE_URL"
    RELEASE=${INSTALL_K3S_RELEASE_URL%/}
    HASH_URL="$RELEASE/sha256sum-$ARCH.txt"
    INSTALL_K3S_BIN_URL="$RELEASE/k3s$SUFFIX"
    info "Downloading the release's hashes from $HASH_URL"
    hashes=$(curl -fsSL --retry 3 --connect-timeout 10 "$HASH_URL") || fatal "download of $HASH_URL failed: the binary cannot be checked, nothing was changed"
    published=$(printf '%s\n' "$hashes" | awk -v f="k3s$SUFFIX" '$2 == f || $2 == "*" f { print $1; exit }')
    case "$published" in
      [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]*) ;;
      *) fatal "$HASH_URL names no sha256 for k3s$SUFFIX: the binary cannot be checked, nothing was changed" ;;
    esac
    if [ -n "${INSTALL_K3S_BIN_SHA256:-}" ] && [ "$INSTALL_K3S_BIN_SHA256" != "$published" ]; then
      fatal "the release publishes sha256 $published for k3s$SUFFIX, but k3s.binSha256 is $INSTALL_K3S_BIN_SHA256: nothing was changed"
    fi
    INSTALL_K3S_BIN_SHA256=$published
    HASH_SOURCE="the release's sha256sum-$ARCH.txt"
  fi
  [ -n "${INSTALL_K3S_BIN_URL:-}" ] || fatal "air-gapped install: set INSTALL_K3S_BIN_URL (local source) or INSTALL_K3S_SKIP_DOWNLOAD=true"
  command -v curl >/dev/null 2>&1 || fatal "curl is required to download $INSTALL_K3S_BIN_URL"
  TMP_BIN=$(mktemp "${BIN_DIR}/.k3s.XXXXXX")
  trap 'rm -f "$TMP_BIN"' EXIT
  info "Downloading k3s from $INSTALL_K3S_BIN_URL"
  curl -fsSL --retry 3 --connect-timeout 10 -o "$TMP_BIN" "$INSTALL_K3S_BIN_URL" || fatal "download of $INSTALL_K3S_BIN_URL failed"
  if [ -n "${INSTALL_K3S_BIN_SHA256:-}" ]; then
    got=$(sha256sum "$TMP_BIN" | cut -d' ' -f1)
    [ "$got" = "$INSTALL_K3S_BIN_SHA256" ] || fatal "sha256 mismatch for k3s from $INSTALL_K3S_BIN_URL: expected $INSTALL_K3S_BIN_SHA256 (${HASH_SOURCE:-k3s.binSha256}), got $got; nothing was changed"
  fi
  chmod 755 "$TMP_BIN"
  check_version "$TMP_BIN"
  if [ -f "$K3S_BIN" ] && cmp -s "$TMP_BIN" "$K3S_BIN"; then
    rm -f "$TMP_BIN"
  else
    mv -f "$TMP_BIN" "$K3S_BIN"
    CHANGED=1
  fi
  trap - EXIT
fi
"$K3S_BIN" --version >/dev/null 2>&1 || fatal "$K3S_BIN --version failed"

# ---- env file (0600: holds the token) -------------------------------------------------------
write_if_changed() { # <dest> <mode> ; content on stdin
  tmp=$(mktemp "$(dirname "$1")/.k3s-install.XXXXXX")
  chmod "$2" "$tmp"
  cat >"$tmp"
  if [ -f "$1" ] && cmp -s "$tmp" "$1" && [ "$(stat -c %a "$1")" = "$2" ]; then
    rm -f "$tmp"
  else
    mv -f "$tmp" "$1"
    CHANGED=1
  fi
}
mkdir -p "$SYSTEMD_DIR"
{
  echo "K3S_URL=\"$K3S_URL\""
  echo "K3S_TOKEN=\"$TOKEN\""
  env | grep -E '^(K3S_|CONTAINERD_)|^(NO|HTTP|HTTPS)_PROXY=|^(no|http|https)_proxy=' \
    | grep -Ev '^(K3S_URL|K3S_TOKEN|K3S_TOKEN_FILE)=' | sort | while IFS= read -r line; do
      k=${line%%=*}; v=${line#*=}
      printf '%s="%s"\n' "$k" "$(printf '%s' "$v" | sed 's/["\\$`]/\\&/g')"
    done
} | write_if_changed "$ENV_FILE" 600

# ---- unit -----------------------------------------------------------------------------------
quote_arg() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
EXEC_LINES=""
for a in "$@"; do
  EXEC_LINES="${EXEC_LINES}
        $(quote_arg "$a") \\"
done
{
  cat <<EOF
[Unit]
Description=Lightweight Kubernetes
Documentation=https://k3s.io
Wants=network-online.target
After=network-online.target containerd.service

[Install]
WantedBy=multi-user.target

[Service]
Type=exec
EnvironmentFile=-/etc/default/%N
EnvironmentFile=-/etc/sysconfig/%N
EnvironmentFile=-${ENV_FILE}
KillMode=process
Delegate=yes
LimitNOFILE=1048576
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
TimeoutStartSec=0
Restart=always
RestartSec=5s
ExecStartPre=-/bin/sh -c 'command -v modprobe >/dev/null 2>&1 && modprobe br_netfilter; true'
ExecStartPre=-/bin/sh -c 'command -v modprobe >/dev/null 2>&1 && modprobe overlay; true'
ExecStart=${K3S_BIN} \\${EXEC_LINES}
EOF
} | sed '$ s/ \\$//' | write_if_changed "$UNIT_FILE" 644

# ---- uninstaller ----------------------------------------------------------------------------
write_if_changed "$UNINSTALL" 755 <<EOF
#!/bin/sh
# Generated by install-k3s-agent.sh: removes the k3s agent installed by it.
set -x
[ "\$(id -u)" = 0 ] || exec sudo \$0 \$@
systemctl stop ${SERVICE}.service 2>/dev/null || true
systemctl disable ${SERVICE}.service 2>/dev/null || true
systemctl reset-failed ${SERVICE}.service 2>/dev/null || true
rm -f '${UNIT_FILE}' '${ENV_FILE}'
systemctl daemon-reload
rm -f '${K3S_BIN}'
rm -rf '${DATA_DIR}' /etc/rancher/k3s /etc/rancher/node /run/k3s /var/lib/kubelet
rmdir /etc/rancher /var/lib/rancher 2>/dev/null || true
rm -f '${UNINSTALL}'
EOF

# ---- service --------------------------------------------------------------------------------
systemctl daemon-reload
if [ "${INSTALL_K3S_SKIP_ENABLE:-false}" != true ]; then
  info "systemd: Enabling ${SERVICE} unit"
  systemctl enable "${SERVICE}.service" >/dev/null 2>&1
fi
if [ "${INSTALL_K3S_SKIP_START:-false}" = true ]; then
  if [ "$CHANGED" = 1 ] && systemctl is-active --quiet "${SERVICE}.service"; then
    info "systemd: Restarting ${SERVICE} (upgraded)"
    systemctl restart "${SERVICE}.service"
  fi
else
  if [ "$CHANGED" = 1 ] || ! systemctl is-active --quiet "${SERVICE}.service"; then
    info "systemd: Starting ${SERVICE}"
    systemctl restart "${SERVICE}.service"
  else
    info "systemd: ${SERVICE} unchanged and active"
  fi
fi
