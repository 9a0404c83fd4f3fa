#!/bin/sh
# configure-containerd.sh (k3s-daas): make the host's container runtime right for the k3s agent,
# before k3s starts. k3s configures nothing in an external containerd (it only waits for the CRI
# socket), so without this Debian's containerd keeps its own CNI dirs and sandbox image and the
# node never becomes Ready ("cni plugin not initialized").
#
# Usage: configure-containerd.sh              apply what stdin describes (below)
#        configure-containerd.sh --config-only  apply only the `config` line (HostState's repair)
#        configure-containerd.sh --restore      uninstall: the original config.toml back, our
#                                               registry files and imported images removed
# Environment:
#   K3S_DAAS_RUNTIME  containerd (default) or docker. With docker (k3s --docker runs cri-dockerd
#                     inside k3s, on docker's own containerd) no containerd config is written:
#                     only the image tarballs are loaded, into docker.
# Standard input (apply), one item a line, file contents as one line of base64:
#   config <base64>           /etc/containerd/config.toml (containerd only; required)
#   hosts <dir> <base64>      /etc/containerd/certs.d/<dir>/hosts.toml (registry mirrors)
#   registries <base64>       /etc/rancher/k3s/registries.yaml
#   image <sha256> <file>     a tarball already uploaded to /var/lib/rancher/k3s/agent/images/<file>:
#                             imported into containerd's k8s.io namespace (docker: docker load)
#                             unless that tarball, with that sha256, was imported already and its
#                             images are still there
# Every file written starts with "# Managed by k3s-daas"; only such files are replaced or removed
# (but config.toml, whose stock version is kept once as config.toml.k3s-daas-orig).
# containerd is restarted only when config.toml changed; a containerd that does not come back on
# the new file gets the previous one back and the script fails with its log.
# Output: what was done; with containerd the last line is `containerd-config-sha256 <hex>`.
set -eu
umask 022
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

CONFIG=/etc/containerd/config.toml
ORIG=$CONFIG.k3s-daas-orig
CERTS=/etc/containerd/certs.d
REGISTRIES=/etc/rancher/k3s/registries.yaml
IMAGES_DIR=/var/lib/rancher/k3s/agent/images
# One line per tarball imported: "<sha256> <file> <image>..."; "- <file> <image>..." once it is
# no longer listed (its images stay until uninstall: pods may still run them).
STATE=/var/lib/k3s-daas/runtime-images
HEADER="# Managed by k3s-daas"
RUNTIME=${K3S_DAAS_RUNTIME:-containerd}

info() { echo "$*"; }
fatal() { echo "configure-containerd: $*" >&2; exit 1; }
managed() { [ -f "$1" ] && [ "$(head -c ${#HEADER} "$1")" = "$HEADER" ]; }
sha_of() { sha256sum "$1" | cut -d' ' -f1; }

[ "$(id -u)" = 0 ] || fatal "must run as root"
case "$RUNTIME" in containerd|docker) ;; *) fatal "K3S_DAAS_RUNTIME must be containerd or docker, not '$RUNTIME'" ;; esac
MODE=${1:-apply}
case "$MODE" in apply|--config-only|--restore) ;; *) fatal "unknown argument '$MODE'" ;; esac

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# ---- containerd -----------------------------------------------------------------------------
containerd_ready() { # about 20 s at most (ctr alone would wait 10 s per try for a dead socket)
  i=0
  while [ $i -lt 10 ]; do
    ctr --connect-timeout 1s version >/dev/null 2>&1 && return 0
    i=$((i + 1)); sleep 1
  done
  return 1
}

# Restarts containerd on the config in place; if it does not come back, puts $1 (the previous
# file, or "" for none) back, restarts again and fails naming what containerd logged.
restart_containerd() {
  systemctl restart containerd || true
  if containerd_ready; then info "containerd: restarted"; return 0; fi
  log=$(journalctl -u containerd -n 15 --no-pager -o cat 2>/dev/null || true)
  if [ -n "$1" ]; then cp -p "$1" "$CONFIG"; else rm -f "$CONFIG"; fi
  systemctl restart containerd || true
  containerd_ready || true
  fatal "containerd did not start with the new $CONFIG (the previous one is back); its log:
$log"
}

# A file from base64 ($2) written to $1 when it differs; says whether it did.
put_b64() {
  printf '%s' "$2" | base64 -d > "$TMP/put" 2>/dev/null || fatal "bad base64 for $1"
  [ "$(head -c ${#HEADER} "$TMP/put")" = "$HEADER" ] || fatal "refusing to write $1: not a k3s-daas managed file"
  if [ -f "$1" ] && cmp -s "$TMP/put" "$1"; then return 1; fi
  mkdir -p "$(dirname "$1")"
  cp "$TMP/put" "$1.k3s-daas-new" && chmod 0644 "$1.k3s-daas-new" && mv -f "$1.k3s-daas-new" "$1"
  return 0
}

