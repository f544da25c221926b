/**
 * The one error a wire decoder may throw. Every malformed, truncated,
 * oversized or unknown input ends here with a stable `code`, so the relay
 * can answer with an error frame and the app can tell causes apart.
 */
export type DecodeErrorCode =
  | "TRUNCATED"
  | "TOO_LARGE"
  | "UNSUPPORTED_VERSION"
  | "UNKNOWN_TYPE"
  | "TRAILING_BYTES"
  | "NON_CANONICAL"
  | "INVALID_VALUE"
  | "MALFORMED";

export class DecodeError extends Error {
  override readonly name = "DecodeError";
  constructor(
    readonly code: DecodeErrorCode,
    message: string,
  ) {
    super(message);
  }
}
