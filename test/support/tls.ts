// Certificates for TLS tests: the devnet's private CA and a certificate for 127.0.0.1.
export { makeCertificates } from "../../devnet/chain/certificates";