# ---- images ---------------------------------------------------------------------------------
images_present() { # <image>...
  for ref in "$@"; do
    if [ "$RUNTIME" = docker ]; then docker image inspect "$ref" >/dev/null 2>&1 || return 1
    else ctr -n k8s.io images ls -q 2>/dev/null | grep -qxF "$ref" || return 1; fi
  done
}

import_image() { # <path>: prints the images it holds, one a line
  if [ "$RUNTIME" = docker ]; then
    docker load -i "$1" > "$TMP/import" 2>&1 || { cat "$TMP/import" >&2; fatal "docker load of $1 failed"; }
    sed -n 's/^Loaded image: //p' "$TMP/import"
  else
    ctr -n k8s.io images import "$1" > "$TMP/import" 2>&1 || { cat "$TMP/import" >&2; fatal "ctr -n k8s.io images import $1 failed"; }
    sed -n 's/^unpacking \([^ ]*\) (sha256:.*/\1/p' "$TMP/import"
  fi
}

remove_images() { # <image>...
  if [ "$RUNTIME" = docker ]; then
    for ref in "$@"; do docker rmi "$ref" >/dev/null 2>&1 || true; done
    return 0
  fi
  # containerd's CRI adds an image id reference ("sha256:<config digest>", same target) to each
  # image in k8s.io: it goes too once no other name points at that image.
  ctr -n k8s.io images ls > "$TMP/ls" 2>/dev/null || return 0
  : > "$TMP/digests"
  for ref in "$@"; do
    awk -v r="$ref" '$1 == r { print $3 }' "$TMP/ls" >> "$TMP/digests"
    ctr -n k8s.io images rm "$ref" >/dev/null 2>&1 || true
  done
  ctr -n k8s.io images ls > "$TMP/ls" 2>/dev/null || return 0
  for digest in $(sort -u "$TMP/digests"); do
    if ! awk -v d="$digest" '$3 == d && $1 !~ /^sha256:/ { found = 1 } END { exit !found }' "$TMP/ls"; then
      for id in $(awk -v d="$digest" '$3 == d && $1 ~ /^sha256:/ { print $1 }' "$TMP/ls"); do
        ctr -n k8s.io images rm "$id" >/dev/null 2>&1 || true
      done
    fi
  done
}

# ---- restore (uninstall) --------------------------------------------------------------------
if [ "$MODE" = --restore ]; then
  if [ -f "$STATE" ] && { command -v ctr >/dev/null 2>&1 || command -v docker >/dev/null 2>&1; }; then
    while read -r sha file refs; do
      set -f; set -- $refs; set +f
      remove_images "$@" </dev/null
      [ "$sha" = - ] || rm -f "$IMAGES_DIR/$file"
    done < "$STATE"
  fi
  rm -f "$STATE"
  changed=0
  if [ -f "$ORIG" ]; then mv -f "$ORIG" "$CONFIG"; changed=1; info "containerd: $CONFIG restored"
  elif managed "$CONFIG"; then rm -f "$CONFIG"; changed=1; info "containerd: $CONFIG removed (there was none before)"; fi
  for f in "$CERTS"/*/hosts.toml; do
    if managed "$f"; then rm -rf "$(dirname "$f")"; fi
  done
  rmdir "$CERTS" 2>/dev/null || true
  if managed "$REGISTRIES"; then rm -f "$REGISTRIES"; fi
  if [ "$changed" = 1 ] && systemctl is-active -q containerd 2>/dev/null; then systemctl restart containerd; fi
  exit 0
fi

# ---- read the request -----------------------------------------------------------------------
CONFIG_B64=""; REGISTRIES_B64=""; : > "$TMP/hosts"; : > "$TMP/images"
while IFS=' ' read -r kind a b rest; do
  case "$kind" in
    config) CONFIG_B64=$a ;;
    registries) REGISTRIES_B64=$a ;;
    hosts)
      case "$a" in ''|.|..|*[!A-Za-z0-9._:-]*) fatal "bad registry directory name '$a'" ;; esac
      printf '%s %s\n' "$a" "$b" >> "$TMP/hosts" ;;
    image)
      case "$a" in *[!0-9a-f]*|'') fatal "bad sha256 for image '$b'" ;; esac
      case "$b" in ''|.*|*/*|*[!A-Za-z0-9._-]*) fatal "bad image file name '$b'" ;; esac
      printf '%s %s\n' "$a" "$b" >> "$TMP/images" ;;
    '') ;;
    *) fatal "unknown line '$kind'" ;;
  esac
done

