/**
 * Who is on the other end of a connection. HELLO must overlap this relay's
 * protocol version and gets a CHALLENGE; AUTH must sign that challenge for
 * this relay's origin (and bring a valid access token on a closed relay);
 * a verified device is then admitted only within its source's limits: new
 * device keys per hour and connections per source, since keys are free to
 * mint. The source is the client IP, or the token on a closed relay, so
 * people behind one NAT do not share limits there.
 */
import { createHash } from "node:crypto";
import { bytesKey } from "../core/crypto/bytes.js";
import { verifyRelayAuth } from "../core/crypto/relay-auth.js";
import {
  type AuthFrame,
  CHALLENGE_BYTES,
  type ChallengeFrame,
  type HelloFrame,
  PROTOCOL_VERSION,
} from "../core/wire/frame-types.js";
import { RelayCloseCode, type RelayErrorName } from "../core/wire/relay-errors.js";
import type { Session } from "./connection-link.js";
import type { RelayContext } from "./relay-context.js";
import type { Slot } from "./slots.js";

/** Why a connection is refused and closed. */
export interface Refusal {
  code: RelayErrorName;
  message: string;
  closeCode: number;
}

export type Admission = { ok: true; session: Session; slot: Slot } | ({ ok: false } & Refusal);

/** A HELLO this relay cannot serve, or undefined. */
export function helloRefusal(frame: HelloFrame): Refusal | undefined {
  if (frame.minVersion <= PROTOCOL_VERSION && frame.maxVersion >= PROTOCOL_VERSION) return;
  return {
    code: "UNSUPPORTED_VERSION",
    message: `this relay speaks Grove protocol ${PROTOCOL_VERSION}, the app ${frame.minVersion}-${frame.maxVersion}; update Grove or the relay`,
    closeCode: RelayCloseCode.UNSUPPORTED_VERSION,
  };
}

/** A fresh single-use nonce and the CHALLENGE that carries it. */
export function newChallenge(ctx: RelayContext): { nonce: Uint8Array; frame: ChallengeFrame } {
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(CHALLENGE_BYTES));
  return {
    nonce,
    frame: {
      type: "challenge",
      nonce,
      relayUrl: ctx.origin,
      maxEnvelopeBytes: ctx.config.maxEnvelopeBytes,
      maxTargets: ctx.config.maxTargets,
    },
  };
}

/**
 * Checks an AUTH against the nonce it must sign, then the source's limits.
 * `closed` is asked after the signature check: a connection that went away
 * meanwhile takes no connection slot. An admitted session holds `slot`
 * until the connection releases it.
 */
export async function admit(
  ctx: RelayContext,
  frame: AuthFrame,
  nonce: Uint8Array,
  ip: string,
  closed: () => boolean,
): Promise<Admission | undefined> {
  if (ctx.tokens && !ctx.tokens.allows(frame.accessToken)) {
    return refused(
      "ACCESS_DENIED",
      "this relay is closed: a valid access token is required",
      RelayCloseCode.AUTH_FAILED,
    );
  }
  const ok = await verifyRelayAuth(ctx.backend, frame.device, frame.signature, nonce, ctx.origin);
  if (closed()) return;
  if (!ok) {
    return refused(
      "AUTH_FAILED",
      `signature does not match device and challenge for ${ctx.origin}`,
      RelayCloseCode.AUTH_FAILED,
    );
  }
  const deviceKey = bytesKey(frame.device);
  const source = ctx.tokens ? `token:${tokenId(frame.accessToken)}` : ip;
  const by = ctx.tokens ? "token" : "address";
  if (!ctx.sources.newDevices.allow(source, deviceKey)) {
    ctx.metrics.refusals.inc({ reason: "new_device_limit" });
    return refused(
      "RATE_LIMITED",
      `more than ${ctx.config.newDevicesPerHour} new device keys from this ${by} in an hour`,
      RelayCloseCode.TRY_AGAIN_LATER,
    );
  }
  const slot = ctx.sources.connections.acquire(source);
  if (typeof slot === "string") {
    ctx.metrics.refusals.inc({ reason: "connections_per_source" });
    return refused(
      "RATE_LIMITED",
      `more than ${ctx.config.connectionsPerSource} connections from this ${by}`,
      RelayCloseCode.TRY_AGAIN_LATER,
    );
  }
  // A copy: the frame's view points into a buffer the socket may reuse.
  return { ok: true, session: { device: frame.device.slice(), deviceKey, source }, slot };
}

/** Charges sent bytes to the device and to its source: minting keys buys no bandwidth. */
export function spendSendBytes(ctx: RelayContext, session: Session, n: number): boolean {
  if (!ctx.sources.sendBytes.take(session.source, n)) {
    ctx.metrics.refusals.inc({ reason: "send_bytes_per_source" });
    return false;
  }
  return ctx.sendBuckets.take(session.deviceKey, n);
}

function refused(code: RelayErrorName, message: string, closeCode: number): Admission {
  return { ok: false, code, message, closeCode };
}

/** A short, stable name for an access token's limits; the token itself is never kept here. */
function tokenId(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex").slice(0, 16);
}
