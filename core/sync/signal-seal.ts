/**
 * y-webrtc's sealed signaling message, read and written by Grove so the mesh
 * can decide who offers on a link (dom-one-initiator.ts) and answer an
 * announce with one addressed to a single peer. Same bytes as y-webrtc
 * 10.x's own (its crypto module is not exported), so either end reads the
 * other's:
 *
 *   publish.data = base64( varString "AES-GCM" | varBytes iv (12) | varBytes ciphertext )
 *   ciphertext   = AES-256-GCM(room key, iv, lib0 writeAny(message))
 *
 * The room key is PBKDF2-SHA-256 (100,000 rounds, salt = room name) of the
 * room's password (mesh-room.ts derives both from the epoch key). GCM
 * authenticates: a message opens only if sealed under the room key, and
 * nothing of it is parsed before that. Every failure is a SignalSealError.
 */
import * as buffer from "lib0/buffer";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { utf8 } from "../crypto/bytes.js";

export type SignalSealErrorCode = "MALFORMED" | "UNKNOWN_ALGORITHM" | "NOT_OPENED";

export class SignalSealError extends Error {
  override readonly name = "SignalSealError";
  constructor(
    readonly code: SignalSealErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const ALGORITHM = "AES-GCM";
const IV_BYTES = 12;
/** A signaling message is an offer, answer or candidate: kilobytes. More is not one. */
const MAX_SEALED_CHARS = 64 * 1024;

/** The room key y-webrtc derives from a room's password and name. */
export async function signalKey(password: string, roomName: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey(
    "raw",
    utf8(password) as BufferSource,
    "PBKDF2",
    false,
    ["deriveKey"],
  );
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", salt: utf8(roomName) as BufferSource, iterations: 100_000, hash: "SHA-256" },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/** Seals `message` (a plain object of JSON-like values) as a publish's `data`. */
export async function sealSignal(message: object, key: CryptoKey): Promise<string> {
  if (!plainData(message, true)) {
    throw new SignalSealError("MALFORMED", "a message holds a __proto__ key or a non-plain object");
  }
  const plain = encoding.createEncoder();
  encoding.writeAny(plain, message as Parameters<typeof encoding.writeAny>[1]);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const cipher = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: ALGORITHM, iv: iv as BufferSource },
      key,
      encoding.toUint8Array(plain) as BufferSource,
    ),
  );
  const frame = encoding.createEncoder();
  encoding.writeVarString(frame, ALGORITHM);
  encoding.writeVarUint8Array(frame, iv);
  encoding.writeVarUint8Array(frame, cipher);
  return buffer.toBase64(encoding.toUint8Array(frame));
}

/** Opens a publish's `data`: the message, once GCM has shown it was sealed under `key`. */
export async function openSignal(data: unknown, key: CryptoKey): Promise<unknown> {
  const { iv, cipher } = readFrame(data);
  let plain: Uint8Array;
  try {
    plain = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: ALGORITHM, iv: iv as BufferSource },
        key,
        cipher as BufferSource,
      ),
    );
  } catch {
    throw new SignalSealError("NOT_OPENED", "not sealed under this room's key");
  }
  try {
    const decoder = decoding.createDecoder(plain);
    const message = decoding.readAny(decoder);
    if (decoding.hasContent(decoder)) throw new Error("bytes after the message");
    if (!plainData(message)) throw new Error("a __proto__ key");
    return message;
  } catch (err) {
    throw new SignalSealError("MALFORMED", `sealed message: ${(err as Error).message}`);
  }
}

function readFrame(data: unknown): { iv: Uint8Array; cipher: Uint8Array } {
  if (typeof data !== "string") throw new SignalSealError("MALFORMED", "data is not a string");
  if (data.length > MAX_SEALED_CHARS) throw new SignalSealError("MALFORMED", "data too long");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) {
    throw new SignalSealError("MALFORMED", "data is not base64");
  }
  let algorithm: string;
  let iv: Uint8Array;
  let cipher: Uint8Array;
  try {
    const decoder = decoding.createDecoder(buffer.fromBase64(data));
    algorithm = decoding.readVarString(decoder);
    iv = decoding.readVarUint8Array(decoder);
    cipher = decoding.readVarUint8Array(decoder);
    if (decoding.hasContent(decoder)) throw new Error("bytes after the ciphertext");
  } catch (err) {
    if (err instanceof SignalSealError) throw err;
    throw new SignalSealError("MALFORMED", `frame: ${(err as Error).message}`);
  }
  if (algorithm !== ALGORITHM) {
    throw new SignalSealError("UNKNOWN_ALGORITHM", "not AES-GCM");
  }
  if (iv.length !== IV_BYTES) throw new SignalSealError("MALFORMED", "iv is not 12 bytes");
  return { iv, cipher };
}

/**
 * Whether `value` is plain data all the way down: arrays, and objects of the
 * standard prototype (or, when sealing, none), with no own `__proto__` key.
 * lib0's readAny assigns keys one by one, so a sealed `__proto__` key whose
 * value is an object or null gives the opened object a prototype of the
 * sender's choosing: such a message is refused, not repaired (one whose value
 * is a string only loses that key). readAny nests no deeper than its input's
 * bytes allow (64 KiB here).
 */
function plainData(value: unknown, sealing = false): boolean {
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) return true;
  const proto = Object.getPrototypeOf(value);
  if (Array.isArray(value)) {
    return proto === Array.prototype && value.every((v) => plainData(v, sealing));
  }
  const standard = proto === Object.prototype || (sealing && proto === null);
  if (!standard || Object.hasOwn(value, "__proto__")) return false;
  return Object.values(value).every((v) => plainData(v, sealing));
}
