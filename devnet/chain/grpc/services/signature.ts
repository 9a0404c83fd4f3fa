// sui.rpc.v2.SignatureVerificationService.VerifySignature for simple (ed25519, secp256k1,
// secp256r1) signatures over TransactionData or a PersonalMessage.
import { GrpcTypes } from "@mysten/sui/grpc";
import { bcs } from "@mysten/sui/bcs";
import { normalizeSuiAddress, toBase64 } from "@mysten/sui/utils";
import { verifyPersonalMessageSignature, verifyTransactionSignature } from "@mysten/sui/verify";
import { GrpcError, GrpcStatusCode } from "../wire.js";
import { required, type ServiceImpl } from "../service.js";

export const signatureService: ServiceImpl = {
  service: GrpcTypes.SignatureVerificationService,
  unary: {
    VerifySignature: async (_chain, req) => {
      const name = required(req.message?.name as string | undefined, "message.name");
      const value = required(req.message?.value as Uint8Array | undefined, "message.value");
      const sig = toBase64(required(req.signature?.bcs?.value as Uint8Array | undefined, "signature.bcs"));
      try {
        const pk = name === "TransactionData" ? await verifyTransactionSignature(value, sig)
          : name === "PersonalMessage" ? await verifyPersonalMessageSignature(new Uint8Array(bcs.byteVector().parse(value)), sig)
            : (() => { throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `message.name must be TransactionData or PersonalMessage, not ${name}`); })();
        if (req.address && normalizeSuiAddress(req.address) !== pk.toSuiAddress()) return { isValid: false, reason: `signature is by ${pk.toSuiAddress()}, not ${normalizeSuiAddress(req.address)}` };
        return { isValid: true };
      } catch (e) {
        if (e instanceof GrpcError) throw e;
        return { isValid: false, reason: (e as Error).message };
      }
    },
  },
};
