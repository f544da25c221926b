/**
 * Membership ops: what they say and their exact bytes. An op names the ops
 * its author had seen (parents, by hash), so the log is a hash-linked DAG;
 * it is signed by the author's device key over a context string and the
 * body. The decoder is strict and throws only DecodeError: ops come from the
 * network.
 *
 *   SignedOp: varbytes body, bytes32 signer, bytes64 signature
 *   body:     u8 version, bytes16 spaceId, varuint n, n x bytes32 parent,
 *             varuint time (ms), u8 action tag, action fields
 *   boxes:    varuint n, n x (bytes32 recipient box key, key box)
 *   share:    bytes32 epoch op id, boxes
 *   rotation: boxes, bytes72 previous key sealed under the new one
 */
import * as encoding from "lib0/encoding";
import { concatBytes, utf8 } from "../crypto/bytes.js";
import type { DeviceCertificate } from "../crypto/identity.js";
import { decodeCertificate, encodeCertificate } from "../crypto/identity-codec.js";
import { KEY_BOX_BYTES } from "../crypto/key-box.js";
import type { Role } from "../space/access.js";
import { HASH_BYTES, KEY_BYTES, SIGNATURE_BYTES, SPACE_ID_BYTES } from "../wire/envelope.js";
import { DecodeError } from "../wire/errors.js";
import { decodeStrict, encodeWith, type Reader, writeFixed, writeString } from "../wire/reader.js";

const VERSION = 1;
const MAX_PARENTS = 64;
const MAX_BOXES = 10_000;
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_NAME_BYTES = 256;
/** nonce (24) || secretbox(32-byte key) (48). */
export const SEALED_PREVIOUS_KEY_BYTES = 24 + 32 + 16;
export const OP_SIGN_CONTEXT = utf8("grove/membership-op/v1");
export const JOIN_PROOF_CONTEXT = utf8("grove/join-proof/v1");

export const ROLES: readonly Role[] = ["owner", "manager", "member", "viewer"];
export type InviteMode = "open" | "confirmed";

/** An epoch key sealed to one recipient (a device, or an open invite) by its X25519 key. */
export interface KeyBoxEntry {
  recipient: Uint8Array;
  box: Uint8Array;
}

/**
 * Key boxes of one epoch, named by the op that began it (create or a
 * rotation): a share made concurrently with a rotation still says which key
 * it holds, so nobody mistakes it for the newer one.
 */
export interface KeyShare {
  /** Id of the create or rotating op whose key is sealed; zeros with no boxes. */
  epochOp: Uint8Array;
  boxes: KeyBoxEntry[];
}

export interface Rotation {
  boxes: KeyBoxEntry[];
  /** The key this rotation replaces, sealed under the new key: history stays readable. */
  previous: Uint8Array;
}

export type Action =
  | { type: "create"; cert: DeviceCertificate; name: string; boxes: KeyBoxEntry[] }
  | {
      type: "invite";
      inviteSign: Uint8Array;
      inviteBox: Uint8Array;
      role: Role;
      mode: InviteMode;
      expiresAt: number;
      oneTime: boolean;
      /**
       * The invite's channel key (derived from the link's secret): members open
       * join requests with it, and the inviter seals the welcome under it.
       */
      channelKey: Uint8Array;
    }
  | {
      type: "join";
      invite: Uint8Array;
      cert: DeviceCertificate;
      name: string;
      proof: Uint8Array;
      /** The key the joiner already holds (open invite), sealed to itself; none when confirmed. */
      share: KeyShare;
    }
  | { type: "confirm"; join: Uint8Array; share: KeyShare }
  | { type: "decline"; join: Uint8Array }
  | { type: "addDevice"; cert: DeviceCertificate; share: KeyShare }
  | { type: "remove"; user: Uint8Array; rotation: Rotation }
  | { type: "setRole"; user: Uint8Array; role: Role }
  | { type: "revokeInvite"; invite: Uint8Array }
  | { type: "rotate"; rotation: Rotation };

export type ActionType = Action["type"];
const TAGS: ActionType[] = [
  "create",
  "invite",
  "join",
  "confirm",
  "decline",
  "addDevice",
  "remove",
  "setRole",
  "revokeInvite",
  "rotate",
];

export interface OpBody {
  spaceId: Uint8Array;
  parents: Uint8Array[];
  /**
   * The author's clock (ms), and the author's to choose: a join timed past
   * expiry is refused, but expiry rests on a manager's revoke (decision 31).
   */
  time: number;
  action: Action;
}

