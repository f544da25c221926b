/**
 * Linking a new device to a user. The existing device (which holds the
 * user key) shows a link text or QR code, `grove://link#<payload>`; the new
 * device reads it and asks, through the relay, to be linked. Both screens
 * then show the same six-digit code; once the user sees they match and
 * accepts on the existing device, it certifies the new device with the user
 * key, adds it to each of the user's spaces (an addDevice op sealing the
 * space key to it) and sends it each space's log. The new device then asks
 * members for the history, as a confirmed joiner does.
 *
 *   payload: u8 version, string relayUrl, bytes32 seed, bytes32 existing device, bytes32 user
 *
 * The seed derives the link's mailbox at the relay (where the request is
 * left) and its channel key (everything on the link is sealed under it and
 * signed by the device that sent it). Messages on the link are envelopes of
 * kind welcome: a request (tag 1) or an acceptance (tag 2) in the link's own
 * space id, then one welcome per space in that space's id.
 */

import * as encoding from "lib0/encoding";
import nacl from "tweetnacl";
import { concatBytes, equalBytes, fromHex, toHex, utf8 } from "../crypto/bytes.js";
import type { Ed25519Backend } from "../crypto/ed25519.js";
import { GENESIS_HASH, openEnvelope, sealEnvelope } from "../crypto/envelope.js";
import { CryptoError } from "../crypto/errors.js";
import { hash32 } from "../crypto/hash.js";
import {
  certifyDevice,
  type DeviceCertificate,
  type DeviceKeys,
  MAX_DEVICE_NAME_BYTES,
  type UserKeys,
} from "../crypto/identity.js";
import { decodeCertificate, encodeCertificate } from "../crypto/identity-codec.js";
import { noted, whenSettled } from "../diagnostics/recent-errors.js";
import type { Store } from "../store/store.js";
import { RelayTransport } from "../sync/relay-transport.js";
import type { SyncEngine } from "../sync/sync-engine.js";
import type { ConnectWebSocket } from "../sync/websocket.js";
import { EnvelopeKind, KEY_BYTES, SPACE_ID_BYTES } from "../wire/envelope.js";
import { DecodeError } from "../wire/errors.js";
import { decodeStrict, encodeWith, writeFixed, writeString } from "../wire/reader.js";
import { channelEpoch, fromBase64Url, toBase64Url } from "./invite-link.js";
import { type Me, MemberSpace } from "./member-space.js";
import { MembershipAccess } from "./membership-access.js";
import { MembershipLog } from "./membership-log.js";
import { decodeWelcome, type Welcome } from "./welcome.js";

const VERSION = 1;
const TAG_REQUEST = 1;
const TAG_ACCEPT = 2;
const MAX_SPACES = 10_000;

export interface DeviceLink {
  relayUrl: string;
  seed: Uint8Array;
  /** The existing device, which signs everything it sends on the link. */
  device: Uint8Array;
  user: Uint8Array;
}

export class LinkError extends Error {
  override readonly name = "LinkError";
  constructor(
    readonly code: "TIMED_OUT" | "BAD_MESSAGE" | "WRONG_USER" | "PARTLY_LINKED",
    message: string,
    /** For PARTLY_LINKED: how many spaces took the device (their keys sealed to it) before the failure. */
    readonly added = 0,
  ) {
    super(message);
  }
}

interface LinkChannel {
  sign: nacl.SignKeyPair;
  key: Uint8Array;
  epoch: number;
  spaceId: Uint8Array;
}

function channelOf(seed: Uint8Array): LinkChannel {
  const derive = (label: string) => hash32(concatBytes(utf8(`grove/device-link/${label}`), seed));
  const sign = nacl.sign.keyPair.fromSeed(derive("sign"));
  return {
    sign,
    key: derive("channel"),
    epoch: channelEpoch(sign.publicKey),
    spaceId: derive("space").slice(0, SPACE_ID_BYTES),
  };
}

export function encodeDeviceLink(link: DeviceLink): string {
  const bytes = encodeWith((e) => {
    encoding.writeUint8(e, VERSION);
    writeString(e, link.relayUrl);
    writeFixed(e, link.seed, 32, "seed");
    writeFixed(e, link.device, KEY_BYTES, "device");
    writeFixed(e, link.user, KEY_BYTES, "user");
  });
  return `grove://link#${toBase64Url(bytes)}`;
}

