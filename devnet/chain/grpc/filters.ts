// sui.rpc.v2.TransactionFilter (a DNF: any term, all of its literals) over the chain's
// transaction records: sender, affected address, affected object, Move call; and
// sui.rpc.v2.EventFilter over the events in them: sender, emit module, event type.
import { normalizeStructTag, normalizeSuiAddress } from "@mysten/sui/utils";
import type { TxRecord } from "../state.js";
import { GrpcError, GrpcStatusCode } from "./wire.js";
import { requestAddress } from "./service.js";

type Literal = { negated: boolean; predicate: { oneofKind?: string; [k: string]: unknown } };
export type TransactionFilter = { terms: { literals: Literal[] }[] };

const addrOf = (v: unknown, key: "address" | "objectId") => requestAddress((v as Record<string, string> | undefined)?.[key], `${key === "address" ? "address" : "object_id"} of a filter`);

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

// ---- events ---------------------------------------------------------------------------------

/** One event as ListEvents scans it: the event and where it sits in the ledger. */
export interface EventAt {
  rec: TxRecord;
  index: number;
}

type EventLiteral = { negated: boolean; predicate: { oneofKind?: string; [k: string]: unknown } };
export type EventFilter = { terms: { literals: EventLiteral[] }[] };

/** "0xaddr[::module[::Name[<T, ...>]]]" of an EventTypeFilter, checked. */
function eventTypeTest(raw: string): (type: string) => boolean {
  const lt = raw.indexOf("<");
  const head = lt < 0 ? raw : raw.slice(0, lt);
  const [addr, mod, name, ...rest] = head.split("::");
  if (rest.length || mod === "" || name === "" || (lt >= 0 && (!name || !raw.endsWith(">")))) {
    throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `invalid event_type filter ${JSON.stringify(raw)}: expected address[::module[::Name[<type_params>]]]`);
  }
  const a = requestAddress(addr, "event_type filter address");
  if (lt >= 0) {
    let want: string;
    try {
      want = normalizeStructTag(raw);
    } catch {
      throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `invalid event_type filter ${JSON.stringify(raw)}`);
    }
    return (type) => normalizeStructTag(type) === want;
  }
  return (type) => {
    const [ta, tm, tn] = type.split("<")[0]!.split("::");
    return normalizeSuiAddress(ta!) === a && (mod === undefined || tm === mod) && (name === undefined || tn === name);
  };
}

function eventLiteralTest(l: EventLiteral): (e: EventAt) => boolean {
  const p = l.predicate;
  let test: (e: EventAt) => boolean;
  switch (p.oneofKind) {
    case "sender": {
      const a = requestAddress((p.sender as { address?: string } | undefined)?.address, "sender filter address");
      test = (e) => e.rec.outcome.sender === a;
      break;
    }
    case "emitModule": {
      const raw = String((p.emitModule as { module?: string } | undefined)?.module ?? "");
      const [pkg, mod, ...rest] = raw.split("::");
      if (rest.length || mod === "") throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `invalid emit_module filter ${JSON.stringify(raw)}: expected package[::module]`);
      const want = requestAddress(pkg, "emit_module filter package");
      test = (e) => {
        const ev = e.rec.outcome.events[e.index]!;
        return normalizeSuiAddress(ev.packageId) === want && (mod === undefined || ev.transactionModule === mod);
      };
      break;
    }
    case "eventType": {
      const t = eventTypeTest(String((p.eventType as { eventType?: string } | undefined)?.eventType ?? ""));
      test = (e) => t(e.rec.outcome.events[e.index]!.type);
      break;
    }
    case "eventStreamHead":
      // The devnet has no authenticated event streams: no event is committed to any head.
      requestAddress((p.eventStreamHead as { streamId?: string } | undefined)?.streamId, "event_stream_head filter stream_id");
      test = () => false;
      break;
    default: throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `event filter literal without a predicate (${p.oneofKind ?? "empty"})`);
  }
  return l.negated ? (e) => !test(e) : test;
}

/**
 * A predicate for an EventFilter (a DNF: any term, all of its literals), or null when there is
 * no filter. A present filter needs at least one term, and every term a literal (sui.rpc.v2).
 */
export function eventMatcher(filter: EventFilter | undefined): ((e: EventAt) => boolean) | null {
  if (!filter) return null;
  if (!filter.terms.length) throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, "an event filter needs at least one term");
  const terms = filter.terms.map((t) => {
    if (!t.literals.length) throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, "a filter term needs at least one literal");
    return t.literals.map(eventLiteralTest);
  });
  return (e) => terms.some((lits) => lits.every((test) => test(e)));
}
