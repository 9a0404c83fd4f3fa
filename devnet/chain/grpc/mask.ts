// google.protobuf.FieldMask as Sui's RPC applies it to replies: a reply carries only the fields
// its read_mask names (dotted proto field names, applied to every element of a repeated field),
// and a method has a default mask when the request gives none. Pruning walks the message's own
// protobuf-ts reflection (MessageType.fields), so no field name is written twice by hand.
import type { IMessageType, FieldInfo } from "@protobuf-ts/runtime";
import { GrpcError, GrpcStatusCode } from "./wire.js";

type Tree = Map<string, Tree | true>;

export function maskTree(paths: readonly string[]): Tree {
  const root: Tree = new Map();
  for (const raw of paths) {
    for (const path of raw.split(",")) {
      const parts = path.trim().split(".").filter(Boolean);
      if (!parts.length) continue;
      let node = root;
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i]!;
        const cur = node.get(p);
        if (cur === true) break; // a shorter path already takes the whole field
        if (i === parts.length - 1) { node.set(p, true); break; }
        const next: Tree = cur ?? new Map();
        node.set(p, next);
        node = next;
      }
    }
  }
  return root;
}

/** The paths of `mask` if it names any, else `defaults`. */
export function pathsOrDefault(mask: { paths: string[] } | undefined, defaults: readonly string[]): readonly string[] {
  return mask && mask.paths.length ? mask.paths : defaults;
}

/**
 * A copy of `msg` with only the masked fields. Field names that the message type does not have
 * are an INVALID_ARGUMENT on a real node; `unknown` collects them so the caller can refuse.
 */
export function prune<T extends object>(type: IMessageType<T>, msg: T, tree: Tree | true, unknown: string[] = [], prefix = ""): T {
  if (tree === true || tree.has("*")) return msg;
  const out = type.create() as Record<string, unknown>;
  const src = msg as Record<string, unknown>;
  const byName = new Map<string, FieldInfo>(type.fields.map((f) => [f.name, f]));
  for (const [name, sub] of tree) {
    const f = byName.get(name);
    if (!f) { unknown.push(prefix + name); continue; }
    const pruneValue = (v: unknown): unknown => {
      if (v === undefined || sub === true || f.kind !== "message") return v;
      const T = f.T() as IMessageType<object>;
      return f.repeat ? (v as object[]).map((x) => prune(T, x, sub, unknown, `${prefix}${name}.`)) : prune(T, v as object, sub, unknown, `${prefix}${name}.`);
    };
    if (f.oneof) {
      const group = src[f.oneof] as { oneofKind?: string } & Record<string, unknown>;
      if (group?.oneofKind === f.localName) out[f.oneof] = { oneofKind: f.localName, [f.localName]: pruneValue(group[f.localName]) };
      continue;
    }
    const v = pruneValue(src[f.localName]);
    if (v !== undefined) out[f.localName] = v;
  }
  return out as T;
}

/** Refuse a mask naming fields the message type does not have, as a node does. */
export function checkedTree<T extends object>(type: IMessageType<T>, paths: readonly string[]): Tree {
  const tree = maskTree(paths);
  const unknown: string[] = [];
  prune(type, type.create(), tree, unknown);
  if (unknown.length) throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `invalid read_mask path(s): ${unknown.join(", ")}`);
  return tree;
}

/** `msg` under the read mask `paths` (INVALID_ARGUMENT for a path the type does not have). */
export function masked<T extends object>(type: IMessageType<T>, msg: T, paths: readonly string[]): T {
  return prune(type, msg, checkedTree(type, paths));
}
