// The runtime of the dynamic providers, bundled by `npm run build:runtime` into
// node_modules/k3s-daas-fleet-runtime so the engine's provider process can `require` it by name.
export { stakeProvider } from "./stake";
export { sealTokenProvider } from "./seal-token";
export { hostStateProvider, UnreachableHostError } from "./host-state";
export { hostKeyProvider } from "./host-key";
export { nodeRuntimeProvider } from "./node-runtime";
export { nodePasswordProvider } from "./node-password";
export { rolloutGateProvider } from "./rollout";
