/**
 * Session frames: how a device and a relay meet.
 *
 *   device -> relay  HELLO      the protocol versions the device speaks
 *   relay  -> device CHALLENGE  a fresh nonce, the relay's public URL, its limits
 *   device -> relay  AUTH       Ed25519(device, context || nonce || url) and an access token
 *   relay  -> device AUTH_OK    how many messages wait in the mailbox
 *   relay  -> device RELAY_INFO what the relay offers beyond the core (revision 3)
 *   either           ERROR      a numeric code, a message, and what it refers to
 *
 * Binding the signature to the relay URL stops one relay from replaying a
 * device's answer to another; the nonce stops replays to the same relay.
 */
import * as encoding from "lib0/encoding";
import { KEY_BYTES, SIGNATURE_BYTES } from "./envelope.js";
import { DecodeError } from "./errors.js";
import {
  type AuthFrame,
  type AuthOkFrame,
  CHALLENGE_BYTES,
  type ChallengeFrame,
  type ErrorFrame,
  type HelloFrame,
  MSG_ID_BYTES,
  type RelayInfoFrame,
} from "./frame-types.js";
import type { WireLimits } from "./limits.js";
import { type Reader, writeFixed, writeString } from "./reader.js";

export function writeHello(e: encoding.Encoder, f: HelloFrame): void {
  writeString(e, f.client);
  encoding.writeUint8(e, f.minVersion);
  encoding.writeUint8(e, f.maxVersion);
}
export function readHello(r: Reader, limits: WireLimits): HelloFrame {
  const client = r.string("client", limits.maxTextBytes);
  const minVersion = r.u8("minVersion");
  const maxVersion = r.u8("maxVersion");
  if (minVersion > maxVersion) throw new DecodeError("INVALID_VALUE", "minVersion > maxVersion");
  return { type: "hello", client, minVersion, maxVersion };
}

export function writeChallenge(e: encoding.Encoder, f: ChallengeFrame): void {
  writeFixed(e, f.nonce, CHALLENGE_BYTES, "nonce");
  writeString(e, f.relayUrl);
  encoding.writeVarUint(e, f.maxEnvelopeBytes);
  encoding.writeVarUint(e, f.maxTargets);
}
export function readChallenge(r: Reader, limits: WireLimits): ChallengeFrame {
  return {
    type: "challenge",
    nonce: r.fixed(CHALLENGE_BYTES, "nonce"),
    relayUrl: r.string("relayUrl", limits.maxTextBytes),
    maxEnvelopeBytes: r.varUint("maxEnvelopeBytes", 0xffffffff),
    maxTargets: r.varUint("maxTargets", 0xffff),
  };
}

export function writeAuth(e: encoding.Encoder, f: AuthFrame): void {
  writeFixed(e, f.device, KEY_BYTES, "device");
  writeFixed(e, f.signature, SIGNATURE_BYTES, "signature");
  writeString(e, f.accessToken);
}
export function readAuth(r: Reader, limits: WireLimits): AuthFrame {
  return {
    type: "auth",
    device: r.fixed(KEY_BYTES, "device"),
    signature: r.fixed(SIGNATURE_BYTES, "signature"),
    accessToken: r.string("accessToken", limits.maxTextBytes),
  };
}

export function writeAuthOk(e: encoding.Encoder, f: AuthOkFrame): void {
  encoding.writeVarUint(e, f.queued);
}
export function readAuthOk(r: Reader): AuthOkFrame {
  return { type: "authOk", queued: r.varUint("queued") };
}

export function writeRelayInfo(e: encoding.Encoder, f: RelayInfoFrame): void {
  encoding.writeVarUint(e, f.features);
}
export function readRelayInfo(r: Reader): RelayInfoFrame {
  return { type: "relayInfo", features: r.varUint("features") };
}

export function writeError(e: encoding.Encoder, f: ErrorFrame): void {
  encoding.writeVarUint(e, f.code);
  writeString(e, f.message);
  encoding.writeVarUint8Array(e, f.ref);
}
export function readError(r: Reader, limits: WireLimits): ErrorFrame {
  return {
    type: "error",
    code: r.varUint("code", 0xffff),
    message: r.string("message", limits.maxTextBytes),
    // A ref is a msgId (16) or a blob hash (32), or empty.
    ref: r.varBytes("ref", Math.max(MSG_ID_BYTES, KEY_BYTES)),
  };
}
