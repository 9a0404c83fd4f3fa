// Generates move/tests/conformance_tests.move from the conformance table: one #[test] per
// scenario, named conformance_<id>. Fields are checked by peeling the object's BCS in the
// compiled struct's field order, so every field is compared, accessor or not.
//
//   node --import tsx test/move/conformance/to-move.ts   (npm run move:conformance) rewrites the file
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MOVE_DIR, compiledStruct, type NormalizedType } from "../../../devnet/chain/compiled.js";
import { KEYS, POOL, SCENARIOS, type Actor, type Scenario, type Step, type Value } from "./table.js";

export const CONFORMANCE_FILE = join(MOVE_DIR, "tests", "conformance_tests.move");
export const testName = (s: Scenario) => `conformance_${s.id}`;

const hex = (b: Uint8Array) => `x"${Buffer.from(b).toString("hex")}"`;
const str = (s: string) => {
  if (!/^[\x20-\x7e]*$/.test(s) || s.includes('"') || s.includes("\\")) throw new Error(`conformance strings must be plain ASCII: ${s}`);
  return `b"${s}"`;
};

function step(st: Step, last: boolean, sc: Scenario): string[] {
  const notOwner = last && "notOwner" in sc.outcome ? sc.outcome.notOwner : null;
  if (st.op === "next_epoch") return Array.from({ length: st.count }, () => "s.next_epoch(ADMIN);");
  const out = [`s.next_tx(${st.by});`];
  if (notOwner) {
    // The sender has nothing to pass: on chain, the transaction would be refused.
    out.push(`assert!(!ts::has_most_recent_for_sender<${notOwner}>(&s));`);
    return out;
  }
  const body: string[] = [];
  switch (st.op) {
    case "stake":
      body.push("let mut pool = s.take_shared<StakingPool>();",
        `staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(${st.amount}, s.ctx()), utf8(${str(st.node)}), s.ctx());`,
        "ts::return_shared(pool);");
      break;
    case "request":
      body.push("let mut pool = s.take_shared<StakingPool>();", "let mut record = s.take_shared<StakeRecord>();",
        `staking::request_withdrawal(&mut pool, &mut record, ${st.amount}, s.ctx());`,
        "ts::return_shared(record);", "ts::return_shared(pool);");
      break;
    case "claim":
      body.push("let mut pool = s.take_shared<StakingPool>();", "let mut record = s.take_shared<StakeRecord>();",
        "let c = staking::claim_withdrawal(&mut pool, &mut record, s.ctx());",
        `transfer::public_transfer(c, ${st.by});`, "ts::return_shared(record);", "ts::return_shared(pool);");
      break;
    case "transfer":
      body.push("let pool = s.take_shared<StakingPool>();", "let mut record = s.take_shared<StakeRecord>();",
        `staking::transfer_stake(&pool, &mut record, ${st.to}, s.ctx());`,
        "ts::return_shared(record);", "ts::return_shared(pool);");
      break;
    case "add":
      body.push("let mut pool = s.take_shared<StakingPool>();", "let mut record = s.take_shared<StakeRecord>();",
        `staking::add_stake(&mut pool, &mut record, coin::mint_for_testing<SUI>(${st.amount}, s.ctx()), s.ctx());`,
        "ts::return_shared(record);", "ts::return_shared(pool);");
      break;
    case "slash":
      body.push("let cap = s.take_from_sender<AdminCap>();", "let mut pool = s.take_shared<StakingPool>();", "let mut record = s.take_shared<StakeRecord>();",
        `staking::slash_stake(&cap, &mut pool, &mut record, ${st.amount}, utf8(${str(st.reason)}), s.ctx());`,
        "s.return_to_sender(cap);", "ts::return_shared(record);", "ts::return_shared(pool);");
      break;
    case "mint":
      body.push("let record = s.take_shared<StakeRecord>();",
        `k8s_gateway::create_worker_seal_token(&record, ${hex(KEYS[st.key])}, s.ctx());`, "ts::return_shared(record);");
      break;
    case "revoke":
      body.push("let token = s.take_from_sender<SealToken>();", "k8s_gateway::revoke_seal_token(token);");
      break;
    case "set_pool_params":
      body.push("let cap = s.take_from_sender<AdminCap>();", "let mut pool = s.take_shared<StakingPool>();",
        `staking::set_pool_params(&cap, &mut pool, ${st.minNodeStake}, ${st.lockEpochs}, ${st.withdrawalCooldownEpochs}, s.ctx());`,
        "s.return_to_sender(cap);", "ts::return_shared(pool);");
      break;
    case "set_registry":
      body.push("let cap = s.take_from_sender<AdminCap>();", "let pool = s.take_shared<StakingPool>();", "let mut registry = s.take_shared<NautilusRegistry>();",
        `k8s_gateway::set_registry(&cap, &pool, &mut registry, utf8(${str(st.endpoint)}), ${hex(KEYS[st.key])}, s.ctx());`,
        "s.return_to_sender(cap);", "ts::return_shared(pool);", "ts::return_shared(registry);");
      break;
  }
  return [...out, "{", ...body.map((l) => `    ${l}`), "};"];
}

