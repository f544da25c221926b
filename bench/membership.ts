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

import { toHex } from "../core/crypto/bytes.js";
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
import { resolveMembership, type VerifiedOp } from "../core/membership/resolve.js";
import { MembershipResolver } from "../core/membership/resolver.js";
import { best, curve, type Goal, type Point } from "./curve.js";
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
  /** Later ops name `id` as their parent: they follow what the log made since. */
  const follow = (id: Uint8Array) => {
    last = [id];
  };
  return { spaceId, ops: [...ops], members, key, ownerDevice, joinOps, follow };
}

/** A member's log holding `ops`, resolved once (the create, which all wait on, last). */
async function logOf(backend: Ed25519Backend, spaceId: Uint8Array, ops: Uint8Array[]) {
  const log = new MembershipLog(spaceId, backend);
  for (const op of ops.slice(1)) await log.add(op);
  await log.add(ops[0]!);
  return log;
}

/** The verified ops a log holds: what a from-scratch resolve is given. */
function heldOps(log: MembershipLog): VerifiedOp[] {
  const out: VerifiedOp[] = [];
  for (const bytes of log.encodedOps()) {
    const op = log.op(toHex(log.idOf(bytes)));
    if (op) out.push(op);
  }
  return out;
}

const RUNS = 3;

async function measure(backend: Ed25519Backend, size: number) {
  const built = await buildSpace(backend, size);
  const { spaceId, ops, members, key, ownerDevice } = built;
  const start = now();
  const ownerLog = await logOf(backend, spaceId, ops);
  const loadMs = now() - start;
  if (ownerLog.state.members.size !== size) {
    throw new Error(`built ${ownerLog.state.members.size} members, not ${size}`);
  }
  // Another member, who takes the owner's ops as they come.
  const memberLog = await logOf(backend, spaceId, ops);
  const other = members[members.length - 1]!.devices[1]!.keys;
  const stays = members.flatMap((m) => m.devices.map((d) => d.keys.box.publicKey));

  const runs = {
    join: [] as number[],
    joinScratch: [] as number[],
    joinResolve: [] as number[],
    seal: [] as number[],
    author: [] as number[],
    take: [] as number[],
    takeScratch: [] as number[],
    takeResolve: [] as number[],
  };
  let joinBytes = 0;
  let removalBytes = 0;
  let current = key;
  for (let run = 0; run < RUNS; run++) {
    // Join: a new user, three ops (join, confirm, second device), taken in by a member.
    const newcomer = await person(backend, 2);
    const joined = await built.joinOps(newcomer);
    const before = heldOps(ownerLog);
    const joinStart = now();
    for (const op of joined) {
      const r = await ownerLog.add(op);
      if (r.status !== "accepted") throw new Error(`join op ${r.status}`);
    }
    runs.join.push(now() - joinStart);
    joinBytes = joined.reduce((n, op) => n + op.length, 0);
    // The baseline: the same three ops, each resolved with every op held from scratch.
    const verified = joined.map((op) => {
      const v = ownerLog.op(toHex(ownerLog.idOf(op)));
      if (!v) throw new Error("join op not held");
      return v;
    });
    const scratchStart = now();
    for (let i = 1; i <= verified.length; i++) {
      resolveMembership([...before, ...verified.slice(0, i)]);
    }
    runs.joinScratch.push(now() - scratchStart);
    // The resolve alone, incremental: what the log's time holds beside verifying signatures.
    const resolver = new MembershipResolver(before);
    const resolveStart = now();
    for (const v of verified) resolver.add([v]);
    runs.joinResolve.push(now() - resolveStart);
    for (const op of joined) await memberLog.add(op);

    // Removal: the owner removes the newcomer, sealing a fresh key to every device that stays.
    const removeStart = now();
    const next = newEpochKey();
    const rotation = { boxes: sealToAll(next, stays), previous: sealPrevious(current, next) };
    const removal = await ownerLog.sign(ownerDevice.sign, {
      type: "remove",
      user: newcomer.user,
      rotation,
    });
    runs.seal.push(now() - removeStart);
    const taken = await ownerLog.add(removal);
    if (taken.status !== "accepted") throw new Error(`removal ${taken.status}`);
    runs.author.push(now() - removeStart);
    removalBytes = removal.length;
    current = next;
    built.follow(ownerLog.idOf(removal));

    // Another member takes the removal in and opens the new key.
    const memberBefore = heldOps(memberLog);
    const takeStart = now();
    await memberLog.add(removal);
    const keys = reachableKeys(memberLog.state.epochs, other.box);
    runs.take.push(now() - takeStart);
    if (!keys.has(memberLog.state.epochs.at(-1)!.epoch)) {
      throw new Error("member did not reach the new key");
    }
    const removalOp = memberLog.op(toHex(memberLog.idOf(removal)));
    if (!removalOp) throw new Error("removal not held");
    const takeScratch = now();
    resolveMembership([...memberBefore, removalOp]);
    runs.takeScratch.push(now() - takeScratch);
    const resolver2 = new MembershipResolver(memberBefore);
    const takeResolve = now();
    resolver2.add([removalOp]);
    runs.takeResolve.push(now() - takeResolve);
  }
  const bare = await ownerLog.sign(ownerDevice.sign, {
    type: "remove",
    user: members[1]!.user,
    rotation: { boxes: [], previous: sealPrevious(current, newEpochKey()) },
  });
  const b = (r: number[]) => best(size, r).y;
  const b2 = (r: number[]) => best(size, r, 2).y;
  return {
    point: {
      join: best(size, runs.join),
      joinScratch: best(size, runs.joinScratch, 2),
      joinResolve: best(size, runs.joinResolve, 2),
      seal: best(size, runs.seal),
      author: best(size, runs.author),
      take: best(size, runs.take),
      takeScratch: best(size, runs.takeScratch, 2),
      takeResolve: best(size, runs.takeResolve, 2),
    },
    row: {
      members: size,
      devices: size * 2,
      ops: ops.length,
      loadMs: round(loadMs, 1),
      join: {
        ms: b(runs.join),
        resolveMs: b2(runs.joinResolve),
        fromScratchMs: b2(runs.joinScratch),
        bytes: joinBytes,
      },
      removal: {
        sealMs: b(runs.seal),
        authorMs: b(runs.author),
        memberTakesMs: b(runs.take),
        memberResolveMs: b2(runs.takeResolve),
        memberFromScratchMs: b2(runs.takeScratch),
        bytes: removalBytes,
        bytesWithoutBoxes: bare.length,
        boxes: stays.length,
      },
      resolves: {
        owner: { ...ownerLog.resolver.counts },
        member: { ...memberLog.resolver.counts },
      },
    },
  };
}

