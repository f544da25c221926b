/**
 * The seam between a connection and its frame handlers (session, mailbox,
 * blobs, mail): what a handler may do with the connection it serves. It
 * answers and refuses through the link, never through the socket, so the
 * connection alone owns the socket's state, its flow control and its
 * refusal count; a handler owns one concern and its own bounds.
 */
import type { Logger } from "pino";
import type { Frame } from "../core/wire/frame-types.js";
import type { RelayErrorName } from "../core/wire/relay-errors.js";
import type { RelayContext } from "./relay-context.js";

/** A logged-in device, as every handler after AUTH sees it. */
export interface Session {
  /** The device's public key: its mailbox id. */
  readonly device: Uint8Array;
  /** The same key as a map key. */
  readonly deviceKey: string;
  /** Where limits are counted: the client IP, or the access token on a closed relay. */
  readonly source: string;
}

export interface ConnectionLink {
  readonly ctx: RelayContext;
  readonly log: Logger;
  /** Sends a frame; once the socket is closed, nothing (a late answer has nobody to reach). */
  send(frame: Frame): void;
  /** An ERROR frame for a frame that cannot be honoured; counts toward closing an abusive peer. */
  refuse(code: RelayErrorName, message: string, ref?: Uint8Array): void;
  /** An ERROR frame that is no fault of the peer's (the mailer failed, ...). */
  sendError(code: RelayErrorName, message: string, ref: Uint8Array): void;
  /** The store failed a request: logged, and the peer told to retry (STORE_UNAVAILABLE). */
  storeFailed(err: unknown, ref: Uint8Array): void;
  /**
   * Takes the received bytes of the frame being handled: they stay counted
   * against the peer (so reading pauses) until the returned release is called.
   */
  hold(): () => void;
}