const isStruct = (t: NormalizedType, module: string, name: string) =>
  typeof t === "object" && "Struct" in t && t.Struct.module === module && t.Struct.name === name;

/** Peel one field of type `t` from `b`, asserting `want` when given. */
function peel(t: NormalizedType, field: string, want: Value | undefined): string[] {
  const eq = (expr: string, rendered: string) => [`assert!(${expr} == ${rendered}); // ${field}`];
  const skip = (expr: string) => [`${expr};`];
  const value = (v: Value): string => {
    if (typeof v === "bigint" || typeof v === "number") return String(v);
    if (typeof v === "string") return str(v);
    if (Array.isArray(v)) throw new Error("vectors are compared element by element");
    if ("who" in v) return v.who;
    if ("id" in v) return `object::id(&${v.id}).to_address()`;
    if ("key" in v) return hex(KEYS[v.key]);
    throw new Error(`no Move rendering for ${JSON.stringify(v)}`);
  };
  const chk = (expr: string) => (want === undefined ? skip(expr) : eq(expr, value(want)));
  if (t === "U64" || isStruct(t, "balance", "Balance")) return chk("b.peel_u64()");
  if (t === "U8") return chk("b.peel_u8()");
  if (t === "Bool") return chk("b.peel_bool()");
  if (t === "Address" || isStruct(t, "object", "UID") || isStruct(t, "object", "ID")) return chk("b.peel_address()");
  if (isStruct(t, "string", "String") || (typeof t === "object" && "Vector" in t && t.Vector === "U8")) return chk("b.peel_vec_u8()");
  if (isStruct(t, "table", "Table")) {
    const size = want as { size: bigint } | undefined;
    return ["b.peel_address();", ...(size ? [`assert!(b.peel_u64() == ${size.size});`] : ["b.peel_u64();"])];
  }
  if (typeof t === "object" && "Vector" in t && isStruct(t.Vector, "string", "String")) {
    if (want === undefined) return ["{ let mut n = b.peel_vec_length(); while (n > 0) { b.peel_vec_u8(); n = n - 1; }; };"];
    const items = want as string[];
    return [`assert!(b.peel_vec_length() == ${items.length});`, ...items.map((i) => `assert!(b.peel_vec_u8() == ${str(i)});`)];
  }
  throw new Error(`the conformance generator cannot peel ${field}: ${JSON.stringify(t)}`);
}

/** Assert `want` on the object bound to `local`, a k3s_daas `module::name`, field by field. */
function checkObject(local: string, module: string, name: string, want: Record<string, Value>): string[] {
  const s = compiledStruct(module, name);
  for (const k of Object.keys(want)) if (!s.fields.some((f) => f.name === k)) throw new Error(`${module}::${name} has no field ${k}`);
  const lines = [`let mut b = bcs::new(bcs::to_bytes(&${local}));`];
  for (const f of s.fields) lines.push(...peel(f.type, f.name, want[f.name]));
  lines.push("assert!(b.into_remainder_bytes().is_empty());");
  return ["{", ...lines.map((l) => `    ${l}`), "};"];
}

function checks(sc: Scenario): string[] {
  const e = sc.expect;
  if (!e || !("ok" in sc.outcome)) return [];
  const staked = sc.steps.some((st) => st.op === "stake");
  const take: string[] = ["let pool = s.take_shared<StakingPool>();"];
  const give: string[] = ["ts::return_shared(pool);"];
  if (staked) { take.push("let record = s.take_shared<StakeRecord>();"); give.unshift("ts::return_shared(record);"); }
  if (e.registry) { take.push("let registry = s.take_shared<NautilusRegistry>();"); give.unshift("ts::return_shared(registry);"); }
  if (e.token) { take.push("let token = s.take_from_sender<SealToken>();"); give.unshift("s.return_to_sender(token);"); }
  if (e.withdrawn !== undefined) { take.push("let withdrawn = s.take_from_sender<Coin<SUI>>();"); give.unshift("s.return_to_sender(withdrawn);"); }
  const body = [...take];
  if (e.record) body.push(...checkObject("record", "staking", "StakeRecord", e.record));
  if (e.pool) body.push(...checkObject("pool", "staking", "StakingPool", e.pool));
  if (e.token) body.push(...checkObject("token", "k8s_gateway", "SealToken", e.token));
  if (e.registry) body.push(...checkObject("registry", "k8s_gateway", "NautilusRegistry", e.registry));
  if (e.withdrawn !== undefined) body.push(`assert!(withdrawn.value() == ${e.withdrawn});`);
  if (e.nodeStake) {
    body.push(e.nodeStake.is === "record"
      ? `assert!(staking::stake_id_for_node(&pool, utf8(${str(e.nodeStake.node)})) == option::some(object::id(&record)));`
      : `assert!(staking::stake_id_for_node(&pool, utf8(${str(e.nodeStake.node)})).is_none());`);
  }
  if (e.tokenGone) body.push("assert!(!ts::has_most_recent_for_sender<SealToken>(&s));");
  body.push(...give);
  return ["s.next_tx(ALICE);", "{", ...body.map((l) => `    ${l}`), "};"];
}

