// The Sui framework (0x2) and Move stdlib (0x1) as the devnet knows them: read from their Move
// sources (the crate in ~/.cache/k3s-daas the package is built against; scripts/move/framework.ts),
// not written out by hand. The devnet holds no framework bytecode, so what it needs is parsed
// from the source: each module's public (and entry) functions with their signatures in
// normalized form (the shape compiled.ts gives the package's own), their definition index
// (declaration order of the non-test functions, natives included, macros not: what a MoveAbort
// location reports as `function`), its structs' abilities and type parameters, and its abort
// constants (`const EName: u64 = n;`).
import { normalizeSuiAddress } from "@mysten/sui/utils";
import { readFrameworkPackage } from "../../scripts/move/framework.js";
import { SELF_ADDRESS, compiledPackage, type Ability, type MoveFunction, type NormalizedType } from "./compiled.js";

export const FW = normalizeSuiAddress("0x2");
export const STD = normalizeSuiAddress("0x1");
const NAMED: Record<string, string> = { std: STD, sui: FW };

interface FwStruct { abilities: Ability[]; typeParameters: { constraints: Ability[]; isPhantom: boolean }[] }
interface FwModule {
  address: string;
  name: string;
  functions: Map<string, MoveFunction>;
  structs: Map<string, FwStruct>;
  constants: Record<string, number>;
}

const ABILITY: Record<string, Ability> = { copy: "Copy", drop: "Drop", store: "Store", key: "Key" };
const PRIMS: Record<string, NormalizedType> = { bool: "Bool", u8: "U8", u16: "U16", u32: "U32", u64: "U64", u128: "U128", u256: "U256", address: "Address", signer: "Signer" };

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/[^\n]*/g, "");
}

/** The text between the bracket at `open` and its match (exclusive), and the index after it. */
function balanced(s: string, open: number): [string, number] {
  const o = s[open]!;
  const c = o === "(" ? ")" : o === "<" ? ">" : o === "{" ? "}" : "]";
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === o) depth++;
    else if (s[i] === c && --depth === 0) return [s.slice(open + 1, i), i + 1];
  }
  throw new Error(`unbalanced ${o} at ${open}`);
}

function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === "<" || ch === "(") depth++;
    else if (ch === ">" || ch === ")") depth--;
    else if (ch === "," && depth === 0) { out.push(s.slice(start, i)); start = i + 1; }
  }
  out.push(s.slice(start));
  return out.map((x) => x.trim()).filter(Boolean);
}

/** `use` declarations as alias -> [address, module, member?] (member undefined: a module alias). */
function parseUses(src: string): Map<string, [string, string, string | undefined]> {
  const out = new Map<string, [string, string, string | undefined]>();
  const add = (path: string[], alias?: string) => {
    const [addr, mod, member] = path;
    if (!addr || !mod || !NAMED[addr]) return;
    if (member === undefined || member === "Self") out.set(alias ?? mod, [NAMED[addr]!, mod, undefined]);
    else out.set(alias ?? member, [NAMED[addr]!, mod, member]);
  };
  const expand = (prefix: string[], body: string) => {
    for (const item of splitTopBraces(body)) {
      const brace = item.indexOf("{");
      if (brace >= 0) expand([...prefix, ...item.slice(0, brace).split("::").map((x) => x.trim()).filter(Boolean)], balanced(item, brace)[0]);
      else {
        const [p, alias] = item.split(/\s+as\s+/).map((x) => x.trim()) as [string, string | undefined];
        add([...prefix, ...p.split("::").map((x) => x.trim())], alias);
      }
    }
  };
  for (const m of src.matchAll(/^\s*use\s+([^;]+);/gm)) {
    if (/^fun\b/.test(m[1]!.trim())) continue;
    expand([], m[1]!);
  }
  return out;
}

function splitTopBraces(s: string): string[] {
  const out: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "{") depth++;
    else if (s[i] === "}") depth--;
    else if (s[i] === "," && depth === 0) { out.push(s.slice(start, i)); start = i + 1; }
  }
  out.push(s.slice(start));
  return out.map((x) => x.trim()).filter(Boolean);
}

/** Sui's implicit `use`s (Move 2024): vector, option, object, transfer, tx_context. */
const IMPLICIT: [string, [string, string, string | undefined]][] = [
  ["vector", [STD, "vector", undefined]], ["option", [STD, "option", undefined]], ["Option", [STD, "option", "Option"]],
  ["object", [FW, "object", undefined]], ["ID", [FW, "object", "ID"]], ["UID", [FW, "object", "UID"]],
  ["transfer", [FW, "transfer", undefined]], ["tx_context", [FW, "tx_context", undefined]], ["TxContext", [FW, "tx_context", "TxContext"]],
];

