/**
 * Typed failures of the crypto layer. Each rejection reason has its own code
 * so the sync engine can count them apart and the UI can say what happened.
 */
export type CryptoErrorCode =
  | "BAD_FORMAT"
  | "WRONG_SPACE"
  | "BAD_SIGNATURE"
  | "AUTHOR_NOT_ALLOWED"
  | "UNKNOWN_EPOCH"
  | "DECRYPT_FAILED"
  | "CHAIN_BROKEN"
  | "BAD_CERTIFICATE";

export class CryptoError extends Error {
  override readonly name = "CryptoError";
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