export interface SignedOp {
  body: Uint8Array;
  signer: Uint8Array;
  signature: Uint8Array;
}

export function encodeOpBody(op: OpBody): Uint8Array {
  return encodeWith((e) => {
    encoding.writeUint8(e, VERSION);
    writeFixed(e, op.spaceId, SPACE_ID_BYTES, "spaceId");
    if (op.parents.length > MAX_PARENTS) throw new RangeError("too many parents");
    encoding.writeVarUint(e, op.parents.length);
    for (const p of op.parents) writeFixed(e, p, HASH_BYTES, "parent");
    encoding.writeVarUint(e, op.time);
    encoding.writeUint8(e, TAGS.indexOf(op.action.type));
    writeAction(e, op.action);
  });
}

export function decodeOpBody(bytes: Uint8Array): OpBody {
  return decodeStrict(bytes, (r) => {
    const version = r.u8("version");
    if (version !== VERSION) {
      throw new DecodeError("UNSUPPORTED_VERSION", `op version ${version} is not supported`);
    }
    const spaceId = r.fixed(SPACE_ID_BYTES, "spaceId");
    const count = r.varUint("parent count", MAX_PARENTS);
    const parents: Uint8Array[] = [];
    for (let i = 0; i < count; i++) parents.push(r.fixed(HASH_BYTES, "parent"));
    const time = r.varUint("time");
    const tag = r.u8("action");
    const type = TAGS[tag];
    if (!type) throw new DecodeError("INVALID_VALUE", `unknown action ${tag}`);
    return { spaceId, parents, time, action: readAction(r, type) };
  });
}

export function encodeSignedOp(op: SignedOp): Uint8Array {
  return encodeWith((e) => {
    encoding.writeVarUint8Array(e, op.body);
    writeFixed(e, op.signer, KEY_BYTES, "signer");
    writeFixed(e, op.signature, SIGNATURE_BYTES, "signature");
  });
}

export function decodeSignedOp(bytes: Uint8Array): SignedOp {
  return decodeStrict(bytes, (r) => ({
    body: r.varBytes("body", MAX_BODY_BYTES),
    signer: r.fixed(KEY_BYTES, "signer"),
    signature: r.fixed(SIGNATURE_BYTES, "signature"),
  }));
}

/** The bytes an op's signer signs. */
export function opSigningMessage(body: Uint8Array): Uint8Array {
  return concatBytes(OP_SIGN_CONTEXT, body);
}

/** The bytes an invite key signs to let one device of one user use it. */
export function joinProofMessage(
  spaceId: Uint8Array,
  invite: Uint8Array,
  cert: Pick<DeviceCertificate, "user" | "deviceSign">,
): Uint8Array {
  return concatBytes(JOIN_PROOF_CONTEXT, spaceId, invite, cert.user, cert.deviceSign);
}

function writeAction(e: encoding.Encoder, a: Action): void {
  switch (a.type) {
    case "create":
      encoding.writeVarUint8Array(e, encodeCertificate(a.cert));
      writeString(e, a.name);
      writeBoxes(e, a.boxes);
      return;
    case "invite":
      writeFixed(e, a.inviteSign, KEY_BYTES, "inviteSign");
      writeFixed(e, a.inviteBox, KEY_BYTES, "inviteBox");
      encoding.writeUint8(e, ROLES.indexOf(a.role));
      encoding.writeUint8(e, a.mode === "open" ? 0 : 1);
      encoding.writeVarUint(e, a.expiresAt);
      encoding.writeUint8(e, a.oneTime ? 1 : 0);
      writeFixed(e, a.channelKey, KEY_BYTES, "channelKey");
      return;
    case "join":
      writeFixed(e, a.invite, HASH_BYTES, "invite");
      encoding.writeVarUint8Array(e, encodeCertificate(a.cert));
      writeString(e, a.name);
      writeFixed(e, a.proof, SIGNATURE_BYTES, "proof");
      writeShare(e, a.share);
      return;
    case "confirm":
      writeFixed(e, a.join, HASH_BYTES, "join");
      writeShare(e, a.share);
      return;
    case "decline":
      writeFixed(e, a.join, HASH_BYTES, "join");
      return;
    case "addDevice":
      encoding.writeVarUint8Array(e, encodeCertificate(a.cert));
      writeShare(e, a.share);
      return;
    case "remove":
      writeFixed(e, a.user, KEY_BYTES, "user");
      writeRotation(e, a.rotation);
      return;
    case "setRole":
      writeFixed(e, a.user, KEY_BYTES, "user");
      encoding.writeUint8(e, ROLES.indexOf(a.role));
      return;
    case "revokeInvite":
      writeFixed(e, a.invite, HASH_BYTES, "invite");
      return;
    case "rotate":
      writeRotation(e, a.rotation);
      return;
  }
}

