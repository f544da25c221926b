/**
 * Upper bounds every decoder enforces before it reads or allocates. The
 * defaults suit the app; a relay passes its own (usually tighter) values.
 */
export interface WireLimits {
  /** Largest envelope, all of header, body and signature. */
  maxEnvelopeBytes: number;
  /** Largest single relay frame (an envelope plus routing). */
  maxFrameBytes: number;
  /** Most targets one send may name. */
  maxTargets: number;
  /** Longest free text (error messages, URLs, tokens, names) in bytes. */
  maxTextBytes: number;
  /** Largest blob chunk. */
  maxBlobBytes: number;
  /** Most mailbox seqs one deliver-ack may carry. */
  maxAcks: number;
}

export const DEFAULT_LIMITS: Readonly<WireLimits> = Object.freeze({
  maxEnvelopeBytes: 2 * 1024 * 1024,
  maxFrameBytes: 2 * 1024 * 1024 + 64 * 1024,
  maxTargets: 256,
  maxTextBytes: 4096,
  maxBlobBytes: 1024 * 1024,
  maxAcks: 1024,
});

export function withLimits(overrides: Partial<WireLimits> = {}): WireLimits {
  return { ...DEFAULT_LIMITS, ...overrides };
}
