// The real kubectl (the stand-in k3s binary's `k3s kubectl`, built from k8s.io/kubectl) against the
// local world's API server, for assertions about Nodes and Pods.
import { execFile } from "node:child_process";

export interface Kubectl {
  (args: readonly string[], input?: string): Promise<string>;
  json<T = any>(args: readonly string[]): Promise<T>;
}

export function kubectl(binary: string, kubeconfig: string): Kubectl {
  const run = (args: readonly string[], input?: string) =>
    new Promise<string>((resolve, reject) => {
      const child = execFile(binary, ["kubectl", "--kubeconfig", kubeconfig, ...args], { maxBuffer: 32 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`kubectl ${args.join(" ")}: ${(stderr || err.message).trim()}`));
        else resolve(stdout);
      });
      if (input !== undefined) child.stdin!.end(input);
    });
  const k = run as Kubectl;
  k.json = async (args) => JSON.parse(await run([...args, "-o", "json"]));
  return k;
}

export interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** The Ready condition of a Node object as kubectl prints it. */
export function readyCondition(node: { status?: { conditions?: NodeCondition[] } }): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === "Ready");
}

/** A Pod pinned to one node, running the image with imagePullPolicy Never (it exists only where imported). */
export function pinnedPod(name: string, nodeName: string, image: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { app: "k3s-daas-hello" } },
    spec: {
      nodeName,
      containers: [{
        name: "hello",
        image,
        imagePullPolicy: "Never",
        env: [
          { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
          { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
        ],
      }],
      terminationGracePeriodSeconds: 2,
    },
  });
}
