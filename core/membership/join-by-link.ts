/**
 * The joiner's side of an invite link. The link's seed opens the invite's
 * mailbox at the relay, where the inviter left a welcome signed by the
 * inviter's device (named in the link) and sealed under the invite's channel
 * key. No member needs to be online.
 *
 * Open invite: the welcome holds the ops, the keys and a snapshot; the
 * joiner checks every op, signs its join (proved with the invite key), and
 * reads and writes at once. Confirmed invite: the welcome names the invite
 * and whom to ask; the join request goes to the managers under the channel
 * key, and the space opens for real once a confirm op arrives.
 */
import { equalBytes } from "../crypto/bytes.js";
import type { Ed25519Backend } from "../crypto/ed25519.js";
import { openEnvelope } from "../crypto/envelope.js";
import { verifyCertificate } from "../crypto/identity.js";
import type { Store } from "../store/store.js";
import { RelayTransport } from "../sync/relay-transport.js";
import type { SyncEngine } from "../sync/sync-engine.js";
import type { ConnectWebSocket } from "../sync/websocket.js";
import { EnvelopeKind } from "../wire/envelope.js";
import { MembershipError } from "./errors.js";
import { channelEpoch, type InviteKeys, type InviteLink, inviteKeys } from "./invite-link.js";
import { keyShare, type Me, MemberSpace, writeJoinRecord } from "./member-space.js";
import { MembershipAccess } from "./membership-access.js";
import { MembershipLog } from "./membership-log.js";
import { decodeOpBody, decodeSignedOp, joinProofMessage, type KeyShare } from "./ops.js";
import { decodeWelcome, type Welcome } from "./welcome.js";

export class JoinError extends Error {
  override readonly name = "JoinError";
  constructor(
    readonly code: "NO_WELCOME" | "BAD_WELCOME" | "REFUSED",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Thrown to the relay transport so the welcome stays queued for the invite's other uses. */
class KeepForOthers extends Error {}

/**
 * Fetches the welcome from the invite's mailbox: the first delivery that
 * opens under the channel key and is signed by the inviter. It is not acked
 * (a multi-use invite has other joiners), so it stays until its TTL.
 */
export async function readWelcome(options: {
  link: InviteLink;
  backend: Ed25519Backend;
  connect: ConnectWebSocket;
  timeoutMs?: number;
}): Promise<Welcome> {
  const { link, backend } = options;
  const keys = inviteKeys(link.seed);
  const epoch = channelEpoch(keys.sign.publicKey);
  let settle!: { resolve: (w: Welcome) => void; reject: (e: Error) => void };
  const found = new Promise<Welcome>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const relay = new RelayTransport({
    url: link.relayUrl,
    device: keys.sign,
    backend,
    connect: options.connect,
    clientName: "grove-join",
    onDeliver: async ({ envelope }) => {
      try {
        const opened = await openEnvelope(envelope, {
          backend,
          spaceId: link.spaceId,
          keyForEpoch: (e) => (e === epoch ? keys.channelKey : undefined),
          isAllowed: (author, e, kind) =>
            e === epoch && kind === EnvelopeKind.welcome && equalBytes(author, link.inviter),
        });
        const welcome = decodeWelcome(opened.payload);
        // The certificate must be the link's inviter's, signed by its user key: it is what
        // the joiner's safety number is computed from.
        if (welcome.inviter) {
          if (!equalBytes(welcome.inviter.deviceSign, link.inviter)) {
            throw new JoinError("BAD_WELCOME", "the welcome's certificate is not the inviter's");
          }
          await verifyCertificate(backend, welcome.inviter);
        }
        settle.resolve(welcome);
      } catch (err) {
        settle.reject(
          new JoinError("BAD_WELCOME", "the invite's welcome does not open", { cause: err }),
        );
      }
      throw new KeepForOthers("kept for the invite's other uses");
    },
  });
  relay.on("error", () => {});
  const timer = setTimeout(
    () =>
      settle.reject(
        new JoinError(
          "NO_WELCOME",
          "the relay holds nothing for this invite: it may have expired, or the inviter's device has not reached the relay yet",
        ),
      ),
    options.timeoutMs ?? 15_000,
  );
  relay.start();
  try {
    return await found;
  } finally {
    clearTimeout(timer);
    await relay.stop();
  }
}

/** Joins the space an invite link is for; resolves once the join is sent. */
export async function joinByLink(options: {
  link: InviteLink;
  engine: SyncEngine;
  store: Store;
  backend: Ed25519Backend;
  connect: ConnectWebSocket;
  me: Me;
  timeoutMs?: number;
}): Promise<MemberSpace> {
  const { link, engine, store, backend, me } = options;
  const welcome = await readWelcome(options);
  const keys = inviteKeys(link.seed);
  const log = new MembershipLog(link.spaceId, backend, store);
  for (const op of welcome.ops) await log.add(op);
  const inviteId = findInvite(welcome, keys, log);
  const proof = await backend.sign(
    keys.sign.secretKey,
    joinProofMessage(link.spaceId, inviteId, me.cert),
  );
  const join = (share: KeyShare) => ({
    type: "join" as const,
    invite: inviteId,
    cert: me.cert,
    name: me.name,
    proof,
    share,
  });
  await writeJoinRecord(store, link.spaceId, link.seed, welcome);
  const access = new MembershipAccess({
    log,
    device: me.keys,
    knownKeys: welcome.keys,
    invite: keys,
    targets: welcome.targets,
  });

  if (link.mode === "open") {
    // The join says which key this device holds, so a rotation it missed shows as owed.
    const op = await log
      .author(me.keys.sign, join(keyShare(access, [me.keys.box.publicKey])))
      .catch((err: unknown) => {
        throw new JoinError("REFUSED", `the space refuses this join: ${(err as Error).message}`, {
          cause: err,
        });
      });
    const space = await engine.openSpace(access);
    if (welcome.snapshot.length > 0) await space.adoptSnapshot(welcome.snapshot);
    await space.sendMembership(EnvelopeKind.membership, op);
    return new MemberSpace(space, access, me, { engine, invitation: welcome });
  }

  // Confirmed: the request names the invite op, which every manager holds.
  const none = { epochOp: new Uint8Array(32), boxes: [] };
  const op = await log.sign(me.keys.sign, join(none), [inviteId]);
  const space = await engine.openSpace(access);
  await space.sendMembership(EnvelopeKind.membership, op, {
    to: welcome.targets,
    epoch: { epoch: channelEpoch(keys.sign.publicKey), key: keys.channelKey },
  });
  const member = new MemberSpace(space, access, me, { engine, invitation: welcome });
  // Once confirmed (the log arrives in a welcome), ask for the history.
  const onChange = () => {
    if (!access.isMember()) return;
    log.off("change", onChange);
    void space.requestSync();
  };
  log.on("change", onChange);
  return member;
}

function findInvite(welcome: Welcome, keys: InviteKeys, log: MembershipLog): Uint8Array {
  for (const op of welcome.ops) {
    try {
      const { action } = decodeOpBody(decodeSignedOp(op).body);
      if (action.type === "invite" && equalBytes(action.inviteSign, keys.sign.publicKey)) {
        return log.idOf(op);
      }
    } catch {
      // Not an op we can read: the log has already said so.
    }
  }
  throw new MembershipError("INVITE_UNKNOWN", "the welcome does not hold this link's invite");
}
