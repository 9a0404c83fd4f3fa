#!/usr/bin/env bash
# The main job (`npm run dev`): all set-up, then the local world (three nspawn hosts, the devnet
# chain, the control-plane stand-in, a funded wallet), then `pulumi up` on the `dev` stack, and
# the stack's outputs. `npm run dev:down` undoes it all.
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
echo
echo "Stack outputs (pulumi stack output --stack dev --json):"
pulumi stack output --stack dev --json
echo
echo "Agents answer at the endpoints above; the control plane lists workers at $(sed -n 's/.*"controlPlaneUrl": "\(.*\)".*/\1/p' devnet/.state/local-stack.json)/api/v1/workers."
echo "The local cluster: kubectl --kubeconfig devnet/.state/kubeconfig get nodes (the stand-in k3s binary has a real kubectl:"
echo "  $(node --import tsx -e 'require("./devnet/hosts/setup").ensureSetup({log(){}}).then(s=>console.log(s.k3sBinary))') kubectl --kubeconfig devnet/.state/kubeconfig get nodes -o wide)"
echo "Tear down with: npm run dev:down"