export function decodeDeviceLink(text: string): DeviceLink {
  const trimmed = text.trim();
  const payload = trimmed.startsWith("grove://link#") ? trimmed.slice(13) : trimmed;
  return decodeStrict(fromBase64Url(payload), (r) => {
    const version = r.u8("version");
    if (version !== VERSION) {
      throw new DecodeError("UNSUPPORTED_VERSION", `link version ${version} is not supported`);
    }
    const relayUrl = r.string("relayUrl", 512);
    if (!/^wss?:\/\/[^\s#]+$/.test(relayUrl)) {
      throw new DecodeError("INVALID_VALUE", "relayUrl is not a ws:// or wss:// URL");
    }
    return {
      relayUrl,
      seed: r.fixed(32, "seed").slice(),
      device: r.fixed(KEY_BYTES, "device").slice(),
      user: r.fixed(KEY_BYTES, "user").slice(),
    };
  });
}

/** What the new device asks with. */
export interface LinkRequest {
  deviceSign: Uint8Array;
  deviceBox: Uint8Array;
  name: string;
}

interface LinkAccept {
  cert: DeviceCertificate;
  userName: string;
  spaces: Uint8Array[];
}

export function encodeLinkMessage(m: LinkRequest | LinkAccept): Uint8Array {
  return encodeWith((e) => {
    if ("deviceSign" in m) {
      encoding.writeUint8(e, TAG_REQUEST);
      writeFixed(e, m.deviceSign, KEY_BYTES, "deviceSign");
      writeFixed(e, m.deviceBox, KEY_BYTES, "deviceBox");
      writeString(e, m.name);
      return;
    }
    encoding.writeUint8(e, TAG_ACCEPT);
    encoding.writeVarUint8Array(e, encodeCertificate(m.cert));
    writeString(e, m.userName);
    encoding.writeVarUint(e, m.spaces.length);
    for (const s of m.spaces) writeFixed(e, s, SPACE_ID_BYTES, "space");
  });
}

export function decodeLinkMessage(bytes: Uint8Array): LinkRequest | LinkAccept {
  return decodeStrict(bytes, (r) => {
    const tag = r.u8("tag");
    if (tag === TAG_REQUEST) {
      return {
        deviceSign: r.fixed(KEY_BYTES, "deviceSign").slice(),
        deviceBox: r.fixed(KEY_BYTES, "deviceBox").slice(),
        name: r.string("name", MAX_DEVICE_NAME_BYTES),
      };
    }
    if (tag !== TAG_ACCEPT) throw new DecodeError("INVALID_VALUE", `unknown link message ${tag}`);
    const cert = decodeCertificate(r.varBytes("certificate", 1024));
    const userName = r.string("userName", 256);
    const n = r.varUint("space count", Math.min(MAX_SPACES, Math.floor(r.remaining / 16)));
    const spaces: Uint8Array[] = [];
    for (let i = 0; i < n; i++) spaces.push(r.fixed(SPACE_ID_BYTES, "space").slice());
    return { cert, userName, spaces };
  });
}

/** Six digits both screens show: the same only if the request that arrived is the one sent. */
export function linkCode(seed: Uint8Array, request: LinkRequest): string {
  const h = hash32(
    concatBytes(utf8("grove/device-link/code"), seed, request.deviceSign, request.deviceBox),
  );
  const [a = 0, b = 0, c = 0] = h;
  const n = ((a << 16) | (b << 8) | c) % 1_000_000;
  return String(n).padStart(6, "0");
}

/** Seals one message on the link, signed by the sending device. */
function sealOnLink(
  channel: LinkChannel,
  spaceId: Uint8Array,
  payload: Uint8Array,
  author: DeviceKeys["sign"],
  backend: Ed25519Backend,
): Promise<Uint8Array> {
  return sealEnvelope(
    {
      kind: EnvelopeKind.welcome,
      spaceId,
      epoch: channel.epoch,
      seq: 1,
      prevHash: GENESIS_HASH,
      payload,
    },
    channel.key,
    author,
    backend,
  );
}

/**
 * The existing device's side: shows `text`, waits for a request, and links
 * the new device once the user accepts (having compared `linkCode`).
 */
export class DeviceLinkOffer {
  readonly text: string;
  /** The link's secret, for `linkCode`. */
  readonly seed: Uint8Array;
  private readonly channel: LinkChannel;
  private readonly relay: RelayTransport;
  private readonly requests: LinkRequest[] = [];
  private waiters: ((r: LinkRequest) => void)[] = [];

  constructor(
    private readonly options: {
      relayUrl: string;
      me: Me;
      user: UserKeys;
      backend: Ed25519Backend;
      connect: ConnectWebSocket;
      seed?: Uint8Array;
    },
  ) {
    if (!equalBytes(options.user.sign.publicKey, options.me.cert.user)) {
      throw new LinkError("WRONG_USER", "the user key is not the one that certified this device");
    }
    const seed = options.seed ?? nacl.randomBytes(32);
    this.channel = channelOf(seed);
    this.seed = seed;
    this.text = encodeDeviceLink({
      relayUrl: options.relayUrl,
      seed,
      device: options.me.keys.sign.publicKey,
      user: options.user.sign.publicKey,
    });
    this.relay = new RelayTransport({
      url: options.relayUrl,
      device: this.channel.sign,
      backend: options.backend,
      connect: options.connect,
      clientName: "grove-link",
      onDeliver: ({ envelope }) => this.onRequest(envelope),
    });
    this.relay.on("error", noted("LINK_RELAY", "waiting for a new device's link request"));
    this.relay.start();
  }

  /** The next request a device left on the link. */
  nextRequest(): Promise<LinkRequest> {
    const ready = this.requests.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Certifies the requesting device, adds it to each space, and sends it
   * the acceptance and each space's log over the link.
   */
  async accept(request: LinkRequest, spaces: MemberSpace[]): Promise<DeviceCertificate> {
    const { me, user, backend } = this.options;
    const cert = await certifyDevice(
      backend,
      user,
      { sign: { publicKey: request.deviceSign }, box: { publicKey: request.deviceBox } },
      request.name,
      Date.now(),
    );
    const under = { epoch: this.channel.epoch, key: this.channel.key };
    // Counted as each space's add begins: it may seal that space's key to the device before
    // it fails (an add authors the op, then sends the welcome), so a failure never claims
    // fewer spaces than the device may hold.
    let added = 0;
    try {
      for (const space of spaces) {
        added++;
        await space.addDevice(cert, under);
      }
      const accept = encodeLinkMessage({
        cert,
        userName: me.name,
        spaces: spaces.map((s) => s.space.access.spaceId),
      });
      const envelope = await sealOnLink(
        this.channel,
        this.channel.spaceId,
        accept,
        me.keys.sign,
        backend,
      );
      await this.relay.send([request.deviceSign], envelope);
    } catch (err) {
      // Once one space took the device, it is in (its key sealed to it): nobody may be told
      // that nothing was shared.
      if (added === 0) throw err;
      throw new LinkError(
        "PARTLY_LINKED",
        `linking stopped after the device was added to up to ${added} of ${spaces.length} spaces: ${(err as Error).message}`,
        added,
      );
    }
    return cert;
  }

  close(): Promise<void> {
    return this.relay.stop();
  }

  private async onRequest(envelope: Uint8Array): Promise<void> {
    let request: LinkRequest;
    try {
      const opened = await openEnvelope(envelope, {
        backend: this.options.backend,
        spaceId: this.channel.spaceId,
        keyForEpoch: (e) => (e === this.channel.epoch ? this.channel.key : undefined),
        isAllowed: (_author, e, kind) => e === this.channel.epoch && kind === EnvelopeKind.welcome,
      });
      const message = decodeLinkMessage(opened.payload);
      if (!("deviceSign" in message) || !equalBytes(message.deviceSign, opened.header.author))
        return;
      request = message;
    } catch (err) {
      // Not a request on this link (anyone may send to its mailbox): acked and dropped.
      if (isRefusal(err)) return;
      throw err;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter(request);
    else this.requests.push(request);
  }
}

/** What a linked device received: its certificate and the log of each space. */
export interface LinkResult {
  me: Me;
  welcomes: Map<string, Welcome>;
  /** The spaces (hex) in the order the existing device listed them (the app lists its account space first). */
  spaces: string[];
}

/**
 * The new device's side: leaves its request on the link and returns the
 * code to show, and the link's outcome once the existing device accepted.
 */
export async function requestLink(options: {
  text: string;
  keys: DeviceKeys;
  name: string;
  backend: Ed25519Backend;
  connect: ConnectWebSocket;
  timeoutMs?: number;
}): Promise<{ code: string; linked: Promise<LinkResult> }> {
  const { keys, backend } = options;
  const link = decodeDeviceLink(options.text);
  const channel = channelOf(link.seed);
  const request: LinkRequest = {
    deviceSign: keys.sign.publicKey,
    deviceBox: keys.box.publicKey,
    name: options.name,
  };

  let accepted: LinkAccept | undefined;
  const welcomes = new Map<string, Welcome>();
  let settle!: { resolve: (r: LinkResult) => void; reject: (e: Error) => void };
  const linked = new Promise<LinkResult>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const finishIfComplete = () => {
    if (!accepted || accepted.spaces.some((s) => !welcomes.has(toHex(s)))) return;
    settle.resolve({
      me: { keys, cert: accepted.cert, name: accepted.userName },
      welcomes,
      spaces: accepted.spaces.map(toHex),
    });
  };
  const relay = new RelayTransport({
    url: link.relayUrl,
    device: keys.sign,
    backend,
    connect: options.connect,
    clientName: "grove-link",
    onDeliver: async ({ envelope }) => {
      try {
        const opened = await openEnvelope(envelope, {
          backend,
          keyForEpoch: (e) => (e === channel.epoch ? channel.key : undefined),
          isAllowed: (author, e, kind) =>
            e === channel.epoch && kind === EnvelopeKind.welcome && equalBytes(author, link.device),
        });
        if (equalBytes(opened.header.spaceId, channel.spaceId)) {
          const message = decodeLinkMessage(opened.payload);
          if ("cert" in message && equalBytes(message.cert.deviceSign, keys.sign.publicKey)) {
            if (!equalBytes(message.cert.user, link.user)) {
              settle.reject(
                new LinkError("WRONG_USER", "certified by another user than the link names"),
              );
              return;
            }
            accepted = message;
          }
        } else {
          welcomes.set(toHex(opened.header.spaceId), decodeWelcome(opened.payload));
        }
        finishIfComplete();
      } catch (err) {
        // Not for this link (anyone may send to its mailbox): acked and dropped.
        if (!isRefusal(err)) throw err;
      }
    },
  });
  relay.on("error", noted("LINK_RELAY", "linking this device to the user's account"));
  relay.start();
  const envelope = await sealOnLink(
    channel,
    channel.spaceId,
    encodeLinkMessage(request),
    keys.sign,
    backend,
  );
  await relay.send([channel.sign.publicKey], envelope);
  const timer = setTimeout(
    () =>
      settle.reject(new LinkError("TIMED_OUT", "the other device did not accept the link in time")),
    options.timeoutMs ?? 10 * 60_000,
  );
  const done = linked.finally(async () => {
    clearTimeout(timer);
    await relay.stop();
  });
  void whenSettled(done);
  return { code: linkCode(link.seed, request), linked: done };
}

/** Opens every space a linked device was given, and asks members for their history. */
export async function openLinkedSpaces(options: {
  result: LinkResult;
  engine: SyncEngine;
  store: Store;
  backend: Ed25519Backend;
}): Promise<MemberSpace[]> {
  const { result, engine, store, backend } = options;
  const spaces: MemberSpace[] = [];
  for (const [id, welcome] of result.welcomes) {
    const log = new MembershipLog(fromHex(id), backend, store);
    for (const op of welcome.ops) await log.add(op);
    const access = new MembershipAccess({ log, device: result.me.keys });
    const space = await engine.openSpace(access);
    await space.requestSync();
    spaces.push(new MemberSpace(space, access, result.me, { engine }));
  }
  return spaces;
}

/** Input that does not open or decode, as opposed to a fault of ours, which goes on up. */
function isRefusal(err: unknown): boolean {
  return err instanceof CryptoError || err instanceof DecodeError;
}