function parseModule(address: string, name: string, raw: string): FwModule {
  const src = stripComments(raw);
  const uses = new Map(IMPLICIT);
  for (const [k, v] of parseUses(src)) uses.set(k, v);
  const structs = new Map<string, FwStruct>();
  for (const m of src.matchAll(/^\s*(?:public\s+)?struct\s+(\w+)\s*(<[^{;(]*?>)?\s*(?:has\s+([\w\s,]+?))?\s*[{;(]/gm)) {
    const tps = m[2] ? splitTop(m[2].slice(1, -1)).map((p) => ({
      isPhantom: /^phantom\s/.test(p),
      constraints: (p.split(":")[1] ?? "").split("+").map((a) => ABILITY[a.trim()]).filter((a): a is Ability => !!a),
    })) : [];
    structs.set(m[1]!, { abilities: (m[3] ?? "").split(",").map((a) => ABILITY[a.trim()]).filter((a): a is Ability => !!a), typeParameters: tps });
  }
  const constants: Record<string, number> = {};
  for (const m of src.matchAll(/^\s*const\s+(\w+)\s*:\s*u64\s*=\s*(\d+)\s*;/gm)) constants[m[1]!] = Number(m[2]);

  const functions = new Map<string, MoveFunction>();
  let index = 0;
  const re = /^[ \t]*((?:#\[[^\]]*\]\s*)*)(public(?:\s*\(\s*(?:package|friend)\s*\))?\s+)?(entry\s+)?(native\s+)?fun\s+(\w+)/gm;
  for (const m of src.matchAll(re)) {
    if (/\btest(_only)?\b/.test(m[1]!)) continue;
    const fnName = m[5]!;
    const idx = index++;
    const vis = m[2] ? (m[2].includes("(") ? "Friend" : "Public") : "Private";
    if (vis !== "Public" && !m[3]) continue;
    try {
      let at = m.index! + m[0].length;
      while (/\s/.test(src[at]!)) at++;
      let tpText = "";
      if (src[at] === "<") [tpText, at] = balanced(src, at);
      while (/\s/.test(src[at]!)) at++;
      const [paramText, after] = balanced(src, at);
      const rest = src.slice(after);
      const end = rest.search(/[{;]/);
      const retText = rest.slice(0, end).trim().replace(/^:/, "").trim();
      const typeParams = tpText ? splitTop(tpText).map((p) => {
        const [n, c] = p.replace(/^phantom\s+/, "").split(":") as [string, string | undefined];
        return { name: n.trim(), abilities: (c ?? "").split("+").map((a) => ABILITY[a.trim()]).filter((a): a is Ability => !!a) };
      }) : [];
      const ty = (t: string) => parseType(t.trim(), typeParams.map((p) => p.name), address, name, structs, uses);
      const parameters = splitTop(paramText).map((p) => ty(p.replace(/^mut\s+/, "").slice(p.replace(/^mut\s+/, "").indexOf(":") + 1)));
      const ret = !retText ? [] : retText.startsWith("(") ? splitTop(balanced(retText, 0)[0]).map(ty) : [ty(retText)];
      functions.set(fnName, {
        module: name, name: fnName, index: idx, visibility: vis, isEntry: !!m[3],
        typeParameters: typeParams.map((p) => ({ abilities: p.abilities })), parameters, return: ret, abortSites: [], arithmeticSites: [],
      });
    } catch {
      // A signature this reader cannot type (none of the modelled functions): the function is
      // still published (execute.ts publishedFunction), just without a normalized signature here.
    }
  }
  return { address, name, functions, structs, constants };
}

function parseType(t: string, tps: string[], addr: string, mod: string, structs: Map<string, unknown>,
  uses: Map<string, [string, string, string | undefined]>): NormalizedType {
  if (t.startsWith("&mut ")) return { MutableReference: parseType(t.slice(5), tps, addr, mod, structs, uses) };
  if (t.startsWith("&")) return { Reference: parseType(t.slice(1), tps, addr, mod, structs, uses) };
  const lt = t.indexOf("<");
  const head = (lt < 0 ? t : t.slice(0, lt)).trim();
  const args = lt < 0 ? [] : splitTop(balanced(t, lt)[0]).map((a) => parseType(a, tps, addr, mod, structs, uses));
  if (PRIMS[head]) return PRIMS[head]!;
  if (head === "vector") return { Vector: args[0]! };
  const ti = tps.indexOf(head);
  if (ti >= 0) return { TypeParameter: ti };
  const path = head.split("::").map((x) => x.trim());
  let target: [string, string, string];
  if (path.length === 1) {
    if (structs.has(head)) target = [addr, mod, head];
    else {
      const u = uses.get(head);
      if (!u || !u[2]) throw new Error(`unresolved type ${head}`);
      target = [u[0], u[1], u[2]];
    }
  } else if (path.length === 2) {
    const u = uses.get(path[0]!);
    if (!u || u[2]) throw new Error(`unresolved module ${path[0]}`);
    target = [u[0], u[1], path[1]!];
  } else {
    const a = NAMED[path[0]!] ?? normalizeSuiAddress(path[0]!);
    target = [a, path[1]!, path[2]!];
  }
  return { Struct: { address: target[0], module: target[1], name: target[2], typeArguments: args } };
}

const cache = new Map<string, FwModule | null>();

/** A module of 0x2 or 0x1 from the sources, or null when there is no such module. */
export function frameworkModule(address: string, module: string): FwModule | null {
  const a = normalizeSuiAddress(address);
  const key = `${a}::${module}`;
  if (cache.has(key)) return cache.get(key)!;
  const which = a === FW ? "sui-framework" : a === STD ? "move-stdlib" : null;
  let src: string | undefined;
  try {
    src = which ? readFrameworkPackage(which)[`sources/${module}.move`] : undefined;
  } catch {
    src = undefined;
  }
  const m = src ? parseModule(a, module, src) : null;
  cache.set(key, m);
  return m;
}

/** The source text of a framework module (0x2 or 0x1), or undefined. */
export function frameworkSource(address: string, module: string): string | undefined {
  const a = normalizeSuiAddress(address);
  const which = a === FW ? "sui-framework" : a === STD ? "move-stdlib" : null;
  try {
    return which ? readFrameworkPackage(which)[`sources/${module}.move`] : undefined;
  } catch {
    return undefined;
  }
}

/** A public or entry function of 0x2/0x1 with its signature, from the sources; undefined if none (or not typeable). */
export function frameworkFunction(address: string, module: string, name: string): MoveFunction | undefined {
  return frameworkModule(address, module)?.functions.get(name);
}

/** The definition index of any (non-test) function of a framework module, for abort locations. */
export function frameworkFunctionIndex(address: string, module: string, name: string): number {
  const m = frameworkModule(address, module);
  if (!m) throw new Error(`devnet bug: no framework module ${module}`);
  const src = stripComments(readFrameworkPackage(normalizeSuiAddress(address) === FW ? "sui-framework" : "move-stdlib")[`sources/${module}.move`]!);
  let index = 0;
  for (const x of src.matchAll(/^[ \t]*((?:#\[[^\]]*\]\s*)*)(public(?:\s*\(\s*(?:package|friend)\s*\))?\s+)?(entry\s+)?(native\s+)?fun\s+(\w+)/gm)) {
    if (/\btest(_only)?\b/.test(x[1]!)) continue;
    if (x[5] === name) return index;
    index++;
  }
  throw new Error(`devnet bug: ${module} has no function ${name}`);
}

/** An abort constant of a framework module, read from its source. */
export function frameworkAbortCode(address: string, module: string, constant: string): number {
  const code = frameworkModule(address, module)?.constants[constant];
  if (code === undefined) throw new Error(`devnet bug: sui::${module} declares no constant ${constant}`);
  return code;
}

/** The abilities of a fully instantiated type (Sui's rules: a struct's, less what a non-phantom argument lacks). */
export function abilitiesOf(t: NormalizedType): Ability[] {
  const all: Ability[] = ["Copy", "Drop", "Store"];
  if (typeof t === "string") return t === "Signer" ? ["Drop"] : all;
  if ("Vector" in t) return abilitiesOf(t.Vector).filter((a) => a !== "Key");
  if (!("Struct" in t)) return [];
  const s = t.Struct;
  let decl: FwStruct | undefined;
  if (s.address === FW || s.address === STD) decl = frameworkModule(s.address, s.module)?.structs.get(s.name);
  else {
    const own = compiledPackage().modules.find((m) => m.name === s.module)?.structs.find((x) => x.name === s.name);
    decl = own ? { abilities: own.abilities, typeParameters: own.typeParameters } : undefined;
  }
  if (!decl) return [];
  let abilities = decl.abilities;
  s.typeArguments.forEach((a, i) => {
    if (decl!.typeParameters[i]?.isPhantom) return;
    const have = abilitiesOf(a);
    // key needs store of the arguments; the others need themselves.
    abilities = abilities.filter((ab) => have.includes(ab === "Key" ? "Store" : ab));
  });
  return abilities;
}

export { SELF_ADDRESS };