export async function runMembershipBench(options: { quick?: boolean; sizes?: number[] } = {}) {
  const sizes = options.sizes ?? (options.quick ? [10, 30] : [10, 100, 1000]);
  const backend = await ed25519();
  // As in the app, where the first space's open has loaded libsodium (key boxes use it).
  await loadSecretbox();
  // A small space first, untimed: the first sizes measured are not the JIT's warm-up.
  await measure(backend, 10);
  const measured: Awaited<ReturnType<typeof measure>>[] = [];
  for (const size of sizes) {
    const m = await measure(backend, size);
    measured.push(m);
    console.error(`membership ${size}: ${JSON.stringify(m.row)}`);
  }
  const rows = measured.map((m) => m.row);
  const pick = (f: (p: (typeof measured)[number]["point"]) => Point): Point[] =>
    measured.map((m) => f(m.point));
  const pts = (f: (r: (typeof rows)[number]) => number): Point[] =>
    rows.map((r) => ({ x: r.members, y: f(r) }));
  const time = curve({
    id: "membership-time",
    title: "Membership: time of a removal's rotation and of a join against space size",
    x: { label: "members (2 devices each)", log: true },
    y: { label: "ms (best of 3)", log: true },
    series: [
      { name: "removal: author seals and signs the rotation", points: pick((p) => p.seal) },
      { name: "removal: author seals, signs, takes its op in", points: pick((p) => p.author) },
      { name: "removal: another member takes it, opens its key", points: pick((p) => p.take) },
      {
        name: "removal: another member's resolve alone",
        points: pick((p) => p.takeResolve),
      },
      {
        name: "removal: another member's resolve, from scratch (before)",
        baseline: true,
        points: pick((p) => p.takeScratch),
      },
      { name: "join: a member takes join, confirm, device", points: pick((p) => p.join) },
      { name: "join: the resolves alone", points: pick((p) => p.joinResolve) },
      {
        name: "join: the resolves, from scratch per op (before)",
        baseline: true,
        points: pick((p) => p.joinScratch),
      },
      { name: "log load: every op, one resolve", points: pts((r) => r.loadMs) },
    ],
    note: "Resolving is incremental (core/membership/resolver.ts): an op that names every head is judged against the state already built. The rotation's sealing is linear in the devices that stay, one key box each: inherent, as every remaining device must get the new key.",
  });
  const shapeOf = (name: string) => time.series.find((s) => s.name.startsWith(name))?.shape;
  const largest = rows[rows.length - 1];
  const goals: Goal[] = [
    {
      goal: "a join costs a member time that grows at most n log n with the space",
      figure: `${shapeOf("join: a member takes")?.shape ?? "?"} (log-log slope ${shapeOf("join: a member takes")?.logLogSlope ?? "?"}); ${largest?.join.ms} ms at ${largest?.members} members, ${largest?.join.fromScratchMs} ms resolving from scratch`,
      met: ["constant", "log n", "linear", "n log n"].includes(
        shapeOf("join: a member takes")?.shape ?? "",
      ),
      limits: "three points; small times at 10 and 100 members are noisy on a shared machine",
    },
    {
      goal: "a removal's rotation costs time that grows at most n log n with the space",
      figure: `author ${shapeOf("removal: author seals, signs")?.shape ?? "?"}, member ${shapeOf("removal: another member takes")?.shape ?? "?"}; ${largest?.removal.authorMs} ms and ${largest?.removal.memberTakesMs} ms at ${largest?.members} members`,
      met: ["constant", "log n", "linear", "n log n"].includes(
        shapeOf("removal: author seals, signs")?.shape ?? "",
      ),
      limits: "sealing one box per remaining device is linear by nature",
    },
  ];
  return {
    baseline:
      "the same ops resolved from scratch (every op held, once per op taken: what the log did before); a removal op without key boxes (bytes)",
    rows,
    goals,
    curves: [
      time,
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
