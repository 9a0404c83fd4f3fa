// sui.rpc.v2.TransactionExecutionService: execute signed BCS transactions; simulate, resolving
// inputs, gas payment and budget first when the client leaves them to the node.
import { GrpcTypes } from "@mysten/sui/grpc";
import { toBase64 } from "@mysten/sui/utils";
import { TransactionDataBuilder } from "@mysten/sui/transactions";
import { executedProto, recordProto, valueJson } from "../convert.js";
import { masked, pathsOrDefault } from "../mask.js";
import { resolveAndSimulate } from "../resolve.js";
import { GrpcError, GrpcStatusCode } from "../wire.js";
import { rejectedStatus, required, type ServiceImpl } from "../service.js";

// sui-rpc-api read_mask_defaults.rs EXECUTE_TRANSACTION.
const EXECUTE_DEFAULT = ["effects"];
// A node simulates with no read mask as with the wildcard (sui-rpc-api simulate/mod.rs: `None =>
// FieldMaskTree::new_wildcard()`): the whole response, command outputs and suggested gas price too.
const SIMULATE_DEFAULT = ["*"];

export const executionService: ServiceImpl = {
  service: GrpcTypes.TransactionExecutionService,
  unary: {
    ExecuteTransaction: async (chain, req) => {
      const bytes = required(req.transaction?.bcs?.value as Uint8Array | undefined, "transaction.bcs (the devnet executes BCS TransactionData)");
      const sigs = (req.signatures as { bcs?: { value?: Uint8Array } }[]).map((s, i) => toBase64(required(s.bcs?.value, `signatures[${i}].bcs`)));
      if (!sigs.length) throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, "missing signatures");
      const rec = await chain.execute(bytes, sigs).catch(rejectedStatus);
      return { transaction: masked(GrpcTypes.ExecutedTransaction, recordProto(rec), pathsOrDefault(req.readMask, EXECUTE_DEFAULT)) };
    },
    SimulateTransaction: (chain, req) => {
      const tx = required(req.transaction, "transaction");
      const checks = req.checks !== GrpcTypes.SimulateTransactionRequest_TransactionChecks.DISABLED;
      let resolved;
      try {
        resolved = resolveAndSimulate(chain, tx, { doGasSelection: req.doGasSelection === true, checks });
      } catch (e) {
        rejectedStatus(e);
      }
      const digest = TransactionDataBuilder.getDigestFromBytes(resolved.bytes);
      const executed = executedProto({ digest, txBytes: resolved.bytes, signatures: [], outcome: resolved.outcome });
      // Per command: its return values and what it changed through &mut (none when it failed), as a node reports them.
      const ArgKind = GrpcTypes.Argument_ArgumentKind;
      const argument = (a: { GasCoin?: unknown; Input?: number; Result?: number; NestedResult?: [number, number] }) =>
        a.GasCoin !== undefined && a.GasCoin !== null ? { kind: ArgKind.GAS }
          : a.Input !== undefined && a.Input !== null ? { kind: ArgKind.INPUT, input: a.Input }
            : a.Result !== undefined && a.Result !== null ? { kind: ArgKind.RESULT, result: a.Result }
              : { kind: ArgKind.RESULT, result: a.NestedResult![0], subresult: a.NestedResult![1] };
      const commandOutputs = resolved.outcome.commandResults.map((r) => ({
        returnValues: r.returnValues.map((v) => ({ value: { name: v.type, value: v.bcs }, json: valueJson(v.type, v.bcs) })),
        mutatedByRef: r.mutatedByRef.map((v) => ({ argument: argument(v.argument), value: { name: v.type, value: v.bcs }, json: valueJson(v.type, v.bcs) })),
      }));
      const response = GrpcTypes.SimulateTransactionResponse.create({ transaction: executed, commandOutputs, suggestedGasPrice: chain.referenceGasPrice });
      return masked(GrpcTypes.SimulateTransactionResponse, response, pathsOrDefault(req.readMask, SIMULATE_DEFAULT));
    },
  },
};
