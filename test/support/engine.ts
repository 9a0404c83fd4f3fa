// Runs real Pulumi programs through the Automation API with the project's locally built CLI and a
// throwaway file backend, so tests judge behaviour through the real engine.
import { LocalWorkspace, PulumiCommand, type Stack, type ConfigMap } from "@pulumi/pulumi/automation";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface TestStack {
  readonly stack: Stack;
  readonly backendDir: string;
  dispose(): Promise<void>;
}

function cliRoot(): string {
  const bin = process.env.K3S_DAAS_PULUMI_BIN;
  if (!bin) throw new Error("K3S_DAAS_PULUMI_BIN is not set: run the tests through `npm test` (it sources scripts/env.sh)");
  return dirname(bin);
}

export async function createTestStack(workDir: string, config: ConfigMap, stackName = "test", stackConfigFile?: string): Promise<TestStack> {
  const backendDir = mkdtempSync(join(tmpdir(), "k3s-daas-backend-"));
  const pulumiCommand = await PulumiCommand.get({ root: cliRoot() });
  const envVars = {
    PULUMI_BACKEND_URL: `file://${backendDir}`,
    PULUMI_CONFIG_PASSPHRASE: "test-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
  const stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir }, { pulumiCommand, envVars });
  await stack.setAllConfig(config);
  return {
    stack,
    backendDir,
    async dispose() {
      try {
        await stack.workspace.removeStack(stackName, { force: true });
      } finally {
        rmSync(backendDir, { recursive: true, force: true });
        // A project with stackConfigDir keeps the stack's settings in the repo: remove them.
        if (stackConfigFile) rmSync(stackConfigFile, { force: true });
      }
    },
  };
}
