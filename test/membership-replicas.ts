/**
 * Replicas of one space's membership log for tests of the log alone: people
 * with one device, a space founded by one of them, invites, joins, confirms
 * and ops signed on a replica but not yet added anywhere (to make concurrent
 * ops and backdated or ground ones). Real signatures and key boxes.
 */
import nacl from "tweetnacl";
import { fromHex, toHex } from "../core/crypto/bytes.js";
import { ed25519 } from "../core/crypto/ed25519.js";
import { hash32 } from "../core/crypto/hash.js";
import { certifyDevice, generateDeviceKeys, generateUserKeys } from "../core/crypto/identity.js";
import { newEpochKey } from "../core/crypto/key-box.js";
import { sealPrevious, sealToAll } from "../core/membership/epoch-keys.js";
import { MembershipLog } from "../core/membership/membership-log.js";
import {
  decodeSignedOp,
  encodeOpBody,
  encodeSignedOp,
  joinProofMessage,
  opSigningMessage,
} from "../core/membership/ops.js";
import type { Role } from "../core/space/access.js";

export const backend = await ed25519();
export const HOUR = 3_600_000;

export async function person(name: string) {
  const user = generateUserKeys();
  const device = generateDeviceKeys();
  const cert = await certifyDevice(backend, user, device, `${name}'s laptop`, 1);
  return { name, user, device, cert, id: toHex(user.sign.publicKey) };
}
export type Person = Awaited<ReturnType<typeof person>>;

/** A space created by `owner`, and a way to open more replicas of its log. */
export async function space(owner: Person) {
  const spaceId = nacl.randomBytes(16);
  const key = newEpochKey();
  const log = new MembershipLog(spaceId, backend);
  await log.author(owner.device.sign, {
    type: "create",
    cert: owner.cert,
    name: owner.name,
    boxes: sealToAll(key, [owner.device.box.publicKey]),
  });
  return { spaceId, key, log };
}

/** Copies every op one log holds into another (both ways = a full sync). */
export async function sync(from: MembershipLog, to: MembershipLog) {
  for (const op of from.encodedOps()) await to.add(op);
}

export function replica(log: MembershipLog) {
  return new MembershipLog(log.spaceId, backend);
}

export type InviteOpts = {
  role?: Role;
  mode?: "open" | "confirmed";
  expiresAt?: number;
  oneTime?: boolean;
  /** The current key, sealed to joiners when the inviter lets them in. */
  key?: Uint8Array;
};
export type Inv = Awaited<ReturnType<typeof invite>>;

export async function invite(log: MembershipLog, by: Person, opts: InviteOpts = {}) {
  const sign = nacl.sign.keyPair();
  const box = nacl.box.keyPair();
  const bytes = await log.author(by.device.sign, {
    type: "invite",
    inviteSign: sign.publicKey,
    inviteBox: box.publicKey,
    role: opts.role ?? "member",
    mode: opts.mode ?? "open",
    expiresAt: opts.expiresAt ?? Date.now() + HOUR,
    oneTime: opts.oneTime ?? true,
    channelKey: nacl.randomBytes(32),
  });
  return { id: opId(bytes), sign, box, by, mode: opts.mode ?? "open", key: opts.key };
}

/** An op's id: the hash of its body, as the log computes it. */
export function opId(bytes: Uint8Array): Uint8Array {
  return hash32(decodeSignedOp(bytes).body);
}

/**
 * A join; on an open invite its inviter then confirms it, as the inviter's
 * device does without asking (decision 51). Returns the join's verdict.
 */
export async function join(
  log: MembershipLog,
  who: Person,
  inv: Pick<Inv, "id" | "sign"> & {
    mode?: Inv["mode"];
    by?: Inv["by"];
    key?: Uint8Array | undefined;
  },
  time = Date.now(),
) {
  const result = await log.add(await joinOp(log, who, inv, time));
  if (result.status !== "accepted" || inv.mode !== "open" || !inv.by) return result;
  await log.author(inv.by.device.sign, confirmAction(log, result.id, who, inv.key)).catch(() => {});
  return result;
}

/** A confirm of `joinId`, sealing `key` (the current epoch's) to the joiner when given. */
export function confirmAction(
  log: MembershipLog,
  joinId: string,
  who: Person,
  key?: Uint8Array | undefined,
) {
  const epoch = log.state.epochs[log.state.epochs.length - 1]!;
  return {
    type: "confirm" as const,
    join: fromHex(joinId),
    share: key
      ? { epochOp: fromHex(epoch.op), boxes: sealToAll(key, [who.device.box.publicKey]) }
      : { epochOp: new Uint8Array(32), boxes: [] },
  };
}

/** A join signed by `who`, naming `log`'s heads, not yet added anywhere. */
export async function joinOp(
  log: MembershipLog,
  who: Person,
  inv: { id: Uint8Array; sign: nacl.SignKeyPair },
  time: number,
) {
  const proof = await backend.sign(
    inv.sign.secretKey,
    joinProofMessage(log.spaceId, inv.id, who.cert),
  );
  const body = {
    type: "join" as const,
    invite: inv.id,
    cert: who.cert,
    name: who.name,
    proof,
    share: { epochOp: new Uint8Array(32), boxes: [] },
  };
  return signed(log, who, body, time);
}

/** An op signed by `who`, not yet added anywhere. */
export async function signed(
  log: MembershipLog,
  who: Person,
  action: Parameters<MembershipLog["author"]>[1],
  time = Date.now(),
) {
  const body = encodeOpBody({ spaceId: log.spaceId, parents: log.heads(), time, action });
  const signature = await backend.sign(who.device.sign.secretKey, opSigningMessage(body));
  return encodeSignedOp({ body, signer: who.device.sign.publicKey, signature });
}

export function rotation(previous: Uint8Array, to: Uint8Array[]) {
  const next = newEpochKey();
  return { next, rotation: { boxes: sealToAll(next, to), previous: sealPrevious(previous, next) } };
}

export async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const result = (await p) as { status: string; error?: { code: string } };
  return result.status === "rejected" ? result.error?.code : result.status;
}
