/**
 * Error codes carried in ERROR frames. Numbers are the wire form and never
 * change meaning; names are for logs, metrics and the UI.
 */
export const RelayErrorCode = {
  BAD_FRAME: 1,
  UNSUPPORTED_VERSION: 2,
  AUTH_REQUIRED: 3,
  AUTH_FAILED: 4,
  AUTH_TIMEOUT: 5,
  ACCESS_DENIED: 6,
  FRAME_TOO_LARGE: 7,
  ENVELOPE_TOO_LARGE: 8,
  TOO_MANY_TARGETS: 9,
  QUOTA_EXCEEDED: 10,
  RATE_LIMITED: 11,
  TTL_OUT_OF_RANGE: 12,
  NOT_FOUND: 13,
  HASH_MISMATCH: 14,
  STORE_UNAVAILABLE: 15,
  INTERNAL: 16,
  SHUTTING_DOWN: 17,
  /** MAIL_SEND to a relay with no SMTP server configured. */
  MAIL_UNAVAILABLE: 18,
  /** The relay's SMTP server refused the mail or could not be reached. */
  MAIL_REFUSED: 19,
  /**
   * Protocol 1 revision 2: the relay composes invitation mail itself; a mail
   * request that is no invitation with this relay's join link is refused.
   */
  MAIL_TEMPLATE_REQUIRED: 20,
  /**
   * Revision 4: a SEND named a target set this connection has not defined
   * (sets die with their connection). Define it again and resend.
   */
  UNKNOWN_TARGET_SET: 21,
} as const;
export type RelayErrorName = keyof typeof RelayErrorCode;
export type RelayErrorNumber = (typeof RelayErrorCode)[RelayErrorName];

const NAMES = new Map<number, RelayErrorName>(
  Object.entries(RelayErrorCode).map(([name, code]) => [code, name as RelayErrorName]),
);

/** The name of a wire error code; unknown codes (from a newer relay) stay visible as such. */
export function relayErrorName(code: number): RelayErrorName | `UNKNOWN_${number}` {
  return NAMES.get(code) ?? `UNKNOWN_${code}`;
}

/** WebSocket close codes the relay uses; 4000-4999 are application codes. */
export const RelayCloseCode = {
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  MESSAGE_TOO_BIG: 1009,
  UNSUPPORTED_VERSION: 4004,
  AUTH_FAILED: 4002,
  AUTH_TIMEOUT: 4003,
  REPLACED: 4001,
  ABUSE: 4008,
  /** A handler failed on this connection's frame; the relay serves everyone else on. */
  INTERNAL_ERROR: 1011,
  /** A limit of the client's IP or token (connections, new device keys): come back later. */
  TRY_AGAIN_LATER: 1013,
} as const;
