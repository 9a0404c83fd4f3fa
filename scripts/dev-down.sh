#!/usr/bin/env bash
# Undoes `npm run dev`: `pulumi destroy` of the dev stack (the devnet is first moved past the
# stake lock so the stakes can be withdrawn), then the local stack: the hosts, the control plane,
# the devnet, and its Prometheus and Alertmanager (a pair its daemon left running, killed before
# it could stop them, is stopped by the PIDs it recorded in devnet/.state/monitoring/pids.json).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-k3s-daas-local-dev}"
config_file=devnet/.state/Pulumi.dev.yaml
if [ -f devnet/.state/local-stack.json ] && [ -f "$config_file" ]; then
  node --import tsx devnet/local-stack/main.ts advance-epoch
  pulumi destroy --stack dev --config-file "$config_file" --yes --non-interactive
fi
node --import tsx devnet/local-stack/main.ts down
rm -f "$config_file"
