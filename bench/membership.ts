/**
 * `npm run bench -- membership`: what a removal's key rotation and a join
 * cost as a space grows (10, 100, 1,000 members with 2 devices each), on
 * the real membership log (signed ops, verified and resolved).
 *
 * The space is built from ops signed here (create, one confirmed invite,
 * then per member: join, confirm with the key sealed to the device, and an
 * added second device with its box). A member's log takes them all with one
 * resolve (children first, the create last). Then, each timed on a copy of
 * that member's log:
 *   - join: a new user's join, its confirm and its second device, taken in;
 *     bytes are the three ops;
 *   - removal: the owner removes one member, sealing a fresh key to every
 *     device that stays (the rotation) and signing; another member takes the
 *     op in and opens its box. Bytes are the op (what every member receives).
 * The baseline: a removal's op with no key boxes (the part that does not
 * grow with the space), and the same join in a 10-member space.
 */

import { type Ed25519Backend, ed25519 } from "../core/crypto/ed25519.js";
import {
  certifyDevice,
  type DeviceCertificate,
  type DeviceKeys,
  generateDeviceKeys,
  generateUserKeys,
} from "../core/crypto/identity.js";
import { newEpochKey } from "../core/crypto/key-box.js";
import { randomBytes } from "../core/crypto/random.js";
import { loadSecretbox } from "../core/crypto/secretbox.js";
import { reachableKeys, sealPrevious, sealToAll } from "../core/membership/epoch-keys.js";
import { inviteKeys } from "../core/membership/invite-link.js";
import { MembershipLog } from "../core/membership/membership-log.js";
import { type Action, joinProofMessage } from "../core/membership/ops.js";
import { curve, type Goal, type Point } from "./curve.js";
import { now, round } from "./timing.js";

interface Device {
  keys: DeviceKeys;
  cert: DeviceCertificate;
}
interface Member {
  user: Uint8Array;
  devices: Device[];
}

const NONE = { epochOp: new Uint8Array(32), boxes: [] };

async function person(backend: Ed25519Backend, devices: number): Promise<Member> {
  const user = generateUserKeys();
  const out: Device[] = [];
  for (let d = 0; d < devices; d++) {
    const keys = generateDeviceKeys();
    out.push({ keys, cert: await certifyDevice(backend, user, keys, `device ${d}`, Date.now()) });
  }
  return { user: user.sign.publicKey, devices: out };
}

/** Signed ops for a space of `size` members (2 devices each), the owner included. */
async function buildSpace(backend: Ed25519Backend, size: number) {
  const spaceId = randomBytes(16);
  const signer = new MembershipLog(spaceId, backend);
  const owner = await person(backend, 2);
  const key = newEpochKey();
  const ops: Uint8Array[] = [];
  // One chain, as ops authored one after another are: each names the last as its parent.
  let last: Uint8Array[] = [];
  const sign = async (device: DeviceKeys, action: Action, _parents?: unknown) => {
    const op = await signer.sign(device.sign, action, last);
    ops.push(op);
    const id = signer.idOf(op);
    last = [id];
    return { op, id };
  };
  const ownerDevice = owner.devices[0]!.keys;
  const create = await sign(
    ownerDevice,
    {
      type: "create",
      cert: owner.devices[0]!.cert,
      name: "Owner",
      boxes: sealToAll(key, [ownerDevice.box.publicKey]),
    },
    [],
  );
  const addSecond = async (m: Member, parent: Uint8Array) =>
    sign(
      m.devices[0]!.keys,
      {
        type: "addDevice",
        cert: m.devices[1]!.cert,
        share: { epochOp: create.id, boxes: sealToAll(key, [m.devices[1]!.keys.box.publicKey]) },
      },
      [parent],
    );
  await addSecond(owner, create.id);
  const seed = randomBytes(32);
  const ik = inviteKeys(seed);
  const invite = await sign(
    ownerDevice,
    {
      type: "invite",
      inviteSign: ik.sign.publicKey,
      inviteBox: ik.box.publicKey,
      role: "member",
      mode: "confirmed",
      expiresAt: Date.now() + 3_600_000,
      oneTime: false,
      channelKey: ik.channelKey,
    },
    [create.id],
  );
  /** Join, confirm and second device of one member: the ops, in order. */
  const joinOps = async (m: Member) => {
    const first = m.devices[0]!;
    const proof = await backend.sign(
      ik.sign.secretKey,
      joinProofMessage(spaceId, invite.id, first.cert),
    );
    const join = await sign(
      first.keys,
      { type: "join", invite: invite.id, cert: first.cert, name: "Member", proof, share: NONE },
      [invite.id],
    );
    const confirm = await sign(
      ownerDevice,
      {
        type: "confirm",
        join: join.id,
        share: { epochOp: create.id, boxes: sealToAll(key, [first.keys.box.publicKey]) },
      },
      [join.id],
    );
    const second = await addSecond(m, confirm.id);
    return [join.op, confirm.op, second.op];
  };
  const members: Member[] = [owner];
  for (let i = 1; i < size; i++) {
    const m = await person(backend, 2);
    await joinOps(m);
    members.push(m);
  }
  return { spaceId, ops, members, key, ownerDevice, joinOps, signer };
}

