// Why dynamic providers forward to a bundled runtime: the engine serializes a dynamic provider's
// code into the state and runs it in a separate Node process. Local modules would be copied by
// value (with zod schemas and SDK classes that do not serialize), so the providers below capture
// nothing but their name and `require` the runtime by package name inside each method. Installed
// from npm, the package serves its runtime bundle as `k3s-daas-fleet/provider-runtime`; a checkout
// bundles src/components/runtime into node_modules/k3s-daas-fleet-runtime (`npm run build`). The
// provider process resolves either from the program's directory. A destroy months later runs the
// runtime of the package or checkout it is run from.
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type * as runtime from "./runtime";

/** The runtime as the npm package exports it, and as a checkout builds it. */
export const RUNTIME_MODULES = ["k3s-daas-fleet/provider-runtime", "k3s-daas-fleet-runtime"] as const;

/** A provider the runtime exports: the compiler checks each name against runtime/index.ts. */
type ProviderName = { [K in keyof typeof runtime]: K extends `${string}Provider` ? K : never }[keyof typeof runtime];

/** The fields of a runtime input schema (a zod object), or a raw shape of fields as given. */
type ShapeOf<S extends z.AnyZodObject | z.ZodRawShape> = S extends z.AnyZodObject ? S["shape"] : S;

/** A value as a component takes it: a Pulumi input; an object's (or record's) fields inputs too. */
type ArgInput<T> = [T] extends [readonly unknown[]] ? pulumi.Input<T> : [T] extends [object] ? pulumi.Input<{ [K in keyof T]: pulumi.Input<T[K]> }> : pulumi.Input<T>;

/**
 * The public args of a dynamic resource, derived from the input schema its provider validates
 * them with (or from a shape of fields several schemas share): each field a readonly Pulumi
 * input of the field's zod input type, optional where that input is (optional or defaulted).
 * A type only: components never load the runtime's code (see above). Mapped over the shape,
 * not over z.input, so each field keeps the JSDoc written on it in the schema, in the emitted
 * .d.ts too. Fields a schema spreads from another module's shape (sshTargetShape,
 * chainInputsShape) lose theirs in its .d.ts: Args take those from that shape's own Args.
 */
export type ProviderArgs<S extends z.AnyZodObject | z.ZodRawShape> = {
  readonly [K in keyof ShapeOf<S> as undefined extends ShapeOf<S>[K]["_input"] ? never : K]: ArgInput<ShapeOf<S>[K]["_input"]>;
} & {
  readonly [K in keyof ShapeOf<S> as undefined extends ShapeOf<S>[K]["_input"] ? K : never]?: ArgInput<Exclude<ShapeOf<S>[K]["_input"], undefined>>;
};

/** A plain-object provider whose methods load `name` from the runtime at call time. */
export function forwardingProvider(name: ProviderName): pulumi.dynamic.ResourceProvider {
  // Serialized with the provider (it captures nothing); `require` resolves in the provider process.
  const load = () => {
    try {
      return require("k3s-daas-fleet/provider-runtime");
    } catch (err) {
      // Not installed from npm (a checkout): its own build. Any other failure is the runtime's own.
      if ((err as { code?: string }).code !== "MODULE_NOT_FOUND" || !String((err as Error).message).includes("'k3s-daas-fleet/provider-runtime'")) throw err;
      return require("k3s-daas-fleet-runtime");
    }
  };
  return {
    check: (olds, news) => load()[name].check(olds, news),
    diff: (id, olds, news) => load()[name].diff(id, olds, news),
    create: (inputs) => load()[name].create(inputs),
    read: (id, props) => load()[name].read(id, props),
    update: (id, olds, news) => load()[name].update(id, olds, news),
    delete: (id, props) => load()[name].delete(id, props),
  };
}
