/** The only source of randomness in Grove's crypto: tweetnacl's CSPRNG (WebCrypto / node:crypto). */
import nacl from "tweetnacl";

export function randomBytes(length: number): Uint8Array {
  return nacl.randomBytes(length);
}