/** A member's log holding `ops`, resolved once (the create, which all wait on, last). */
async function logOf(backend: Ed25519Backend, spaceId: Uint8Array, ops: Uint8Array[]) {
  const log = new MembershipLog(spaceId, backend);
  for (const op of ops.slice(1)) await log.add(op);
  await log.add(ops[0]!);
  return log;
}

async function measure(backend: Ed25519Backend, size: number) {
  const built = await buildSpace(backend, size);
  const { spaceId, ops, members, key, ownerDevice } = built;
  const start = now();
  const ownerLog = await logOf(backend, spaceId, ops);
  const loadMs = now() - start;
  if (ownerLog.state.members.size !== size) {
    throw new Error(`built ${ownerLog.state.members.size} members, not ${size}`);
  }

  // Join: a new user, three ops, taken in by a member.
  const newcomer = await person(backend, 2);
  const joined = await built.joinOps(newcomer);
  const joinStart = now();
  for (const op of joined) {
    const r = await ownerLog.add(op);
    if (r.status !== "accepted") throw new Error(`join op ${r.status}`);
  }
  const joinMs = now() - joinStart;
  const joinBytes = joined.reduce((n, op) => n + op.length, 0);

  // Removal: the owner removes the newcomer, sealing a fresh key to every device that stays.
  const stays = members.flatMap((m) => m.devices.map((d) => d.keys.box.publicKey));
  const removeStart = now();
  const next = newEpochKey();
  const rotation = { boxes: sealToAll(next, stays), previous: sealPrevious(key, next) };
  const removal = await ownerLog.sign(ownerDevice.sign, {
    type: "remove",
    user: newcomer.user,
    rotation,
  });
  const sealMs = now() - removeStart;
  const taken = await ownerLog.add(removal);
  if (taken.status !== "accepted") throw new Error(`removal ${taken.status}`);
  const authorMs = now() - removeStart;
  // Another member takes the removal and opens its key.
  const other = members[members.length - 1]!.devices[1]!.keys;
  const memberLog = await logOf(backend, spaceId, [...ops, ...joined]);
  const takeStart = now();
  await memberLog.add(removal);
  const keys = reachableKeys(memberLog.state.epochs, other.box);
  const memberMs = now() - takeStart;
  if (!keys.has(memberLog.state.epochs.at(-1)!.epoch))
    throw new Error("member did not reach the new key");
  const bare = await ownerLog.sign(ownerDevice.sign, {
    type: "remove",
    user: members[1]!.user,
    rotation: { boxes: [], previous: rotation.previous },
  });
  return {
    members: size,
    devices: size * 2,
    ops: ops.length,
    loadMs: round(loadMs, 1),
    join: { ms: round(joinMs, 1), bytes: joinBytes },
    removal: {
      sealMs: round(sealMs, 1),
      authorMs: round(authorMs, 1),
      memberTakesMs: round(memberMs, 1),
      bytes: removal.length,
      bytesWithoutBoxes: bare.length,
      boxes: stays.length,
    },
  };
}

export async function runMembershipBench(options: { quick?: boolean; sizes?: number[] } = {}) {
  const sizes = options.sizes ?? (options.quick ? [10, 30] : [10, 100, 1000]);
  const backend = await ed25519();
  // As in the app, where the first space's open has loaded libsodium (key boxes use it).
  await loadSecretbox();
  const rows: Awaited<ReturnType<typeof measure>>[] = [];
  for (const size of sizes) {
    const row = await measure(backend, size);
    rows.push(row);
    console.error(`membership ${size}: ${JSON.stringify(row)}`);
  }
  const pts = (f: (r: (typeof rows)[number]) => number): Point[] =>
    rows.map((r) => ({ x: r.members, y: f(r) }));
  const goals: Goal[] = [];
  return {
    baseline: "a removal op without key boxes (bytes); the join in the smallest space (time)",
    rows,
    goals,
    curves: [
      curve({
        id: "membership-time",
        title: "Membership: time of a removal's rotation and of a join against space size",
        x: { label: "members (2 devices each)", log: true },
        y: { label: "ms", log: true },
        series: [
          {
            name: "removal: author seals and signs the rotation",
            points: pts((r) => r.removal.sealMs),
          },
          {
            name: "removal: author takes its op in (resolve)",
            points: pts((r) => r.removal.authorMs),
          },
          {
            name: "removal: another member takes it, opens its key",
            points: pts((r) => r.removal.memberTakesMs),
          },
          { name: "join: a member takes join, confirm, device", points: pts((r) => r.join.ms) },
          { name: "log load: every op, one resolve", points: pts((r) => r.loadMs) },
        ],
      }),
      curve({
        id: "membership-bytes",
        title: "Membership: bytes of a removal's op and of a join against space size",
        x: { label: "members (2 devices each)", log: true },
        y: { label: "bytes", log: true },
        series: [
          {
            name: "removal op without boxes",
            baseline: true,
            points: pts((r) => r.removal.bytesWithoutBoxes),
          },
          { name: "removal op (rotation to every device)", points: pts((r) => r.removal.bytes) },
          { name: "join (join, confirm, second device)", points: pts((r) => r.join.bytes) },
        ],
      }),
    ],
  };
}
