// sui.rpc.v2.TransactionFilter (a DNF: any term, all of its literals) over the chain's
// transaction records: sender, affected address, affected object, Move call.
import { normalizeSuiAddress } from "@mysten/sui/utils";
import type { TxRecord } from "../state.js";
import { GrpcError, GrpcStatusCode } from "./wire.js";

type Literal = { negated: boolean; predicate: { oneofKind?: string; [k: string]: unknown } };
export type TransactionFilter = { terms: { literals: Literal[] }[] };

const addrOf = (v: unknown, key: "address" | "objectId") => normalizeSuiAddress(String((v as Record<string, string> | undefined)?.[key] ?? ""));

function literalTest(l: Literal): (tx: TxRecord) => boolean {
  const p = l.predicate;
  let test: (tx: TxRecord) => boolean;
  switch (p.oneofKind) {
    case "sender": { const a = addrOf(p.sender, "address"); test = (tx) => tx.outcome.sender === a; break; }
    case "affectedObject": {
      const id = addrOf(p.affectedObject, "objectId");
      test = (tx) => tx.outcome.objectChanges.some((c) => c.objectId === id) || tx.outcome.deletes.includes(id);
      break;
    }
    case "affectedAddress": {
      const a = addrOf(p.affectedAddress, "address");
      test = (tx) => tx.outcome.sender === a || tx.outcome.writes.some((o) => "AddressOwner" in o.owner && o.owner.AddressOwner === a);
      break;
    }
    case "moveCall": {
      // "pkg", "pkg::module" or "pkg::module::function"
      const [pkg, mod, fn] = String((p.moveCall as { function?: string })?.function ?? "").split("::");
      if (!pkg) throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, "moveCall filter needs a package");
      const want = normalizeSuiAddress(pkg);
      test = (tx) => tx.moveCalls.some((m) => m.package === want && (!mod || m.module === mod) && (!fn || m.function === fn));
      break;
    }
    default: throw new GrpcError(GrpcStatusCode.UNIMPLEMENTED, `transaction filter ${p.oneofKind ?? "(empty)"} is not supported by the devnet`);
  }
  return l.negated ? (tx) => !test(tx) : test;
}

/** A predicate for `filter`, or null when there is none (everything matches). */
export function transactionMatcher(filter: TransactionFilter | undefined): ((tx: TxRecord) => boolean) | null {
  if (!filter || !filter.terms.length) return null;
  const terms = filter.terms.map((t) => {
    if (!t.literals.length) throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, "a filter term needs at least one literal");
    return t.literals.map(literalTest);
  });
  return (tx) => terms.some((lits) => lits.every((test) => test(tx)));
}
