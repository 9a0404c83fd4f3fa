#!/usr/bin/env bash
# The main job (`npm run dev`): all set-up, then the local world (three nspawn hosts, the devnet
# chain, the control-plane stand-in, a funded wallet), then `pulumi up` on the `dev` stack, and
# the stack's outputs. The local stack also runs the real Prometheus and Alertmanager on the
# bridge (devnet/local-stack/main.ts): after each up, the stack's `prometheusTargets` output is
# written to the file Prometheus watches, so its targets follow the fleet as it scales in or out.
# `npm run dev:down` undoes it all.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
source scripts/env.sh
# The dev stack only ever holds throwaway local keys; a real stack uses its own passphrase or KMS.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-k3s-daas-local-dev}"
config_file=devnet/.state/Pulumi.dev.yaml

node --import tsx devnet/local-stack/main.ts up
pulumi stack select --create dev --non-interactive >/dev/null
cp stacks/Pulumi.dev.yaml "$config_file"
node --import tsx devnet/local-stack/configure.ts "$config_file" dev
pulumi up --stack dev --config-file "$config_file" --yes --non-interactive
state_field() { node -p "require('./devnet/.state/local-stack.json')['$1'] ?? ''"; }
targets_file="$(state_field prometheusTargetsFile)"
if [ -n "$targets_file" ]; then
  # Written whole, then renamed: Prometheus never reads half a file.
  pulumi stack output --stack dev prometheusTargets --json > "$targets_file.tmp"
  mv "$targets_file.tmp" "$targets_file"
fi
echo
echo "Stack outputs (pulumi stack output --stack dev --json):"
pulumi stack output --stack dev --json
echo
pulumi stack output --stack dev money --json 2>/dev/null | node --import tsx scripts/print-money.ts || true
echo
echo "Agents answer at the endpoints above; the control plane lists workers at $(sed -n 's/.*"controlPlaneUrl": "\(.*\)".*/\1/p' devnet/.state/local-stack.json)/api/v1/workers."
echo "The local cluster: kubectl --kubeconfig devnet/.state/kubeconfig get nodes (the stand-in k3s binary has a real kubectl:"
echo "  $(node --import tsx -e 'require("./devnet/hosts/setup").ensureSetup({log(){}}).then(s=>console.log(s.k3sBinary))') kubectl --kubeconfig devnet/.state/kubeconfig get nodes -o wide)"
if [ -n "$targets_file" ]; then
  echo "Monitoring (the real Prometheus and Alertmanager, stopped by npm run dev:down):"
  echo "  Prometheus   $(state_field prometheusUrl)  (rules: monitoring/alerts/k3s-daas.rules.yml; targets: $targets_file, from prometheusTargets)"
  echo "  Alertmanager $(state_field alertmanagerUrl)  (no pager or chat here: notifications go to the local stack's webhook and are logged"
  echo "               in devnet/.state/local-stack.log: grep ' alert ' devnet/.state/local-stack.log)"
  echo "  curl -s $(state_field prometheusUrl)/api/v1/alerts   # try: npm run dev:slash -- dev-2"
else
  echo "This local stack was started before it ran Prometheus and Alertmanager: npm run dev:down && npm run dev to get them."
fi
echo "Tear down with: npm run dev:down"
