// The files the components put on hosts, found relative to this module: the layout is the same in
// the source tree (src/components -> ../..) and in the npm package (lib/components -> ../..).
// Run from the source tree (a checkout, through tsx) the toolchain is checked and stale bundles
// are rebuilt first, so an `up` can never ship an agent older than the checkout it runs from.
import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import { pinnedNodeVersion } from "./runtime/node-tarball";

export interface PackageAssets {
  /** The package's root (a checkout, or node_modules/k3s-daas-fleet). */
  readonly root: string;
  /** The agent, one file that runs with Node alone. */
  readonly agentBundle: string;
  readonly agentUnit: string;
  readonly k3sInstaller: string;
  readonly runtimeConfigurer: string;
  /** The Node release the agents run on unless nodeVersion says otherwise. */
  readonly pinnedNodeVersion: string;
}

let assets: PackageAssets | undefined;

export function packageAssets(): PackageAssets {
  if (assets) return assets;
  const root = join(__dirname, "..", "..");
  if (__filename.endsWith(".ts")) prepareCheckout(root);
  assets = {
    root,
    agentBundle: join(root, "dist", "agent", "agent.js"),
    agentUnit: join(root, "agent", "systemd", "k3s-daas-agent.service"),
    k3sInstaller: join(__dirname, "scripts", "install-k3s-agent.sh"),
    runtimeConfigurer: join(__dirname, "scripts", "configure-containerd.sh"),
    pinnedNodeVersion: pinnedNodeVersion(root),
  };
  return assets;
}

/** A checkout: the command plugin its setup builds is there, and the bundles match the sources. */
function prepareCheckout(root: string): void {
  // Loaded here only: neither is part of the npm package.
  const { assertCommandPluginInstalled } = require("../preflight") as typeof import("../preflight");
  const { ensureBundles } = require("./bundles") as typeof import("./bundles");
  try {
    assertCommandPluginInstalled(require("@pulumi/command/package.json").pulumi.version as string);
    const rebuilt = ensureBundles(root);
    if (rebuilt.length) pulumi.log.info(`rebuilt the ${rebuilt.join(" and ")} bundle${rebuilt.length > 1 ? "s" : ""} from changed sources`);
  } catch (err) {
    // RunError: the message alone, no stack trace.
    throw new pulumi.RunError((err as Error).message);
  }
}
