/**
 * The joiner's side of an invite link. The link's seed opens the invite's
 * mailbox at the relay, where the inviter left a welcome signed by the
 * inviter's device (named in the link) and sealed under the invite's channel
 * key. No member needs to be online.
 *
 * Whatever the mode, the welcome names the invite and whom to ask, and
 * holds no key and no content (decision 51): the join request goes to the
 * managers under the channel key, and the space opens for real once a
 * confirm op seals the key to this device. An open invite's join is
 * confirmed by a manager's device without asking anyone; a confirmed one
 * waits for a person. A one-time invite's welcome is taken off the relay as
 * it is read, so the link's next holder finds nothing.
 */

import { equalBytes } from "../crypto/bytes.js";
import type { Ed25519Backend } from "../crypto/ed25519.js";
import { openEnvelope } from "../crypto/envelope.js";
import { verifyCertificate } from "../crypto/identity.js";
import { noted } from "../diagnostics/recent-errors.js";
import type { Store } from "../store/store.js";
import { RelayTransport } from "../sync/relay-transport.js";
import type { SyncEngine } from "../sync/sync-engine.js";
import type { ConnectWebSocket } from "../sync/websocket.js";
import { EnvelopeKind } from "../wire/envelope.js";
import { DecodeError } from "../wire/errors.js";
import { MembershipError } from "./errors.js";
import { channelEpoch, type InviteKeys, type InviteLink, inviteKeys } from "./invite-link.js";
import { keepRefusal, type Me, MemberSpace, writeJoinRecord } from "./member-space.js";
import { MembershipAccess } from "./membership-access.js";
import { MembershipLog } from "./membership-log.js";
import { decodeOpBody, decodeSignedOp, joinProofMessage } from "./ops.js";
import { decodeWelcome, type Refusal, type Welcome } from "./welcome.js";

export class JoinError extends Error {
  override readonly name = "JoinError";
  constructor(
    readonly code: "NO_WELCOME" | "BAD_WELCOME" | "REFUSED" | "CLOSED",
    message: string,
    options?: { cause?: unknown; closed?: { reason: Refusal; inviterName: string } },
  ) {
    super(message, options);
    this.closed = options?.closed;
  }
  /** For CLOSED: why the invite admits no one, as its inviter's device left word at the relay. */
  readonly closed: { reason: Refusal; inviterName: string } | undefined;
}

/** Thrown to the relay transport so the welcome stays queued for the invite's other uses. */
class KeepForOthers extends Error {}

/** What the joiner is told when the link leads nowhere: words, not codes. */
export const GONE_MESSAGE =
  "This invite link can no longer be used: it was used already, has expired or was revoked " +
  "(or the inviter's device has not reached the relay yet). Ask the person who sent it for a new link.";

/**
 * Fetches the welcome from the invite's mailbox: what opens under the
 * channel key and is signed by the inviter's device. The mailbox may also
 * hold the inviter's notice that the invite closed (used, revoked,
 * expired), which wins over the welcome; so every message the relay said
 * was waiting is read before deciding. Anything else there (anyone who
 * knows the mailbox may write to it) is skipped. A multi-use invite's
 * welcome is not acked (it has other joiners) and stays until its TTL, the
 * invite's expiry; a one-time invite's is acked once read.
 */
export async function readWelcome(options: {
  link: InviteLink;
  backend: Ed25519Backend;
  connect: ConnectWebSocket;
  timeoutMs?: number;
  now?: () => number;
}): Promise<Welcome> {
  const { link, backend } = options;
  const now = options.now ?? Date.now;
  const keys = inviteKeys(link.seed);
  const epoch = channelEpoch(keys.sign.publicKey);
  let settle!: { resolve: (w: Welcome) => void; reject: (e: Error) => void };
  const found = new Promise<Welcome>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const read: Welcome[] = [];
  let processed = 0;
  let damaged: unknown;
  const decide = (final: boolean) => {
    const waiting = relay.queuedAtLogin;
    const ready =
      final ||
      (waiting !== undefined && waiting > 0 && processed >= waiting) ||
      // Nothing waited at login: what arrives since comes live from the inviter's device.
      (waiting === 0 && read.length > 0);
    if (!ready) return;
    const closed = read.find((w) => w.refusal);
    const welcome = read.find((w) => !w.refusal);
    const invite = welcome && inviteOf(welcome, keys);
    const inviterName = (closed ?? welcome)?.inviterName ?? "";
    if (closed?.refusal) settle.reject(closedError(closed.refusal, inviterName));
    else if (welcome && invite && invite.expiresAt <= now()) {
      settle.reject(closedError("INVITE_EXPIRED", inviterName));
    } else if (welcome) settle.resolve(welcome);
    else if (damaged !== undefined) {
      settle.reject(
        new JoinError(
          "BAD_WELCOME",
          "This invite link is damaged or was not made for this space. Ask the person who sent it for a new link.",
          { cause: damaged },
        ),
      );
    } else settle.reject(new JoinError("NO_WELCOME", GONE_MESSAGE));
  };
  const relay: RelayTransport = new RelayTransport({
    url: link.relayUrl,
    device: keys.sign,
    backend,
    connect: options.connect,
    clientName: "grove-join",
    onDeliver: async ({ envelope }) => {
      let consumed = false;
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
        read.push(welcome);
        // A one-time link is this person's: the next holder of it finds nothing to open.
        consumed = !welcome.refusal && inviteOf(welcome, keys)?.oneTime === true;
      } catch (err) {
        damaged = err;
      } finally {
        processed++;
        decide(false);
      }
      if (!consumed) throw new KeepForOthers("kept for the invite's other uses");
    },
  });
  relay.on("error", noted("LINK_RELAY", "joining a space by an invite link"));
  // With nothing waiting at login, a welcome may still be on its way from the inviter's device.
  const timer = setTimeout(() => decide(true), options.timeoutMs ?? 15_000);
  relay.start();
  try {
    return await found;
  } finally {
    clearTimeout(timer);
    await relay.stop();
  }
}