function readAction(r: Reader, type: ActionType): Action {
  switch (type) {
    case "create":
      return {
        type,
        cert: readCert(r),
        name: r.string("name", MAX_NAME_BYTES),
        boxes: readBoxes(r),
      };
    case "invite":
      return {
        type,
        inviteSign: r.fixed(KEY_BYTES, "inviteSign"),
        inviteBox: r.fixed(KEY_BYTES, "inviteBox"),
        role: readRole(r),
        mode: readFlag(r, "mode") ? "confirmed" : "open",
        expiresAt: r.varUint("expiresAt"),
        oneTime: readFlag(r, "oneTime"),
        channelKey: r.fixed(KEY_BYTES, "channelKey"),
      };
    case "join":
      return {
        type,
        invite: r.fixed(HASH_BYTES, "invite"),
        cert: readCert(r),
        name: r.string("name", MAX_NAME_BYTES),
        proof: r.fixed(SIGNATURE_BYTES, "proof"),
        share: readShare(r),
      };
    case "confirm":
      return { type, join: r.fixed(HASH_BYTES, "join"), share: readShare(r) };
    case "decline":
      return { type, join: r.fixed(HASH_BYTES, "join") };
    case "addDevice":
      return { type, cert: readCert(r), share: readShare(r) };
    case "remove":
      return { type, user: r.fixed(KEY_BYTES, "user"), rotation: readRotation(r) };
    case "setRole":
      return { type, user: r.fixed(KEY_BYTES, "user"), role: readRole(r) };
    case "revokeInvite":
      return { type, invite: r.fixed(HASH_BYTES, "invite") };
    case "rotate":
      return { type, rotation: readRotation(r) };
  }
}

function writeBoxes(e: encoding.Encoder, boxes: KeyBoxEntry[]): void {
  encoding.writeVarUint(e, boxes.length);
  for (const b of boxes) {
    writeFixed(e, b.recipient, KEY_BYTES, "recipient");
    writeFixed(e, b.box, KEY_BOX_BYTES, "key box");
  }
}

function readBoxes(r: Reader): KeyBoxEntry[] {
  const n = r.varUint("box count", Math.min(MAX_BOXES, Math.floor(r.remaining / KEY_BOX_BYTES)));
  const boxes: KeyBoxEntry[] = [];
  for (let i = 0; i < n; i++) {
    boxes.push({
      recipient: r.fixed(KEY_BYTES, "recipient"),
      box: r.fixed(KEY_BOX_BYTES, "key box"),
    });
  }
  return boxes;
}

function writeShare(e: encoding.Encoder, share: KeyShare): void {
  writeFixed(e, share.epochOp, HASH_BYTES, "epochOp");
  writeBoxes(e, share.boxes);
}

function readShare(r: Reader): KeyShare {
  return { epochOp: r.fixed(HASH_BYTES, "epochOp"), boxes: readBoxes(r) };
}

function writeRotation(e: encoding.Encoder, rotation: Rotation): void {
  writeBoxes(e, rotation.boxes);
  writeFixed(e, rotation.previous, SEALED_PREVIOUS_KEY_BYTES, "previous key");
}

function readRotation(r: Reader): Rotation {
  return { boxes: readBoxes(r), previous: r.fixed(SEALED_PREVIOUS_KEY_BYTES, "previous key") };
}

function readCert(r: Reader): DeviceCertificate {
  return decodeCertificate(r.varBytes("certificate", 1024));
}

function readRole(r: Reader): Role {
  const i = r.u8("role");
  const role = ROLES[i];
  if (!role) throw new DecodeError("INVALID_VALUE", `unknown role ${i}`);
  return role;
}

function readFlag(r: Reader, field: string): boolean {
  const v = r.u8(field);
  if (v > 1) throw new DecodeError("INVALID_VALUE", `${field}: ${v} is not 0 or 1`);
  return v === 1;
}