function testFn(sc: Scenario): string {
  const attr = "abort" in sc.outcome
    ? `#[test, expected_failure(abort_code = ${sc.outcome.abort.module}::${sc.outcome.abort.name}, location = k3s_daas::${sc.outcome.abort.module})]`
    : "arithmetic" in sc.outcome
      ? `#[test, expected_failure(arithmetic_error, location = k3s_daas::${sc.outcome.arithmetic.module})]`
      : "#[test]";
  const lines = ["let mut s = setup();"];
  sc.steps.forEach((st, i) => lines.push(...step(st, i === sc.steps.length - 1, sc)));
  lines.push(...checks(sc), "s.end();");
  return `${attr}\nfun ${testName(sc)}() {\n${lines.map((l) => `    ${l}`).join("\n")}\n}\n`;
}

const ACTORS: Record<Actor, string> = { ADMIN: "@0xAD", ALICE: "@0xA1", BOB: "@0xB0" };

export function generateConformanceMove(): string {
  const ids = new Set<string>();
  for (const s of SCENARIOS) {
    if (ids.has(s.id)) throw new Error(`duplicate conformance scenario ${s.id}`);
    ids.add(s.id);
  }
  const tests = SCENARIOS.map(testFn).join("\n");
  // Import only what the tests use: the compiler warns about the rest.
  const used = (re: RegExp) => re.test(tests);
  const gateway = ["Self", ...["NautilusRegistry", "SealToken"].filter((n) => used(new RegExp(`\\b${n}\\b`)))];
  const staking = ["Self", ...["AdminCap", "StakeRecord", "StakingPool"].filter((n) => used(new RegExp(`\\b${n}\\b`)))];
  const uses = [
    `use k3s_daas::k8s_gateway::{${gateway.join(", ")}};`,
    `use k3s_daas::staking::{${staking.join(", ")}};`,
    "use std::string::utf8;",
    ...(used(/\bbcs::/) ? ["use sui::bcs;"] : []),
    used(/\bCoin</) ? "use sui::coin::{Self, Coin};" : "use sui::coin;",
    "use sui::sui::SUI;",
    "use sui::test_scenario::{Self as ts, Scenario};",
  ];
  return `// GENERATED from test/move/conformance/table.ts by test/move/conformance/to-move.ts
// (npm run move:conformance). Do not edit: change the table and regenerate; test/move checks
// this file is up to date and runs the same table against the devnet.
#[test_only]
module k3s_daas::conformance_tests;

${uses.join("\n")}

${Object.entries(ACTORS).map(([n, a]) => `const ${n}: address = ${a};`).join("\n")}

/// The pool every scenario starts from (as the devnet's genesis makes it), and the registry.
fun setup(): Scenario {
    let mut s = ts::begin(ADMIN);
    {
        let (mut pool, cap) = staking::new_pool_for_testing(s.ctx());
        staking::set_pool_params(&cap, &mut pool, ${POOL.minNodeStakeMist}, ${POOL.lockEpochs}, ${POOL.withdrawalCooldownEpochs}, s.ctx());
        staking::share_pool_for_testing(pool);
        transfer::public_transfer(cap, ADMIN);
        k8s_gateway::init_for_testing(s.ctx());
    };
    s
}

${tests}`;
}

if (require.main === module) {
  const text = generateConformanceMove();
  const before = (() => { try { return readFileSync(CONFORMANCE_FILE, "utf8"); } catch { return ""; } })();
  if (before !== text) writeFileSync(CONFORMANCE_FILE, text);
  process.stderr.write(`${before === text ? "up to date" : "wrote"} ${CONFORMANCE_FILE} (${SCENARIOS.length} scenarios)\n`);
}