function closedError(reason: Refusal, inviterName: string): JoinError {
  return new JoinError("CLOSED", `the invite was closed: ${reason}`, {
    closed: { reason, inviterName },
  });
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
  return joinWithWelcome({ ...options, welcome: await readWelcome(options) });
}

/**
 * The join itself, once the welcome is read. Two people who opened the same
 * one-time link at the same moment both hold its welcome; a manager lets in
 * one of them, and the other is told it was used.
 */
export async function joinWithWelcome(options: {
  link: InviteLink;
  welcome: Welcome;
  engine: SyncEngine;
  store: Store;
  backend: Ed25519Backend;
  me: Me;
}): Promise<MemberSpace> {
  const { link, welcome, engine, store, backend, me } = options;
  const keys = inviteKeys(link.seed);
  const log = new MembershipLog(link.spaceId, backend, store);
  for (const op of welcome.ops) await log.add(op);
  const inviteId = findInvite(welcome, keys, log);
  const proof = await backend.sign(
    keys.sign.secretKey,
    joinProofMessage(link.spaceId, inviteId, me.cert),
  );
  // Keys are never handed over in a welcome: whatever one holds is ignored.
  const kept: Welcome = { ...welcome, keys: [], snapshot: new Uint8Array(0) };
  await writeJoinRecord(store, link.spaceId, link.seed, kept);
  const access = new MembershipAccess({
    log,
    device: me.keys,
    invite: keys,
    targets: welcome.targets,
    inviter: link.inviter,
    onRefusal: keepRefusal(store, link.spaceId, link.seed, kept),
  });
  // The request names the invite op, which every manager holds.
  const none = { epochOp: new Uint8Array(32), boxes: [] };
  const op = await log.sign(
    me.keys.sign,
    { type: "join", invite: inviteId, cert: me.cert, name: me.name, proof, share: none },
    [inviteId],
  );
  const space = await engine.openSpace(access);
  await space.sendMembership(EnvelopeKind.membership, op, {
    to: welcome.targets,
    epoch: { epoch: channelEpoch(keys.sign.publicKey), key: keys.channelKey },
  });
  const member = new MemberSpace(space, access, me, { engine, invitation: welcome });
  // Once let in (the log arrives in a welcome), ask for the history.
  const onChange = () => {
    if (!access.isMember()) return;
    log.off("change", onChange);
    void space.requestSync();
  };
  log.on("change", onChange);
  return member;
}

/** The invite op a welcome holds for this link's keys, with its bytes. */
function inviteOf(welcome: Welcome, keys: InviteKeys) {
  for (const bytes of welcome.ops) {
    try {
      const { action } = decodeOpBody(decodeSignedOp(bytes).body);
      if (action.type === "invite" && equalBytes(action.inviteSign, keys.sign.publicKey)) {
        return { ...action, bytes };
      }
    } catch (err) {
      // Not an op we can read: the log says so when it takes the welcome.
      if (!(err instanceof DecodeError)) throw err;
    }
  }
  return undefined;
}

function findInvite(welcome: Welcome, keys: InviteKeys, log: MembershipLog): Uint8Array {
  const invite = inviteOf(welcome, keys);
  if (!invite) {
    throw new MembershipError("INVITE_UNKNOWN", "the welcome does not hold this link's invite");
  }
  return log.idOf(invite.bytes);
}