# ---- containerd config ----------------------------------------------------------------------
if [ "$RUNTIME" = containerd ]; then
  command -v containerd >/dev/null 2>&1 || fatal "containerd is not installed"
  prev=""
  if [ -f "$CONFIG" ]; then cp -p "$CONFIG" "$TMP/prev.toml"; prev=$TMP/prev.toml; fi
  restart=0
  if [ -z "$CONFIG_B64" ]; then
    # No config line: k3s.manageContainerdConfig is false and config.toml is the operator's. A
    # file of ours from a managed run before is handed back: the original restored.
    if [ -f "$CONFIG" ] && managed "$CONFIG" && [ -f "$ORIG" ]; then
      mv -f "$ORIG" "$CONFIG"; restart=1; info "containerd: $CONFIG handed back to the operator (the original restored)"
    else info "containerd: $CONFIG is the operator's (not managed)"; fi
  else
    # The stock file, kept once (never a file of ours) for uninstall to restore.
    if [ ! -e "$ORIG" ] && [ -f "$CONFIG" ] && ! managed "$CONFIG"; then
      cp -p "$CONFIG" "$ORIG"; info "containerd: kept the original as $ORIG"
    fi
    if put_b64 "$CONFIG" "$CONFIG_B64"; then restart=1; info "containerd: wrote $CONFIG"; fi
  fi
  if [ "$MODE" = apply ]; then
    # certs.d: ours for the registries given; ours for any other registry go (k3s does the same).
    for f in "$CERTS"/*/hosts.toml; do
      d=$(basename "$(dirname "$f")")
      if managed "$f" && ! awk -v d="$d" '$1 == d { found = 1 } END { exit !found }' "$TMP/hosts"; then rm -rf "$CERTS/$d"; info "registry $d: hosts.toml removed"; fi
    done
    while IFS=' ' read -r d data; do
      if put_b64 "$CERTS/$d/hosts.toml" "$data"; then info "registry $d: wrote $CERTS/$d/hosts.toml"; fi
    done < "$TMP/hosts"
    if [ -n "$REGISTRIES_B64" ]; then
      if put_b64 "$REGISTRIES" "$REGISTRIES_B64"; then info "wrote $REGISTRIES"; fi
    elif managed "$REGISTRIES"; then rm -f "$REGISTRIES"; info "removed $REGISTRIES"; fi
  fi
  # hosts.toml files are read per pull: only config.toml needs a restart.
  if [ "$restart" = 1 ]; then restart_containerd "$prev"
  elif ! systemctl is-active -q containerd; then systemctl start containerd; containerd_ready || fatal "containerd does not answer"; info "containerd: started"
  else info "containerd: unchanged"; fi
else
  [ -z "$CONFIG_B64" ] || fatal "docker: no containerd config is written (k3s runs cri-dockerd on docker)"
  systemctl is-active -q docker || systemctl start docker
fi

# ---- images ---------------------------------------------------------------------------------
if [ "$MODE" = apply ]; then
  mkdir -p "$(dirname "$STATE")"
  touch "$STATE"
  : > "$TMP/state"
  while read -r sha file; do
    path=$IMAGES_DIR/$file
    [ -f "$path" ] || fatal "image tarball $path is missing"
    [ "$(sha_of "$path")" = "$sha" ] || fatal "image tarball $path does not have sha256 $sha"
    old=$(awk -v s="$sha" -v f="$file" '$1 == s && $2 == f' "$STATE" | head -n 1)
    refs=${old#"$sha $file"}
    set -f; set -- $refs; set +f
    if [ -n "$old" ] && [ $# -gt 0 ] && images_present "$@" </dev/null; then
      info "image $file: unchanged ($*)"
    else
      refs=$(import_image "$path" </dev/null | tr '\n' ' ')
      set -f; set -- $refs; set +f
      [ $# -gt 0 ] || fatal "image tarball $file holds no named image (make it with docker save NAME:TAG, or an OCI archive whose index names it)"
      info "image $file: imported $*"
    fi
    echo "$sha $file $*" >> "$TMP/state"
  done < "$TMP/images"
  # Tarballs no longer listed (or replaced): a file no longer listed goes; the images they held
  # stay recorded, so uninstall removes them (pods may still run them until then).
  while read -r sha file refs; do
    if [ "$sha" != - ]; then
      if awk -v s="$sha" -v f="$file" '$1 == s && $2 == f { found = 1 } END { exit !found }' "$TMP/state"; then continue; fi
      if ! awk -v f="$file" '$1 != "-" && $2 == f { found = 1 } END { exit !found }' "$TMP/state"; then
        rm -f "$IMAGES_DIR/$file"; info "image $file: no longer listed, tarball removed"
      fi
    fi
    [ -z "$refs" ] || echo "- $file $refs" >> "$TMP/state"
  done < "$STATE"
  sort -u "$TMP/state" > "$STATE.new" && mv -f "$STATE.new" "$STATE"
fi

if [ "$RUNTIME" = containerd ]; then echo "containerd-config-sha256 $(sha_of "$CONFIG")"; fi
