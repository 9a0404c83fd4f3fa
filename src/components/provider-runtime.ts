// Why dynamic providers forward to a bundled runtime: the engine serializes a dynamic provider's
// code into the state and runs it in a separate Node process. Local modules would be copied by
// value (with zod schemas and SDK classes that do not serialize), so the providers below capture
// nothing and `require` the runtime by package name inside each method. `npm run build` bundles
// src/components/runtime into node_modules/k3s-daas-fleet-runtime; a destroy months later runs the
// runtime of the checkout it is run from.
import type * as pulumi from "@pulumi/pulumi";
import type * as runtime from "./runtime";

export const RUNTIME_PACKAGE = "k3s-daas-fleet-runtime";

/** A provider the runtime exports: the compiler checks each name against runtime/index.ts. */
type ProviderName = { [K in keyof typeof runtime]: K extends `${string}Provider` ? K : never }[keyof typeof runtime];

/** A plain-object provider whose methods load `name` from the runtime at call time. */
export function forwardingProvider(name: ProviderName): pulumi.dynamic.ResourceProvider {
  // Each arrow captures only `name` (a string); `require` resolves in the provider process.
  return {
    check: (olds, news) => require("k3s-daas-fleet-runtime")[name].check(olds, news),
    diff: (id, olds, news) => require("k3s-daas-fleet-runtime")[name].diff(id, olds, news),
    create: (inputs) => require("k3s-daas-fleet-runtime")[name].create(inputs),
    read: (id, props) => require("k3s-daas-fleet-runtime")[name].read(id, props),
    update: (id, olds, news) => require("k3s-daas-fleet-runtime")[name].update(id, olds, news),
    delete: (id, props) => require("k3s-daas-fleet-runtime")[name].delete(id, props),
  };
}
