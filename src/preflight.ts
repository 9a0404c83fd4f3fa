// Checks made before the program declares anything, so a missing toolchain piece is a clear
// error naming the set-up step instead of an engine error about a plugin it may not download.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

/** Throws when the command provider plugin that @pulumi/command needs is not installed. */
export function assertCommandPluginInstalled(version: string, env: NodeJS.ProcessEnv = process.env): void {
  const home = env.PULUMI_HOME || join(homedir(), ".pulumi");
  const inHome = existsSync(join(home, "plugins", `resource-command-v${version}`, "pulumi-resource-command"));
  const onPath = (env.PATH ?? "").split(delimiter).some((d) => d && existsSync(join(d, "pulumi-resource-command")));
  if (!inHome && !onPath) {
    throw new Error(
      `the Pulumi command provider plugin v${version} is not installed in ${home}: run \`npm run setup\` ` +
        `(scripts/setup-toolchain.sh builds and registers it; this project never downloads plugins at run time)`,
    );
  }
}
